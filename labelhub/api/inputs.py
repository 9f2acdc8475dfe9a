"""Reading a request's input: the marketplace, query parameters and the JSON body, each validated
against the endpoint's JSON Schema, with errors naming the field
(``qualification_requirements[0].comparator``).

Query strings are coerced to the types their schema declares (OpenAPI's form style) before validation.
JSON Schema counts 1.0 as an integer, so a validated body's whole-number floats become ints where the
schema says integer: the commands, the services and the database take Python ints.

What no handler can take (too deep, huge integers, lone surrogates) is refused by labelhub.client_json,
naming ``body`` or the field; a money string above the largest amount is refused naming its field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, ValidationError, validators

from labelhub import client_json
from labelhub.api.schemas import MONEY_PATTERNS, PATTERN_PROBLEMS
from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.money import MAX_AMOUNT_MICROS, format_amount, parse_amount

MARKETPLACE_PARAMETER = {"type": "string", "enum": [m.value for m in Marketplace], "default": "production",
                         "description": "production (real money) or sandbox (play money)"}
NO_QUERY: Mapping[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
MAX_ERRORS = 20
_INTEGER = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")  # JSON's number syntax
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_TEMPLATES = {"minimum": "must be at least {}", "maximum": "must be at most {}",
              "exclusiveMinimum": "must be more than {}", "exclusiveMaximum": "must be less than {}",
              "minLength": "must be at least {} characters", "minItems": "must have at least {} item(s)",
              "maxItems": "must have at most {} items", "minProperties": "must have at least {} field(s)",
              "maxProperties": "must have at most {} fields"}
# Where a bare pattern, "not", "const" or "anyOf" would say nothing useful, the schema's description says what is
# expected (patterns with a problem of their own: schemas.PATTERN_PROBLEMS).
_DESCRIBED_BY_SCHEMA = {"pattern": "must be ", "not": "is ", "const": "", "anyOf": ""}
_TYPE_NAMES = {"object": "a JSON object", "array": "an array", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


def with_marketplace(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], "marketplace": MARKETPLACE_PARAMETER}}


def marketplace() -> Marketplace:
    """The ``marketplace`` query parameter (default production); checked before authentication."""
    value = request.args.get("marketplace", Marketplace.PRODUCTION.value)
    try:
        return Marketplace(value)
    except ValueError:
        raise InvalidInputError({"marketplace": "must be one of: production, sandbox"}) from None


def parse_query(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The query parameters as typed values, with the schema's defaults filled in."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in request.args:
        declared = schema["properties"].get(name, {})
        given = request.args.getlist(name)
        if declared.get("type") == "array":
            values[name] = [_coerce(v, declared["items"]) for v in given]
        elif len(given) > 1:
            problems[name] = "give this parameter once"
        else:
            values[name] = _coerce(given[0], declared)
    problems.update(problems_of(schema, values))
    if problems:
        raise InvalidInputError(problems)
    return _with_defaults(schema, values)


def _coerce(text: str, declared: Mapping[str, Any]) -> Any:
    kind = declared.get("type")
    if kind == "integer" and _INTEGER.match(text):
        return int(text)
    if kind == "number" and _NUMBER.match(text) and math.isfinite(number := float(text)):
        return number
    if kind == "boolean" and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    return text


def parse_body(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body (an empty body counts as ``{}``), validated; 413 for bodies over the size limit."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return checked_json(schema, b"{}", field="body")
    if not request.is_json:
        given = request.mimetype or "none"
        raise InvalidInputError({"content_type": f"must be application/json (got {given})"})
    return checked_json(schema, raw, field="body")


def checked_json(schema: Mapping[str, Any], raw: str | bytes, *, field: str) -> dict[str, Any]:
    """JSON text (a body, or a multipart form's JSON field named ``field``) validated against ``schema``,
    with its defaults."""
    try:
        body = client_json.loads(raw)
    except client_json.UnreadableJSON as exc:
        raise InvalidInputError({field: str(exc)}) from None
    problems = dict(islice(client_json.problems(body, root=field), MAX_ERRORS))
    if problems:
        raise InvalidInputError(problems)
    problems = problems_of(schema, body)
    if problems:
        raise InvalidInputError(problems)
    return _with_defaults(schema, _whole_numbers(schema, body))


def _whole_numbers(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` (valid against ``schema``) with each float where the schema says integer made an int:
    JSON Schema's integer is any number without a fractional part, such as 1.0. The schemas in
    labelhub.api.schemas reach members through properties, additionalProperties and items only."""
    if isinstance(value, float):
        return int(value) if _is_integer_type(schema.get("type")) else value
    if isinstance(value, dict):
        properties, others = schema.get("properties", {}), schema.get("additionalProperties")
        return {name: _whole_numbers(properties.get(name, others if isinstance(others, dict) else {}), member)
                for name, member in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_whole_numbers(schema["items"], item) for item in value]
    return value


def _is_integer_type(declared: Any) -> bool:
    kinds = [declared] if isinstance(declared, str) else list(declared or ())
    return "integer" in kinds and "number" not in kinds


def _with_defaults(schema: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    defaults = {name: prop["default"] for name, prop in schema["properties"].items() if "default" in prop}
    return defaults | values


def problems_of(schema: Mapping[str, Any], instance: Any) -> dict[str, str]:
    """Every violation of ``schema`` as {field path: what is wrong}, shallowest first."""
    problems: dict[str, str] = {}
    errors = sorted(_Validator(schema).iter_errors(instance),
                    key=lambda e: (len(e.path), [str(p) for p in e.path]))
    for error in errors:
        for path, message in _explain(error):
            problems.setdefault(path, message)
        if len(problems) >= MAX_ERRORS:
            break
    return problems


def _amount_pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """JSON Schema's ``pattern``; a money string (schemas.MONEY_PATTERNS) must also be at most the largest amount,
    which no pattern can say."""
    mismatches = list(_PATTERN(validator, pattern, instance, schema) or ())
    yield from mismatches
    if pattern in MONEY_PATTERNS and isinstance(instance, str) and not mismatches:
        try:
            parse_amount(instance)
        except ValueError:
            yield ValidationError("is more than the largest amount", validator="maximum",
                                  validator_value=format_amount(MAX_AMOUNT_MICROS))


_PATTERN = Draft202012Validator.VALIDATORS["pattern"]
_Validator = validators.extend(Draft202012Validator, {"pattern": _amount_pattern})


def _explain(error: ValidationError) -> Iterator[tuple[str, str]]:
    """(field path, message) pairs for one error; ``required``, ``dependentRequired`` and
    ``additionalProperties`` name the missing or unknown member rather than the object holding it."""
    path = list(error.absolute_path)
    members = _members(error) if isinstance(error.instance, dict) else None
    if members is None:
        yield field_path(path), _message(error)
    else:
        yield from ((field_path([*path, name]), problem) for name, problem in members)


def _members(error: ValidationError) -> list[tuple[str, str]] | None:
    """The members of an object that an error is about, with what is wrong with each (None: the object)."""
    given = error.instance
    if error.validator == "required":
        return [(name, "is required") for name in error.validator_value if name not in given]
    if error.validator == "dependentRequired":
        return [(name, f"is required when {present} is given") for present, needed in error.validator_value.items()
                if present in given for name in needed if name not in given]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [(name, "is not a known field") for name in given if name not in known]
    return None


def _message(error: ValidationError) -> str:
    value, schema = error.validator_value, error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "type":
        kinds = [value] if isinstance(value, str) else value
        message = "must be " + " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    elif error.validator == "enum":
        message = "must be one of: " + ", ".join(str(v) for v in value)
    elif error.validator == "pattern" and value in PATTERN_PROBLEMS:
        message = PATTERN_PROBLEMS[value]
    elif error.validator == "minLength" and value == 1:
        message = "is required"
    elif error.validator == "maxLength":
        message = f"must be at most {value} characters (got {len(error.instance)})"
    elif error.validator in _DESCRIBED_BY_SCHEMA and "description" in schema:
        message = _DESCRIBED_BY_SCHEMA[error.validator] + schema["description"]
    else:
        template = _TEMPLATES.get(str(error.validator))
        message = template.format(value) if template else error.message
    return message


def field_path(parts: list[Any]) -> str:
    """['qualification_requirements', 0, 'comparator'] -> 'qualification_requirements[0].comparator'."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"
