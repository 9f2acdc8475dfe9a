"""Survey: Likert scales, multiple choice, free text and attention checks, one sub-answer per question.

An attention check's expected answer is set by the requester and never reaches the worker's page:
``public_config`` shows each check as an ordinary multiple-choice or free-text question.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Hashable, Mapping
from typing import Any

from annotators import config_schema as schema
from annotators.base import AnswerShape, BaseAnnotator
from annotators.fields import MAX_LABEL_LENGTH, Settings, normalize_text

MAX_QUESTIONS = 100
MAX_TEXT_ANSWER = 10_000
_QUESTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_COMMON = {"id", "kind", "prompt", "required"}
_KNOWN = {
    "likert": _COMMON | {"points", "labels"},
    "multiple_choice": _COMMON | {"options", "multiple", "min_choices", "max_choices"},
    "free_text": _COMMON | {"min_length", "max_length", "multiline"},
    "attention_check": {"id", "kind", "prompt", "options", "expected"},
}


class Survey(BaseAnnotator):
    """Configuration: ``instructions`` and ``questions``, a list of 1..100 objects, each with an ``id``
    (default q1, q2, ...), a ``kind``, a ``prompt`` and ``required`` (default true), plus by kind::

        likert           points (2..10, default 5); labels: none, the two ends, or one per point
        multiple_choice  options (2..50); multiple (default false); min_choices, max_choices
        free_text        min_length (default 1), max_length (default 2000); multiline (default true)
        attention_check  expected (the right answer); options (then expected is one of them),
                         else the worker types it (compared ignoring case and spacing); always required

    Answer: ``{"answers": {question id: value}}`` where a Likert value is 1..points, a single choice
    its option, a multiple choice the list of options in the configuration's order, and free text a
    trimmed string. Unanswered optional questions are left out.
    """

    kind = "survey"
    title = "Survey"
    shape = AnswerShape.FORM

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        s = Settings(raw, known={"instructions", "questions"})
        instructions = s.instructions()
        questions = s.raw.get("questions")
        if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
            s.fail("questions", f"must be a list of 1 to {MAX_QUESTIONS} questions")
            questions = []
        parsed = [_question(s, i, q) for i, q in enumerate(questions)]
        seen: set[str] = set()
        for i, question in enumerate(parsed):
            if question["id"] in seen:
                s.fail(f"questions.{i}.id", f"repeats the question id {question['id']!r}")
            seen.add(question["id"])
        s.check()
        return {"instructions": instructions, "questions": parsed}

    def config_schema(self) -> dict[str, Any]:
        """Each question's own settings are parse_config's to check: the form edits the list as JSON."""
        questions = {"type": "array", "title": "Questions (JSON list)", "items": {"type": "object"},
                     "minItems": 1, "maxItems": MAX_QUESTIONS}
        return schema.config_object({"instructions": schema.instructions(), "questions": questions})

    def public_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Attention checks become plain questions: no expected answer, nothing marks them out."""
        return {"instructions": config["instructions"],
                "questions": [_disguised(q) if q["kind"] == "attention_check" else copy.deepcopy(q)
                              for q in config["questions"]]}

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        return []

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        answers = {"type": "object", "additionalProperties": False,
                   "properties": {q["id"]: _value_schema(q) for q in config["questions"]},
                   "required": [q["id"] for q in config["questions"] if _required(q)]}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "required": ["answers"], "additionalProperties": False, "properties": {"answers": answers}}

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        answers: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for question in config["questions"]:
            if question["id"] not in raw["answers"]:
                continue
            value, problem = _check_value(question, raw["answers"][question["id"]])
            if problem:
                problems[f"answers.{question['id']}"] = problem
            elif value is not None:
                answers[question["id"]] = value
        return {"answers": answers}, problems

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable | None:
        return None

    def example_config(self) -> dict[str, Any]:
        return self.parse_config({"instructions": "A short survey about this task.", "questions": [
            {"id": "clear", "kind": "likert", "prompt": "The instructions were clear.", "points": 5,
             "labels": ["Strongly disagree", "Strongly agree"]},
            {"id": "devices", "kind": "multiple_choice", "prompt": "Which devices do you work on?",
             "options": ["Laptop", "Desktop", "Phone", "Tablet"], "multiple": True},
            {"id": "attention", "kind": "attention_check", "prompt": "To show you are reading, choose Blue.",
             "options": ["Red", "Blue", "Green"], "expected": "Blue"},
            {"id": "comments", "kind": "free_text", "prompt": "Anything else?", "required": False},
        ]})

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        return {}

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"answers": {q["id"]: _example_value(q) for q in config["questions"]}}


def attention_results(config: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, bool]:
    """Per attention check (by question id), whether the canonical ``answer`` gave the expected value."""
    given = answer.get("answers", {})
    return {q["id"]: _matches(q, given.get(q["id"])) for q in config["questions"]
            if q["kind"] == "attention_check"}


def attention_passed(config: Mapping[str, Any], answer: Mapping[str, Any]) -> bool | None:
    """True when every attention check was answered as expected, False when one was not, None when
    the survey has none."""
    results = attention_results(config, answer)
    return all(results.values()) if results else None


