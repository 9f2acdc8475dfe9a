"""Qualification types, scores and requests: success, bad input naming the field, and another
requester's types refused with nothing changed."""

from __future__ import annotations

import pytest

from labelhub.errors import InvalidStateError, NotFoundError
from labelhub.models import QualificationStatus, QualificationTypeStatus
from labelhub.services import qualifications
from labelhub.services.commands import AnswerKey, QualificationTypeSpec
from tests.api.conftest import token

TYPE = {"name": "Cat expert", "description": "Knows cats", "keywords": "cats"}


def make_type(runtime, owner, **spec):
    return qualifications.create_type(runtime, owner.actor, QualificationTypeSpec(
        **({"name": "Cat expert", "description": "Knows cats"} | spec)))


def score(runtime, owner, qtype, worker):
    return qualifications.get_score(runtime, owner.actor, qtype.public_id, worker.actor.public_id)


# POST /requester/qualification-types --------------------------------------------------------------------

def test_create_type_with_a_scored_test(api, runtime, requester):
    body = api.post("/requester/qualification-types", token=token(requester), expect=201, json=TYPE | {
        "test": "<p>Which is a cat?</p>", "test_duration_seconds": 300, "retry_delay_seconds": 3600,
        "answer_key": {"points": {"q1": {"a": 10}}, "percentage_of": 10}})
    assert (body["name"], body["status"], body["is_system"], body["test_duration_seconds"]) == (
        "Cat expert", "Active", False, 300)
    assert body["answer_key"] == {"points": {"q1": {"a": 10}}, "percentage_of": 10}
    view = qualifications.get_type(runtime, requester.actor, body["qualification_type_id"])
    assert view.retry_delay_seconds == 3600


@pytest.mark.parametrize(("payload", "fields"), [
    ({"description": "d"}, {"name": "is required"}),
    (TYPE | {"active": "yes"}, {"active": "must be true or false"}),
    (TYPE | {"test": "<p>q</p>"}, {"test_duration_seconds": "is required when test is given"}),
    (TYPE | {"answer_key": {"points": {"q1": {"a": "ten"}}}},
     {"answer_key.points.q1.a": "must be an integer", "test": "is required when answer_key is given"}),
    (TYPE | {"auto_granted_value": 2**31}, {"auto_granted_value": "must be at most 2147483647"}),
    (TYPE | {"name": "x" * 201}, {"name": "must be at most 200 characters (got 201)"}),
])
def test_create_type_bad_input_is_400_and_creates_nothing(api, runtime, requester, payload, fields):
    body = api.post("/requester/qualification-types", token=token(requester), json=payload, expect=400)
    assert body["error"]["fields"] == fields
    assert qualifications.list_types(runtime, requester.actor, must_be_owned_by_caller=True).items == []


def test_create_type_with_a_taken_name_is_409(api, runtime, requester):
    make_type(runtime, requester)
    body = api.post("/requester/qualification-types", token=token(requester), json=TYPE, expect=409)
    assert body["error"]["message"].startswith("You have already created a QualificationType with this name.")


def test_create_type_name_used_by_another_requester_is_fine(api, runtime, requester, other_requester):
    make_type(runtime, other_requester)
    api.post("/requester/qualification-types", token=token(requester), json=TYPE, expect=201)


# GET /requester/qualification-types ----------------------------------------------------------------------

def test_list_types_shows_own_types_by_default(api, runtime, requester, other_requester):
    mine = make_type(runtime, requester)
    make_type(runtime, other_requester, name="Dog expert")
    body = api.get("/requester/qualification-types", token=token(requester))
    assert [t["qualification_type_id"] for t in body["items"]] == [mine.public_id]


def test_list_types_searches_everyone_and_system_types(api, runtime, requester, other_requester):
    theirs = make_type(runtime, other_requester, name="Dog expert")
    body = api.get("/requester/qualification-types", token=token(requester),
                   query={"must_be_owned_by_caller": "false", "query": "dog"})
    assert [t["qualification_type_id"] for t in body["items"]] == [theirs.public_id]
    assert body["items"][0]["answer_key"] is None
    system = api.get("/requester/qualification-types", token=token(requester),
                     query={"must_be_owned_by_caller": "false", "query": "locale"})["items"]
    assert [(t["qualification_type_id"], t["is_system"]) for t in system] == [("00000000000000000071", True)]


@pytest.mark.parametrize(("query", "fields"), [
    ({"must_be_requestable": "maybe"}, {"must_be_requestable": "must be true or false"}),
    ({"limit": "200"}, {"limit": "must be at most 100"}),
])
def test_list_types_bad_query_is_400(api, requester, query, fields):
    body = api.get("/requester/qualification-types", token=token(requester), query=query, expect=400)
    assert body["error"]["fields"] == fields


