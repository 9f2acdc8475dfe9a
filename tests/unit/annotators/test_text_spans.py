"""Text spans: offsets against the item's text (in code points), overlaps, duplicates, order."""

from __future__ import annotations

from typing import Any

import pytest

from annotators import AnswerError, get

SPANS = get("text_spans")
TEXT = "Ada Lovelace met Charles Babbage in London."
ITEM = {"text": TEXT}


@pytest.fixture
def config() -> dict[str, Any]:
    return SPANS.parse_config({"labels": ["person", "place"]})


def problems_of(config: dict[str, Any], spans: list[Any],
                item: dict[str, Any] | None = ITEM) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        SPANS.parse_answer(config, {"spans": spans}, item=item)
    return caught.value.problems


def test_spans_are_sorted_by_position(config: dict[str, Any]) -> None:
    answer = SPANS.parse_answer(config, {"spans": [[36, 42, "place"], [0, 12, "person"]]}, item=ITEM)
    assert answer == {"spans": [[0, 12, "person"], [36, 42, "place"]]}
    assert [TEXT[s:e] for s, e, _ in answer["spans"]] == ["Ada Lovelace", "London"]


def test_offsets_are_code_points_as_python_counts_them(config: dict[str, Any]) -> None:
    item = {"text": "\N{GRINNING FACE} Ada"}
    assert SPANS.parse_answer(config, {"spans": [[2, 5, "person"]]}, item=item) == {
        "spans": [[2, 5, "person"]]}
    assert problems_of(config, [[2, 6, "person"]], item) == {
        "spans.0": "ends at 6, beyond the text's 5 characters"}


@pytest.mark.parametrize(("spans", "problems"), [
    ([[5, 5, "person"]], {"spans.0": "ends (5) before it starts (5); end is exclusive"}),
    ([[9, 4, "person"]], {"spans.0": "ends (4) before it starts (9); end is exclusive"}),
    ([[36, 44, "place"]], {"spans.0": "ends at 44, beyond the text's 43 characters"}),
    ([[3, 4, "person"]], {"spans.0": "covers only white space"}),
    ([[0, 3, "animal"]], {"spans.0.label": "must be one of: person, place"}),
    ([[-1, 3, "person"]], {"spans.0.start": "must be at least 0"}),
    ([[0, 3.5, "person"]], {"spans.0.end": "must be a whole number"}),
    ([[0, 3]], {"spans.0": "must have at least 3 item(s)"}),
])
def test_bad_span_is_refused_naming_it(config: dict[str, Any], spans: list[Any],
                                       problems: dict[str, str]) -> None:
    assert problems_of(config, spans) == problems


def test_overlapping_spans_are_refused_unless_allowed(config: dict[str, Any]) -> None:
    spans = [[17, 32, "person"], [0, 12, "person"], [25, 35, "place"]]
    assert problems_of(config, spans) == {"spans.2": "overlaps span 0; overlapping spans are not allowed"}
    allowing = SPANS.parse_config({"labels": ["person", "place"], "allow_overlap": True})
    assert SPANS.parse_answer(allowing, {"spans": spans}, item=ITEM)["spans"][1:] == [
        [17, 32, "person"], [25, 35, "place"]]


def test_nested_span_overlaps_the_one_around_it(config: dict[str, Any]) -> None:
    assert problems_of(config, [[0, 32, "person"], [13, 16, "place"], [17, 24, "person"]]) == {
        "spans.1": "overlaps span 0; overlapping spans are not allowed",
        "spans.2": "overlaps span 0; overlapping spans are not allowed"}


def test_same_range_with_two_labels_overlaps(config: dict[str, Any]) -> None:
    assert problems_of(config, [[36, 42, "place"], [36, 42, "person"]]) == {
        "spans.1": "overlaps span 0; overlapping spans are not allowed"}


def test_identical_spans_are_refused_even_when_overlap_is_allowed() -> None:
    config = SPANS.parse_config({"labels": ["person"], "allow_overlap": True})
    assert problems_of(config, [[0, 3, "person"], [4, 12, "person"], [0, 3, "person"]]) == {
        "spans.2": "repeats span 0"}


def test_adjacent_spans_do_not_overlap(config: dict[str, Any]) -> None:
    assert SPANS.parse_answer(config, {"spans": [[0, 3, "person"], [3, 12, "person"]]}, item=ITEM)


def test_whole_float_offsets_become_ints(config: dict[str, Any]) -> None:
    answer = SPANS.parse_answer(config, {"spans": [[0.0, 3.0, "person"]]}, item=ITEM)
    assert answer == {"spans": [[0, 3, "person"]]}
    assert all(type(v) is int for v in answer["spans"][0][:2])


def test_without_the_item_only_the_structure_is_checked(config: dict[str, Any]) -> None:
    assert SPANS.parse_answer(config, {"spans": [[900, 950, "place"]]}) == {"spans": [[900, 950, "place"]]}


def test_span_count_limits() -> None:
    config = SPANS.parse_config({"labels": ["person"], "min_spans": 1, "max_spans": 1})
    assert problems_of(config, []) == {"spans": "must have at least 1 item(s)"}
    assert problems_of(config, [[0, 3, "person"], [4, 12, "person"]]) == {
        "spans": "must have at most 1 item(s)"}


def test_config_defaults_and_limits() -> None:
    assert SPANS.parse_config({"labels": ["person"]}) == {
        "labels": ["person"], "instructions": "", "text_field": "text", "allow_overlap": False,
        "snap_to_words": True, "min_spans": 0, "max_spans": 500}
    with pytest.raises(AnswerError) as caught:
        SPANS.parse_config({"labels": ["person"], "min_spans": 3, "max_spans": 2, "text_field": ""})
    assert caught.value.problems == {
        "min_spans": "must not be more than max_spans",
        "text_field": "must be a column name: letters, digits, _ . - (at most 64)"}
