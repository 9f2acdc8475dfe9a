"""Free-text responses: modes, question defaults, lengths after trimming, control characters."""

from __future__ import annotations

from typing import Any

import pytest

from annotators import AnswerError, AnswerShape, get

FREE_TEXT = get("free_text")


def problems_of(call: Any, *args: Any) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        call(*args)
    return caught.value.problems


def test_answer_mode_needs_a_question() -> None:
    assert problems_of(FREE_TEXT.parse_config, {}) == {"question": "is required"}
    config = FREE_TEXT.parse_config({"question": "What is shown?"})
    assert config == {"mode": "answer", "question": "What is shown?", "instructions": "",
                      "source_field": None, "min_length": 1, "max_length": 5000, "multiline": True}
    assert FREE_TEXT.item_fields(config) == []


@pytest.mark.parametrize(("mode", "question", "source"), [
    ("summarise", "Summarise the text in your own words.", "text"),
    ("transcribe", "Type the text shown in the image exactly as written.", "image_url"),
])
def test_other_modes_have_a_default_question_and_source(mode: str, question: str, source: str) -> None:
    config = FREE_TEXT.parse_config({"mode": mode})
    assert (config["question"], config["source_field"]) == (question, source)
    assert FREE_TEXT.item_fields(config) == [source]
    assert FREE_TEXT.shape_for(config) is AnswerShape.TEXT


@pytest.mark.parametrize(("raw", "problems"), [
    ({"mode": "translate", "question": "?"}, {"mode": "must be one of: answer, summarise, transcribe"}),
    ({"question": "?", "min_length": 10, "max_length": 5},
     {"min_length": "must not be more than max_length"}),
    ({"question": "?", "max_length": 0}, {"max_length": "must be between 1 and 100000"}),
    ({"question": "?", "multiline": "no"}, {"multiline": "must be true or false"}),
])
def test_bad_config_is_refused(raw: dict[str, Any], problems: dict[str, str]) -> None:
    assert problems_of(FREE_TEXT.parse_config, raw) == problems


@pytest.fixture
def config() -> dict[str, Any]:
    return FREE_TEXT.parse_config({"mode": "summarise", "min_length": 10, "max_length": 40})


def test_answer_is_trimmed_with_unix_newlines(config: dict[str, Any]) -> None:
    assert FREE_TEXT.parse_answer(config, {"text": "  First line.\r\nSecond line.\n "}) == {
        "text": "First line.\nSecond line."}


@pytest.mark.parametrize(("text", "problems"), [
    ("   too short   ", {"text": "must be at least 10 character(s) long, not counting surrounding spaces"}),
    ("x" * 41, {"text": "must be at most 40 character(s) long"}),
    ("a long enough\x00answer", {"text": "must not contain control characters"}),
    (42, {"text": "must be a string"}),
])
def test_bad_answer_is_refused(config: dict[str, Any], text: Any, problems: dict[str, str]) -> None:
    assert problems_of(FREE_TEXT.parse_answer, config, {"text": text}) == problems


def test_lengths_count_characters_not_bytes(config: dict[str, Any]) -> None:
    assert FREE_TEXT.parse_answer(config, {"text": "é" * 40}) == {"text": "é" * 40}


def test_label_of_free_text_is_none(config: dict[str, Any]) -> None:
    assert FREE_TEXT.label_of(config, {"text": "anything"}) is None
