"""The requester's HIT endpoints and assignment review: success, bad input naming the field, and another
requester's objects answered as unknown ids (404) with nothing changed."""

from __future__ import annotations

import pytest

from labelhub.models import AssignmentStatus, HITStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments
from tests.api.conftest import assignment_of, token

CREATE = {"title": "Is there a cat?", "description": "Look at the photo.", "reward": "0.50",
          "assignment_duration_seconds": 600, "auto_approval_delay_seconds": 86_400,
          "keywords": "image, cats", "question": "<p>cat?</p>", "lifetime_seconds": 3600,
          "max_assignments": 3}


def balance(runtime, handle):
    found = payments.balance(runtime, handle.actor)
    return found.available_micros, found.on_hold_micros


# POST /requester/hits --------------------------------------------------------------------------------------

def test_create_hit_returns_it_and_holds_its_cost(api, runtime, requester):
    body = api.post("/requester/hits", token=token(requester), expect=201, json=CREATE | {
        "requester_annotation": "row-1",
        "answer_schema": {"type": "object"},
        "qualification_requirements": [
            {"qualification_type_id": "00000000000000000071", "comparator": "In",
             "locale_values": [{"country": "US", "subdivision": "WA"}, {"country": "CA"}]},
            {"qualification_type_id": "00000000000000000040", "comparator": "GreaterThan",
             "integer_values": [10], "actions_guarded": "DiscoverPreviewAndAccept"}]})
    assert (body["title"], body["reward"], body["fee_per_assignment"], body["max_assignments"]) == (
        "Is there a cat?", "0.50", "0.10", 3)
    assert (body["status"], body["assignments_available"]) == ("Assignable", 3)
    assert body["requester_annotation"] == "row-1"
    assert body["qualification_requirements"] == [
        {"qualification_type_id": "00000000000000000071", "comparator": "In", "integer_values": [],
         "locale_values": [{"country": "US", "subdivision": "WA"}, {"country": "CA", "subdivision": None}],
         "actions_guarded": "Accept"},
        {"qualification_type_id": "00000000000000000040", "comparator": "GreaterThan", "integer_values": [10],
         "locale_values": [], "actions_guarded": "DiscoverPreviewAndAccept"}]
    assert hits.get_hit(runtime, requester.actor, body["hit_id"]).max_assignments == 3
    assert balance(runtime, requester) == (parse_amount("98.20"), parse_amount("1.80"))


def test_create_hit_with_an_existing_hit_type(api, runtime, factory, requester):
    first = factory.hit(requester.actor)
    body = api.post("/requester/hits", token=token(requester), expect=201, json={
        "hit_type_id": first.hit_type.public_id, "question": "<p>again</p>", "lifetime_seconds": 600})
    assert (body["hit_type_id"], body["title"], body["max_assignments"]) == (first.hit_type.public_id,
                                                                              "Is there a cat?", 1)


def test_create_hit_replayed_token_returns_the_first_hit_once(api, runtime, requester):
    payload = CREATE | {"unique_request_token": "batch-42-row-1"}
    first = api.post("/requester/hits", token=token(requester), json=payload, expect=201)
    again = api.post("/requester/hits", token=token(requester), json=payload, expect=200)
    assert again["hit_id"] == first["hit_id"]
    assert [h.public_id for h in hits.list_hits(runtime, requester.actor).items] == [first["hit_id"]]
    assert balance(runtime, requester) == (parse_amount("98.20"), parse_amount("1.80"))


