"""The task-type contract: the Annotator protocol, answer shapes, AnswerError and a base class.

Every task type is a small stateless object. It describes and validates a requester's configuration and
one worker answer, and names the Jinja partial and ES module that render it. It takes and
returns plain JSON-able values only.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping
from enum import StrEnum
from itertools import islice
from typing import Any, ClassVar, Protocol, runtime_checkable

from jsonschema import Draft202012Validator

MAX_REPORTED_ERRORS = 20


class AnswerShape(StrEnum):
    """What an answer is, for aggregation: which estimators can combine several workers' answers."""

    CATEGORICAL = "categorical"  # one label per item
    MULTI_LABEL = "multi_label"  # a set of labels per item
    BOXES = "boxes"  # a list of [x, y, w, h, label] in image pixels
    SPANS = "spans"  # a list of [start, end, label] character offsets
    TEXT = "text"  # free text
    FORM = "form"  # a survey: one sub-answer per question
    ORDINAL = "ordinal"  # one label from an ordered scale
    PAIRWISE = "pairwise"  # "a", "b" or "tie"


class AnswerError(ValueError):
    """A configuration or an answer that breaks a rule. ``problems`` maps field path -> what is wrong.

    Paths are dotted and relative to the object checked: ``labels.2``, ``boxes.0.label``,
    ``questions.1.options``, ``answers.q3``.
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


@runtime_checkable
class Annotator(Protocol):
    """One task type. Instances are stateless; configs and answers are plain JSON-able dicts."""

    kind: str  # stable id, stored with batches
    shape: AnswerShape  # the shape of its answers under its default configuration
    title: str  # human name
    template: str  # "annotators/<kind>.html", a Jinja partial under annotators/templates/
    script: str  # "annotators/<kind>.js", an ES module under annotators/static/
    # "annotators/readonly/<kind>.html": one stored answer drawn read-only (review pages). Context:
    # config (public), item, answer; optional compare (an answer to mark differences from, such as the
    # consensus), compare_name ("the consensus") and show_item (false: leave out a repeated item).
    readonly_template: str

    def parse_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a requester's configuration and return its canonical form. Raises AnswerError."""
        ...

    def config_schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of the configuration, from which the requester's form is built:
        property titles are the form's labels, ``"format": "column"`` names a column of the batch file.
        The canonical configuration matches it; ``parse_config`` remains the rule."""
        ...

    def public_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The configuration as the worker's page may see it (no expected answers)."""
        ...

    def shape_for(self, config: dict[str, Any]) -> AnswerShape:
        """The shape of answers under this configuration (multi-label and ordinal classifications)."""
        ...

    def item_fields(self, config: dict[str, Any]) -> list[str]:
        """The item (data row) columns this configuration displays."""
        ...

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of one answer under this configuration."""
        ...

    def parse_answer(self, config: dict[str, Any], raw: Mapping[str, Any], *,
                     item: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Validate one worker answer (schema, then the rules a schema cannot say, using the item's
        data where given) and return its canonical form. Raises AnswerError."""
        ...

    def label_of(self, config: dict[str, Any], answer: dict[str, Any]) -> Hashable | None:
        """What aggregation compares; None where the shape has no single label."""
        ...

    def example_config(self) -> dict[str, Any]:
        """A valid canonical configuration (conformance suite, demo)."""
        ...

    def example_item(self, config: dict[str, Any]) -> dict[str, Any]:
        """A data row this configuration can display."""
        ...

    def example_answer(self, config: dict[str, Any]) -> dict[str, Any]:
        """A valid canonical answer under ``config`` for ``example_item(config)``."""
        ...


class BaseAnnotator:
    """Defaults shared by the task types: template and script names, schema checking, public config."""

    kind: str
    shape: AnswerShape
    title: str
    template: str
    script: str
    readonly_template: str
    # Arrays in answers whose positions have names, for readable error paths ("boxes.0.label").
    tuple_fields: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            cls.template = f"annotators/{cls.kind}.html"
            cls.script = f"annotators/{cls.kind}.js"
            cls.readonly_template = f"annotators/readonly/{cls.kind}.html"

    def public_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(config)

    def shape_for(self, config: dict[str, Any]) -> AnswerShape:
        return self.shape

    def parse_answer(self, config: dict[str, Any], raw: Mapping[str, Any], *,
                     item: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise AnswerError({"answer": "must be a JSON object"})
        problems = schema_problems(self.answer_schema(config), raw, self.tuple_fields)
        if problems:
            raise AnswerError(problems)
        answer, problems = self.check_answer(config, raw, item or {})
        if problems:
            raise AnswerError(problems)
        return answer

    def check_answer(self, config: dict[str, Any], raw: Mapping[str, Any],
                     item: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The rules beyond the schema; ``raw`` already matches it. Returns (canonical answer, problems)."""
        return dict(raw), {}

    def answer_schema(self, config: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def schema_problems(schema: Mapping[str, Any], instance: object,
                    tuple_fields: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """Check ``instance`` against a JSON Schema; return readable problems, the first per path."""
    problems: dict[str, str] = {}
    # The first errors are enough to act on, and stopping early bounds the work on a hostile answer.
    found = islice(Draft202012Validator(schema).iter_errors(instance), MAX_REPORTED_ERRORS)
    errors = sorted(found, key=lambda e: list(map(str, e.path)))
    for error in errors:
        for path, message in _explain(error):
            problems.setdefault(_path_text(path, tuple_fields or {}), message)
    return problems


def _explain(error: Any) -> list[tuple[list[Any], str]]:
    path = list(error.absolute_path)
    validator, value = error.validator, error.validator_value
    if validator == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        return [(path + [name], "is required") for name in value if name not in present]
    if validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(error.schema.get("properties", {}))
        return [(path + [name], "is not a known field") for name in error.instance if name not in known]
    return [(path, _message(validator, value, error.message))]


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number", "array": "a list",
               "object": "a JSON object", "boolean": "true or false", "null": "null"}


def _message(validator: str, value: Any, default: str) -> str:
    if validator == "enum":
        shown = ", ".join(str(v) for v in value[:20]) + (", ..." if len(value) > 20 else "")
        return f"must be one of: {shown}"
    if validator == "type":
        kinds: list[str] = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    messages = {
        "minItems": f"must have at least {value} item(s)", "maxItems": f"must have at most {value} item(s)",
        "minLength": f"must be at least {value} character(s) long",
        "maxLength": f"must be at most {value} character(s) long",
        "minimum": f"must be at least {value}", "maximum": f"must be at most {value}",
        "exclusiveMinimum": f"must be more than {value}", "uniqueItems": "must not repeat an item",
        "items": "has more items than allowed", "const": f"must be {value!r}",
    }
    return messages.get(validator, default)


def _path_text(path: list[Any], tuple_fields: Mapping[str, tuple[str, ...]]) -> str:
    parts = [str(p) for p in path]
    for i in range(len(path) - 2):
        names = tuple_fields.get(str(path[i]))
        if names and isinstance(path[i + 2], int) and path[i + 2] < len(names):
            parts[i + 2] = names[path[i + 2]]
    return ".".join(parts) or "answer"