# GET/PATCH/DELETE /requester/qualification-types/<id> ----------------------------------------------------

def test_get_type_shows_the_answer_key_to_its_owner(api, runtime, requester):
    qtype = make_type(runtime, requester, test="<p>q</p>", test_duration_seconds=60,
                      answer_key=AnswerKey(points={"q1": {"a": 1}}))
    body = api.get(f"/requester/qualification-types/{qtype.public_id}", token=token(requester))
    assert body["answer_key"] == {"points": {"q1": {"a": 1}}, "percentage_of": None}


def test_get_type_bad_query_is_400(api, runtime, requester):
    qtype = make_type(runtime, requester)
    body = api.get(f"/requester/qualification-types/{qtype.public_id}", token=token(requester),
                   query={"marketplace": "staging"}, expect=400)
    assert list(body["error"]["fields"]) == ["marketplace"]


def test_get_another_requesters_type_hides_its_answer_key(api, runtime, requester, other_requester):
    qtype = make_type(runtime, other_requester, test="<p>q</p>", test_duration_seconds=60,
                      answer_key=AnswerKey(points={"q1": {"a": 1}}))
    body = api.get(f"/requester/qualification-types/{qtype.public_id}", token=token(requester))
    assert (body["name"], body["answer_key"]) == ("Cat expert", None)


def test_get_unknown_type_is_404(api, requester):
    api.get("/requester/qualification-types/NOPE", token=token(requester), expect=404)


def test_update_type_changes_the_given_fields(api, runtime, requester):
    qtype = make_type(runtime, requester)
    body = api.patch(f"/requester/qualification-types/{qtype.public_id}", token=token(requester),
                     json={"description": "Knows every cat", "active": False})
    assert (body["description"], body["status"]) == ("Knows every cat", "Inactive")
    assert body["name"] == "Cat expert"
    assert qualifications.get_type(runtime, requester.actor, qtype.public_id).status is \
        QualificationTypeStatus.INACTIVE


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"body": "must have at least 1 field(s)"}),
    ({"name": "New name"}, {"name": "is not a known field"}),
    ({"retry_delay_seconds": -5}, {"retry_delay_seconds": "must be at least 0"}),
])
def test_update_type_bad_input_is_400_and_changes_nothing(api, runtime, requester, payload, fields):
    qtype = make_type(runtime, requester)
    body = api.patch(f"/requester/qualification-types/{qtype.public_id}", token=token(requester),
                     json=payload, expect=400)
    assert body["error"]["fields"] == fields
    view = qualifications.get_type(runtime, requester.actor, qtype.public_id)
    assert (view.name, view.retry_delay_seconds) == ("Cat expert", None)


def test_update_another_requesters_type_is_403_and_changes_nothing(api, runtime, requester, other_requester):
    qtype = make_type(runtime, other_requester)
    api.patch(f"/requester/qualification-types/{qtype.public_id}", token=token(requester),
              json={"description": "mine now"}, expect=403)
    view = qualifications.get_type(runtime, other_requester.actor, qtype.public_id)
    assert view.description == "Knows cats"


def test_delete_type_removes_it(api, runtime, requester):
    qtype = make_type(runtime, requester)
    api.delete(f"/requester/qualification-types/{qtype.public_id}", token=token(requester), expect=204)
    api.get(f"/requester/qualification-types/{qtype.public_id}", token=token(requester), expect=404)


def test_delete_type_bad_query_is_400(api, runtime, requester):
    qtype = make_type(runtime, requester)
    api.delete(f"/requester/qualification-types/{qtype.public_id}", token=token(requester),
               query={"cascade": "1"}, expect=400)
    assert qualifications.get_type(runtime, requester.actor, qtype.public_id).name == "Cat expert"


def test_delete_another_requesters_type_is_403_and_keeps_it(api, runtime, requester, other_requester):
    qtype = make_type(runtime, other_requester)
    api.delete(f"/requester/qualification-types/{qtype.public_id}", token=token(requester), expect=403)
    assert qualifications.get_type(runtime, other_requester.actor, qtype.public_id).name == "Cat expert"


# PUT/DELETE/GET /requester/qualification-types/<id>/workers/<worker_id> ---------------------------------

def test_grant_sets_the_score(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    path = f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}"
    assert api.put(path, token=token(requester))["integer_value"] == 1
    body = api.put(path, token=token(requester), json={"value": 95})
    assert (body["worker_id"], body["integer_value"]) == (worker.actor.public_id, 95)
    assert body["status"] == "Granted"
    assert score(runtime, requester, qtype, worker).integer_value == 95


