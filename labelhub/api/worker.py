"""The worker's side of the REST API: find HITs, accept, submit or return them, and see earnings,
messages and qualifications."""

from __future__ import annotations

from typing import Any

from labelhub.api import schemas, serializers
from labelhub.api.responses import page_of, ref
from labelhub.api.routing import Routes, runtime
from labelhub.models import AssignmentStatus
from labelhub.services import assignments, payments, qualifications, worker_pages, workers
from labelhub.services.actors import Actor

routes = Routes(tag="Worker", prefix="/worker", role="worker")


@routes.get("/hits", summary="HITs the worker may discover, oldest first", query=schemas.PAGE,
            response=page_of("HITListing"))
def list_available_hits(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = workers.available_hits(runtime(), actor, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.hit_listing)


@routes.get("/hits/<hit_id>", summary="Preview a HIT", response=ref("HITPreview"))
def preview_hit(actor: Actor, hit_id: str) -> dict[str, Any]:
    return serializers.hit_preview(*worker_pages.preview_task(runtime(), actor, hit_id))


@routes.post("/hits/<hit_id>/accept", summary="Accept a HIT: take one of its assignments",
             response=ref("Assignment"), status=201)
def accept_hit(actor: Actor, hit_id: str) -> dict[str, Any]:
    accepted = assignments.accept(runtime(), actor, hit_id)
    return serializers.assignment(accepted, worker_id=actor.public_id)


@routes.post("/assignments/<assignment_id>/submit", summary="Submit the answer of an accepted assignment",
             body=schemas.SUBMIT, response=ref("Assignment"))
def submit_assignment(actor: Actor, assignment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    submitted = assignments.submit(runtime(), actor, assignment_id, body["answer"], body.get("signals"))
    return serializers.assignment(submitted, worker_id=actor.public_id)


@routes.post("/assignments/<assignment_id>/return", summary="Give an accepted assignment back",
             response=ref("Assignment"))
def return_assignment(actor: Actor, assignment_id: str) -> dict[str, Any]:
    returned = assignments.return_assignment(runtime(), actor, assignment_id)
    return serializers.assignment(returned, worker_id=actor.public_id)


@routes.get("/assignments", summary="The worker's assignments", query=schemas.WORKER_ASSIGNMENTS_QUERY,
            response=page_of("Assignment"))
def list_my_assignments(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    wanted = tuple(AssignmentStatus(s) for s in query.get("status", ()))
    found = assignments.list_for_worker(runtime(), actor, statuses=wanted or None, cursor=query.get("cursor"),
                                        limit=query["limit"])
    return serializers.page(found, lambda a: serializers.assignment(a, worker_id=actor.public_id))


@routes.get("/assignments/<assignment_id>", summary="One of the worker's assignments",
            response=ref("Assignment"))
def get_my_assignment(actor: Actor, assignment_id: str) -> dict[str, Any]:
    found = assignments.get_assignment(runtime(), actor, assignment_id)
    return serializers.assignment(found, worker_id=actor.public_id)


@routes.get("/earnings", summary="Money paid to the worker, and rewards awaiting approval",
            response=ref("Earnings"))
def get_earnings(actor: Actor) -> dict[str, Any]:
    rt = runtime()
    return serializers.earnings(payments.worker_earnings(rt, actor), rt.settings.money.currency)


@routes.get("/messages", summary="Messages requesters sent the worker", query=schemas.PAGE,
            response=page_of("Message"))
def list_messages(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = workers.inbox(runtime(), actor, cursor=query.get("cursor"), limit=query["limit"])
    return serializers.page(found, serializers.message)


@routes.get("/qualifications", summary="The worker's qualifications", query=schemas.PAGE,
            response=page_of("Qualification"))
def list_my_qualifications(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    found = qualifications.worker_qualifications(runtime(), actor, cursor=query.get("cursor"),
                                                 limit=query["limit"])
    return serializers.page(found, serializers.qualification)


@routes.post("/qualification-types/<qualification_type_id>/requests", summary="Request a qualification",
             body=schemas.QUALIFICATION_REQUEST, response=ref("QualificationRequest"), status=201)
def request_qualification(actor: Actor, qualification_type_id: str, body: dict[str, Any]) -> dict[str, Any]:
    made = qualifications.request(runtime(), actor, qualification_type_id, body.get("answers"))
    return serializers.qualification_request(made, worker_id=actor.public_id)
