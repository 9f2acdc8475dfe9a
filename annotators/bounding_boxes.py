"""Bounding boxes: the worker draws, moves, resizes and deletes boxes on an image, a class per box."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.examples import svg_image_url
from annotators.fields import Settings

MAX_PIXELS = 100_000  # per side
MAX_BOXES = 1000
EPSILON = 1e-6  # boxes are rounded to 0.01 px; a box flush with the edge must not fail on float noise


class BoundingBoxes(BaseAnnotator):
    """Configuration::

        labels        the classes, 1..50 (number keys 1-9, 0 pick the class)
        instructions  plain text
        image_field   item column with the image URL (default image_url)
        image_width, image_height   the size of every image, in pixels (both or neither)
        width_field, height_field   item columns giving each image's size (default image_width /
                      image_height), used when the configuration gives none
        min_boxes, max_boxes        how many boxes an answer has (default 0 and 100)
        min_size      the smallest width or height of a box, in pixels (default 2)

    Answer: ``{"boxes": [[x, y, w, h, label], ...]}`` in image pixels (top-left origin), rounded to
    0.01. Boxes are checked to lie inside the image when its size is known.
    """

    kind = "bounding_boxes"
    title = "Bounding boxes"
    shape = AnswerShape.BOXES
    tuple_fields = {"boxes": ("x", "y", "w", "h", "label")}

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"labels", "instructions", "image_field", "image_width", "image_height",
                                 "width_field", "height_field", "min_boxes", "max_boxes", "min_size"})
        config: dict[str, Any] = {
            "labels": s.labels(min_count=1), "instructions": s.instructions(),
            "image_field": s.field_name("image_field", default="image_url"),
            "width_field": s.field_name("width_field", default="image_width"),
            "height_field": s.field_name("height_field", default="image_height"),
            "image_width": s.integer("image_width", default=0, minimum=1, maximum=MAX_PIXELS) or None,
            "image_height": s.integer("image_height", default=0, minimum=1, maximum=MAX_PIXELS) or None,
            "min_boxes": s.integer("min_boxes", default=0, minimum=0, maximum=MAX_BOXES),
            "max_boxes": s.integer("max_boxes", default=100, minimum=1, maximum=MAX_BOXES),
            "min_size": s.integer("min_size", default=2, minimum=1, maximum=MAX_PIXELS),
        }
        if (config["image_width"] is None) != (config["image_height"] is None):
            s.fail("image_width" if config["image_width"] is None else "image_height",
                   "give both image_width and image_height, or neither")
        if config["min_boxes"] > config["max_boxes"]:
            s.fail("min_boxes", "must not be more than max_boxes")
        s.check()
        return config

    def config_schema(self) -> dict[str, Any]:
        return schema.config_object({
            "labels": schema.labels(min_count=1), "instructions": schema.instructions(),
            "image_field": schema.column("Column with the image URL"),
            "width_field": schema.column("Column with each image's width"),
            "height_field": schema.column("Column with each image's height"),
            "image_width": schema.integer("Width of every image (pixels)", 1, MAX_PIXELS, nullable=True),
            "image_height": schema.integer("Height of every image (pixels)", 1, MAX_PIXELS, nullable=True),
            "min_boxes": schema.integer("At least this many boxes", 0, MAX_BOXES),
            "max_boxes": schema.integer("At most this many boxes", 1, MAX_BOXES),
            "min_size": schema.integer("Smallest box side (pixels)", 1, MAX_PIXELS)})

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return [config["image_field"]]

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        side: dict[str, Any] = {"type": "number", "minimum": config["min_size"]}
        corner: dict[str, Any] = {"type": "number", "minimum": 0}
        width, height = config["image_width"], config["image_height"]
        box = {"type": "array", "minItems": 5, "items": False, "prefixItems": [
            {**corner, **({"maximum": width} if width else {})},
            {**corner, **({"maximum": height} if height else {})},
            {**side, **({"maximum": width} if width else {})},
            {**side, **({"maximum": height} if height else {})},
            {"type": "string", "enum": list(config["labels"])},
        ]}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "required": ["boxes"], "additionalProperties": False,
                "properties": {"boxes": {"type": "array", "items": box, "minItems": config["min_boxes"],
                                         "maxItems": config["max_boxes"]}}}

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        problems: dict[str, str] = {}
        size = image_size(config, item)
        boxes: list[list[Any]] = []
        for i, (x, y, w, h, label) in enumerate(raw["boxes"]):
            box = [round(float(v), 2) for v in (x, y, w, h)] + [label]
            right, bottom = box[0] + box[2], box[1] + box[3]
            if not all(math.isfinite(v) for v in box[:4]):
                problems[f"boxes.{i}"] = "coordinates must be finite numbers"
            elif size and (right > size[0] + EPSILON or bottom > size[1] + EPSILON):
                problems[f"boxes.{i}"] = (f"reaches beyond the {size[0]:g} x {size[1]:g} image "
                                          f"(right edge {right:g}, bottom edge {bottom:g})")
            elif box in boxes:
                problems[f"boxes.{i}"] = f"repeats box {boxes.index(box)}"
            boxes.append(box)
        return {"boxes": boxes}, problems

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable | None:
        return None

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"labels": ["circle", "square"], "min_boxes": 1,
                                  "instructions": "Draw a tight box around every shape."})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        width, height = config["image_width"] or 320, config["image_height"] or 240
        return {config["image_field"]: svg_image_url(width, height, "circle"),
                config["width_field"]: width, config["height_field"]: height}

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        width, height = config["image_width"] or 320, config["image_height"] or 240
        side = max(config["min_size"], min(width, height) // 2)
        return {"boxes": [[float(i), float(i), float(side), float(side), config["labels"][0]]
                          for i in range(max(config["min_boxes"], 1))]}


def image_size(config: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[float, float] | None:
    """The image's size from the configuration, else from the item's size columns, else None."""
    if config["image_width"]:
        return float(config["image_width"]), float(config["image_height"])
    width, height = _positive(item.get(config["width_field"])), _positive(item.get(config["height_field"]))
    return (width, height) if width and height else None


def _positive(value: object) -> float | None:
    """A size from a data row, where CSV columns arrive as strings; anything else counts as unknown."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_PIXELS else None
