"""Readable problems from JSON Schema errors and the configuration reader shared by the task types."""

from __future__ import annotations

import pytest

from annotators import AnswerError
from annotators.base import schema_problems
from annotators.fields import Settings, normalize_text

BOX = {"type": "array", "minItems": 5, "items": False, "prefixItems": [
    {"type": "number", "minimum": 0}, {"type": "number"}, {"type": "number"}, {"type": "number"},
    {"enum": ["car", "bus"]}]}
BOX_SCHEMA = {"type": "object", "required": ["boxes"], "additionalProperties": False,
              "properties": {"boxes": {"type": "array", "maxItems": 2, "items": BOX}}}


@pytest.mark.parametrize(("instance", "problems"), [
    ({}, {"boxes": "is required"}),
    ({"boxes": [], "x": 1, "y": 2}, {"x": "is not a known field", "y": "is not a known field"}),
    ({"boxes": "none"}, {"boxes": "must be a list"}),
    ({"boxes": [[1, 2, 3, 4, "tram"]]}, {"boxes.0.label": "must be one of: car, bus"}),
    ({"boxes": [[-1, 2, 3, 4, "car"]]}, {"boxes.0.x": "must be at least 0"}),
    ({"boxes": [[1, True, 3, 4, "car"]]}, {"boxes.0.y": "must be a number"}),
    ({"boxes": [[1, 2, 3, 4]]}, {"boxes.0": "must have at least 5 item(s)"}),
    ({"boxes": [[1, 2, 3, 4, "car", 6]]}, {"boxes.0": "has more items than allowed"}),
    ({"boxes": [[1, 2, 3, 4, "car"]] * 3}, {"boxes": "must have at most 2 item(s)"}),
])
def test_schema_problems_name_the_field_in_plain_words(instance: object, problems: dict[str, str]) -> None:
    assert schema_problems(BOX_SCHEMA, instance, {"boxes": ("x", "y", "w", "h", "label")}) == problems


def test_schema_problems_of_a_valid_instance_is_empty() -> None:
    assert schema_problems(BOX_SCHEMA, {"boxes": [[0, 0, 1, 1, "bus"]]}) == {}


def test_settings_collects_every_problem_before_raising() -> None:
    s = Settings({"labels": ["a", "a", ""], "max": "3", "flag": 1, "extra": True},
                 known={"labels", "max", "flag"})
    s.labels()
    s.integer("max", default=1, minimum=1, maximum=5)
    s.boolean("flag", default=False)
    with pytest.raises(AnswerError) as caught:
        s.check()
    assert caught.value.problems == {
        "extra": "is not a known setting", "labels.1": "repeats the label 'a'",
        "labels.2": "must be a non-empty string on one line", "max": "must be a whole number",
        "flag": "must be true or false",
    }


def test_settings_nested_reader_prefixes_its_paths() -> None:
    parent = Settings({"questions": [{"prompt": 3}]}, known={"questions"})
    child = parent.nested(parent.raw["questions"][0], "questions.0", known={"prompt"})
    child.text("prompt", required=True)
    assert parent.problems == {"questions.0.prompt": "must be a string"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("  two\r\nlines\r ", "two\nlines"), ("tab\tkept", "tab\tkept"), ("nul\x00here", None),
    ("bell\x07", None),
])
def test_normalize_text_unifies_newlines_and_refuses_control_characters(raw: str,
                                                                         expected: str | None) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("x" * 2001, "must be at most 2000 characters long"), ("a\x00", "must not contain control characters"),
    (["list"], "must be a string"),
])
def test_settings_text_refuses_bad_strings(value: object, problem: str) -> None:
    s = Settings({"question": value}, known={"question"})
    s.text("question")
    assert s.problems == {"question": problem}


def test_settings_text_trims_and_treats_blank_as_absent() -> None:
    s = Settings({"question": "  Why?  ", "blank": "   "}, known={"question", "blank"})
    assert s.text("question") == "Why?"
    assert s.text("blank", default="fallback") == "fallback"
    s.text("blank", required=True)
    assert s.problems == {"blank": "is required"}
