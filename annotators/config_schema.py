"""Builders for the JSON Schemas (draft 2020-12) of the task types' configurations.

Each annotator's ``config_schema()`` uses them beside its ``parse_config``, which stays the rule. A
property's ``title`` is its label on the requester's form; ``"format": "column"`` marks a property
naming a column of the batch file, ``"format": "textarea"`` a long text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotators.fields import MAX_INSTRUCTIONS_LENGTH, MAX_LABELS, MAX_PROMPT_LENGTH

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_object(properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A configuration: an object of ``properties`` (in the form's order) and nothing else."""
    return {"$schema": DIALECT, "type": "object", "properties": properties, "additionalProperties": False}


def labels(title: str = "Labels (one a line)", *, min_count: int = 2) -> dict[str, Any]:
    return {"type": "array", "title": title, "items": {"type": "string"}, "minItems": min_count,
            "maxItems": MAX_LABELS}


def instructions() -> dict[str, Any]:
    return {"type": "string", "title": "Instructions", "format": "textarea", "maxLength": MAX_INSTRUCTIONS_LENGTH}


def text(title: str, *, max_length: int = MAX_PROMPT_LENGTH) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": max_length}


def column(title: str, *, nullable: bool = False) -> dict[str, Any]:
    """The name of a column of the batch file; ``nullable`` where the canonical configuration may hold none."""
    return {"type": _maybe_null("string", nullable), "title": title, "format": "column"}


def integer(title: str, minimum: int, maximum: int, *, nullable: bool = False) -> dict[str, Any]:
    return {"type": _maybe_null("integer", nullable), "title": title, "minimum": minimum, "maximum": maximum}


def flag(title: str) -> dict[str, Any]:
    return {"type": "boolean", "title": title}


def choice(title: str, options: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(options)}


def _maybe_null(json_type: str, nullable: bool) -> str | list[str]:
    return [json_type, "null"] if nullable else json_type
