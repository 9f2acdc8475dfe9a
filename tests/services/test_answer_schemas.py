"""A requester's answer_schema: refused at creation (HIT or batch) when its regular expressions cannot be
checked in linear time or its $refs reach outside the schema, dangle or loop, each refusal naming the
field; and on submit, patterns run on RE2 so a catastrophic-backtracking pattern answers at once."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from labelhub.errors import InvalidInputError
from labelhub.models import HIT
from labelhub.services.assignments import validate_answer
from labelhub.services.batches import CreateBatch
from labelhub.services.commands import CreateHIT, HITTypeSpec

SPEC = HITTypeSpec(title="Is there a cat?", description="Look and answer.", reward_micros=500_000,
                   assignment_duration_seconds=600)
STRING = {"type": "string"}


def _hit(schema: dict[str, Any]) -> CreateHIT:
    return CreateHIT(question="<p>q</p>", lifetime_seconds=3600, hit_type=SPEC, answer_schema=schema)


def _batch(schema: dict[str, Any]) -> CreateBatch:
    return CreateBatch(name="Cats", template_kind="html", question_template="<p>${n}</p>", hit_type=SPEC,
                       rows=({"n": 1},), lifetime_seconds=3600, answer_schema=schema)


def _refusal(build, schema: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as raised:
        build(schema)
    return raised.value.fields


def _with_x(x: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"x": x}, **more}


def _nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = STRING
    for _ in range(depth):
        schema = {"type": "array", "items": schema}
    return schema


REFUSED = [
    # regular expressions RE2 cannot match in linear time, or too long
    (_with_x({"type": "string", "pattern": r"^(a+)\1$"}), "answer_schema.properties.x.pattern", "linear time"),
    (_with_x({"type": "string", "pattern": "^(?=a)a+$"}), "answer_schema.properties.x.pattern", "linear time"),
    (_with_x({"type": "string", "pattern": "a" * 1001}), "answer_schema.properties.x.pattern",
     "at most 1,000 characters"),
    ({"type": "object", "patternProperties": {"^(?!id)": STRING}}, "answer_schema.patternProperties.^(?!id)",
     "linear time"),
    ({"type": "array", "items": {"propertyNames": {"pattern": r"(x)\1"}}},
     "answer_schema.items.propertyNames.pattern", "linear time"),
    ({"patternProperties": {"^a": STRING}, "unevaluatedProperties": False},
     "answer_schema.unevaluatedProperties", "patternProperties"),
    # references: remote, dangling, not a subschema, recursive
    (_with_x({"$ref": "http://example.com/schema.json"}), "answer_schema.properties.x.$ref", "never fetched"),
    (_with_x({"$ref": "https://json-schema.org/draft/2020-12/schema"}), "answer_schema.properties.x.$ref",
     "never fetched"),
    (_with_x({"$ref": "//example.com/schema.json"}), "answer_schema.properties.x.$ref", "never fetched"),
    (_with_x({"$ref": "other.json"}), "answer_schema.properties.x.$ref", "does not resolve"),
    (_with_x({"$ref": "#/$defs/missing"}), "answer_schema.properties.x.$ref", "does not resolve"),
    (_with_x({"$ref": "#nowhere"}), "answer_schema.properties.x.$ref", "does not resolve"),
    (_with_x({"$ref": "#/required"}, required=["x"]), "answer_schema.properties.x.$ref", "subschema"),
    ({"$ref": "#"}, "answer_schema.$ref", "recursive"),
    (_with_x({"$ref": "#"}), "answer_schema.properties.x.$ref", "recursive"),
    ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"items": {"$ref": "#/$defs/a"}}},
      "properties": {"x": {"$ref": "#/$defs/a"}}}, "answer_schema.$defs.a.$ref", "recursive"),
    (_with_x({"$dynamicRef": "#meta"}), "answer_schema.properties.x.$dynamicRef", "not supported"),
    ({"$defs": {"a": {"$id": "http://example.com/a", "type": "string"}}}, "answer_schema.$defs.a.$id",
     "top of the schema"),
    ({"$schema": "http://json-schema.org/draft-07/schema#"}, "answer_schema.$schema", "2020-12"),
    (_nested(70), "answer_schema", "deep"),
]


@pytest.mark.parametrize(("schema", "field", "reason"), REFUSED)
def test_create_hit_refuses_the_schema_naming_the_field(schema, field, reason):
    fields = _refusal(_hit, schema)
    assert field in fields, fields
    assert reason in fields[field]


@pytest.mark.parametrize(("schema", "field", "reason"), REFUSED[:1] + REFUSED[6:7] + REFUSED[13:14])
def test_create_batch_refuses_the_schema_naming_the_field(schema, field, reason):
    fields = _refusal(_batch, schema)
    assert field in fields, fields
    assert reason in fields[field]


def test_a_remote_reference_is_refused_without_any_fetch(monkeypatch):
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("an answer schema must never be fetched")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert "answer_schema.$ref" in _refusal(_hit, {"$ref": "http://example.com/schema.json"})


@pytest.mark.parametrize("schema", [
    _with_x({"type": "string", "pattern": "^(a+)+$"}),  # catastrophic for backtracking, linear on RE2
    _with_x({"$ref": "#/$defs/label"}, **{"$defs": {"label": {"enum": ["cat", "dog"]}}}),
    _with_x({"$ref": "#/$defs/a"}, **{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": STRING}}),
    _with_x({"$ref": "#label"}, **{"$defs": {"label": {"$anchor": "label", "type": "string"}}}),
    {"$id": "https://example.com/answer.json", "$schema": "https://json-schema.org/draft/2020-12/schema",
     "properties": {"x": {"$ref": "answer.json#/$defs/s"}}, "$defs": {"s": STRING}},
    {"$defs": {"unused": {"$ref": "#/$defs/unused2"}, "unused2": STRING}, "$ref": "#/$defs/unused2"},
    {"type": "object", "patternProperties": {"^tag_[a-z]+$": STRING}, "additionalProperties": False},
    _nested(30),
])
def test_create_hit_accepts_safe_schemas(schema):
    assert _hit(schema).answer_schema == schema


def _submit(schema: dict[str, Any], answer: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as raised:
        validate_answer(HIT(answer_schema=schema), answer)
    return raised.value.fields


@pytest.mark.timeout(30)  # a backtracking engine takes longer than the universe's age on this answer
def test_submit_against_a_catastrophic_pattern_is_refused_at_once():
    schema = _with_x({"type": "string", "pattern": "^(a+)+$"})
    assert _hit(schema)
    assert _submit(schema, {"x": "a" * 5_000 + "!"}) == {"answer.x": f"{'a' * 5_000 + '!'!r} does not match "
                                                                     "'^(a+)+$'"}
    assert validate_answer(HIT(answer_schema=schema), {"x": "a" * 5_000}) == {"x": "a" * 5_000}


@pytest.mark.timeout(30)
def test_submit_against_catastrophic_property_patterns_is_refused_at_once():
    schema = {"type": "object", "patternProperties": {"^(a+)+$": STRING}, "additionalProperties": False}
    key = "a" * 5_000 + "!"
    fields = _submit(schema, {key: "v"})
    assert list(fields) == ["answer"]
    assert "does not match any of the regexes" in fields["answer"]
    assert "answer." + "a" * 100 not in fields
    assert _submit(schema, {"a" * 100: 1}) == {"answer." + "a" * 100: "1 is not of type 'string'"}


def test_submit_refuses_a_string_too_long_to_match():
    schema = _with_x({"type": "string", "pattern": "^a+$"})
    fields = _submit(schema, {"x": "a" * 10_001})
    assert "longer than 10,000 characters" in fields["answer.x"]


def test_submit_follows_local_references():
    schema = _with_x({"$ref": "#/$defs/label"}, **{"$defs": {"label": {"enum": ["cat", "dog"]}}})
    assert validate_answer(HIT(answer_schema=schema), {"x": "cat"}) == {"x": "cat"}
    assert _submit(schema, {"x": "cow"}) == {"answer.x": "'cow' is not one of ['cat', 'dog']"}


def test_submit_against_a_stored_remote_reference_fetches_nothing_and_answers_400(monkeypatch):
    """A schema stored before creation refused remote references: no fetch, no 500."""
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("an answer schema must never be fetched")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    fields = _submit(_with_x({"$ref": "http://example.com/schema.json"}), {"x": "cat"})
    assert "cannot be checked" in fields["answer"]
