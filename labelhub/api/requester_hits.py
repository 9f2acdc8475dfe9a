"""The requester's HITs: create, list, inspect, expire, extend, delete, and review their assignments."""

from __future__ import annotations

from typing import Any

from labelhub.api import parsing, schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.models import ANSWERED_STATUSES, HIT, AssignmentStatus
from labelhub.services import assignments, batches, hits
from labelhub.services.actors import Actor

routes = Routes(tag="Requester: HITs", prefix="/requester", role="requester")


def hit_document(found: HIT) -> dict[str, Any]:
    """The requester's HIT document, naming its batch."""
    return serializers.hit(found, hits.batch_public_ids(runtime(), [found]))


@routes.post("/hits", summary="Create a HIT (201), or get the first one back for a repeated "
             "unique_request_token (200)", body=schemas.CREATE_HIT, response=ref("HIT"), status=201,
             replay_status=200)
def create_hit(actor: Actor, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    created = hits.create_hit(runtime(), actor, parsing.create_hit(body))
    return hit_document(created.value), 200 if created.replayed else 201


@routes.get("/hits", summary="The requester's HITs, oldest first (deleted ones excluded); batch_id: one "
            "batch's", query=schemas.HITS_QUERY, response=page_of("HIT"))
def list_hits(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    rt = runtime()
    batch = query.get("batch_id")
    found = hits.list_hits(rt, actor, cursor=query.get("cursor"), limit=query["limit"],
                           batch_id=None if batch is None else batches.batch_id_for(rt, actor, batch))
    ids = hits.batch_public_ids(rt, found.items)
    return serializers.page(found, lambda one: serializers.hit(one, ids))


@routes.get("/hits/<hit_id>", summary="One of the requester's HITs", response=ref("HIT"))
def get_hit(actor: Actor, hit_id: str) -> dict[str, Any]:
    return hit_document(hits.get_hit(runtime(), actor, hit_id))


@routes.get("/hits/<hit_id>/history", summary="Every state change of the HIT and its assignments, in order",
            query=schemas.PAGE, response=page_of("Event"))
def get_hit_history(actor: Actor, hit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    found = hits.hit_history(runtime(), actor, hit_id, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.event)


@routes.post("/hits/<hit_id>/expire", summary="Stop the HIT taking new workers now", response=ref("HIT"))
def expire_hit(actor: Actor, hit_id: str) -> dict[str, Any]:
    rt = runtime()
    return hit_document(hits.update_expiration(rt, actor, hit_id, rt.clock()))


@routes.post("/hits/<hit_id>/additional-assignments", summary="Add assignments to a HIT",
             body=schemas.ADD_ASSIGNMENTS, response=ref("HIT"))
def add_assignments(actor: Actor, hit_id: str, body: dict[str, Any]) -> dict[str, Any]:
    extended = hits.create_additional_assignments(
        runtime(), actor, hit_id, body["number_of_additional_assignments"],
        unique_request_token=body.get("unique_request_token"))
    return hit_document(extended.value)


@routes.delete("/hits/<hit_id>", summary="Delete a Reviewable or Reviewing HIT whose work is all decided",
               response=ref("HIT"))
def delete_hit(actor: Actor, hit_id: str) -> dict[str, Any]:
    return hit_document(hits.delete_hit(runtime(), actor, hit_id))


@routes.get("/hits/<hit_id>/assignments", summary="Submitted, approved and rejected assignments of a HIT",
            query=schemas.HIT_ASSIGNMENTS_QUERY, response=page_of("Assignment"))
def list_hit_assignments(actor: Actor, hit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    wanted = tuple(AssignmentStatus(s) for s in query.get("status", ())) or ANSWERED_STATUSES
    found = assignments.list_for_hit(runtime(), actor, hit_id, statuses=wanted, cursor=query.get("cursor"),
                                     limit=query["limit"])
    return serializers.page(found, serializers.assignment)


@routes.post("/assignments/<assignment_id>/approve", summary="Approve a submitted assignment and pay it",
             body=schemas.APPROVE, response=ref("Assignment"))
def approve_assignment(actor: Actor, assignment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    approved = assignments.approve(runtime(), actor, assignment_id, feedback=body.get("requester_feedback"),
                                   override_rejection=body["override_rejection"])
    return serializers.assignment(approved)


@routes.post("/assignments/<assignment_id>/reject", summary="Reject a submitted assignment",
             body=schemas.REJECT, response=ref("Assignment"))
def reject_assignment(actor: Actor, assignment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    rejected = assignments.reject(runtime(), actor, assignment_id, feedback=body["requester_feedback"])
    return serializers.assignment(rejected)
