"""Image and text classification: single label, multi-label limits, ordinal scales."""

from __future__ import annotations

from typing import Any

import pytest

from annotators import AnswerError, AnswerShape, get

IMAGE = get("image_classification")
TEXT = get("text_classification")
LABELS = ["cat", "dog", "bird", "fish"]


def problems_of(call: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        call(*args, **kwargs)
    return caught.value.problems


def test_config_defaults_are_filled_in() -> None:
    assert IMAGE.parse_config({"labels": [" cat ", "dog"]}) == {
        "labels": ["cat", "dog"], "instructions": "", "image_field": "image_url", "multi_label": False,
        "ordinal": False}
    assert TEXT.parse_config({"labels": LABELS, "multi_label": True})["text_field"] == "text"


def test_multi_label_config_bounds_default_to_one_and_all() -> None:
    config = TEXT.parse_config({"labels": LABELS, "multi_label": True})
    assert (config["min_labels"], config["max_labels"]) == (1, 4)


@pytest.mark.parametrize(("raw", "problems"), [
    ({}, {"labels": "is required: a list of labels"}),
    ({"labels": "cat,dog"}, {"labels": "must be a list of strings"}),
    ({"labels": ["cat"]}, {"labels": "must have between 2 and 50 labels"}),
    ({"labels": ["cat", "cat "]}, {"labels.1": "repeats the label 'cat'"}),
    ({"labels": ["cat", 7]}, {"labels.1": "must be a non-empty string on one line"}),
    ({"labels": ["cat", "x" * 101]}, {"labels.1": "must be at most 100 characters long"}),
    ({"labels": [f"l{i}" for i in range(51)]}, {"labels": "must have between 2 and 50 labels"}),
    ({"labels": LABELS, "max_labels": 2}, {"max_labels": "applies only when multi_label is true"}),
    ({"labels": LABELS, "multi_label": True, "ordinal": True},
     {"ordinal": "cannot be combined with multi_label"}),
    ({"labels": LABELS, "multi_label": True, "min_labels": 3, "max_labels": 2},
     {"min_labels": "must not be more than max_labels"}),
    ({"labels": LABELS, "multi_label": True, "max_labels": 5}, {"max_labels": "must be between 1 and 4"}),
    ({"labels": LABELS, "multi_label": "yes"}, {"multi_label": "must be true or false"}),
    ({"labels": LABELS, "image_field": "image url"},
     {"image_field": "must be a column name: letters, digits, _ . - (at most 64)"}),
    ({"labels": LABELS, "instructions": "x" * 10_001},
     {"instructions": "must be at most 10000 characters long"}),
])
def test_bad_config_is_refused_naming_the_setting(raw: dict[str, Any], problems: dict[str, str]) -> None:
    assert problems_of(IMAGE.parse_config, raw) == problems


def test_single_label_answer_must_be_a_configured_label() -> None:
    config = IMAGE.parse_config({"labels": LABELS})
    assert IMAGE.parse_answer(config, {"label": "dog"}) == {"label": "dog"}
    assert problems_of(IMAGE.parse_answer, config, {"label": "cow"}) == {
        "label": "must be one of: cat, dog, bird, fish"}
    assert problems_of(IMAGE.parse_answer, config, {"label": None}) == {"label": "must be a string"}
    assert problems_of(IMAGE.parse_answer, config, {"labels": ["dog"]}) == {
        "label": "is required", "labels": "is not a known field"}


def test_multi_label_answer_is_put_in_configuration_order() -> None:
    config = TEXT.parse_config({"labels": LABELS, "multi_label": True})
    assert TEXT.parse_answer(config, {"labels": ["fish", "cat"]}) == {"labels": ["cat", "fish"]}
    assert TEXT.label_of(config, {"labels": ["cat", "fish"]}) == ("cat", "fish")


@pytest.mark.parametrize(("labels", "problems"), [
    ([], {"labels": "must have at least 1 item(s)"}),
    (["cat", "dog", "bird"], {"labels": "must have at most 2 item(s)"}),
    (["cat", "cat"], {"labels": "must not repeat an item"}),
    (["cat", "cow"], {"labels.1": "must be one of: cat, dog, bird, fish"}),
])
def test_multi_label_answer_limits(labels: list[str], problems: dict[str, str]) -> None:
    config = TEXT.parse_config({"labels": LABELS, "multi_label": True, "max_labels": 2})
    assert problems_of(TEXT.parse_answer, config, {"labels": labels}) == problems


def test_multi_label_may_allow_no_label() -> None:
    config = TEXT.parse_config({"labels": LABELS, "multi_label": True, "min_labels": 0})
    assert TEXT.parse_answer(config, {"labels": []}) == {"labels": []}
    assert TEXT.label_of(config, {"labels": []}) == ()


@pytest.mark.parametrize(("raw", "shape"), [
    ({"labels": LABELS}, AnswerShape.CATEGORICAL),
    ({"labels": LABELS, "multi_label": True}, AnswerShape.MULTI_LABEL),
    ({"labels": ["bad", "fair", "good"], "ordinal": True}, AnswerShape.ORDINAL),
])
def test_shape_follows_the_configuration(raw: dict[str, Any], shape: AnswerShape) -> None:
    assert TEXT.shape_for(TEXT.parse_config(raw)) is shape


def test_label_of_single_label_is_the_label() -> None:
    config = IMAGE.parse_config({"labels": LABELS})
    assert IMAGE.label_of(config, {"label": "bird"}) == "bird"


def test_label_of_an_ordinal_scale_is_the_rank_from_one() -> None:
    config = TEXT.parse_config({"labels": ["bad", "fair", "good"], "ordinal": True})
    assert [TEXT.label_of(config, {"label": label}) for label in ("bad", "fair", "good")] == [1, 2, 3]


def test_item_fields_name_the_configured_column() -> None:
    assert IMAGE.item_fields(IMAGE.parse_config({"labels": LABELS, "image_field": "photo"})) == ["photo"]
    assert TEXT.item_fields(TEXT.parse_config({"labels": LABELS})) == ["text"]
