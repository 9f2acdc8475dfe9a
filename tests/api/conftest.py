"""REST API test fixtures: a client that checks every response against the served OpenAPI document,
and accounts and work built through the real services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException

from labelhub.models import Assignment
from labelhub.services import assignments
from tests.factories import Factory, RequesterHandle, WorkerHandle

PREFIX = "/api/v1"
SUMMARY = pytest.StashKey[list[str]]()  # lines for the end of the run (cases run by Schemathesis)
DOC_URI = "urn:labelhub:openapi"
_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class Api:
    """Calls /api/v1 and asserts the status; every body must match the schema the document gives
    for that operation and status (errors: the Error schema)."""

    def __init__(self, app: Any, client: Any) -> None:
        self.app, self.client = app, client
        self.doc = client.get(f"{PREFIX}/openapi.json").get_json()
        self.registry = Registry().with_resource(DOC_URI,
                                                 Resource(contents=self.doc, specification=DRAFT202012))

    def call(self, method: str, path: str, *, token: str | None = None, expect: int = 200,
             query: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **body: Any) -> Any:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = self.client.open(PREFIX + path, method=method, headers=sent, query_string=query, **body)
        payload = response.get_json(silent=True)
        assert response.status_code == expect, (response.status_code, payload)
        self.check_documented(method, path, response.status_code, response)
        return payload

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    def response_pointer(self, method: str, path: str, status: int) -> str | None:
        """Where the document keeps the schema of this response (None: documented without a body)."""
        try:
            rule, _ = self.app.url_map.bind("localhost").match(PREFIX + path, method=method, return_rule=True)
        except HTTPException:
            return pointer("components", "schemas", "Error")
        template = _RULE_PARAMETER.sub(r"{\1}", rule.rule.removeprefix(PREFIX))
        documented = self.doc["paths"][template][method.lower()]["responses"]
        key = str(status) if str(status) in documented else "default"
        if "content" not in documented[key]:
            return None
        return pointer("paths", template, method.lower(), "responses", key, "content", "application/json",
                       "schema")

    def check_documented(self, method: str, path: str, status: int, response: Any) -> None:
        where = self.response_pointer(method, path, status)
        if where is None:
            assert response.data == b""
            return
        assert response.mimetype == "application/json"
        Draft202012Validator({"$ref": DOC_URI + "#" + where},
                             registry=self.registry).validate(response.get_json())


@pytest.fixture
def api(app: Any, client: Any) -> Api:
    return Api(app, client)


@pytest.fixture
def requester(factory: Factory) -> RequesterHandle:
    return factory.requester(deposit="100.00")


@pytest.fixture
def other_requester(factory: Factory) -> RequesterHandle:
    return factory.requester(deposit="100.00")


@pytest.fixture
def worker(factory: Factory) -> WorkerHandle:
    return factory.worker()


@pytest.fixture
def other_worker(factory: Factory) -> WorkerHandle:
    return factory.worker()


def token(handle: RequesterHandle | WorkerHandle) -> str:
    return handle.credentials.api_token


@dataclass(frozen=True)
class Work:
    """A HIT of ``requester`` and ``worker``'s assignment on it."""

    hit_id: str
    assignment_id: str


@pytest.fixture
def accepted(runtime: Any, factory: Factory, requester: RequesterHandle, worker: WorkerHandle) -> Work:
    hit = factory.hit(requester.actor, max_assignments=3)
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    return Work(hit.public_id, assignment.public_id)


@pytest.fixture
def submitted(runtime: Any, accepted: Work, worker: WorkerHandle) -> Work:
    assignments.submit(runtime, worker.actor, accepted.assignment_id, {"label": "cat"})
    return accepted


def assignment_of(runtime: Any, worker: WorkerHandle, assignment_id: str) -> Assignment:
    return assignments.get_assignment(runtime, worker.actor, assignment_id)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for line in config.stash.get(SUMMARY, []):
        terminalreporter.write_line(line)
