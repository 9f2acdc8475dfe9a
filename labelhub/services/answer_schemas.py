"""A requester's ``answer_schema``: checked once when a HIT or batch is created, applied on every submit.

Answers are checked with JSON Schema 2020-12 (jsonschema), with two hardenings:

* Regular expressions (``pattern``, ``patternProperties`` and the ``additionalProperties`` that depend on
  them) run on RE2 (google-re2), whose matching time is linear in the text, so a pattern such as
  ``^(a+)+$`` cannot freeze a worker process. RE2 refuses what it cannot match in linear time
  (backreferences, lookarounds); such a schema is refused at creation, naming the pattern.
* References never leave the schema: nothing is fetched over the network, every ``$ref`` must resolve to a
  subschema of the schema itself, and references that lead back to themselves are refused (so validation
  always ends, and its depth is bounded by the schema's).

Each refusal names the field, e.g. ``answer_schema.properties.label.pattern``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import re2  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

FIELD = "answer_schema"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_PATTERN_LENGTH = 1_000  # characters of one regular expression
MAX_MATCHED_LENGTH = 10_000  # characters of one answer string checked against a pattern
MAX_SCHEMA_DEPTH = 64  # nested JSON objects and arrays

_SCHEMA = ("additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else",
           "unevaluatedItems", "unevaluatedProperties", "contentSchema")
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")
_DEFINITIONS = ("$defs", "definitions")  # not applied where they stand: only through a $ref
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


# --- matching on RE2 -----------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def _pattern_problem(pattern: str) -> str | None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"must be at most {MAX_PATTERN_LENGTH:,} characters (got {len(pattern):,})"
    try:
        _compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        return (f"is not a regular expression that can be checked in linear time ({reason}); "
                "backreferences and lookarounds are not supported")
    return None


def _search(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


def _pattern(validator: Any, pattern: str, instance: object, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    assert isinstance(instance, str)
    if len(instance) > MAX_MATCHED_LENGTH:
        yield ValidationError(f"is longer than {MAX_MATCHED_LENGTH:,} characters, the most checked against "
                              f"the pattern {pattern!r}")
    elif not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict, instance: object,
                        schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    assert isinstance(instance, dict)
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: object,
                           schema: dict) -> Iterator[ValidationError]:
    """jsonschema's own, with the patternProperties it skips matched on RE2."""
    if not validator.is_type(instance, "object"):
        return
    assert isinstance(instance, dict)
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = sorted((key for key in instance
                     if key not in properties and not any(_search(p, key) for p in patterns)), key=str)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            listed = ", ".join(repr(p) for p in sorted(patterns))
            yield ValidationError(f"{', '.join(repr(e) for e in extras)} {verb} not match any of the regexes: "
                                  f"{listed}")
        else:
            were = "was" if len(extras) == 1 else "were"
            yield ValidationError(f"Additional properties are not allowed ({', '.join(map(repr, extras))} "
                                  f"{were} unexpected)")


