"""Bounding boxes: image bounds from the configuration or the item, sizes, classes and duplicates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotators import AnswerError, get

BOXES = get("bounding_boxes")


def problems_of(config: dict[str, Any], answer: Any, item: dict[str, Any] | None = None) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        BOXES.parse_answer(config, answer, item=item)
    return caught.value.problems


@pytest.fixture
def config() -> dict[str, Any]:
    return BOXES.parse_config({"labels": ["car", "bus"]})


def test_config_defaults() -> None:
    assert BOXES.parse_config({"labels": ["car"]}) == {
        "labels": ["car"], "instructions": "", "image_field": "image_url", "width_field": "image_width",
        "height_field": "image_height", "image_width": None, "image_height": None, "min_boxes": 0,
        "max_boxes": 100, "min_size": 2}


@pytest.mark.parametrize(("raw", "problems"), [
    ({"labels": []}, {"labels": "must have between 1 and 50 labels"}),
    ({"labels": ["car"], "image_width": 640},
     {"image_height": "give both image_width and image_height, or neither"}),
    ({"labels": ["car"], "image_width": 0, "image_height": 10},
     {"image_width": "must be between 1 and 100000"}),
    ({"labels": ["car"], "min_boxes": 5, "max_boxes": 2}, {"min_boxes": "must not be more than max_boxes"}),
    ({"labels": ["car"], "min_size": 1.5}, {"min_size": "must be a whole number"}),
])
def test_bad_config_is_refused(raw: dict[str, Any], problems: dict[str, str]) -> None:
    with pytest.raises(AnswerError) as caught:
        BOXES.parse_config(raw)
    assert caught.value.problems == problems


def test_answer_is_rounded_to_hundredths(config: dict[str, Any]) -> None:
    answer = BOXES.parse_answer(config, {"boxes": [[10.123, 20, 30.556, 40.001, "car"]]})
    assert answer == {"boxes": [[10.12, 20.0, 30.56, 40.0, "car"]]}


def test_box_inside_the_configured_image_is_accepted() -> None:
    config = BOXES.parse_config({"labels": ["car"], "image_width": 100, "image_height": 50})
    assert BOXES.parse_answer(config, {"boxes": [[0, 0, 100, 50, "car"]]}) == {
        "boxes": [[0.0, 0.0, 100.0, 50.0, "car"]]}


def test_box_beyond_the_configured_image_is_refused() -> None:
    config = BOXES.parse_config({"labels": ["car"], "image_width": 100, "image_height": 50})
    assert problems_of(config, {"boxes": [[60, 0, 50, 10, "car"]]}) == {
        "boxes.0": "reaches beyond the 100 x 50 image (right edge 110, bottom edge 10)"}
    assert problems_of(config, {"boxes": [[120, 0, 5, 5, "car"]]}) == {"boxes.0.x": "must be at most 100"}


@pytest.mark.parametrize("size", [(100, 50), ("100", "50"), (100.0, 50.0)])
def test_box_beyond_the_items_image_is_refused(config: dict[str, Any], size: tuple[Any, Any]) -> None:
    item = {"image_url": "u", "image_width": size[0], "image_height": size[1]}
    assert BOXES.parse_answer(config, {"boxes": [[50, 25, 50, 25, "bus"]]}, item=item)
    assert problems_of(config, {"boxes": [[50, 25, 50, 26, "bus"]]}, item) == {
        "boxes.0": "reaches beyond the 100 x 50 image (right edge 100, bottom edge 51)"}


@pytest.mark.parametrize("item", [{}, {"image_width": "wide", "image_height": 50},
                                  {"image_width": -5, "image_height": 50}])
def test_bounds_are_not_checked_when_the_size_is_unknown(config: dict[str, Any],
                                                         item: dict[str, Any]) -> None:
    assert BOXES.parse_answer(config, {"boxes": [[5000, 5000, 10, 10, "car"]]}, item=item)


def test_item_size_columns_are_configurable() -> None:
    config = BOXES.parse_config({"labels": ["car"], "width_field": "w", "height_field": "h"})
    assert problems_of(config, {"boxes": [[0, 0, 20, 20, "car"]]}, {"w": 10, "h": 10}) == {
        "boxes.0": "reaches beyond the 10 x 10 image (right edge 20, bottom edge 20)"}


@pytest.mark.parametrize(("box", "problems"), [
    ([0, 0, 1, 5, "car"], {"boxes.0.w": "must be at least 2"}),
    ([0, 0, 5, 5, "tram"], {"boxes.0.label": "must be one of: car, bus"}),
    ([0, -1, 5, 5, "car"], {"boxes.0.y": "must be at least 0"}),
    ([0, 0, 5, 5], {"boxes.0": "must have at least 5 item(s)"}),
    ({"x": 0, "y": 0, "w": 5, "h": 5, "label": "car"}, {"boxes.0": "must be a list"}),
    (["0", 0, 5, 5, "car"], {"boxes.0.x": "must be a number"}),
])
def test_malformed_box_is_refused_naming_its_part(config: dict[str, Any], box: Any,
                                                  problems: dict[str, str]) -> None:
    assert problems_of(config, {"boxes": [box]}) == problems


def test_non_finite_coordinates_are_refused(config: dict[str, Any]) -> None:
    answer = json.loads('{"boxes": [[NaN, 0, 5, 5, "car"], [0, 0, Infinity, 5, "bus"]]}')
    assert problems_of(config, answer) == {"boxes.0": "coordinates must be finite numbers",
                                           "boxes.1": "coordinates must be finite numbers"}


def test_repeated_box_is_refused(config: dict[str, Any]) -> None:
    assert problems_of(config, {"boxes": [[1, 1, 5, 5, "car"], [1, 1, 5, 5.001, "car"]]}) == {
        "boxes.1": "repeats box 0"}
    assert BOXES.parse_answer(config, {"boxes": [[1, 1, 5, 5, "car"], [1, 1, 5, 5, "bus"]]})


def test_box_count_limits() -> None:
    config = BOXES.parse_config({"labels": ["car"], "min_boxes": 1, "max_boxes": 2})
    assert problems_of(config, {"boxes": []}) == {"boxes": "must have at least 1 item(s)"}
    assert problems_of(config, {"boxes": [[i, 0, 5, 5, "car"] for i in range(3)]}) == {
        "boxes": "must have at most 2 item(s)"}


def test_empty_answer_is_valid_by_default(config: dict[str, Any]) -> None:
    assert BOXES.parse_answer(config, {"boxes": []}) == {"boxes": []}
    assert BOXES.label_of(config, {"boxes": []}) is None
