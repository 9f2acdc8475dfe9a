"""The OpenAPI 3.1 document, generated from the endpoint table and the very JSON Schemas that validate
requests (labelhub.api.schemas) and describe responses (labelhub.api.responses)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from labelhub.api.responses import COMPONENTS, ref
from labelhub.api.routing import Endpoint
from labelhub.api.schemas import PATH_PARAMETERS

INFO = {
    "title": "LabelHub REST API",
    "version": "1.0.0",
    "description": "Crowd labeling marketplace. Authenticate with `Authorization: Bearer <token>`; "
                   "choose the marketplace with `?marketplace=production|sandbox`. Money is a string "
                   "such as \"0.50\", times are ISO 8601 UTC, lists are paginated with `cursor` and `limit`.",
}
ERRORS = {
    "400": "Invalid input; `error.fields` names each offending field",
    "401": "Missing or invalid API token",
    "403": "The token's account may not do this",
    "404": "No such object in this marketplace",
    "409": "The object's state does not allow this, or a uniqueness rule was broken",
    "default": "Other errors: 402 insufficient funds, 413 body too large, 500 server failure, 503 busy "
               "(try again after the Retry-After header's seconds)",
}
BEARER_AUTH = {"type": "http", "scheme": "bearer", "description": "a requester's or worker's API token"}
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted: the work runs in the background", 204: "Done; no content"}
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """Flask's ``/hits/<hit_id>`` -> OpenAPI's ``/hits/{hit_id}``."""
    return _PARAMETER.sub(r"{\1}", rule)


def document(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(openapi_path(endpoint.rule), {})[endpoint.method.lower()] = operation(endpoint)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": INFO,
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {"schemas": COMPONENTS, "securitySchemes": {"bearerAuth": BEARER_AUTH}},
    }


def operation(endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": path_parameters(endpoint.rule) + query_parameters(endpoint.query_schema),
        "responses": responses(endpoint),
    }
    if endpoint.role is None:
        op["security"] = []
    if endpoint.body is not None:
        op["requestBody"] = {"required": bool(endpoint.body.get("required")),
                             "content": {"application/json": {"schema": endpoint.body}}}
    elif endpoint.upload is not None:
        op["requestBody"] = {"required": True, "content": endpoint.upload}
    return op


def path_parameters(rule: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "description": PATH_PARAMETERS[name],
             "schema": {"type": "string"}} for name in _PARAMETER.findall(rule)]


def query_parameters(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if "description" in prop:
            parameter["description"] = prop["description"]
        if prop.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def responses(endpoint: Endpoint) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in filter(None, (endpoint.status, endpoint.replay_status)):
        out[str(status)] = {"description": SUCCESS[status]}
        if endpoint.response is not None:
            out[str(status)]["content"] = {endpoint.media_type: {"schema": endpoint.response}}
    if endpoint.accepted is not None:
        out["202"] = {"description": SUCCESS[202], "content": {"application/json": {"schema": endpoint.accepted}}}
    for status, description in ERRORS.items():
        if endpoint.role is not None or status in ("400", "default"):
            out[status] = {"description": description,
                           "content": {"application/json": {"schema": ref("Error")}}}
    return out
