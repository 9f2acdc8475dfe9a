"""REST API v1: bearer-token JSON endpoints for workers and requesters, described by the OpenAPI
document at /api/v1/openapi.json. Each resource module declares its endpoints in a Routes table."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint

from labelhub.api import (
    errors,
    openapi,
    requester_batches,
    requester_exports,
    requester_hits,
    requester_jobs,
    requester_media,
    requester_money,
    requester_qualifications,
    requester_workers,
    worker,
)
from labelhub.api.routing import Endpoint, Routes

meta = Routes(tag="Meta", prefix="", role=None)


@meta.get("/openapi.json", summary="This API's OpenAPI 3.1 document", response={"type": "object"})
def openapi_document() -> dict[str, Any]:
    return _document()


@cache
def _document() -> dict[str, Any]:
    return openapi.document(endpoints())


def endpoints() -> list[Endpoint]:
    tables = (worker.routes, requester_hits.routes, requester_batches.routes, requester_money.routes,
              requester_qualifications.routes, requester_workers.routes, requester_media.routes,
              requester_jobs.routes, requester_exports.routes, meta)
    return [endpoint for table in tables for endpoint in table.endpoints]


def create_blueprint() -> Blueprint:
    bp = Blueprint("api", __name__)
    errors.register(bp)
    for endpoint in endpoints():
        bp.add_url_rule(endpoint.rule, endpoint=endpoint.name, view_func=endpoint.handle,
                        methods=[endpoint.method])
    return bp