@pytest.mark.parametrize(("change", "fields"), [
    ({"title": None}, {"title": "must be a string"}),
    ({"reward": "0.5.0"}, {"reward": "must be an amount such as 0.50 (at most two decimals)"}),
    ({"reward": 0.5}, {"reward": "must be a string"}),
    ({"lifetime_seconds": 10}, {"lifetime_seconds": "must be at least 30"}),
    ({"max_assignments": "3"}, {"max_assignments": "must be an integer"}),
    ({"max_assignments": 0}, {"max_assignments": "must be at least 1"}),
    ({"assignment_duration_seconds": 5}, {"assignment_duration_seconds": "must be at least 30"}),
    ({"title": "x" * 129}, {"title": "must be at most 128 characters (got 129)"}),
    ({"answer_schema": {"type": "strange"}}, {"answer_schema": "is not a valid JSON Schema: 'strange' is not "
                                                               "valid under any of the given schemas"}),
    ({"qualification_requirements": [{"qualification_type_id": "X", "comparator": "Above"}]},
     {"qualification_requirements[0].comparator": "must be one of: LessThan, LessThanOrEqualTo, GreaterThan, "
                                                  "GreaterThanOrEqualTo, EqualTo, NotEqualTo, Exists, "
                                                  "DoesNotExist, In, NotIn"}),
    ({"qualification_requirements": [{"qualification_type_id": "X", "comparator": "EqualTo"}]},
     {"qualification_requirements[0]": "EqualTo and NotEqualTo take exactly one value"}),
    ({"qualification_requirements": [{"qualification_type_id": "00000000000000000071",
                                      "comparator": "EqualTo",
                                      "locale_values": [{"country": "usa"}]}]},
     {"qualification_requirements[0].locale_values[0].country":
          "must be an ISO 3166-1 alpha-2 code such as US"}),
    ({"hit_type_id": "HT1"}, {name: "is not allowed together with hit_type_id" for name in (
        "title", "description", "reward", "assignment_duration_seconds", "auto_approval_delay_seconds",
        "keywords")}),
])
def test_create_hit_bad_input_is_400_naming_the_field_and_creates_nothing(api, runtime, requester, change,
                                                                          fields):
    body = api.post("/requester/hits", token=token(requester), json=CREATE | change, expect=400)
    assert body["error"]["fields"] == fields
    assert hits.list_hits(runtime, requester.actor).items == []
    assert balance(runtime, requester) == (parse_amount("100.00"), 0)


def test_create_hit_missing_fields_are_each_named(api, requester):
    body = api.post("/requester/hits", token=token(requester), json={}, expect=400)
    assert body["error"]["fields"] == dict.fromkeys(
        ["question", "lifetime_seconds", "title", "description", "reward", "assignment_duration_seconds"],
        "is required")


def test_create_hit_with_another_requesters_hit_type_is_404_and_creates_nothing(
        api, runtime, factory, requester, other_requester):
    theirs = factory.hit(other_requester.actor)
    body = api.post("/requester/hits", token=token(requester), expect=404, json={
        "hit_type_id": theirs.hit_type.public_id, "question": "<p>mine?</p>", "lifetime_seconds": 600})
    assert body["error"] == {"code": "not_found",
                             "message": f"HITType {theirs.hit_type.public_id} does not exist"}
    assert hits.list_hits(runtime, requester.actor).items == []
    assert [h.public_id for h in hits.list_hits(runtime, other_requester.actor).items] == [theirs.public_id]


def test_create_hit_without_funds_is_402_and_creates_nothing(api, runtime, factory):
    poor = factory.requester(deposit="1.00")
    body = api.post("/requester/hits", token=token(poor), json=CREATE, expect=402)
    assert body["error"]["code"] == "insufficient_funds"
    assert hits.list_hits(runtime, poor.actor).items == []
    assert balance(runtime, poor) == (parse_amount("1.00"), 0)


# GET /requester/hits ---------------------------------------------------------------------------------------

