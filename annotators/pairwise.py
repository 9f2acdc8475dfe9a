"""Pairwise comparison: the worker says which of two items, A or B, is better (or, if allowed, a tie)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.examples import svg_image_url
from annotators.fields import MAX_LABEL_LENGTH, Settings

CHOICES = ("a", "b", "tie")
MEDIA = ("text", "image")


class Pairwise(BaseAnnotator):
    """Configuration::

        question      what to compare on (default "Which of the two is better?")
        instructions  plain text
        media         text (default) or image: what the item's two columns hold
        a_field, b_field   the item columns of the two candidates (default a and b)
        a_label, b_label   their names on the page (default A and B)
        allow_tie     offer a third answer (default false), named tie_label (default "About the same")

    Answer: ``{"choice": "a" | "b" | "tie"}``.
    """

    kind = "pairwise"
    title = "Pairwise comparison"
    shape = AnswerShape.PAIRWISE

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"question", "instructions", "media", "a_field", "b_field", "a_label",
                                 "b_label", "allow_tie", "tie_label"})
        config = {
            "question": s.text("question", default="Which of the two is better?"),
            "instructions": s.instructions(),
            "media": s.choice("media", MEDIA, default="text"),
            "a_field": s.field_name("a_field", default="a"), "b_field": s.field_name("b_field", default="b"),
            "a_label": s.text("a_label", default="A", max_length=MAX_LABEL_LENGTH),
            "b_label": s.text("b_label", default="B", max_length=MAX_LABEL_LENGTH),
            "allow_tie": s.boolean("allow_tie", default=False),
            "tie_label": s.text("tie_label", default="About the same", max_length=MAX_LABEL_LENGTH),
        }
        if config["a_field"] == config["b_field"]:
            s.fail("b_field", "must differ from a_field")
        if config["a_label"] == config["b_label"]:
            s.fail("b_label", "must differ from a_label")
        s.check()
        return config

    def config_schema(self) -> dict[str, Any]:
        return schema.config_object({
            "question": schema.text("Question"), "instructions": schema.instructions(),
            "media": schema.choice("The items are", MEDIA),
            "a_field": schema.column("Column of item A"), "b_field": schema.column("Column of item B"),
            "a_label": schema.text("Name of A", max_length=MAX_LABEL_LENGTH),
            "b_label": schema.text("Name of B", max_length=MAX_LABEL_LENGTH),
            "allow_tie": schema.flag("Offer a tie"),
            "tie_label": schema.text("Name of the tie", max_length=MAX_LABEL_LENGTH)})

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return [config["a_field"], config["b_field"]]

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        choices = list(CHOICES if config["allow_tie"] else CHOICES[:2])
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "required": ["choice"], "additionalProperties": False,
                "properties": {"choice": {"type": "string", "enum": choices}}}

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable:
        return str(answer["choice"])

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"question": "Which answer is more helpful?", "allow_tie": True})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        if config["media"] == "image":
            return {config["a_field"]: svg_image_url(240, 180, "circle"),
                    config["b_field"]: svg_image_url(240, 180, "square")}
        return {config["a_field"]: "Restart the router, then wait a minute before reconnecting.",
                config["b_field"]: "Have you tried turning it off and on again?"}

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"choice": "a"}
