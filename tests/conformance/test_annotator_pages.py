"""Every annotator's page, driven in Chromium: an incomplete answer is refused on submit, the keyboard
(and the mouse, to draw) completes it, and what the page submits passes ``parse_answer`` and
``validate_signals``. The partials run in a minimal stand-in for the worker page, served over HTTP."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jinja2
import pytest

import annotators
from annotators import REGISTRY, STATIC_FOLDER, TEMPLATE_FOLDER

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{kind}</title>
<link rel="stylesheet" href="static/annotators/annotators.css"></head><body>
<p>Typing and pasting are recorded.</p>
<form id="task-form" method="post" action="/nowhere"><div id="slot">{partial}</div>
<input type="hidden" name="signals" value="">
<button type="submit" name="next" value="0">Submit</button>
<button type="submit" name="next" value="1" data-default-submit>Submit and next</button></form>
<template id="next-item">{partial}</template>
<script>
window.submitted = [];
document.getElementById("task-form").addEventListener("submit", (event) => {{
  event.preventDefault();
  window.submitted.push(Object.fromEntries(new FormData(event.target, event.submitter)));
}});
</script>
<script type="module" src="static/annotators/signals.js"></script>
<script type="module" src="static/annotators/{kind}.js"></script></body></html>"""

# Configurations under which an empty answer is incomplete, and items that test offsets.
CONFIGS: dict[str, dict[str, Any]] = {
    "text_classification": {"labels": ["positive", "negative", "neutral"], "multi_label": True,
                            "max_labels": 2},
    "text_spans": {"labels": ["person", "place"], "min_spans": 1},
}
ITEMS: dict[str, dict[str, Any]] = {
    "text_spans": {"text": "\N{GRINNING FACE} Ada Lovelace met Charles Babbage in London."},
}


def config_of(kind: str) -> dict[str, Any]:
    annotator = REGISTRY[kind]
    return annotator.parse_config(CONFIGS[kind]) if kind in CONFIGS else annotator.example_config()


def item_of(kind: str) -> dict[str, Any]:
    return ITEMS.get(kind) or REGISTRY[kind].example_item(config_of(kind))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(STATIC_FOLDER, root / "static")
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER), autoescape=True)
    for kind, annotator in REGISTRY.items():
        partial_html = jinja.get_template(annotator.template).render(
            config=annotator.public_config(config_of(kind)), item=item_of(kind), assignment_id="A1")
        (root / f"{kind}.html").write_text(PAGE.format(kind=kind, partial=partial_html))
    handler = partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def browser(chromium: Any) -> Any:
    return chromium


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.site = site
    yield page
    context.close()
    assert errors == []


def open_kind(page: Any, kind: str) -> None:
    page.goto(f"{page.site}/{kind}.html")
    page.wait_for_function("document.querySelector('[data-annotator]').dataset.complete === 'false'")


def submissions(page: Any) -> list[dict[str, str]]:
    return page.evaluate("window.submitted")


def drive_image_classification(page: Any) -> str:
    page.keyboard.press("2")
    return "Enter"


def drive_text_classification(page: Any) -> str:
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("2")  # a third label is more than max_labels
    page.keyboard.press("Enter")
    assert submissions(page) == []
    assert page.inner_text("[data-role=message]") == "Choose at most 2 labels."
    page.keyboard.press("2")
    return "Enter"


def drive_bounding_boxes(page: Any) -> str:
    page.wait_for_function("document.querySelector('[data-role=stage]').style.width !== ''")
    stage = page.locator("[data-role=stage]").bounding_box()
    scale = stage["width"] / 320

    def at(x: float, y: float) -> tuple[float, float]:
        return stage["x"] + x * scale, stage["y"] + y * scale

    page.mouse.move(*at(40, 30))
    page.mouse.down()
    page.mouse.move(*at(120, 90), steps=4)
    page.mouse.move(*at(200, 150), steps=4)
    page.mouse.up()
    page.keyboard.press("2")  # class of the selected box
    page.keyboard.press("ArrowRight")  # moves it by 2 px (1/200 of the longer side)
    return "Enter"


def drive_text_spans(page: Any) -> str:
    page.focus("[data-role=text]")
    page.keyboard.press("ArrowRight")  # the emoji is the first word-like token
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    london = page.locator(".ann-seg", has_text="London").bounding_box()
    page.mouse.move(london["x"] + 3, london["y"] + london["height"] / 2)
    page.mouse.down()
    page.mouse.move(london["x"] + london["width"] - 3, london["y"] + london["height"] / 2, steps=4)
    page.mouse.up()
    page.click("[data-role=types] button[data-label=place]")
    return "Enter"


def drive_free_text(page: Any) -> str:
    page.keyboard.type("Night buses reach the north!", delay=15)  # the refusal put the focus in the box
    page.keyboard.press("Backspace")
    page.keyboard.type(". ", delay=15)
    page.evaluate("() => ['blur', 'focus'].forEach((type) => window.dispatchEvent(new Event(type)))")
    page.evaluate("text => navigator.clipboard.writeText(text)", "The new routes start in March")
    page.keyboard.press("Control+V")
    return "Control+Enter"


def drive_survey(page: Any) -> str:
    page.keyboard.press("4")  # the refusal focused question 1; a single choice moves on to question 2
    page.keyboard.press("1")
    page.keyboard.press("3")
    for _ in range(2):  # Phone -> Tablet -> question 3
        page.keyboard.press("Tab")
    page.keyboard.press("2")  # moves on to question 4, a text area
    page.keyboard.type("Fine.")
    return "Control+Enter"