def test_list_hits_pages_through_more_than_100_hits_without_repeats(api, factory, requester):
    created = [factory.hit(requester.actor, max_assignments=1).public_id for _ in range(110)]
    seen, cursor = [], None
    while True:
        body = api.get("/requester/hits", token=token(requester), query={"limit": "100"} |
                       ({"cursor": cursor} if cursor else {}))
        seen += [h["hit_id"] for h in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == created


def test_list_hits_default_page_is_50(api, factory, requester):
    for _ in range(51):
        factory.hit(requester.actor, max_assignments=1)
    body = api.get("/requester/hits", token=token(requester))
    assert len(body["items"]) == 50 and body["next_cursor"] is not None


@pytest.mark.parametrize(("query", "fields"), [
    ({"limit": "0"}, {"limit": "must be at least 1"}),
    ({"limit": "1000"}, {"limit": "must be at most 100"}),
    ({"cursor": "djI6MTA"}, {"cursor": "is not a cursor this server issued"}),
])
def test_list_hits_bad_paging_is_400(api, requester, query, fields):
    assert api.get("/requester/hits", token=token(requester), query=query,
                   expect=400)["error"]["fields"] == fields


def test_list_hits_never_shows_another_requesters(api, factory, requester, other_requester):
    factory.hit(other_requester.actor)
    assert api.get("/requester/hits", token=token(requester))["items"] == []


# GET /requester/hits/<id> and /history ---------------------------------------------------------------------

def test_get_hit_shows_counters(api, accepted, requester):
    body = api.get(f"/requester/hits/{accepted.hit_id}", token=token(requester))
    assert body["hit_id"] == accepted.hit_id
    assert (body["assignments_pending"], body["assignments_available"]) == (1, 2)


def test_get_hit_bad_query_is_400(api, accepted, requester):
    body = api.get(f"/requester/hits/{accepted.hit_id}", token=token(requester), query={"fields": "all"},
                   expect=400)
    assert body["error"]["fields"] == {"fields": "is not a known field"}


def test_get_another_requesters_hit_is_404_like_an_unknown_hit(api, accepted, other_requester):
    theirs = api.get(f"/requester/hits/{accepted.hit_id}", token=token(other_requester), expect=404)
    unknown = api.get("/requester/hits/NOPE", token=token(other_requester), expect=404)
    assert theirs["error"] == {"code": "not_found", "message": f"Hit {accepted.hit_id} does not exist."}
    assert unknown["error"] == {"code": "not_found", "message": "Hit NOPE does not exist."}


def test_get_unknown_hit_is_404(api, requester):
    assert api.get("/requester/hits/NOPE", token=token(requester), expect=404)["error"]["code"] == "not_found"


def test_hit_history_lists_every_change_in_order(api, runtime, submitted, requester):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    body = api.get(f"/requester/hits/{submitted.hit_id}/history", token=token(requester))
    assert [e["action"] for e in body["items"]] == ["HITCreated", "AssignmentAccepted", "AssignmentSubmitted",
                                                    "AssignmentApproved"]
    assert body["items"][1]["entity_id"] == submitted.assignment_id
    assert body["next_cursor"] is None


def test_hit_history_bad_query_is_400(api, accepted, requester):
    body = api.get(f"/requester/hits/{accepted.hit_id}/history", token=token(requester), query={"limit": "500"},
                   expect=400)
    assert "limit" in body["error"]["fields"]


def test_hit_history_pages_through_every_event(api, accepted, requester):
    first = api.get(f"/requester/hits/{accepted.hit_id}/history", token=token(requester), query={"limit": "1"})
    assert [e["action"] for e in first["items"]] == ["HITCreated"] and first["next_cursor"]
    rest = api.get(f"/requester/hits/{accepted.hit_id}/history", token=token(requester),
                   query={"limit": "100", "cursor": first["next_cursor"]})
    assert "AssignmentAccepted" in [e["action"] for e in rest["items"]] and rest["next_cursor"] is None


def test_hit_history_of_another_requesters_hit_is_404(api, accepted, other_requester):
    body = api.get(f"/requester/hits/{accepted.hit_id}/history", token=token(other_requester), expect=404)
    assert body["error"] == {"code": "not_found", "message": f"Hit {accepted.hit_id} does not exist."}


# POST /requester/hits/<id>/expire --------------------------------------------------------------------------

def test_expire_hit_stops_it_and_releases_free_slots(api, runtime, accepted, requester, clock):
    body = api.post(f"/requester/hits/{accepted.hit_id}/expire", token=token(requester))
    assert (body["status"], body["expires_at"]) == ("Unassignable", clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert balance(runtime, requester)[1] == parse_amount("0.60")


def test_expire_hit_bad_query_is_400(api, runtime, accepted, requester):
    api.post(f"/requester/hits/{accepted.hit_id}/expire", token=token(requester), query={"marketplace": 1},
             expect=400)
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).status is HITStatus.ASSIGNABLE


def test_expire_another_requesters_hit_is_404_and_changes_nothing(api, runtime, accepted, requester,
                                                                   other_requester):
    body = api.post(f"/requester/hits/{accepted.hit_id}/expire", token=token(other_requester), expect=404)
    assert body["error"] == {"code": "not_found", "message": f"Hit {accepted.hit_id} does not exist."}
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).status is HITStatus.ASSIGNABLE
    assert balance(runtime, requester)[1] == parse_amount("1.80")


# POST /requester/hits/<id>/additional-assignments ----------------------------------------------------------

def test_add_assignments_raises_max_and_holds_more(api, runtime, accepted, requester):
    body = api.post(f"/requester/hits/{accepted.hit_id}/additional-assignments", token=token(requester),
                    json={"number_of_additional_assignments": 2})
    assert (body["max_assignments"], body["assignments_available"]) == (5, 4)
    assert balance(runtime, requester)[1] == parse_amount("3.00")


