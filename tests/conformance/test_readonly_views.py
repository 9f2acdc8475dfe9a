"""Every annotator's read-only view of a stored answer (``annotator.readonly_template``), rendered the way
the review pages include it: the answer's content is drawn, worker input stays escaped, and an optional
compared answer (the consensus) marks the differences."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import jinja2
import pytest

from annotators import REGISTRY, TEMPLATE_FOLDER, Annotator

ALL = pytest.mark.parametrize("annotator", list(REGISTRY.values()), ids=list(REGISTRY))
HOSTILE = "<script>alert(1)</script>"
# How a review page includes one answer (labelhub/web/templates/web/requester/...).
INCLUDE = ('{% with config=config, item=item, answer=answer %}'
           '{% include "annotators/readonly/" ~ kind ~ ".html" %}{% endwith %}')
JINJA = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER), autoescape=True,
                           undefined=jinja2.StrictUndefined)


def render(kind: str, raw_config: Mapping[str, Any] | None = None, item: Mapping[str, Any] | None = None,
           answer: Mapping[str, Any] | None = None, **extra: Any) -> str:
    """The view of ``answer`` (canonical, checked by parse_answer) under the public configuration; the
    annotator's examples fill in what is not given."""
    annotator = REGISTRY[kind]
    config = annotator.parse_config(raw_config) if raw_config is not None else annotator.example_config()
    item = annotator.example_item(config) if item is None else item
    answer = annotator.example_answer(config) if answer is None else answer
    canonical = annotator.parse_answer(config, answer, item=item)
    return JINJA.from_string(INCLUDE).render(kind=kind, config=annotator.public_config(config), item=item,
                                             answer=canonical, **extra)


