"""Every annotator type completed for real in Chromium at 1280x800: keys pick labels, the mouse draws a
box and selects a span, text is typed and pasted, a survey is answered; each page is screenshotted
(docs/screenshots/<kind>.png with LABELHUB_SCREENSHOTS=docs/screenshots) and each stored answer is read
back from the database. At phone width no page scrolls sideways."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

import annotators
from labelhub.models import Assignment, AssignmentStatus
from labelhub.money import parse_amount
from labelhub.services import batches, hits, media
from labelhub.services.commands import HITTypeSpec
from tests.browser.conftest import PHONE, sign_in

SPAN_TEXT = "Ada Lovelace met Charles Babbage in London in 1833."


def scene_png() -> bytes:
    """A 640x480 photo-like scene: a blue circle on the left, an orange square on the right."""
    image = Image.new("RGB", (640, 480), "#f4f1ea")
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 150, 290, 330), fill="#2a7ab8")
    draw.rectangle((400, 160, 560, 320), fill="#c0552b")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_task(runtime, requester, kind: str, config: dict, item: dict) -> str:
    """One HIT of a one-row batch; returns the HIT's id."""
    annotator = annotators.REGISTRY[kind]
    spec = HITTypeSpec(title=annotator.title, description="One item; the instructions are below.",
                       reward_micros=parse_amount("0.08"), assignment_duration_seconds=1200)
    batch = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name=kind, template_kind=kind, question_template="item", hit_type=spec, rows=(item,),
        lifetime_seconds=3600, template_config=config))
    return hits.list_hits(runtime, requester.actor, batch_id=batch.id).items[0].public_id


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def text_range_box(page: Page, selector: str, text: str) -> dict[str, float]:
    """The on-screen box of ``text`` inside the element, however the text is split into nodes (where a
    mouse selection of it would start and end)."""
    return page.evaluate("""([selector, wanted]) => {
        const element = document.querySelector(selector);
        const start = element.textContent.indexOf(wanted), end = start + wanted.length;
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let seen = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const next = seen + node.data.length;
          if (seen <= start && start < next) range.setStart(node, start - seen);
          if (seen < end && end <= next) range.setEnd(node, end - seen);
          seen = next;
        }
        const box = range.getBoundingClientRect();
        return {left: box.left, right: box.right, top: box.top, bottom: box.bottom};
    }""", [selector, text])


# Each case: the configuration, the item, what the worker does, and the answer that must be stored.
def label_image(page: Page) -> None:
    expect(page.locator("[data-role=image]")).to_be_visible()
    page.keyboard.press("2")


def draw_box(page: Page) -> None:
    layer = page.locator("[data-role=layer]")
    expect(page.locator("[data-role=image]")).to_be_visible()
    box = layer.bounding_box()
    scale = box["width"] / 640  # the image may be shown smaller than its pixels
    page.keyboard.press("2")  # class of new boxes: square
    left, top = box["x"], box["y"]
    drag(page, (left + 400 * scale, top + 160 * scale), (left + 560 * scale, top + 320 * scale))
    expect(page.locator("[data-role=box-list] li")).to_have_count(1)


def select_span(page: Page) -> None:
    where = text_range_box(page, "[data-role=text]", "Ada Lovelace")
    middle = (where["top"] + where["bottom"]) / 2
    drag(page, (where["left"] + 1, middle), (where["right"] - 1, middle))
    page.keyboard.press("1")  # person
    expect(page.locator("[data-role=span-list] li")).to_have_count(1)


def write_summary(page: Page) -> None:
    page.locator("#ann-free-text-input").click()
    page.keyboard.type("Night buses reach the north in March.")
    page.evaluate("text => navigator.clipboard.writeText(text)", " A parking levy pays.")
    page.keyboard.press("Control+V")


def answer_survey(page: Page) -> None:
    page.locator('#ann-q-0 input[value="4"]').click()  # 4 on the 5-point scale
    page.locator('#ann-q-1 input[value="Laptop"]').click()
    page.locator('#ann-q-1 input[value="Phone"]').click()
    page.locator('#ann-q-2 input[value="Blue"]').click()
    page.locator("#ann-q-3 [data-role=input]").fill("Clear enough.")


def pick_a(page: Page) -> None:
    page.keyboard.press("1")


def pick_negative(page: Page) -> None:
    page.keyboard.press("2")