def test_add_assignments_replayed_token_adds_once(api, runtime, accepted, requester):
    payload = {"number_of_additional_assignments": 2, "unique_request_token": "extend-1"}
    api.post(f"/requester/hits/{accepted.hit_id}/additional-assignments", token=token(requester),
             json=payload)
    body = api.post(f"/requester/hits/{accepted.hit_id}/additional-assignments", token=token(requester),
                    json=payload)
    assert body["max_assignments"] == 5


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"number_of_additional_assignments": "is required"}),
    ({"number_of_additional_assignments": "2"}, {"number_of_additional_assignments": "must be an integer"}),
    ({"number_of_additional_assignments": 0}, {"number_of_additional_assignments": "must be at least 1"}),
])
def test_add_assignments_bad_input_is_400(api, runtime, accepted, requester, payload, fields):
    body = api.post(f"/requester/hits/{accepted.hit_id}/additional-assignments", token=token(requester),
                    json=payload, expect=400)
    assert body["error"]["fields"] == fields
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).max_assignments == 3


def test_add_assignments_to_another_requesters_hit_is_404_and_changes_nothing(
        api, runtime, accepted, requester, other_requester):
    body = api.post(f"/requester/hits/{accepted.hit_id}/additional-assignments", token=token(other_requester),
                    json={"number_of_additional_assignments": 2}, expect=404)
    assert body["error"] == {"code": "not_found", "message": f"Hit {accepted.hit_id} does not exist."}
    assert hits.get_hit(runtime, requester.actor, accepted.hit_id).max_assignments == 3


# DELETE /requester/hits/<id> -------------------------------------------------------------------------------

def test_delete_hit_disposes_a_reviewable_hit(api, runtime, factory, requester):
    hit = factory.hit(requester.actor)
    api.post(f"/requester/hits/{hit.public_id}/expire", token=token(requester))
    body = api.delete(f"/requester/hits/{hit.public_id}", token=token(requester))
    assert body["status"] == "Disposed"
    assert hits.list_hits(runtime, requester.actor).items == []
    assert balance(runtime, requester) == (parse_amount("100.00"), 0)


def test_delete_hit_bad_query_is_400(api, runtime, factory, requester):
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, runtime.clock())
    api.delete(f"/requester/hits/{hit.public_id}", token=token(requester), query={"force": "true"},
               expect=400)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.REVIEWABLE


def test_delete_another_requesters_hit_is_404_and_changes_nothing(api, runtime, factory, requester,
                                                                   other_requester):
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, runtime.clock())
    body = api.delete(f"/requester/hits/{hit.public_id}", token=token(other_requester), expect=404)
    assert body["error"] == {"code": "not_found", "message": f"Hit {hit.public_id} does not exist."}
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.REVIEWABLE


# GET /requester/hits/<id>/assignments ---------------------------------------------------------------------

def test_hit_assignments_list_submitted_work_with_worker_ids(api, runtime, submitted, requester, worker):
    body = api.get(f"/requester/hits/{submitted.hit_id}/assignments", token=token(requester))
    [item] = body["items"]
    assert (item["assignment_id"], item["worker_id"], item["answer"]) == (
        submitted.assignment_id, worker.actor.public_id, {"label": "cat"})


def test_hit_assignments_filter_by_status(api, runtime, submitted, requester):
    query = {"status": ["Approved", "Rejected"]}
    assert api.get(f"/requester/hits/{submitted.hit_id}/assignments", token=token(requester),
                   query=query)["items"] == []
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    [item] = api.get(f"/requester/hits/{submitted.hit_id}/assignments", token=token(requester),
                     query=query)["items"]
    assert item["status"] == "Approved"


def test_hit_assignments_never_list_work_in_progress(api, accepted, requester):
    assert api.get(f"/requester/hits/{accepted.hit_id}/assignments", token=token(requester))["items"] == []


def test_hit_assignments_bad_status_is_400(api, submitted, requester):
    body = api.get(f"/requester/hits/{submitted.hit_id}/assignments", token=token(requester),
                   query={"status": "Accepted"}, expect=400)
    assert body["error"]["fields"] == {"status[0]": "must be one of: Submitted, Approved, Rejected"}


def test_hit_assignments_of_another_requesters_hit_is_404(api, submitted, other_requester):
    body = api.get(f"/requester/hits/{submitted.hit_id}/assignments", token=token(other_requester), expect=404)
    assert body["error"] == {"code": "not_found", "message": f"Hit {submitted.hit_id} does not exist."}


# POST /requester/assignments/<id>/approve and /reject ----------------------------------------------------

def test_approve_assignment_pays_the_worker(api, runtime, submitted, requester, worker):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/approve", token=token(requester),
                    json={"requester_feedback": "Thanks!"})
    assert (body["status"], body["requester_feedback"], body["worker_id"]) == ("Approved", "Thanks!",
                                                                              worker.actor.public_id)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")


