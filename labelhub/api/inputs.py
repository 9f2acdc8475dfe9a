"""Reading a request's input: the marketplace, query parameters and the JSON body, each validated
against the endpoint's JSON Schema, with errors naming the field
(``qualification_requirements[0].comparator``).

Query strings are coerced to the types their schema declares (OpenAPI's form style) before validation.

What no handler can take (too deep, huge integers, lone surrogates) is refused by labelhub.client_json,
naming ``body`` or the field; a money string above the largest amount is refused naming its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, ValidationError, validators

from labelhub import client_json
from labelhub.api.schemas import MONEY
from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.money import MAX_AMOUNT_MICROS, format_amount, parse_amount

MARKETPLACE_PARAMETER = {"type": "string", "enum": [m.value for m in Marketplace], "default": "production",
                         "description": "production (real money) or sandbox (play money)"}
NO_QUERY: Mapping[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
MAX_ERRORS = 20
_INTEGER = re.compile(r"^-?[0-9]+$")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_TEMPLATES = {"minimum": "must be at least {}", "maximum": "must be at most {}",
              "minLength": "must be at least {} characters", "maxLength": "must be at most {} characters",
              "minItems": "must have at least {} item(s)", "maxItems": "must have at most {} items",
              "minProperties": "must have at least {} field(s)"}
# Where a bare pattern or "not" would say nothing useful, the schema's description says what is expected.
_DESCRIBED_BY_SCHEMA = {"pattern": "must be ", "not": "is "}
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
    if kind == "boolean" and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    return text


def parse_body(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body (an empty body counts as ``{}``), validated; 413 for bodies over the size limit."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        body: Any = {}
    elif not request.is_json:
        given = request.mimetype or "none"
        raise InvalidInputError({"content_type": f"must be application/json (got {given})"})
    else:
        try:
            body = client_json.loads(raw)
        except client_json.UnreadableJSON as exc:
            raise InvalidInputError({"body": str(exc)}) from None
    problems = dict(islice(client_json.problems(body, root="body"), MAX_ERRORS))
    if problems:
        raise InvalidInputError(problems)
    problems = problems_of(schema, body)
    if problems:
        raise InvalidInputError(problems)
    return _with_defaults(schema, body)


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
    """JSON Schema's ``pattern``; a money string (schemas.MONEY) must also be at most the largest amount,
    which no pattern can say."""
    mismatches = list(_PATTERN(validator, pattern, instance, schema) or ())
    yield from mismatches
    if pattern == MONEY["pattern"] and isinstance(instance, str) and not mismatches:
        try:
            parse_amount(instance)
        except ValueError:
            yield ValidationError("is more than the largest amount", validator="maximum",
                                  validator_value=format_amount(MAX_AMOUNT_MICROS))


_PATTERN = Draft202012Validator.VALIDATORS["pattern"]
_Validator = validators.extend(Draft202012Validator, {"pattern": _amount_pattern})


def _explain(error: ValidationError) -> Iterator[tuple[str, str]]:
    """(field path, message) pairs for one error; ``required`` and ``additionalProperties`` name
    the missing or unknown member rather than the object holding it."""
    path = list(error.absolute_path)
    if error.validator == "required":
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance:
                yield field_path([*path, name]), "is required"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        for name in error.instance:
            if name not in known:
                yield field_path([*path, name]), "is not a known field"
    else:
        yield field_path(path), _message(error)


def _message(error: ValidationError) -> str:
    value, schema = error.validator_value, error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "type":
        kinds = [value] if isinstance(value, str) else value
        return "must be " + " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    if error.validator == "enum":
        return "must be one of: " + ", ".join(str(v) for v in value)
    if error.validator in _DESCRIBED_BY_SCHEMA and "description" in schema:
        return _DESCRIBED_BY_SCHEMA[error.validator] + schema["description"]
    template = _TEMPLATES.get(str(error.validator))
    return template.format(value) if template else error.message


def field_path(parts: list[Any]) -> str:
    """['qualification_requirements', 0, 'comparator'] -> 'qualification_requirements[0].comparator'."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"
