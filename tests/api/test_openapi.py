"""The OpenAPI 3.1 document: it covers every registered route, has OpenAPI's structure, its schemas
are valid JSON Schema 2020-12 whose references resolve, and it is built from the validating schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from labelhub.api import schemas
from tests.api.conftest import DOC_URI, PREFIX

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
MEDIA_MAP = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["schema"], "properties": {"schema": {"type": ["object", "boolean"]}}}}
PARAMETER = {
    "type": "object", "required": ["name", "in", "schema"],
    "properties": {"name": {"type": "string"}, "in": {"enum": ["query", "header", "path", "cookie"]},
                   "required": {"type": "boolean"}, "description": {"type": "string"},
                   "style": {"type": "string"}, "explode": {"type": "boolean"}, "schema": {"type": "object"}},
    "additionalProperties": False,
    "if": {"properties": {"in": {"const": "path"}}},
    "then": {"required": ["required"], "properties": {"required": {"const": True}}},
}
RESPONSE = {"type": "object", "required": ["description"], "additionalProperties": False,
            "properties": {"description": {"type": "string"}, "content": MEDIA_MAP}}
OPERATION = {
    "type": "object", "required": ["operationId", "summary", "responses"], "additionalProperties": False,
    "properties": {
        "operationId": {"type": "string"}, "summary": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "parameters": {"type": "array", "items": PARAMETER},
        "requestBody": {"type": "object", "required": ["content"], "additionalProperties": False,
                        "properties": {"required": {"type": "boolean"}, "content": MEDIA_MAP}},
        "responses": {"type": "object", "minProperties": 1, "additionalProperties": RESPONSE,
                      "propertyNames": {"pattern": "^([1-5][0-9]{2}|[1-5]XX|default)$"}},
        "security": {"type": "array", "items": {"type": "object"}},
    },
}
OPENAPI_STRUCTURE = {
    "type": "object", "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"const": "3.1.0"},
        "jsonSchemaDialect": {"type": "string"},
        "info": {"type": "object", "required": ["title", "version"],
                 "properties": {"title": {"type": "string"}, "version": {"type": "string"}}},
        "servers": {"type": "array", "items": {"type": "object", "required": ["url"]}},
        "security": {"type": "array", "items": {"type": "object",
                                                 "additionalProperties": {"type": "array"}}},
        "paths": {"type": "object", "propertyNames": {"pattern": "^/"},
                  "additionalProperties": {"type": "object", "propertyNames": {"enum": sorted(HTTP_METHODS)},
                                           "additionalProperties": OPERATION}},
        "components": {"type": "object", "properties": {
            "schemas": {"type": "object", "additionalProperties": {"type": ["object", "boolean"]}},
            "securitySchemes": {"type": "object",
                                "additionalProperties": {"type": "object", "required": ["type"]}},
        }},
    },
}


@pytest.fixture
def doc(api) -> dict[str, Any]:
    return api.doc


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def schemas_in(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield from ((f"components.schemas.{name}", s) for name, s in doc["components"]["schemas"].items())
    for path, method, op in operations(doc):
        for parameter in op["parameters"]:
            yield f"{method} {path} parameter {parameter['name']}", parameter["schema"]
        for media in op.get("requestBody", {}).get("content", {}).values():
            yield f"{method} {path} request body", media["schema"]
        for status, response in op["responses"].items():
            for media in response.get("content", {}).values():
                yield f"{method} {path} response {status}", media["schema"]


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for item in value.values():
            yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


def test_openapi_is_served_without_a_token_as_json(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["openapi"] == "3.1.0"


def test_openapi_every_registered_route_is_documented(app, doc):
    registered = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            registered.add((template, method.lower()))
    documented = {(path, method) for path, method, _ in operations(doc)}
    assert len(registered) >= 41
    assert registered == documented


def test_openapi_document_has_openapi_structure(doc):
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft202012Validator(OPENAPI_STRUCTURE).iter_errors(doc)]
    assert errors == []


def test_openapi_operation_ids_are_unique(doc):
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))


def test_openapi_path_parameters_match_the_templates(doc):
    for path, method, op in operations(doc):
        in_template = re.findall(r"{([^}]+)}", path)
        declared = [p["name"] for p in op["parameters"] if p["in"] == "path"]
        assert declared == in_template, (method, path)


def test_openapi_every_operation_takes_the_marketplace_parameter(doc):
    for path, method, op in operations(doc):
        marketplace = [p for p in op["parameters"] if p["name"] == "marketplace"]
        assert marketplace and marketplace[0]["schema"]["enum"] == ["production", "sandbox"], (method, path)


def test_openapi_every_schema_is_valid_json_schema_2020_12(doc):
    for where, schema in schemas_in(doc):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            pytest.fail(f"{where}: {exc}")


def test_openapi_every_reference_resolves(api, doc):
    resolver = api.registry.resolver(base_uri=DOC_URI)
    found = list(refs_in(doc))
    assert found
    for ref in found:
        try:
            resolver.lookup(DOC_URI + ref)
        except Unresolvable:
            pytest.fail(f"unresolvable $ref {ref}")


def test_openapi_bearer_auth_guards_every_operation_but_the_document(doc):
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "a requester's or worker's API token"}
    assert doc["security"] == [{"bearerAuth": []}]
    public = [(method, path) for path, method, op in operations(doc) if op.get("security") == []]
    assert public == [("get", "/openapi.json")]


def test_openapi_documents_errors_and_successes(doc):
    for path, method, op in operations(doc):
        statuses = set(op["responses"])
        assert statuses & {"200", "201", "202", "204"}, (method, path)
        assert "default" in statuses and "400" in statuses, (method, path)
        if path != "/openapi.json":
            assert {"401", "403", "404", "409"} <= statuses, (method, path)


def test_openapi_request_schemas_are_the_validating_schemas(doc):
    create = doc["paths"]["/requester/hits"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == schemas.CREATE_HIT
    assert create["requestBody"]["required"] is True
    assert set(create["responses"]) >= {"201", "200"}
    approve = doc["paths"]["/requester/assignments/{assignment_id}/approve"]["post"]
    assert approve["requestBody"]["required"] is False
    listing = doc["paths"]["/worker/assignments"]["get"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert status["schema"] == schemas.WORKER_ASSIGNMENTS_QUERY["properties"]["status"]
    assert (status["style"], status["explode"]) == ("form", True)
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}