def test_approve_assignment_without_a_body(api, submitted, requester):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/approve", token=token(requester))
    assert (body["status"], body["requester_feedback"]) == ("Approved", None)


def test_approve_overrides_a_rejection(api, runtime, submitted, requester):
    assignments.reject(runtime, requester.actor, submitted.assignment_id, feedback="wrong")
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/approve", token=token(requester),
                    json={"override_rejection": True})
    assert body["status"] == "Approved"


@pytest.mark.parametrize(("payload", "fields"), [
    ({"requester_feedback": "x" * 1025}, {"requester_feedback": "must be at most 1024 characters (got 1025)"}),
    ({"override_rejection": "yes"}, {"override_rejection": "must be true or false"}),
    ({"requester_feedback": 5}, {"requester_feedback": "must be a string"}),
])
def test_approve_assignment_bad_input_is_400_and_pays_nothing(api, runtime, submitted, requester, worker,
                                                              payload, fields):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/approve", token=token(requester),
                    json=payload, expect=400)
    assert body["error"]["fields"] == fields
    assert assignment_of(runtime, worker, submitted.assignment_id).status is AssignmentStatus.SUBMITTED


def test_approve_another_requesters_assignment_is_404_and_pays_nothing(api, runtime, submitted, requester,
                                                                       other_requester, worker):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/approve", token=token(other_requester),
                    expect=404)
    assert body["error"] == {"code": "not_found",
                             "message": f"Assignment {submitted.assignment_id} does not exist."}
    assert assignment_of(runtime, worker, submitted.assignment_id).status is AssignmentStatus.SUBMITTED
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0
    assert balance(runtime, other_requester) == (parse_amount("100.00"), 0)


def test_approve_an_accepted_assignment_is_409(api, runtime, accepted, requester, worker):
    api.post(f"/requester/assignments/{accepted.assignment_id}/approve", token=token(requester), expect=409)
    assert assignment_of(runtime, worker, accepted.assignment_id).status is AssignmentStatus.ACCEPTED


def test_reject_assignment_returns_the_cost(api, runtime, submitted, requester):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/reject", token=token(requester),
                    json={"requester_feedback": "Not a cat"})
    assert (body["status"], body["requester_feedback"]) == ("Rejected", "Not a cat")
    assert balance(runtime, requester)[1] == parse_amount("1.20")


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"requester_feedback": "is required"}),
    ({"requester_feedback": None}, {"requester_feedback": "must be a string"}),
    ({"requester_feedback": "ok", "reason": "x"}, {"reason": "is not a known field"}),
])
def test_reject_assignment_bad_input_is_400(api, runtime, submitted, requester, worker, payload, fields):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/reject", token=token(requester),
                    json=payload, expect=400)
    assert body["error"]["fields"] == fields
    assert assignment_of(runtime, worker, submitted.assignment_id).status is AssignmentStatus.SUBMITTED


def test_reject_another_requesters_assignment_is_404_and_changes_nothing(
        api, runtime, submitted, other_requester, worker):
    body = api.post(f"/requester/assignments/{submitted.assignment_id}/reject", token=token(other_requester),
                    json={"requester_feedback": "no"}, expect=404)
    assert body["error"] == {"code": "not_found",
                             "message": f"Assignment {submitted.assignment_id} does not exist."}
    assert assignment_of(runtime, worker, submitted.assignment_id).status is AssignmentStatus.SUBMITTED


@pytest.mark.parametrize(("answer_schema", "field"), [
    ({"type": "object", "properties": {"x": {"type": "string", "pattern": r"^(a+)\1$"}}},
     "answer_schema.properties.x.pattern"),
    ({"type": "object", "properties": {"x": {"$ref": "http://example.com/schema.json"}}},
     "answer_schema.properties.x.$ref"),
    ({"type": "object", "properties": {"x": {"$ref": "#/$defs/missing"}}}, "answer_schema.properties.x.$ref"),
    ({"type": "object", "properties": {"child": {"$ref": "#"}}}, "answer_schema.properties.child.$ref"),
])
def test_create_hit_with_an_unsafe_answer_schema_is_400_naming_the_field_and_creates_nothing(
        api, runtime, requester, answer_schema, field):
    body = api.post("/requester/hits", token=token(requester), json=CREATE | {"answer_schema": answer_schema},
                    expect=400)
    assert list(body["error"]["fields"]) == [field]
    assert hits.list_hits(runtime, requester.actor).items == []
    assert balance(runtime, requester) == (parse_amount("100.00"), 0)