def texts_of(page: str, tag: str, css_class: str) -> list[str]:
    """The text inside each ``<tag class="css_class ...">`` (no nesting of the same tag)."""
    found = re.findall(rf'<{tag} class="{css_class}\b[^"]*"[^>]*>(.*?)</{tag}>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)) for text in found]


@ALL
def test_every_kind_has_a_readonly_template(annotator: Annotator) -> None:
    assert annotator.readonly_template == f"annotators/readonly/{annotator.kind}.html"
    assert (TEMPLATE_FOLDER / annotator.readonly_template).is_file()


def test_the_readonly_folder_holds_only_registered_kinds() -> None:
    names = {path.stem for path in (TEMPLATE_FOLDER / "annotators" / "readonly").glob("*.html")}
    assert names - {"_readonly"} == set(REGISTRY)


@ALL
def test_each_example_answer_renders_without_a_script(annotator: Annotator) -> None:
    page = render(annotator.kind)
    assert f'data-readonly="{annotator.kind}"' in page
    assert "<script" not in page and " style=" not in page and "data-differs" not in page


def test_boxes_are_drawn_in_image_pixels_with_their_labels() -> None:
    boxes = [[10, 20, 100, 50, "square"], [200, 100, 60.5, 40, "circle"], [0, 0, 30, 30, "square"]]
    page = render("bounding_boxes", {"labels": ["circle", "square"]},
                  {"image_url": "https://img.example/a.png", "image_width": "320", "image_height": 240},
                  {"boxes": boxes})
    assert 'viewBox="0 0 320 240"' in page
    assert '<image href="https://img.example/a.png" x="0" y="0" width="320" height="240"' in page
    rects = re.findall(r'<g class="ann-ro-boxes (ann-color-\d)">\s*<rect class="ann-ro-box" '
                       r'x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', page)
    assert rects == [("ann-color-1", "10", "20", "100", "50"), ("ann-color-0", "200", "100", "60.5", "40"),
                     ("ann-color-1", "0", "0", "30", "30")]
    assert texts_of(page, "text", "ann-ro-box-label") == ["square", "circle", "square"]
    summary = re.search(r"<summary>(.*?)</summary>", page, re.S)
    assert summary is not None
    assert re.sub(r"<[^>]+>|\s+", " ", summary.group(1)).split() == ["3", "boxes", "circle", "×", "1",
                                                                     "square", "×", "2"]


def test_boxes_on_an_image_of_unknown_size_are_listed_not_drawn() -> None:
    page = render("bounding_boxes", {"labels": ["circle"]}, {"image_url": "https://img.example/a.png"},
                  {"boxes": [[1, 2, 3, 4, "circle"]]})
    assert "<svg" not in page and '<img class="ann-ro-image" src="https://img.example/a.png"' in page
    assert "3 × 4 at (1, 2)" in page and "the boxes are listed, not drawn" in page


def test_spans_are_marked_with_their_labels_and_the_text_is_kept_whole() -> None:
    text = "Ada Lovelace met Charles Babbage\n  in London & <b>Paris</b>."
    spans = [[text.index(word), text.index(word) + len(word), label] for word, label in
             [("Ada Lovelace", "person"), ("Charles Babbage", "person"), ("London", "place"), ("Paris", "place")]]
    page = render("text_spans", {"labels": ["person", "place"]}, {"text": text}, {"spans": spans})
    assert texts_of(page, "mark", "ann-ro-mark") == ["Ada Lovelace", "Charles Babbage", "London", "Paris"]
    assert texts_of(page, "small", "ann-ro-tag") == ["person", "person", "place", "place"]
    assert re.findall(r'<mark class="ann-ro-mark (ann-color-\d)"', page) == ["ann-color-0"] * 2 + ["ann-color-1"] * 2
    body = re.search(r'<div class="ann-ro-text ann-ro-spans-text">(.*?)</div>', page, re.S)
    assert body is not None
    without_tags = re.sub(r"<small [^>]*>.*?</small>", "", body.group(1))
    assert html.unescape(re.sub(r"<[^>]+>", "", without_tags)) == text


def test_overlapping_spans_mark_each_stretch_once_coloured_by_the_innermost() -> None:
    text = "New York City Hall"
    spans = [[0, 13, "place"], [0, 8, "city"], [9, 18, "building"]]
    page = render("text_spans", {"labels": ["place", "city", "building"], "allow_overlap": True}, {"text": text},
                  {"spans": spans})
    marks = re.findall(r'<mark class="ann-ro-mark (ann-color-\d)"( data-overlap="\d")? title="([^"]*)">(.*?)</mark>',
                       page)
    assert marks == [("ann-color-1", ' data-overlap="2"', "place, city", "New York"),
                     ("ann-color-0", "", "place", " "),
                     ("ann-color-2", ' data-overlap="2"', "place, building", "City"),
                     ("ann-color-2", "", "building", " Hall")]
    assert texts_of(page, "small", "ann-ro-tag") == ["city", "place", "building"]


def test_survey_shows_each_question_with_its_answer() -> None:
    annotator = REGISTRY["survey"]
    config = annotator.example_config()
    config["questions"][0]["labels"] = ["1", "2", "3", "4", "Agree"]  # one label per point
    page = JINJA.from_string(INCLUDE).render(
        kind="survey", config=annotator.public_config(config), item={},
        answer={"answers": {"clear": 5, "devices": ["Laptop", "Phone"], "attention": "Blue",
                            "comments": "Fine\n  thanks"}})
    assert re.findall(r"<dt>(.*?)</dt>", page) == [
        "1. The instructions were clear.", "2. Which devices do you work on?",
        "3. To show you are reading, choose Blue.", "4. Anything else?"]
    assert texts_of(page, "span", "ann-ro-scale") == ["5 / 5 Agree"]
    assert texts_of(page, "span", "ann-ro-badge") == ["Laptop", "Phone", "Blue"]
    assert '<span class="ann-ro-text">Fine\n  thanks</span>' in page
    assert "expected" not in page  # the public config: an attention check looks like any question


def test_an_unanswered_optional_question_says_so() -> None:
    answer = {"answers": {"clear": 2, "devices": ["Tablet"], "attention": "Red"}}
    page = render("survey", answer=answer)
    assert texts_of(page, "span", "ann-ro-scale") == ["2 / 5"]
    assert page.count("no answer") == 1


def test_free_text_is_escaped_and_keeps_its_white_space() -> None:
    answer = {"text": f"First line {HOSTILE}\n\n   indented & more"}
    page = render("free_text", {"question": "Why?", "min_length": 1}, {}, answer)
    assert HOSTILE not in page
    assert ('<div class="ann-ro-text ann-ro-answer">First line &lt;script&gt;alert(1)&lt;/script&gt;\n\n'
            "   indented &amp; more</div>") in page


def test_transcription_shows_the_image_beside_the_text() -> None:
    page = render("free_text", {"mode": "transcribe"}, {"image_url": "https://img.example/sign.png"},
                  {"text": "Night bus N29"})
    assert '<img class="ann-ro-image" src="https://img.example/sign.png"' in page and "Night bus N29" in page


@pytest.mark.parametrize("kind", ["image_classification", "text_classification"])
def test_classification_shows_the_item_and_the_chosen_label(kind: str) -> None:
    page = render(kind, answer={"label": REGISTRY[kind].example_config()["labels"][1]})
    chosen = REGISTRY[kind].example_config()["labels"][1]
    assert texts_of(page, "span", "ann-ro-badge") == [chosen]
    assert ('<img class="ann-ro-image" src="data:image/svg+xml,' in page) == (kind == "image_classification")
    assert ("The battery lasts two days" in page) == (kind == "text_classification")
    assert "ann-ro-image" not in render(kind, show_item=False) and "battery" not in render(kind, show_item=False)


def test_multi_label_and_ordinal_answers() -> None:
    labels = ["bad", "fair", "good", "great"]
    page = render("text_classification", {"labels": labels, "multi_label": True}, answer={"labels": ["great", "bad"]})
    assert texts_of(page, "span", "ann-ro-badge") == ["bad", "great"]
    page = render("text_classification", {"labels": labels, "ordinal": True}, answer={"label": "good"})
    assert texts_of(page, "span", "ann-ro-badge") == ["good (3 of 4)"]


def test_pairwise_marks_the_chosen_candidate_or_the_tie() -> None:
    page = render("pairwise", answer={"choice": "b"})
    assert re.findall(r'data-side="(a|b)" data-chosen="(true|false)"', page) == [("a", "false"), ("b", "true")]
    page = render("pairwise", answer={"choice": "tie"})
    assert 'data-choice="tie">About the same</span>' in page and 'data-chosen="true"' not in page
    image_pair = render("pairwise", {"media": "image"}, {"a": "https://img.example/a.png", "b": "https://img.example/b.png"})
    assert image_pair.count('<img class="ann-ro-image"') == 2


# Worker input in every field a view shows: labels, texts, items.
HOSTILE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "image_classification": ({"labels": [HOSTILE, "b"]}, {"image_url": f'x" onerror="{HOSTILE}'},
                             {"label": HOSTILE}),
    "text_classification": ({"labels": [HOSTILE, "b"]}, {"text": HOSTILE}, {"label": HOSTILE}),
    "bounding_boxes": ({"labels": [HOSTILE], "image_width": 100, "image_height": 100},
                       {"image_url": HOSTILE}, {"boxes": [[1, 1, 10, 10, HOSTILE]]}),
    "text_spans": ({"labels": [HOSTILE]}, {"text": f"a {HOSTILE} b"}, {"spans": [[2, 10, HOSTILE]]}),
    "free_text": ({"question": HOSTILE, "mode": "summarise"}, {"text": HOSTILE}, {"text": HOSTILE}),
    "survey": ({"questions": [{"id": "q", "kind": "multiple_choice", "prompt": HOSTILE, "options": [HOSTILE, "b"]},
                              {"id": "t", "kind": "free_text", "prompt": "t"}]}, {},
               {"answers": {"q": HOSTILE, "t": HOSTILE}}),
    "pairwise": ({"a_label": HOSTILE, "question": HOSTILE}, {"a": HOSTILE, "b": HOSTILE}, {"choice": "a"}),
}


