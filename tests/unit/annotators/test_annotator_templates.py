"""What the partials render for particular configurations and items (the page contract's details)."""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2
import pytest

from annotators import REGISTRY, TEMPLATE_FOLDER

JINJA = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER), autoescape=True,
                           undefined=jinja2.StrictUndefined)


def render(kind: str, raw_config: dict[str, Any], item: dict[str, Any]) -> str:
    annotator = REGISTRY[kind]
    config = annotator.parse_config(raw_config)
    return JINJA.get_template(annotator.template).render(
        config=annotator.public_config(config), item=item, assignment_id=None)


def test_spans_template_embeds_the_exact_text_for_offsets() -> None:
    text = "Line one\r\nline </script> two & more"
    html = render("text_spans", {"labels": ["x"]}, {"text": text})
    embedded = re.search(r'<script type="application/json" data-role="source">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == text
    assert "</script> two" not in html


def test_spans_template_shows_each_type_with_its_number_key() -> None:
    html = render("text_spans", {"labels": [f"t{i}" for i in range(11)]}, {"text": "abc"})
    keys = re.findall(r'data-label="(t\d+)" data-index="\d+">\s*(?:<kbd>(\d)</kbd>)?', html)
    assert keys[:3] == [("t0", "1"), ("t1", "2"), ("t2", "3")]
    assert keys[9] == ("t9", "0") and keys[10] == ("t10", "")


@pytest.mark.parametrize(("raw", "item", "size"), [
    ({"labels": ["car"], "image_width": 640, "image_height": 480}, {"image_url": "u"}, ("640", "480")),
    ({"labels": ["car"]}, {"image_url": "u", "image_width": 300, "image_height": 200}, ("300", "200")),
    ({"labels": ["car"]}, {"image_url": "u"}, None),
])
def test_boxes_template_gives_the_script_the_coordinate_space(raw: dict[str, Any], item: dict[str, Any],
                                                             size: tuple[str, str] | None) -> None:
    html = render("bounding_boxes", raw, item)
    found = re.search(r'data-image-width="(\d+)" data-image-height="(\d+)"', html)
    assert (found.groups() if found else None) == size


def test_multi_label_classification_renders_check_boxes_with_limits() -> None:
    html = render("image_classification", {"labels": ["a", "b", "c"], "multi_label": True, "max_labels": 2},
                  {"image_url": "https://example.org/x.png"})
    assert html.count('type="checkbox"') == 3 and 'type="radio"' not in html
    assert 'data-multi-label="true"' in html and 'data-max-labels="2"' in html
    assert '<img src="https://example.org/x.png"' in html


def test_transcribe_renders_the_image_and_turns_off_spellcheck() -> None:
    html = render("free_text", {"mode": "transcribe", "source_field": "scan"},
                  {"scan": "https://example.org/s.png"})
    assert '<img src="https://example.org/s.png"' in html and 'spellcheck="false"' in html


def test_single_line_free_text_renders_a_text_input() -> None:
    html = render("free_text", {"question": "Name?", "multiline": False}, {})
    assert '<input type="text" id="ann-free-text-input" name="_ann_text"' in html and "<textarea" not in html


def test_survey_page_cannot_tell_an_attention_check_from_a_question() -> None:
    check = {"id": "q1", "kind": "attention_check", "prompt": "Pick blue.", "options": ["red", "blue"],
             "expected": "blue"}
    plain = {"id": "q1", "kind": "multiple_choice", "prompt": "Pick blue.", "options": ["red", "blue"]}
    assert render("survey", {"questions": [check]}, {}) == render("survey", {"questions": [plain]}, {})


def test_likert_scale_submits_numbers_and_shows_its_end_labels() -> None:
    html = render("survey", {"questions": [{"kind": "likert", "prompt": "?", "points": 4,
                                            "labels": ["never", "always"]}]}, {})
    assert re.findall(r'name="_ann_q_0" value="(\d)"', html) == ["1", "2", "3", "4"]
    assert "1 = never" in html and "4 = always" in html


def test_pairwise_renders_images_when_configured() -> None:
    html = render("pairwise", {"media": "image", "allow_tie": True},
                  {"a": "https://x/a.png", "b": "https://x/b.png"})
    assert html.count("<img ") == 2 and 'value="tie"' in html
