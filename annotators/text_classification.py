"""Text classification: the worker picks the label (or labels) that fit a passage of text."""

from __future__ import annotations

from typing import Any

from annotators.classification import Classification


class TextClassification(Classification):
    """The item's ``text_field`` column (default ``text``) holds the text."""

    kind = "text_classification"
    title = "Text classification"
    field_key = "text_field"
    field_title = "Column with the text"
    default_field = "text"

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"labels": ["positive", "negative", "neutral"],
                                  "instructions": "What is the tone of this review?"})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        review = "The battery lasts two days and the screen is sharp. I would buy it again."
        return {config["text_field"]: review}
