"""Label choice shared by image and text classification: one label, several (``multi_label``), or one
from an ordered scale (``ordinal``)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.fields import MAX_LABELS, Settings


class Classification(BaseAnnotator):
    """Configuration::

        labels       list of 2..50 distinct strings (number keys 1-9, 0 pick the first ten)
        instructions plain text shown above the item
        <field_key>  the item column holding the image URL or the text
        multi_label  several labels may apply (answer ``{"labels": [...]}``)
        min_labels, max_labels   bounds on how many (multi-label only; default 1 and all)
        ordinal      the labels are an ordered scale, worst to best (single label only)

    Answer: ``{"label": "cat"}``, or ``{"labels": ["cat", "dog"]}`` in the configuration's order.
    Aggregation compares the label, the tuple of labels, or on an ordinal scale the label's rank.
    """

    shape = AnswerShape.CATEGORICAL
    field_key: ClassVar[str]
    field_title: ClassVar[str]  # the form's label for field_key
    default_field: ClassVar[str]

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"labels", "instructions", self.field_key, "multi_label", "ordinal",
                                 "min_labels", "max_labels"})
        labels = s.labels()
        multi = s.boolean("multi_label", default=False)
        ordinal = s.boolean("ordinal", default=False)
        config: dict[str, Any] = {
            "labels": labels, "instructions": s.instructions(),
            self.field_key: s.field_name(self.field_key, default=self.default_field),
            "multi_label": multi, "ordinal": ordinal,
        }
        if multi and ordinal:
            s.fail("ordinal", "cannot be combined with multi_label")
        if multi:
            most = max(len(labels), 1)
            config["min_labels"] = s.integer("min_labels", default=1, minimum=0, maximum=most)
            config["max_labels"] = s.integer("max_labels", default=most, minimum=1, maximum=most)
            if config["min_labels"] > config["max_labels"]:
                s.fail("min_labels", "must not be more than max_labels")
        else:
            for key in ("min_labels", "max_labels"):
                if s.has(key):
                    s.fail(key, "applies only when multi_label is true")
        s.check()
        return config

    def config_schema(self) -> dict[str, Any]:
        return schema.config_object({
            "labels": schema.labels(), "instructions": schema.instructions(),
            self.field_key: schema.column(self.field_title),
            "multi_label": schema.flag("Several labels may apply"),
            "ordinal": schema.flag("The labels are an ordered scale"),
            "min_labels": schema.integer("At least this many labels (multi-label)", 0, MAX_LABELS),
            "max_labels": schema.integer("At most this many labels (multi-label)", 1, MAX_LABELS)})

    def shape_for(self, config: dict[str, Any]) -> AnswerShape:
        if config["multi_label"]:
            return AnswerShape.MULTI_LABEL
        return AnswerShape.ORDINAL if config["ordinal"] else AnswerShape.CATEGORICAL

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return [config[self.field_key]]

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        label = {"enum": list(config["labels"])}
        if config["multi_label"]:
            key, value = "labels", {"type": "array", "items": label, "uniqueItems": True,
                                    "minItems": config["min_labels"], "maxItems": config["max_labels"]}
        else:
            key, value = "label", {"type": "string", **label}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "properties": {key: value}, "required": [key], "additionalProperties": False}

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        if config["multi_label"]:
            chosen = set(raw["labels"])
            return {"labels": [label for label in config["labels"] if label in chosen]}, {}
        return {"label": raw["label"]}, {}

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable:
        """The label; for multi-label the tuple of labels in the configuration's order; for an
        ordinal scale the label's position, 1 for the first, so ordinal estimators get numbers."""
        if config["multi_label"]:
            return tuple(answer["labels"])
        if config["ordinal"]:
            return config["labels"].index(answer["label"]) + 1
        return str(answer["label"])

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        if config["multi_label"]:
            return {"labels": config["labels"][:max(config["min_labels"], 1)]}
        return {"label": config["labels"][0]}
