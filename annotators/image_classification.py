"""Image classification: the worker picks the label (or labels) that fit an image."""

from __future__ import annotations

from typing import Any

from annotators.classification import Classification
from annotators.examples import svg_image_url


class ImageClassification(Classification):
    """The item's ``image_field`` column (default ``image_url``) holds the image's URL."""

    kind = "image_classification"
    title = "Image classification"
    field_key = "image_field"
    field_title = "Column with the image URL"
    default_field = "image_url"

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"labels": ["circle", "square", "neither"],
                                  "instructions": "Which shape does the picture show?"})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        return {config["image_field"]: svg_image_url(320, 240, "circle")}