@ALL
def test_worker_and_requester_input_is_escaped(annotator: Annotator) -> None:
    raw_config, item, answer = HOSTILE_CASES[annotator.kind]
    page = render(annotator.kind, raw_config, item, answer, compare=answer)
    assert "<script" not in page and 'onerror="' not in page
    assert "&lt;script&gt;" in page


def test_compared_labels_are_marked_extra_and_missing() -> None:
    labels = ["a", "b", "c"]
    page = render("text_classification", {"labels": labels, "multi_label": True}, answer={"labels": ["a", "b"]},
                  compare={"labels": ["b", "c"]}, compare_name="the crowd")
    assert 'data-differs="true"' in page and "Differs from the crowd" in page
    assert re.findall(r'<span class="ann-ro-badge ann-color-\d"(?: data-compare="(\w+)")?', page) == [
        "extra", "", "missing"]
    same = render("text_classification", {"labels": labels}, answer={"label": "a"}, compare={"label": "a"})
    assert 'data-differs="false"' in same and "data-compare" not in same


def test_compared_boxes_are_drawn_dashed_and_survey_differences_named() -> None:
    page = render("bounding_boxes", compare={"boxes": [[5.0, 5.0, 50.0, 50.0, "circle"], [1, 1, 9, 9, "square"]]})
    assert page.count('<g class="ann-ro-compare-boxes') == 2 and page.count('<g class="ann-ro-boxes') == 1
    survey = REGISTRY["survey"]
    answer = survey.example_answer(survey.example_config())
    other = {"answers": {**answer["answers"], "clear": 1}}
    page = render("survey", compare=other)
    assert re.findall(r'data-compare="(\w+)"', page) == ["different", "same", "same", "same"]
    assert texts_of(page, "dd", "ann-ro-compared") == ["the consensus: 1 / 5 Strongly disagree"]


def test_spans_only_in_the_compared_answer_are_listed() -> None:
    text = "Ada met Charles"
    page = render("text_spans", {"labels": ["person"]}, {"text": text}, {"spans": [[0, 3, "person"]]},
                  compare={"spans": [[0, 3, "person"], [8, 15, "person"]]})
    assert "data-compare=\"extra\"" not in page.split("ann-ro-missed")[0]
    assert texts_of(page, "p", "ann-ro-missed") == ["Only in the consensus: Charles person"]


def test_in_the_app_images_resolve_like_the_worker_page(app: Any) -> None:
    """The app's Jinja environment (its loader and image_url): a stored upload's name becomes its URL."""
    name = "ab" * 32 + ".png"
    with app.test_request_context():
        page = app.jinja_env.from_string(INCLUDE).render(
            kind="image_classification", config=REGISTRY["image_classification"].example_config(),
            item={"image_url": name}, answer={"label": "circle"})
        hostile = app.jinja_env.from_string(INCLUDE).render(
            kind="image_classification", config=REGISTRY["image_classification"].example_config(),
            item={"image_url": "//elsewhere.example/a.png"}, answer={"label": "circle"})
    assert f'<img class="ann-ro-image" src="/media/{name}"' in page
    assert "elsewhere.example" not in hostile and "nothing in the column" in hostile
