"""The task type's part of the new-batch configuration form, built from the annotator's config schema:
form fields for a configuration, and a configuration from a submitted form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import annotators
from labelhub.errors import InvalidInputError


@dataclass(frozen=True)
class ConfigField:
    name: str  # the form field: "config.<key>"
    label: str
    widget: str  # lines, textarea, column, choice, integer, boolean, json, text
    value: str
    options: tuple[str, ...] = ()


def _properties(kind: str) -> dict[str, Any]:
    """The task type's configuration properties in form order; none for an unknown (or unchosen) kind."""
    if kind not in annotators.REGISTRY:
        return {}
    return annotators.get(kind).config_schema()["properties"]


def _type(schema: Mapping[str, Any]) -> str:
    """The property's JSON type; a nullable one (``["integer", "null"]``) counts as its other type."""
    declared = schema["type"]
    return declared if isinstance(declared, str) else next(t for t in declared if t != "null")


def _widget(schema: Mapping[str, Any]) -> str:
    json_type = _type(schema)
    if json_type == "array":
        return "lines" if schema["items"].get("type") == "string" else "json"
    if json_type == "string":
        return "choice" if "enum" in schema else schema.get("format", "text")
    return json_type


def _shown(value: Any, widget: str) -> str:
    if value is None:
        return ""
    if widget == "lines":
        return "\n".join(str(v) for v in value)
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget == "boolean":
        return "1" if value else ""
    return str(value)


def config_fields(kind: str, config: Mapping[str, Any], columns: list[str]) -> list[ConfigField]:
    """The task type's configuration form, with ``config``'s values (form text or canonical values)."""
    found = []
    for key, schema in _properties(kind).items():
        widget = _widget(schema)
        value = config.get(key)
        shown = value if isinstance(value, str) and widget in ("lines", "json") else _shown(value, widget)
        options = tuple(schema.get("enum", ())) or (tuple(c for c in dict.fromkeys([*columns, shown]) if c)
                                                    if widget == "column" else ())
        found.append(ConfigField(f"config.{key}", schema["title"], widget, shown, options))
    return found


def _config_value(schema: Mapping[str, Any], name: str, text: str) -> Any:
    widget = _widget(schema)
    if widget == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if widget == "integer":
        if not text.strip().isdigit():
            raise InvalidInputError({name: "must be a whole number"})
        return int(text)
    if widget == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InvalidInputError({name: f"is not JSON: {exc}"}) from None
    return text


def config_from_form(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The task type's configuration from its form; an empty field is left out (the type's default)."""
    config: dict[str, Any] = {}
    for key, schema in _properties(kind).items():
        name = f"config.{key}"
        if _type(schema) == "boolean":
            config[key] = form.get(name) == "1"
        elif form.get(name, "").strip():
            config[key] = _config_value(schema, name, form[name].strip())
    return config
