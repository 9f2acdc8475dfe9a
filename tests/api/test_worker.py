"""The worker endpoints: each one's success, its bad input (400 naming the field), and another
user's objects (answered as unknown ids, 404, nothing changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labelhub.models import AssignmentStatus, Comparator, GuardedAction
from labelhub.services import assignments, hits, qualifications, workers
from labelhub.services.commands import NotifyWorkers, QualificationTypeSpec, RequirementSpec
from tests.api.conftest import assignment_of, token

LABEL_SCHEMA = {"type": "object", "required": ["label"],
                "properties": {"label": {"type": "string", "enum": ["cat", "dog"]}}}


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def requirement_type(runtime, requester, name="Expert"):
    return qualifications.create_type(runtime, requester.actor,
                                      QualificationTypeSpec(name=name, description="d"))


# GET /worker/hits ---------------------------------------------------------------------------------------

def test_list_hits_shows_open_hits_to_workers(api, factory, requester, worker):
    hit = factory.hit(requester.actor, max_assignments=2)
    body = api.get("/worker/hits", token=token(worker))
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["hit_id"] == hit.public_id
    assert (item["reward"], item["assignments_available"], item["can_accept"]) == ("0.50", 2, True)
    assert item["expires_at"].endswith("Z")
    assert "requester_annotation" not in item and "question" not in item


@pytest.mark.parametrize(("query", "field", "problem"), [
    ({"limit": "0"}, "limit", "must be at least 1"),
    ({"limit": "101"}, "limit", "must be at most 100"),
    ({"limit": "ten"}, "limit", "must be an integer"),
    ({"cursor": "%%%"}, "cursor", "is not a cursor this server issued"),
])
def test_list_hits_bad_paging_is_400(api, worker, query, field, problem):
    body = api.get("/worker/hits", token=token(worker), query=query, expect=400)
    assert body["error"]["fields"] == {field: problem}


def test_list_hits_hides_hits_of_a_requester_who_blocked_the_worker(api, runtime, factory, requester,
                                                                      other_requester, worker):
    factory.hit(requester.actor)
    visible = factory.hit(other_requester.actor)
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    items = api.get("/worker/hits", token=token(worker))["items"]
    assert [i["hit_id"] for i in items] == [visible.public_id]


def test_list_hits_pagination_walks_more_than_100_hits_without_repeats(api, factory, requester, worker):
    created = {factory.hit(requester.actor, max_assignments=1).public_id for _ in range(105)}
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "40"} | ({"cursor": cursor} if cursor else {})
        body = api.get("/worker/hits", token=token(worker), query=query)
        seen += [i["hit_id"] for i in body["items"]]
        pages, cursor = pages + 1, body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 105
    assert set(seen) == created


# GET /worker/hits/<id> ------------------------------------------------------------------------------------

def test_preview_hit_shows_the_question_not_the_annotation(api, factory, requester, worker):
    hit = factory.hit(requester.actor, requester_annotation="batch-7", answer_schema=LABEL_SCHEMA)
    body = api.get(f"/worker/hits/{hit.public_id}", token=token(worker))
    assert body["question"] == hit.question
    assert body["answer_schema"] == LABEL_SCHEMA
    assert "requester_annotation" not in body


def test_preview_hit_bad_marketplace_is_400(api, factory, requester, worker):
    hit = factory.hit(requester.actor)
    body = api.get(f"/worker/hits/{hit.public_id}", token=token(worker), query={"marketplace": "x"},
                   expect=400)
    assert set(body["error"]["fields"]) == {"marketplace"}


def test_preview_hit_guarded_by_an_unmet_requirement_is_403(api, runtime, factory, requester, worker):
    qtype = requirement_type(runtime, requester)
    spec = factory.hit_type_spec(requirements=(RequirementSpec(
        qtype.public_id, Comparator.EXISTS, actions_guarded=GuardedAction.PREVIEW_AND_ACCEPT),))
    hit = factory.hit(requester.actor, hit_type=spec)
    assert api.get(f"/worker/hits/{hit.public_id}", token=token(worker), expect=403)["error"]["code"] == \
        "permission_denied"


def test_preview_hit_unknown_is_404(api, worker):
    api.get("/worker/hits/NOSUCHHIT", token=token(worker), expect=404)


# POST /worker/hits/<id>/accept ----------------------------------------------------------------------------

def test_accept_hit_creates_an_assignment(api, runtime, factory, requester, worker, clock):
    hit = factory.hit(requester.actor, max_assignments=2)
    body = api.post(f"/worker/hits/{hit.public_id}/accept", token=token(worker), expect=201)
    assert (body["hit_id"], body["worker_id"]) == (hit.public_id, worker.actor.public_id)
    assert body["status"] == "Accepted"
    assert body["accepted_at"] == iso(clock.now)
    assert body["deadline"] == iso(clock.now + timedelta(seconds=600))
    assert hits.get_hit(runtime, requester.actor, hit.public_id).pending_count == 1
    assert assignment_of(runtime, worker, body["assignment_id"]).status is AssignmentStatus.ACCEPTED


def test_accept_hit_bad_query_is_400(api, factory, requester, worker, runtime):
    hit = factory.hit(requester.actor)
    body = api.post(f"/worker/hits/{hit.public_id}/accept", token=token(worker), query={"limit": "1"},
                    expect=400)
    assert body["error"]["fields"] == {"limit": "is not a known field"}
    assert hits.get_hit(runtime, requester.actor, hit.public_id).pending_count == 0


def test_accept_hit_twice_is_409(api, runtime, accepted, worker, requester):
    body = api.post(f"/worker/hits/{accepted.hit_id}/accept", token=token(worker), expect=409)
    assert body["error"]["code"] == "invalid_state"
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).pending_count == 1


def test_accept_hit_of_a_requester_who_blocked_the_worker_is_refused(api, runtime, factory, requester,
                                                                     worker):
    hit = factory.hit(requester.actor)
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    api.post(f"/worker/hits/{hit.public_id}/accept", token=token(worker), expect=404)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).pending_count == 0
    assert assignments.list_for_worker(runtime, worker.actor).items == []


# POST /worker/assignments/<id>/submit ---------------------------------------------------------------------

def test_submit_assignment_stores_answer_and_signals(api, runtime, accepted, worker, requester):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/submit", token=token(worker),
                    json={"answer": {"label": "cat"}, "signals": {"pastes": 0, "seconds": 12.5}})
    assert (body["status"], body["answer"], body["signals"]) == ("Submitted", {"label": "cat"},
                                                                 {"pastes": 0, "seconds": 12.5})
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).submitted_count == 1


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"answer": "is required"}),
    ({"answer": "cat"}, {"answer": "must be a JSON object"}),
    ({"answer": {"label": "cat"}, "signals": [1]}, {"signals": "must be a JSON object or null"}),
    ({"answer": {"label": "cat"}, "signals": {"nested": {"a": 1}}},
     {"signals.nested": "must be a string or a number or true or false or null"}),
    ({"answer": {"label": "cow"}}, {"answer.label": "'cow' is not one of ['cat', 'dog']"}),
])
def test_submit_assignment_bad_input_is_400_and_keeps_it_accepted(api, runtime, factory, requester, worker,
                                                                    payload, fields):
    hit = factory.hit(requester.actor, answer_schema=LABEL_SCHEMA)
    held = assignments.accept(runtime, worker.actor, hit.public_id)
    body = api.post(f"/worker/assignments/{held.public_id}/submit", token=token(worker), json=payload,
                    expect=400)
    assert body["error"]["fields"] == fields
    assert assignment_of(runtime, worker, held.public_id).status is AssignmentStatus.ACCEPTED


def test_submit_assignment_malformed_json_is_400(api, accepted, worker):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/submit", token=token(worker),
                    data="{answer", content_type="application/json", expect=400)
    assert "body" in body["error"]["fields"]


def test_submit_another_workers_assignment_is_404_and_changes_nothing(api, runtime, accepted, worker,
                                                                       other_worker):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/submit", token=token(other_worker),
                    json={"answer": {"label": "dog"}}, expect=404)
    assert body["error"] == {"code": "not_found",
                             "message": f"Assignment {accepted.assignment_id} does not exist."}
    found = assignment_of(runtime, worker, accepted.assignment_id)
    assert (found.status, found.answer) == (AssignmentStatus.ACCEPTED, None)


def test_submit_after_the_deadline_is_409(api, runtime, accepted, worker, clock):
    clock.advance(seconds=601)
    api.post(f"/worker/assignments/{accepted.assignment_id}/submit", token=token(worker),
             json={"answer": {"label": "cat"}}, expect=409)
    assert assignment_of(runtime, worker, accepted.assignment_id).status is AssignmentStatus.ACCEPTED


# POST /worker/assignments/<id>/return ---------------------------------------------------------------------

def test_return_assignment_reopens_the_slot(api, runtime, accepted, worker, requester):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/return", token=token(worker))
    assert body["status"] == "Returned" and body["ended_at"] is not None
    hit = hits.get_hit(runtime, requester.actor, accepted.hit_id)
    assert (hit.pending_count, hit.available_count) == (0, 3)


def test_return_assignment_bad_query_is_400(api, runtime, accepted, worker):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/return", token=token(worker),
                    query={"marketplace": "PRODUCTION"}, expect=400)
    assert set(body["error"]["fields"]) == {"marketplace"}
    assert assignment_of(runtime, worker, accepted.assignment_id).status is AssignmentStatus.ACCEPTED


def test_return_another_workers_assignment_is_404_and_changes_nothing(api, runtime, accepted, worker,
                                                                       other_worker):
    body = api.post(f"/worker/assignments/{accepted.assignment_id}/return", token=token(other_worker),
                    expect=404)
    assert body["error"] == {"code": "not_found",
                             "message": f"Assignment {accepted.assignment_id} does not exist."}
    assert assignment_of(runtime, worker, accepted.assignment_id).status is AssignmentStatus.ACCEPTED


def test_return_a_submitted_assignment_is_409(api, runtime, submitted, worker):
    api.post(f"/worker/assignments/{submitted.assignment_id}/return", token=token(worker), expect=409)
    assert assignment_of(runtime, worker, submitted.assignment_id).status is AssignmentStatus.SUBMITTED


# GET /worker/assignments, GET /worker/assignments/<id> ----------------------------------------------------

def test_list_my_assignments_filters_by_status(api, runtime, factory, requester, worker, submitted):
    other_hit = factory.hit(requester.actor)
    held = assignments.accept(runtime, worker.actor, other_hit.public_id)
    everything = api.get("/worker/assignments", token=token(worker))["items"]
    assert [a["assignment_id"] for a in everything] == [submitted.assignment_id, held.public_id]
    only = api.get("/worker/assignments", token=token(worker), query={"status": ["Accepted", "Returned"]})
    assert [a["assignment_id"] for a in only["items"]] == [held.public_id]


def test_list_my_assignments_bad_status_is_400(api, worker):
    body = api.get("/worker/assignments", token=token(worker), query={"status": "Done"}, expect=400)
    assert body["error"]["fields"] == {
        "status[0]": "must be one of: Accepted, Submitted, Approved, Rejected, Returned, Abandoned"}


def test_list_my_assignments_never_shows_another_workers(api, accepted, other_worker):
    assert api.get("/worker/assignments", token=token(other_worker))["items"] == []


def test_get_my_assignment(api, submitted, worker):
    body = api.get(f"/worker/assignments/{submitted.assignment_id}", token=token(worker))
    assert (body["assignment_id"], body["status"], body["answer"]) == (submitted.assignment_id, "Submitted",
                                                                        {"label": "cat"})


def test_get_my_assignment_bad_query_is_400(api, submitted, worker):
    body = api.get(f"/worker/assignments/{submitted.assignment_id}", token=token(worker), query={"x": "1"},
                   expect=400)
    assert body["error"]["fields"] == {"x": "is not a known field"}


def test_get_another_workers_assignment_is_404_like_an_unknown_one(api, submitted, other_worker):
    theirs = api.get(f"/worker/assignments/{submitted.assignment_id}", token=token(other_worker), expect=404)
    unknown = api.get("/worker/assignments/NOSUCHASSIGNMENT", token=token(other_worker), expect=404)
    assert theirs["error"] == {"code": "not_found",
                               "message": f"Assignment {submitted.assignment_id} does not exist."}
    assert unknown["error"] == {"code": "not_found", "message": "Assignment NOSUCHASSIGNMENT does not exist."}


# GET /worker/earnings -------------------------------------------------------------------------------------

def test_earnings_count_approved_and_pending_rewards(api, runtime, factory, requester, worker, submitted):
    second = factory.hit(requester.actor)
    held = assignments.accept(runtime, worker.actor, second.public_id)
    assignments.submit(runtime, worker.actor, held.public_id, {"label": "dog"})
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    assert api.get("/worker/earnings", token=token(worker)) == {"paid": "0.50", "pending": "0.50",
                                                                  "currency": "USD"}


def test_earnings_bad_query_is_400(api, worker):
    body = api.get("/worker/earnings", token=token(worker), query={"since": "2026-01-01"}, expect=400)
    assert body["error"]["fields"] == {"since": "is not a known field"}


def test_earnings_do_not_include_another_workers(api, runtime, requester, submitted, other_worker):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    assert api.get("/worker/earnings", token=token(other_worker))["paid"] == "0.00"


# GET /worker/messages -------------------------------------------------------------------------------------

def test_messages_list_the_inbox(api, runtime, requester, worker, submitted):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    workers.notify(runtime, requester.actor, NotifyWorkers("Thanks", "Good work", (worker.actor.public_id,)))
    [message] = api.get("/worker/messages", token=token(worker))["items"]
    assert (message["subject"], message["body"], message["read_at"]) == ("Thanks", "Good work", None)


def test_messages_bad_limit_is_400(api, worker):
    body = api.get("/worker/messages", token=token(worker), query={"limit": "-1"}, expect=400)
    assert body["error"]["fields"] == {"limit": "must be at least 1"}


def test_messages_of_another_worker_are_not_shown(api, runtime, requester, worker, other_worker, submitted):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    workers.notify(runtime, requester.actor, NotifyWorkers("Thanks", "Good work", (worker.actor.public_id,)))
    assert api.get("/worker/messages", token=token(other_worker))["items"] == []


# GET /worker/qualifications -------------------------------------------------------------------------------

def test_my_qualifications_list_granted_scores(api, runtime, requester, worker):
    qtype = requirement_type(runtime, requester)
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 80)
    body = api.get("/worker/qualifications", token=token(worker))
    assert body["next_cursor"] is None
    [held] = body["items"]
    assert (held["qualification_type_id"], held["name"], held["worker_id"]) == (
        qtype.public_id, "Expert", worker.actor.public_id)
    assert (held["integer_value"], held["status"]) == (80, "Granted")


def test_my_qualifications_bad_query_is_400(api, worker):
    body = api.get("/worker/qualifications", token=token(worker), query={"marketplace": ""}, expect=400)
    assert set(body["error"]["fields"]) == {"marketplace"}


def test_my_qualifications_never_show_another_workers(api, runtime, requester, worker, other_worker):
    qtype = requirement_type(runtime, requester)
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 80)
    assert api.get("/worker/qualifications", token=token(other_worker))["items"] == []


# POST /worker/qualification-types/<id>/requests -----------------------------------------------------------

def test_request_qualification_waits_for_the_requester(api, runtime, requester, worker):
    qtype = requirement_type(runtime, requester)
    body = api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker),
                    expect=201)
    assert (body["qualification_type_id"], body["worker_id"], body["status"]) == (
        qtype.public_id, worker.actor.public_id, "Pending")
    [pending] = qualifications.list_requests(runtime, requester.actor).items
    assert pending.public_id == body["qualification_request_id"]


def test_request_auto_granted_qualification_grants_it(api, runtime, requester, worker):
    qtype = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Open", description="d", auto_granted=True, auto_granted_value=7))
    body = api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker),
                    json={}, expect=201)
    assert (body["status"], body["score"]) == ("Accepted", 7)
    assert qualifications.get_score(runtime, requester.actor, qtype.public_id,
                                    worker.actor.public_id).integer_value == 7


def test_request_qualification_answers_must_be_an_object(api, runtime, requester, worker):
    qtype = requirement_type(runtime, requester)
    body = api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker),
                    json={"answers": ["a"]}, expect=400)
    assert body["error"]["fields"] == {"answers": "must be a JSON object"}
    assert qualifications.list_requests(runtime, requester.actor).items == []


def test_request_qualification_twice_is_409_and_keeps_one_request(api, runtime, requester, worker):
    qtype = requirement_type(runtime, requester)
    api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker), expect=201)
    api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker), expect=409)
    assert len(qualifications.list_requests(runtime, requester.actor).items) == 1


def test_request_qualification_of_a_deleted_type_is_404(api, runtime, requester, worker):
    qtype = requirement_type(runtime, requester)
    qualifications.delete_type(runtime, requester.actor, qtype.public_id)
    api.post(f"/worker/qualification-types/{qtype.public_id}/requests", token=token(worker), expect=404)