@pytest.mark.parametrize(("payload", "fields"), [
    ({"value": "high"}, {"value": "must be an integer"}),
    ({"value": 2**31}, {"value": "must be at most 2147483647"}),
    ({"value": 1.5}, {"value": "must be an integer"}),
])
def test_grant_bad_value_is_400_and_grants_nothing(api, runtime, requester, worker, payload, fields):
    qtype = make_type(runtime, requester)
    body = api.put(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                   token=token(requester), json=payload, expect=400)
    assert body["error"]["fields"] == fields
    with pytest.raises(NotFoundError):
        score(runtime, requester, qtype, worker)


def test_grant_unknown_worker_is_404(api, runtime, requester):
    qtype = make_type(runtime, requester)
    api.put(f"/requester/qualification-types/{qtype.public_id}/workers/ANOBODY", token=token(requester),
            expect=404)


def test_grant_on_another_requesters_type_is_403_and_grants_nothing(api, runtime, requester, other_requester,
                                                                     worker):
    qtype = make_type(runtime, other_requester)
    api.put(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
            token=token(requester), json={"value": 100}, expect=403)
    with pytest.raises(NotFoundError):
        score(runtime, other_requester, qtype, worker)


def test_revoke_keeps_a_revoked_record(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 5)
    path = f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}"
    api.delete(path, token=token(requester), query={"reason": "too many errors"}, expect=204)
    assert api.get(path, token=token(requester), expect=409)["error"]["code"] == "invalid_state"
    [record] = qualifications.list_workers(runtime, requester.actor, qtype.public_id).items
    assert (record.status, record.reason) == (QualificationStatus.REVOKED, "too many errors")


def test_revoke_bad_query_is_400_and_keeps_the_grant(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 5)
    body = api.delete(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                      token=token(requester), query={"reason": ["a", "b"]}, expect=400)
    assert body["error"]["fields"] == {"reason": "give this parameter once"}
    assert score(runtime, requester, qtype, worker).status is QualificationStatus.GRANTED


def test_revoke_on_another_requesters_type_is_403_and_keeps_the_grant(api, runtime, requester,
                                                                       other_requester, worker):
    qtype = make_type(runtime, other_requester)
    qualifications.grant(runtime, other_requester.actor, qtype.public_id, worker.actor.public_id, 5)
    api.delete(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
               token=token(requester), expect=403)
    assert score(runtime, other_requester, qtype, worker).status is QualificationStatus.GRANTED


