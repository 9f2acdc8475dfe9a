"""Cross-cutting behaviour of /api/v1: authentication, roles, the marketplace parameter, malformed
bodies, and JSON for HTTP errors and server failures."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from labelhub import create_app
from labelhub.api import endpoints
from labelhub.db import make_engine
from labelhub.models import HITStatus, Marketplace
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from labelhub.services import hits
from tests.api.conftest import token

CREATE_BODY = {"title": "Cats", "description": "Find the cat", "reward": "0.50",
               "assignment_duration_seconds": 600, "question": "<p>cat?</p>", "lifetime_seconds": 3600}


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-a-real-token"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer "},
])
def test_auth_missing_or_bad_token_is_401(api, headers):
    body = api.get("/worker/hits", headers=headers, expect=401)
    assert body["error"]["code"] == "unauthenticated"


def concrete(rule: str) -> str:
    return re.sub(r"<[^>]+>", "X1", rule)


GUARDED = [pytest.param(e.method, concrete(e.rule), e.role, id=f"{e.method} {e.rule}")
           for e in endpoints() if e.role is not None]


@pytest.mark.parametrize(("method", "path", "role"), GUARDED)
def test_auth_every_guarded_endpoint_refuses_a_missing_token(api, method, path, role):
    assert api.call(method, path, expect=401)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(("method", "path", "role"), GUARDED)
def test_auth_every_endpoint_refuses_the_other_role(api, request, method, path, role):
    wrong = request.getfixturevalue("worker" if role == "requester" else "requester")
    assert api.call(method, path, token=token(wrong), expect=403)["error"]["code"] == "permission_denied"


def test_auth_401_names_the_bearer_scheme(client):
    response = client.get("/api/v1/requester/balance")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_auth_worker_token_on_requester_endpoint_is_403_and_creates_nothing(api, runtime, worker, requester):
    body = api.post("/requester/hits", token=token(worker), json=CREATE_BODY, expect=403)
    assert body["error"]["code"] == "permission_denied"
    assert hits.list_hits(runtime, requester.actor).items == []


def test_auth_requester_token_on_worker_endpoint_is_403(api, requester):
    assert api.get("/worker/earnings", token=token(requester),
                   expect=403)["error"]["code"] == "permission_denied"


def test_auth_token_is_checked_before_the_body(api):
    api.post("/requester/hits", data="{not json", content_type="application/json", expect=401)


def test_marketplace_unknown_value_is_400_naming_it(api, requester):
    body = api.get("/requester/hits", token=token(requester), query={"marketplace": "moon"}, expect=400)
    assert body["error"]["fields"] == {"marketplace": "must be one of: production, sandbox"}


def test_marketplace_sandbox_objects_are_invisible_from_production(api, factory, requester, worker):
    sandbox_hit = factory.hit(requester.sandbox())
    sandbox = {"marketplace": "sandbox"}

    assert api.get("/requester/hits", token=token(requester))["items"] == []
    api.get(f"/requester/hits/{sandbox_hit.public_id}", token=token(requester), expect=404)
    assert api.get("/worker/hits", token=token(worker))["items"] == []
    api.post(f"/worker/hits/{sandbox_hit.public_id}/accept", token=token(worker), expect=404)

    listed = api.get("/requester/hits", token=token(requester), query=sandbox)["items"]
    assert [h["hit_id"] for h in listed] == [sandbox_hit.public_id]
    assert listed[0]["marketplace"] == Marketplace.SANDBOX.value
    seen = api.get("/worker/hits", token=token(worker), query=sandbox)["items"]
    assert [h["hit_id"] for h in seen] == [sandbox_hit.public_id]


def test_marketplace_production_objects_are_invisible_from_sandbox(api, factory, requester):
    hit = factory.hit(requester.actor)
    api.get(f"/requester/hits/{hit.public_id}", token=token(requester), query={"marketplace": "sandbox"},
            expect=404)


def test_body_malformed_json_is_400_naming_the_body(api, runtime, requester):
    body = api.post("/requester/hits", token=token(requester), data='{"title": ',
                    content_type="application/json", expect=400)
    assert body["error"]["fields"]["body"].startswith("is not valid JSON")
    assert hits.list_hits(runtime, requester.actor).items == []


def test_body_wrong_content_type_is_400_naming_it(api, requester):
    body = api.post("/requester/hits", token=token(requester), data="title=Cats", content_type="text/plain",
                    expect=400)
    assert body["error"]["fields"] == {"content_type": "must be application/json (got text/plain)"}


def test_body_not_an_object_is_400(api, requester):
    body = api.post("/requester/hits", token=token(requester), json=["title"], expect=400)
    assert body["error"]["fields"] == {"body": "must be a JSON object"}


def test_body_not_utf8_is_400(api, requester):
    body = api.post("/requester/hits", token=token(requester), data=b'{"title": "\xff"}',
                    content_type="application/json", expect=400)
    assert body["error"]["fields"] == {"body": "is not UTF-8 text"}


def test_body_unknown_field_is_400_naming_it(api, requester):
    body = api.post("/requester/hits", token=token(requester), json=CREATE_BODY | {"rewrd": "0.10"},
                    expect=400)
    assert body["error"]["fields"] == {"rewrd": "is not a known field"}


def test_openapi_document_bad_query_is_400(api):
    body = api.get("/openapi.json", query={"format": "yaml"}, expect=400)
    assert body["error"]["fields"] == {"format": "is not a known field"}


def test_query_unknown_parameter_is_400_naming_it(api, requester):
    body = api.get("/requester/hits", token=token(requester), query={"page": "2"}, expect=400)
    assert body["error"]["fields"] == {"page": "is not a known field"}


def test_query_parameter_given_twice_is_400(api, requester):
    body = api.get("/requester/hits", token=token(requester), query={"limit": ["5", "6"]}, expect=400)
    assert body["error"]["fields"] == {"limit": "give this parameter once"}


def test_http_unknown_path_is_json_404(api):
    body = api.get("/no/such/thing", expect=404)
    assert body["error"]["code"] == "not_found"


def test_http_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/v1/worker/hits")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_http_paths_outside_the_api_keep_their_own_404(client):
    response = client.get("/no-such-page-outside-the-api")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_http_body_over_the_size_limit_is_json_413(runtime, settings, requester):
    app = create_app(replace(settings, web=replace(settings.web, max_request_bytes=1024)), runtime=runtime)
    response = app.test_client().post("/api/v1/requester/hits", json=CREATE_BODY | {"question": "x" * 4096},
                                      headers={"Authorization": f"Bearer {token(requester)}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert hits.list_hits(runtime, requester.actor).items == []


def test_http_server_failure_is_json_500_without_details(settings, tmp_path, caplog):
    broken = Runtime(settings=settings, engine=make_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite"),
                     backend=InlineBackend())
    client = create_app(settings, runtime=broken, check_schema=False).test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/worker/hits", headers={"Authorization": "Bearer some-token"})
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error",
                                             "message": "The server failed to handle this request."}}
    assert b"Traceback" not in response.data and b"sqlite" not in response.data.lower()
    assert any("Unhandled error on GET /api/v1/worker/hits" in r.getMessage() for r in caplog.records)


def test_http_domain_state_error_is_409(api, runtime, factory, requester):
    hit = factory.hit(requester.actor)
    body = api.delete(f"/requester/hits/{hit.public_id}", token=token(requester), expect=409)
    assert body["error"]["code"] == "invalid_state"
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.ASSIGNABLE
