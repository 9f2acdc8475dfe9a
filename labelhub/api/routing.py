"""How REST endpoints are declared: one table of Endpoint records drives both Flask's URL rules and
the OpenAPI document, so the two cannot disagree.

Every view is wrapped the same way: a bearer token present -> marketplace -> authentication and role ->
query and body validated against the endpoint's JSON Schemas -> the view (one service call, one serializer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flask import current_app
from flask.typing import ResponseReturnValue

from labelhub import runtime_of
from labelhub.api import auth, inputs
from labelhub.runtime import Runtime

Role = Literal["worker", "requester"]
View = Callable[..., Any]


def runtime() -> Runtime:
    """The Runtime of the app serving this request."""
    return runtime_of(current_app)


@dataclass(frozen=True)
class Endpoint:
    """One operation: its URL rule (relative to /api/v1), schemas, success status and view."""

    method: str
    rule: str
    view: View
    summary: str
    tag: str
    role: Role | None
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None
    upload: Mapping[str, Any] | None = None  # the requestBody content of a view that reads a non-JSON body
    response: Mapping[str, Any] | None = None
    status: int = 200
    replay_status: int | None = None
    accepted: Mapping[str, Any] | None = None  # the body of a 202 answer, when the work may go to a job
    media_type: str = "application/json"  # other types (image/svg+xml) are returned as the view's text

    @property
    def name(self) -> str:
        return self.view.__name__

    @property
    def query_schema(self) -> dict[str, Any]:
        """The declared query schema plus the ``marketplace`` parameter every endpoint takes."""
        return inputs.with_marketplace(self.query or inputs.NO_QUERY)

    def handle(self, **path: str) -> ResponseReturnValue:
        if self.role:
            auth.bearer_token()  # no credentials: 401, whatever else is wrong with the request
        marketplace = inputs.marketplace()
        actor = auth.authenticate(runtime(), marketplace, self.role) if self.role else None
        query = inputs.parse_query(self.query_schema)
        arguments: dict[str, Any] = dict(path)
        if actor is not None:
            arguments["actor"] = actor
        if self.query is not None:
            arguments["query"] = query
        if self.body is not None:
            arguments["body"] = inputs.parse_body(self.body)
        result = self.view(**arguments)
        if self.media_type != "application/json":
            return current_app.response_class(result, mimetype=self.media_type), self.status
        return result if isinstance(result, tuple) else (result, self.status)


class Routes:
    """The endpoints of one resource module: one URL prefix, one OpenAPI tag, one role."""

    def __init__(self, *, tag: str, prefix: str, role: Role | None) -> None:
        self.tag, self.prefix, self.role = tag, prefix, role
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, rule: str, *, summary: str, **options: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            self.endpoints.append(Endpoint(method=method, rule=self.prefix + rule, view=view, summary=summary,
                                           tag=self.tag, role=self.role, **options))
            return view

        return register

    def get(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route("GET", rule, **options)

    def post(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route("POST", rule, **options)

    def put(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route("PUT", rule, **options)

    def patch(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route("PATCH", rule, **options)

    def delete(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route("DELETE", rule, **options)