def test_get_score(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    qualifications.grant(runtime, requester.actor, qtype.public_id, worker.actor.public_id, 42)
    body = api.get(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                   token=token(requester))
    assert (body["integer_value"], body["qualification_type_id"], body["worker_id"]) == (
        42, qtype.public_id, worker.actor.public_id)


def test_get_score_of_a_worker_without_it_is_404(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    api.get(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
            token=token(requester), expect=404)


def test_get_score_bad_query_is_400(api, runtime, requester, worker):
    qtype = make_type(runtime, requester)
    body = api.get(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
                   token=token(requester), query={"value": "1"}, expect=400)
    assert body["error"]["fields"] == {"value": "is not a known field"}


def test_get_score_on_another_requesters_type_is_403(api, runtime, requester, other_requester, worker):
    qtype = make_type(runtime, other_requester)
    qualifications.grant(runtime, other_requester.actor, qtype.public_id, worker.actor.public_id, 42)
    api.get(f"/requester/qualification-types/{qtype.public_id}/workers/{worker.actor.public_id}",
            token=token(requester), expect=403)


# GET /requester/qualification-types/<id>/workers -----------------------------------------------------------

def test_list_qualified_workers_by_status(api, runtime, requester, worker, other_worker):
    qtype = make_type(runtime, requester)
    for held in (worker, other_worker):
        qualifications.grant(runtime, requester.actor, qtype.public_id, held.actor.public_id, 3)
    qualifications.revoke(runtime, requester.actor, qtype.public_id, other_worker.actor.public_id)
    path = f"/requester/qualification-types/{qtype.public_id}/workers"
    everyone = api.get(path, token=token(requester))["items"]
    assert [q["worker_id"] for q in everyone] == [worker.actor.public_id, other_worker.actor.public_id]
    granted = api.get(path, token=token(requester), query={"status": "Granted"})["items"]
    assert [q["worker_id"] for q in granted] == [worker.actor.public_id]


def test_list_qualified_workers_bad_status_is_400(api, runtime, requester):
    qtype = make_type(runtime, requester)
    body = api.get(f"/requester/qualification-types/{qtype.public_id}/workers", token=token(requester),
                   query={"status": "Pending"}, expect=400)
    assert body["error"]["fields"] == {"status": "must be one of: Granted, Revoked"}


def test_list_qualified_workers_of_another_requesters_type_is_403(api, runtime, requester, other_requester):
    qtype = make_type(runtime, other_requester)
    api.get(f"/requester/qualification-types/{qtype.public_id}/workers", token=token(requester), expect=403)


# /requester/qualification-requests ------------------------------------------------------------------------

@pytest.fixture
def pending(runtime, requester, worker):
    qtype = make_type(runtime, requester)
    return qtype, qualifications.request(runtime, worker.actor, qtype.public_id)


def test_list_requests_shows_pending_ones(api, pending, requester, worker):
    qtype, request = pending
    body = api.get("/requester/qualification-requests", token=token(requester),
                   query={"qualification_type_id": qtype.public_id})
    [item] = body["items"]
    assert (item["qualification_request_id"], item["worker_id"], item["status"]) == (
        request.public_id, worker.actor.public_id, "Pending")


def test_list_requests_bad_query_is_400(api, requester):
    body = api.get("/requester/qualification-requests", token=token(requester), query={"status": "Pending"},
                   expect=400)
    assert body["error"]["fields"] == {"status": "is not a known field"}


def test_list_requests_never_shows_another_requesters(api, pending, other_requester):
    qtype, _ = pending
    assert api.get("/requester/qualification-requests", token=token(other_requester))["items"] == []
    api.get("/requester/qualification-requests", token=token(other_requester),
            query={"qualification_type_id": qtype.public_id}, expect=403)


def test_accept_request_grants_the_value(api, runtime, pending, requester, worker):
    qtype, request = pending
    body = api.post(f"/requester/qualification-requests/{request.public_id}/accept", token=token(requester),
                    json={"value": 70})
    assert (body["status"], body["score"]) == ("Accepted", 70)
    assert score(runtime, requester, qtype, worker).integer_value == 70


def test_accept_request_bad_value_is_400_and_keeps_it_pending(api, runtime, pending, requester, worker):
    qtype, request = pending
    body = api.post(f"/requester/qualification-requests/{request.public_id}/accept", token=token(requester),
                    json={"value": "seventy"}, expect=400)
    assert body["error"]["fields"] == {"value": "must be an integer"}
    still = qualifications.list_requests(runtime, requester.actor).items
    assert [r.public_id for r in still] == [request.public_id]


def test_accept_another_requesters_request_is_404_and_grants_nothing(api, runtime, pending, requester,
                                                                     other_requester, worker):
    qtype, request = pending
    api.post(f"/requester/qualification-requests/{request.public_id}/accept", token=token(other_requester),
             expect=404)
    with pytest.raises(NotFoundError):
        score(runtime, requester, qtype, worker)


def test_reject_request(api, runtime, pending, requester, worker):
    qtype, request = pending
    body = api.post(f"/requester/qualification-requests/{request.public_id}/reject", token=token(requester),
                    json={"reason": "Failed the test"})
    assert (body["status"], body["reason"]) == ("Rejected", "Failed the test")
    assert qualifications.list_requests(runtime, requester.actor).items == []


def test_reject_request_bad_reason_is_400_and_keeps_it_pending(api, runtime, pending, requester):
    _, request = pending
    body = api.post(f"/requester/qualification-requests/{request.public_id}/reject", token=token(requester),
                    json={"reason": 5}, expect=400)
    assert body["error"]["fields"] == {"reason": "must be a string"}
    assert len(qualifications.list_requests(runtime, requester.actor).items) == 1


def test_reject_another_requesters_request_is_404_and_keeps_it_pending(api, runtime, pending, requester,
                                                                       other_requester):
    _, request = pending
    api.post(f"/requester/qualification-requests/{request.public_id}/reject", token=token(other_requester),
             json={"reason": "no"}, expect=404)
    assert len(qualifications.list_requests(runtime, requester.actor).items) == 1


def test_decided_request_cannot_be_decided_again(api, runtime, pending, requester):
    _, request = pending
    api.post(f"/requester/qualification-requests/{request.public_id}/reject", token=token(requester))
    api.post(f"/requester/qualification-requests/{request.public_id}/accept", token=token(requester),
             expect=409)
    with pytest.raises(InvalidStateError):
        qualifications.accept_request(runtime, requester.actor, request.public_id)


def test_list_types_of_everyone_hides_another_requesters_answer_key(api, runtime, requester, other_requester):
    qtype = make_type(runtime, other_requester, name="Secret quiz", test="<p>q</p>", test_duration_seconds=60,
                      answer_key=AnswerKey(points={"q1": {"a": 1}}))
    query = {"must_be_owned_by_caller": "false", "query": "Secret quiz"}
    (theirs,) = api.get("/requester/qualification-types", token=token(requester), query=query)["items"]
    (own,) = api.get("/requester/qualification-types", token=token(other_requester), query=query)["items"]
    assert (theirs["qualification_type_id"], theirs["test"], theirs["answer_key"]) == (
        qtype.public_id, "<p>q</p>", None)
    assert own["answer_key"] == {"points": {"q1": {"a": 1}}, "percentage_of": None}
