"""The requester's qualification types, the workers who hold them, and workers' requests for them."""

from __future__ import annotations

from typing import Any

from labelhub.api import parsing, schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.models import QualificationStatus
from labelhub.services import qualifications
from labelhub.services.actors import Actor
from labelhub.services.qualifications import TypeView

routes = Routes(tag="Requester: qualifications", prefix="/requester", role="requester")
TYPE = "/qualification-types/<qualification_type_id>"


@routes.post("/qualification-types", summary="Create a qualification type",
             body=schemas.CREATE_QUALIFICATION_TYPE, response=ref("QualificationType"), status=201)
def create_qualification_type(actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    created = qualifications.create_type(runtime(), actor, parsing.qualification_type_spec(body))
    return serializers.qualification_type(TypeView.of(created))


@routes.get("/qualification-types", summary="Search qualification types (by default the requester's own)",
            query=schemas.QUALIFICATION_TYPES_QUERY, response=page_of("QualificationType"))
def list_qualification_types(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = qualifications.list_types(
        runtime(), actor, query=query.get("query"), must_be_requestable=query["must_be_requestable"],
        must_be_owned_by_caller=query["must_be_owned_by_caller"], cursor=query.get("cursor"),
        limit=query["limit"])
    return serializers.page(found, serializers.qualification_type)


@routes.get(TYPE, summary="A qualification type (the answer key only for its owner)",
            response=ref("QualificationType"))
def get_qualification_type(actor: Actor, qualification_type_id: str) -> dict[str, Any]:
    return serializers.qualification_type(qualifications.get_type(runtime(), actor, qualification_type_id))


@routes.patch(TYPE, summary="Change a qualification type", body=schemas.UPDATE_QUALIFICATION_TYPE,
              response=ref("QualificationType"))
def update_qualification_type(actor: Actor, qualification_type_id: str,
                              body: dict[str, Any]) -> dict[str, Any]:
    change = parsing.qualification_type_update(body)
    updated = qualifications.update_type(runtime(), actor, qualification_type_id, change)
    return serializers.qualification_type(TypeView.of(updated))


@routes.delete(TYPE, summary="Delete a qualification type (live HITs that require it are expired)",
               status=204)
def delete_qualification_type(actor: Actor, qualification_type_id: str) -> tuple[str, int]:
    qualifications.delete_type(runtime(), actor, qualification_type_id)
    return "", 204


@routes.put(TYPE + "/workers/<worker_id>", summary="Grant a qualification or set a worker's score",
            body=schemas.SCORE, response=ref("Qualification"))
def grant_qualification(actor: Actor, qualification_type_id: str, worker_id: str,
                        body: dict[str, Any]) -> dict[str, Any]:
    granted = qualifications.grant(runtime(), actor, qualification_type_id, worker_id, body["value"])
    return serializers.qualification(granted, worker_id=worker_id)


@routes.delete(TYPE + "/workers/<worker_id>", summary="Revoke a worker's qualification",
               query=schemas.REASON_QUERY, status=204)
def revoke_qualification(actor: Actor, qualification_type_id: str, worker_id: str,
                         query: dict[str, Any]) -> tuple[str, int]:
    qualifications.revoke(runtime(), actor, qualification_type_id, worker_id, query.get("reason"))
    return "", 204


@routes.get(TYPE + "/workers/<worker_id>", summary="A worker's score on the type",
            response=ref("Qualification"))
def get_qualification_score(actor: Actor, qualification_type_id: str, worker_id: str) -> dict[str, Any]:
    found = qualifications.get_score(runtime(), actor, qualification_type_id, worker_id)
    return serializers.qualification(found, worker_id=worker_id)


@routes.get(TYPE + "/workers", summary="Workers who hold the type", query=schemas.QUALIFIED_WORKERS_QUERY,
            response=page_of("Qualification"))
def list_qualified_workers(actor: Actor, qualification_type_id: str, query: dict[str, Any]) -> dict[str, Any]:
    status = QualificationStatus(query["status"]) if "status" in query else None
    found = qualifications.list_workers(runtime(), actor, qualification_type_id, status=status,
                                        cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.qualification)


@routes.get("/qualification-requests", summary="Pending requests for the requester's types",
            query=schemas.QUALIFICATION_REQUESTS_QUERY, response=page_of("QualificationRequest"))
def list_qualification_requests(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = qualifications.list_requests(runtime(), actor, query.get("qualification_type_id"),
                                         cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.qualification_request)


@routes.post("/qualification-requests/<request_id>/accept",
             summary="Grant the qualification a worker asked for", body=schemas.ACCEPT_REQUEST,
             response=ref("QualificationRequest"))
def accept_qualification_request(actor: Actor, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    accepted = qualifications.accept_request(runtime(), actor, request_id, body["value"])
    return serializers.qualification_request(accepted)


@routes.post("/qualification-requests/<request_id>/reject", summary="Refuse a worker's qualification request",
             body=schemas.REJECT_REQUEST, response=ref("QualificationRequest"))
def reject_qualification_request(actor: Actor, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    rejected = qualifications.reject_request(runtime(), actor, request_id, body.get("reason"))
    return serializers.qualification_request(rejected)