def _matches(question: Mapping[str, Any], value: object) -> bool:
    if not isinstance(value, str):
        return False
    if question["options"]:
        return value == question["expected"]
    return _fold(value) == _fold(question["expected"])


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _question(s: Settings, index: int, raw: object) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        s.fail(f"questions.{index}", "must be a JSON object")
        return {"id": f"q{index + 1}", "kind": "invalid"}
    kind = raw.get("kind")
    if kind not in _KNOWN:
        s.fail(f"questions.{index}.kind", f"must be one of: {', '.join(_KNOWN)}")
        return {"id": f"q{index + 1}", "kind": "invalid"}
    q = s.nested(raw, f"questions.{index}", known=_KNOWN[kind])
    question_id = q.raw.get("id", f"q{index + 1}")
    if not isinstance(question_id, str) or not _QUESTION_ID.match(question_id):
        q.fail("id", "must start with a letter, then letters, digits, _ or - (at most 64)")
    prompt = q.text("prompt", required=True)
    question: dict[str, Any] = {"id": str(question_id), "kind": kind, "prompt": prompt}
    if kind == "attention_check":
        return question | _attention(q)
    question["required"] = q.boolean("required", default=True)
    return question | _SETTINGS_BY_KIND[kind](q)


def _likert(q: Settings) -> dict[str, Any]:
    points = q.integer("points", default=5, minimum=2, maximum=10)
    labels = q.labels(min_count=0, max_count=points) if q.has("labels") else []
    if len(labels) not in (0, 2, points):
        q.fail("labels", f"give no labels, two (the ends of the scale) or {points} (one per point)")
    return {"points": points, "labels": labels}


def _multiple_choice(q: Settings) -> dict[str, Any]:
    options = q.labels("options")
    multiple = q.boolean("multiple", default=False)
    most = max(len(options), 1) if multiple else 1
    least = q.integer("min_choices", default=1, minimum=1, maximum=most)
    top = q.integer("max_choices", default=most, minimum=1, maximum=most)
    if least > top:
        q.fail("min_choices", "must not be more than max_choices")
    return {"options": options, "multiple": multiple, "min_choices": least, "max_choices": top}


def _free_text(q: Settings) -> dict[str, Any]:
    least = q.integer("min_length", default=1, minimum=0, maximum=MAX_TEXT_ANSWER)
    top = q.integer("max_length", default=2000, minimum=1, maximum=MAX_TEXT_ANSWER)
    if least > top:
        q.fail("min_length", "must not be more than max_length")
    return {"min_length": least, "max_length": top, "multiline": q.boolean("multiline", default=True)}


def _attention(q: Settings) -> dict[str, Any]:
    options = q.labels("options") if q.has("options") else []
    expected = q.text("expected", required=True, max_length=MAX_LABEL_LENGTH)
    if options and expected is not None and expected not in options:
        q.fail("expected", "must be one of the options")
    return {"options": options, "expected": expected}


_SETTINGS_BY_KIND = {"likert": _likert, "multiple_choice": _multiple_choice, "free_text": _free_text}


def _disguised(question: Mapping[str, Any]) -> dict[str, Any]:
    """The attention check as the question it looks like, keys in the same order as a real one's."""
    if question["options"]:
        return {"id": question["id"], "kind": "multiple_choice", "prompt": question["prompt"],
                "required": True, "options": list(question["options"]), "multiple": False, "min_choices": 1,
                "max_choices": 1}
    return {"id": question["id"], "kind": "free_text", "prompt": question["prompt"], "required": True,
            "min_length": 1, "max_length": MAX_LABEL_LENGTH, "multiline": False}


def _required(question: Mapping[str, Any]) -> bool:
    return question["kind"] == "attention_check" or bool(question["required"])


def _value_schema(question: Mapping[str, Any]) -> dict[str, Any]:
    kind = question["kind"]
    if kind == "likert":
        return {"type": "integer", "minimum": 1, "maximum": question["points"]}
    if kind == "attention_check":
        return ({"type": "string", "enum": list(question["options"])} if question["options"]
                else {"type": "string", "maxLength": MAX_LABEL_LENGTH})
    if kind == "free_text":
        return {"type": "string", "maxLength": question["max_length"]}
    if not question["multiple"]:
        return {"type": "string", "enum": list(question["options"])}
    return {"type": "array", "items": {"enum": list(question["options"])}, "uniqueItems": True,
            "minItems": question["min_choices"] if question["required"] else 0,
            "maxItems": question["max_choices"]}


def _check_value(question: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
    """The canonical sub-answer (None: left out) or a problem; ``value`` already matches the schema."""
    kind = question["kind"]
    if kind in ("free_text", "attention_check") and isinstance(value, str):
        return _check_text(question, value)
    if kind == "likert":
        return int(value), None  # JSON Schema's "integer" admits 4.0
    if kind == "multiple_choice" and question["multiple"]:
        return _check_choices(question, value)
    return value, None


def _check_text(question: Mapping[str, Any], value: str) -> tuple[str | None, str | None]:
    text = normalize_text(value)
    if text is None:
        return None, "must not contain control characters"
    least = question["min_length"] if question["kind"] == "free_text" else 1
    if not text and not _required(question):
        return None, None
    if len(text) < least:
        return None, f"must be at least {least} character(s) long, not counting surrounding spaces"
    return text, None


def _check_choices(question: Mapping[str, Any], value: list[str]) -> tuple[list[str] | None, str | None]:
    if not value and not question["required"]:
        return None, None
    if len(value) < question["min_choices"]:
        return None, f"choose at least {question['min_choices']}"
    return [o for o in question["options"] if o in value], None


def _example_value(question: Mapping[str, Any]) -> Any:
    kind = question["kind"]
    if kind == "likert":
        return (question["points"] + 1) // 2
    if kind == "attention_check":
        return question["expected"]
    if kind == "multiple_choice":
        options = question["options"]
        return options[:question["min_choices"]] if question["multiple"] else options[0]
    if question["min_length"] <= len("No comments.") <= question["max_length"]:
        return "No comments."
    return "x" * max(question["min_length"], 1)