def drive_pairwise(page: Any) -> str:
    page.keyboard.press("ArrowRight")
    page.keyboard.press("1")
    return "Enter"


DRIVERS: dict[str, Callable[[Any], str]] = {
    "image_classification": drive_image_classification, "text_classification": drive_text_classification,
    "bounding_boxes": drive_bounding_boxes, "text_spans": drive_text_spans, "free_text": drive_free_text,
    "survey": drive_survey, "pairwise": drive_pairwise,
}
EXPECTED: dict[str, dict[str, Any]] = {
    "image_classification": {"label": "square"},
    "text_classification": {"labels": ["positive", "neutral"]},
    "bounding_boxes": {"boxes": [[42.0, 30.0, 160.0, 120.0, "square"]]},
    "text_spans": {"spans": [[2, 14, "person"], [38, 44, "place"]]},
    "free_text": {"text": "Night buses reach the north. The new routes start in March"},
    "survey": {"answers": {"clear": 4, "devices": ["Laptop", "Phone"], "attention": "Blue",
                           "comments": "Fine."}},
    "pairwise": {"choice": "a"},
}


def test_every_registered_kind_has_a_page_driver() -> None:
    assert set(DRIVERS) == set(REGISTRY) == set(EXPECTED)


@pytest.mark.parametrize("kind", list(REGISTRY))
def test_page_refuses_an_incomplete_answer_then_submits_a_valid_one(page: Any, kind: str) -> None:
    open_kind(page, kind)

    page.click("button[name=next][value='0']")
    assert submissions(page) == []
    assert page.is_visible("[data-role=message]") and page.inner_text("[data-role=message]").strip()

    submit_key = DRIVERS[kind](page)
    assert page.get_attribute("[data-annotator]", "data-complete") == "true"
    page.keyboard.press(submit_key)

    (sent,) = submissions(page)
    assert sent["next"] == "1"  # Enter uses the page's default submit button
    assert not page.is_visible("[data-role=message]")
    annotator = REGISTRY[kind]
    answer = annotator.parse_answer(config_of(kind), json.loads(sent["answer"]), item=item_of(kind))
    assert _rounded(answer) == EXPECTED[kind]
    signals = annotators.validate_signals(json.loads(sent["signals"]))
    assert signals["time_on_page_ms"] > 0


def test_free_text_page_records_typing_and_pasting_signals(page: Any) -> None:
    open_kind(page, "free_text")
    page.click("button[name=next][value='0']")
    page.keyboard.press(drive_free_text(page))

    signals = annotators.validate_signals(json.loads(submissions(page)[0]["signals"]))

    typed = len("Night buses reach the north!") + len(". ")
    assert signals["text_fields"] == 1
    assert signals["keystrokes"] == typed + 1  # Backspace types too; Ctrl+V and Ctrl+Enter do not
    assert signals["deletions"] == 1
    assert (signals["pastes"], signals["pasted_chars"]) == (1, len("The new routes start in March"))
    assert signals["pastes_from_page"] == 1  # the text is the summarised source shown on the page
    assert (signals["focus_losses"], signals["pastes_after_return"]) == (1, 1)
    assert 0 < signals["first_keystroke_ms"] <= signals["time_on_page_ms"]
    assert 0 < signals["active_typing_ms"] <= signals["time_on_page_ms"]


def test_survey_page_answer_passes_its_attention_check(page: Any) -> None:
    open_kind(page, "survey")
    page.click("button[name=next][value='0']")
    page.keyboard.press(drive_survey(page))

    config = config_of("survey")
    answer = REGISTRY["survey"].parse_answer(config, json.loads(submissions(page)[0]["answer"]))
    assert annotators.attention_passed(config, answer) is True
    assert "Blue" in page.inner_text("#slot") and '"expected"' not in page.content()


def test_swapped_in_item_mounts_afresh_and_restarts_the_signals(page: Any) -> None:
    open_kind(page, "image_classification")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)

    swapped_at = page.evaluate("""() => { document.getElementById("slot").replaceChildren(
        document.getElementById("next-item").content.cloneNode(true)); return performance.now(); }""")
    page.wait_for_function("document.querySelector('[data-annotator]').dataset.complete === 'false'")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    since_swap = page.evaluate("performance.now()") - swapped_at

    first, second = submissions(page)
    assert json.loads(first["answer"]) == {"label": "circle"}
    assert json.loads(second["answer"]) == {"label": "neither"}
    assert json.loads(second["signals"])["time_on_page_ms"] <= since_swap + 1
    assert json.loads(first["signals"])["time_on_page_ms"] > 0


def _rounded(answer: dict[str, Any]) -> dict[str, Any]:
    """Boxes drawn with the mouse land within half a pixel of the target."""
    if "boxes" not in answer:
        return answer
    return {"boxes": [[float(round(v)) for v in box[:4]] + [box[4]] for box in answer["boxes"]]}


def test_static_folder_holds_only_served_files() -> None:
    served = {p.name for p in (STATIC_FOLDER / "annotators").iterdir()}
    scripts = {Path(a.script).name for a in REGISTRY.values()}
    assert served == scripts | {"annotators.css", "common.js", "choices.js", "signals.js"}