CASES: dict[str, tuple[dict, Callable[[str], dict], Callable[[Page], None], Callable[[dict], None]]] = {
    "image_classification": (
        {"labels": ["circle", "square", "both"], "instructions": "Which shapes does the picture show?"},
        lambda image: {"image_url": image}, label_image,
        lambda answer: answer == {"label": "square"}),
    "bounding_boxes": (
        {"labels": ["circle", "square"], "min_boxes": 1,
         "instructions": "Draw a tight box around every shape."},
        lambda image: {"image_url": image, "image_width": 640, "image_height": 480}, draw_box,
        lambda answer: len(answer["boxes"]) == 1 and answer["boxes"][0][4] == "square"
        and all(abs(a - b) <= 6 for a, b in zip(answer["boxes"][0][:4], (400, 160, 160, 160), strict=True))),
    "text_classification": (
        {"labels": ["positive", "negative", "neutral"], "instructions": "What is the tone of this review?"},
        lambda image: {"text": "The battery died after two days and support never answered."}, pick_negative,
        lambda answer: answer == {"label": "negative"}),
    "text_spans": (
        {"labels": ["person", "place", "date"], "instructions": "Mark every person, place and date."},
        lambda image: {"text": SPAN_TEXT}, select_span,
        lambda answer: answer == {"spans": [[0, 12, "person"]]}),
    "free_text": (
        {"mode": "summarise", "min_length": 20, "max_length": 400,
         "instructions": "One or two sentences; do not copy the text."},
        lambda image: {"text": "The council extended the night bus network to the northern suburbs from "
                               "March, paid for by a parking levy."}, write_summary,
        lambda answer: answer == {"text": "Night buses reach the north in March. A parking levy pays."}),
    "survey": (
        annotators.REGISTRY["survey"].example_config(), lambda image: {}, answer_survey,
        lambda answer: answer["answers"]["clear"] == 4 and answer["answers"]["devices"] == ["Laptop", "Phone"]
        and answer["answers"]["attention"] == "Blue" and answer["answers"]["comments"] == "Clear enough."),
    "pairwise": (
        {"question": "Which answer is more helpful?", "allow_tie": True},
        lambda image: {"a": "Restart the router, then wait a minute before reconnecting.",
                       "b": "Have you tried turning it off and on again?"}, pick_a,
        lambda answer: answer == {"choice": "a"}),
}


def test_every_annotator_has_a_browser_case():
    assert set(CASES) == set(annotators.REGISTRY)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_annotator_is_completed_for_real(open_page, runtime, factory, screenshots, kind):
    config, item, work, accepted = CASES[kind]
    requester = factory.requester("acme-research")
    image = media.store_image(runtime, requester.actor, scene_png())
    hit_id = make_task(runtime, requester, kind, config, item(f"/media/{image.name}"))
    worker = factory.worker(f"{kind.replace('_', '-')}-worker")
    page = open_page()
    sign_in(page, f"{kind.replace('_', '-')}-worker")

    page.goto(f"/hits/{hit_id}")
    page.get_by_role("button", name="Accept this HIT").click()
    expect(page).to_have_url(re.compile(r".*/assignments/[A-Z0-9]{30}$"))
    page.wait_for_load_state("domcontentloaded")  # the annotator's module has run: keys work
    work(page)
    page.screenshot(path=screenshots / f"{kind}.png")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r".*/hits$"))

    with runtime.sessions() as db:
        done = db.scalars(select(Assignment).where(Assignment.worker_id == worker.actor.id)).one()
    assert done.status is AssignmentStatus.SUBMITTED
    assert accepted(done.answer), done.answer
    assert done.signals["version"] == 2 and done.signals["time_on_page_ms"] > 0
    if kind == "free_text":
        assert done.signals["pastes"] == 1 and done.signals["keystrokes"] >= 30


@pytest.mark.parametrize("kind", sorted(CASES))
def test_annotator_page_fits_a_phone(open_page, runtime, factory, kind):
    config, item, _, _ = CASES[kind]
    requester = factory.requester()
    image = media.store_image(runtime, requester.actor, scene_png())
    hit_id = make_task(runtime, requester, kind, config, item(f"/media/{image.name}"))
    factory.worker(f"phone-{kind.replace('_', '-')}")
    page = open_page(PHONE)
    sign_in(page, f"phone-{kind.replace('_', '-')}")

    page.goto(f"/hits/{hit_id}")

    expect(page.locator(f'[data-annotator="{kind}"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/hits")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
