"""Pairwise comparison: the two candidates, ties when allowed, the label aggregation compares."""

from __future__ import annotations

from typing import Any

import pytest

from annotators import AnswerError, AnswerShape, get

PAIRWISE = get("pairwise")


def test_config_defaults() -> None:
    assert PAIRWISE.parse_config({}) == {
        "question": "Which of the two is better?", "instructions": "", "media": "text", "a_field": "a",
        "b_field": "b", "a_label": "A", "b_label": "B", "allow_tie": False, "tie_label": "About the same"}


@pytest.mark.parametrize(("raw", "problems"), [
    ({"a_field": "left", "b_field": "left"}, {"b_field": "must differ from a_field"}),
    ({"a_label": "Same", "b_label": "Same"}, {"b_label": "must differ from a_label"}),
    ({"media": "video"}, {"media": "must be one of: text, image"}),
])
def test_bad_config_is_refused(raw: dict[str, Any], problems: dict[str, str]) -> None:
    with pytest.raises(AnswerError) as caught:
        PAIRWISE.parse_config(raw)
    assert caught.value.problems == problems


def test_tie_is_refused_unless_allowed() -> None:
    strict = PAIRWISE.parse_config({})
    with pytest.raises(AnswerError) as caught:
        PAIRWISE.parse_answer(strict, {"choice": "tie"})
    assert caught.value.problems == {"choice": "must be one of: a, b"}
    tied = PAIRWISE.parse_config({"allow_tie": True})
    assert PAIRWISE.parse_answer(tied, {"choice": "tie"}) == {"choice": "tie"}


@pytest.mark.parametrize("choice", ["a", "b"])
def test_label_of_is_the_choice(choice: str) -> None:
    config = PAIRWISE.parse_config({"a_field": "left", "b_field": "right"})
    answer = PAIRWISE.parse_answer(config, {"choice": choice})
    assert PAIRWISE.label_of(config, answer) == choice
    assert PAIRWISE.item_fields(config) == ["left", "right"]
    assert PAIRWISE.shape_for(config) is AnswerShape.PAIRWISE
