"""Free-text response: answer a question, summarise a text, or transcribe an image."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.examples import EXAMPLE_SUMMARY_SOURCE, svg_image_url
from annotators.fields import Settings, normalize_text

MAX_ANSWER_LENGTH = 100_000
MODES = ("answer", "summarise", "transcribe")
DEFAULT_QUESTIONS = {"summarise": "Summarise the text in your own words.",
                     "transcribe": "Type the text shown in the image exactly as written."}
DEFAULT_SOURCES = {"answer": None, "summarise": "text", "transcribe": "image_url"}


class FreeText(BaseAnnotator):
    """Configuration::

        mode          answer (default), summarise (shows a text) or transcribe (shows an image)
        question      what the worker answers; required in answer mode, a default in the others
        instructions  plain text
        source_field  item column with the material: a text (answer, summarise) or an image URL
                      (transcribe); default none, text and image_url respectively
        min_length, max_length   bounds in characters after trimming (default 1 and 5000)
        multiline     a multi-line box (default true) or a single line

    Answer: ``{"text": "..."}``, trimmed, with ``\\n`` newlines.
    """

    kind = "free_text"
    title = "Free-text response"
    shape = AnswerShape.TEXT

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"mode", "question", "instructions", "source_field", "min_length",
                                 "max_length", "multiline"})
        mode = s.choice("mode", MODES, default="answer")
        config: dict[str, Any] = {
            "mode": mode,
            "question": s.text("question", default=DEFAULT_QUESTIONS.get(mode), required=mode == "answer"),
            "instructions": s.instructions(),
            "source_field": s.field_name("source_field", default=DEFAULT_SOURCES[mode]),
            "min_length": s.integer("min_length", default=1, minimum=0, maximum=MAX_ANSWER_LENGTH),
            "max_length": s.integer("max_length", default=5000, minimum=1, maximum=MAX_ANSWER_LENGTH),
            "multiline": s.boolean("multiline", default=True),
        }
        if config["min_length"] > config["max_length"]:
            s.fail("min_length", "must not be more than max_length")
        s.check()
        return config

    def config_schema(self) -> dict[str, Any]:
        return schema.config_object({
            "mode": schema.choice("Mode", MODES), "question": schema.text("Question"),
            "instructions": schema.instructions(),
            "source_field": schema.column("Column with the material", nullable=True),
            "min_length": schema.integer("Shortest answer (characters)", 0, MAX_ANSWER_LENGTH),
            "max_length": schema.integer("Longest answer (characters)", 1, MAX_ANSWER_LENGTH),
            "multiline": schema.flag("Multi-line box")})

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return [config["source_field"]] if config["source_field"] else []

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        text = {"type": "string", "minLength": config["min_length"], "maxLength": config["max_length"]}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "required": ["text"], "additionalProperties": False, "properties": {"text": text}}

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        text = normalize_text(raw["text"])
        if text is None:
            return {}, {"text": "must not contain control characters"}
        if len(text) < config["min_length"]:
            return {}, {"text": f"must be at least {config['min_length']} character(s) long, "
                                "not counting surrounding spaces"}
        return {"text": text}, {}

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable | None:
        return None

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"mode": "summarise", "min_length": 20, "max_length": 400,
                                  "instructions": "One or two sentences; do not copy the text."})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        if config["mode"] == "transcribe":
            return {config["source_field"]: svg_image_url(320, 120, "square", caption="Night bus N29")}
        return {config["source_field"]: EXAMPLE_SUMMARY_SOURCE} if config["source_field"] else {}

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        text = "Night buses will serve the northern suburbs from March, paid for by a parking levy."
        if not config["min_length"] <= len(text) <= config["max_length"]:
            text = "x" * max(config["min_length"], 1)
        return {"text": text}
