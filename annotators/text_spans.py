"""Text spans (named entities): the worker selects stretches of a text and gives each an entity type."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.examples import EXAMPLE_TEXT
from annotators.fields import Settings

MAX_TEXT_LENGTH = 1_000_000
MAX_SPANS = 5000


class TextSpans(BaseAnnotator):
    """Configuration::

        labels         the entity types, 1..50 (number keys 1-9, 0 pick the type of the selection)
        instructions   plain text
        text_field     item column holding the text (default text)
        allow_overlap  spans may overlap (default false); identical spans never may
        snap_to_words  the page widens a selection to whole words (default true)
        min_spans, max_spans   how many spans an answer has (default 0 and 500)

    Answer: ``{"spans": [[start, end, label], ...]}``: ``text[start:end]`` in Python's indexing (code
    points, end exclusive), sorted by position. Offsets are checked against the item's text.
    """

    kind = "text_spans"
    title = "Text spans (named entities)"
    shape = AnswerShape.SPANS
    tuple_fields = {"spans": ("start", "end", "label")}

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"labels", "instructions", "text_field", "allow_overlap", "snap_to_words",
                                 "min_spans", "max_spans"})
        config: dict[str, Any] = {
            "labels": s.labels(min_count=1), "instructions": s.instructions(),
            "text_field": s.field_name("text_field", default="text"),
            "allow_overlap": s.boolean("allow_overlap", default=False),
            "snap_to_words": s.boolean("snap_to_words", default=True),
            "min_spans": s.integer("min_spans", default=0, minimum=0, maximum=MAX_SPANS),
            "max_spans": s.integer("max_spans", default=500, minimum=1, maximum=MAX_SPANS),
        }
        if config["min_spans"] > config["max_spans"]:
            s.fail("min_spans", "must not be more than max_spans")
        s.check()
        return config

    def config_schema(self) -> dict[str, Any]:
        return schema.config_object({
            "labels": schema.labels("Entity types (one a line)", min_count=1), "instructions": schema.instructions(),
            "text_field": schema.column("Column with the text"),
            "allow_overlap": schema.flag("Spans may overlap"),
            "snap_to_words": schema.flag("Widen selections to whole words"),
            "min_spans": schema.integer("At least this many spans", 0, MAX_SPANS),
            "max_spans": schema.integer("At most this many spans", 1, MAX_SPANS)})

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return [config["text_field"]]

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        offset = {"type": "integer", "minimum": 0, "maximum": MAX_TEXT_LENGTH}
        span = {"type": "array", "minItems": 3, "items": False, "prefixItems": [
            offset, {**offset, "minimum": 1}, {"type": "string", "enum": list(config["labels"])}]}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "required": ["spans"], "additionalProperties": False,
                "properties": {"spans": {"type": "array", "items": span, "minItems": config["min_spans"],
                                         "maxItems": config["max_spans"]}}}

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        text = item.get(config["text_field"])
        text = text if isinstance(text, str) else None
        problems: dict[str, str] = {}
        # JSON Schema's "integer" admits 3.0; the canonical answer holds ints.
        spans = [[int(start), int(end), label] for start, end, label in raw["spans"]]
        for i, (start, end, _) in enumerate(spans):
            if end <= start:
                problems[f"spans.{i}"] = f"ends ({end}) before it starts ({start}); end is exclusive"
            elif text is not None and end > len(text):
                problems[f"spans.{i}"] = f"ends at {end}, beyond the text's {len(text)} characters"
            elif text is not None and not text[start:end].strip():
                problems[f"spans.{i}"] = "covers only white space"
        if not problems:
            problems = _clashes(spans, allow_overlap=config["allow_overlap"])
        order = {label: n for n, label in enumerate(config["labels"])}
        return {"spans": sorted(spans, key=lambda x: (x[0], x[1], order[x[2]]))}, problems

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable | None:
        return None

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"labels": ["person", "place", "date"],
                                  "instructions": "Mark every person, place and date."})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        return {config["text_field"]: EXAMPLE_TEXT}

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        words = list(re.finditer(r"\w+", EXAMPLE_TEXT))[:max(config["min_spans"], 1)]
        labels = config["labels"]
        return {"spans": [[w.start(), w.end(), labels[n % len(labels)]] for n, w in enumerate(words)]}


def _clashes(spans: list[list[Any]], *, allow_overlap: bool) -> dict[str, str]:
    """Identical spans, and overlapping ones unless allowed, named by the later span's index."""
    problems: dict[str, str] = {}
    seen: dict[tuple[Any, ...], int] = {}
    for i, span in enumerate(spans):
        first = seen.setdefault(tuple(span), i)
        if first != i:
            problems[f"spans.{i}"] = f"repeats span {first}"
    if allow_overlap or problems:
        return problems
    reach = None  # among the spans seen in start order, the one that ends last
    for i in sorted(range(len(spans)), key=lambda i: (spans[i][0], spans[i][1])):
        if reach is not None and spans[i][0] < spans[reach][1]:
            problems.setdefault(f"spans.{max(i, reach)}",
                                f"overlaps span {min(i, reach)}; overlapping spans are not allowed")
        if reach is None or spans[i][1] > spans[reach][1]:
            reach = i
    return problems