AnswerValidator = validators.extend(Draft202012Validator, {
    "pattern": _pattern, "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties})


class _GuardedValidator:
    """An answer validator that turns a schema it cannot apply (one stored before creation refused it: a
    dangling or remote $ref, a loop, a backreference) into a validation error instead of a crash or a fetch."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = AnswerValidator(schema, registry=Registry())

    def iter_errors(self, instance: object) -> Iterator[ValidationError]:
        try:
            yield from self._validator.iter_errors(instance)
        except (Unresolvable, RecursionError, re2.error) as exc:
            reason = ("it refers to itself endlessly" if isinstance(exc, RecursionError)
                      else "a $ref does not resolve inside the schema" if isinstance(exc, Unresolvable)
                      else "a pattern cannot be matched in linear time")
            yield ValidationError(f"cannot be checked: the HIT's answer schema is broken ({reason})")


def answer_validator(schema: dict[str, Any]) -> _GuardedValidator:
    """The validator submitted answers go through: RE2 patterns, and references that never reach out."""
    return _GuardedValidator(schema)


# --- checks at creation --------------------------------------------------------------------------------

def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _children(node: dict, path: str) -> Iterator[tuple[object, str, bool]]:
    """Each subschema of ``node``: (subschema, its field path, whether it applies where it stands)."""
    for key in _SCHEMA:
        if key in node:
            yield node[key], f"{path}.{key}", True
    for keys, applied in ((_SCHEMA_MAPS, True), (_DEFINITIONS, False)):
        for key in keys:
            if isinstance(node.get(key), dict):
                for name, sub in node[key].items():
                    yield sub, f"{path}.{key}.{name}", applied
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            for index, sub in enumerate(node[key]):
                yield sub, f"{path}.{key}[{index}]", True


class _SchemaCheck:
    """One walk over every subschema: patterns, keywords refused, and where each $ref leads."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.problems: dict[str, str] = {}
        self.reached: dict[int, set[int]] = {}  # subschema -> the subschemas whose checking applies it
        self.refs: list[tuple[int, str, str]] = []  # (subschema holding it, field path, $ref)
        self.pattern_properties: list[str] = []
        self.unevaluated: list[str] = []
        self.schema = schema
        self._walk(schema, FIELD, frozenset())

    def _walk(self, node: object, path: str, applied_by: frozenset[int]) -> None:
        if not isinstance(node, dict):
            return
        applied_by = applied_by | {id(node)}
        self.reached.setdefault(id(node), set()).update(applied_by)
        self._keywords(node, path)
        for sub, sub_path, applied in _children(node, path):
            self._walk(sub, sub_path, applied_by if applied else frozenset())

    def _keywords(self, node: dict, path: str) -> None:
        top = node is self.schema
        if "$schema" in node and (not top or node["$schema"] != DIALECT):
            self.problems[f"{path}.$schema"] = (f"must be {DIALECT} if given" if top else
                                                "is only allowed at the top of the schema")
        if "$id" in node and not top:
            self.problems[f"{path}.$id"] = "is only allowed at the top of the schema: put shared subschemas " \
                                           "under $defs and refer to them as #/$defs/NAME"
        if "$dynamicRef" in node:
            self.problems[f"{path}.$dynamicRef"] = "is not supported: use $ref"
        if isinstance(node.get("pattern"), str) and (problem := _pattern_problem(node["pattern"])):
            self.problems[f"{path}.pattern"] = problem
        if isinstance(node.get("patternProperties"), dict):
            self.pattern_properties.append(path)
            for pattern in node["patternProperties"]:
                if problem := _pattern_problem(pattern):
                    self.problems[f"{path}.patternProperties.{pattern}"] = problem
        if "unevaluatedProperties" in node:
            self.unevaluated.append(f"{path}.unevaluatedProperties")
        if isinstance(node.get("$ref"), str):
            self.refs.append((id(node), f"{path}.$ref", node["$ref"]))

    def check_refs(self) -> None:
        """Every $ref resolves, without any fetch, to a subschema of this schema, and none loops back."""
        resolver = Registry().resolver_with_root(DRAFT202012.create_resource(self.schema))
        targets: dict[str, int | None] = {}
        for _, path, ref in self.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                self.problems[path] = ("must point inside this schema, such as #/$defs/NAME "
                                       "(remote references are never fetched)")
                continue
            try:
                contents = resolver.lookup(ref).contents
            except Unresolvable:
                self.problems[path] = f"{ref!r} does not resolve to anything in this schema"
                continue
            if isinstance(contents, bool):
                targets[path] = None
            elif isinstance(contents, dict) and id(contents) in self.reached:
                targets[path] = id(contents)
            else:
                self.problems[path] = f"{ref!r} must point to a subschema, such as #/$defs/NAME"
        self._refuse_loops(targets)

    def _refuse_loops(self, targets: dict[str, int | None]) -> None:
        """A $ref loops when following references from its target leads back to it."""
        holder = {path: node for node, path, _ in self.refs}
        leads_to = {path: [other for other in targets if target is not None and target in self.reached[holder[other]]]
                    for path, target in targets.items()}
        for start in targets:
            seen: set[str] = set()
            stack = list(leads_to[start])
            while stack:
                current = stack.pop()
                if current == start:
                    self.problems[start] = "makes the schema refer back to itself (recursive references are " \
                                           "not allowed)"
                    break
                if current not in seen:
                    seen.add(current)
                    stack.extend(leads_to[current])


def check_answer_schema(problems: dict[str, str], schema: dict[str, Any] | None) -> None:
    """Add to ``problems`` why ``schema`` cannot be a HIT's answer schema, each under its field path."""
    if schema is None:
        return
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        problems[FIELD] = f"must nest at most {MAX_SCHEMA_DEPTH} objects and arrays deep"
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        problems[FIELD] = f"is not a valid JSON Schema: {exc.message}"
        return
    check = _SchemaCheck(schema)
    if check.pattern_properties:
        for path in check.unevaluated:
            check.problems[path] = "cannot be combined with patternProperties: use additionalProperties"
    check.check_refs()
    problems.update(check.problems)
