"""Worker blocks and messages: success, bad input naming the field, and other requesters' blocks and
never-reviewed workers kept apart."""

from __future__ import annotations

import pytest

from labelhub.services import assignments, workers
from tests.api.conftest import token


def blocked_ids(runtime, handle):
    return [b.worker_id for b in workers.list_blocks(runtime, handle.actor).items]


# PUT /requester/blocks/<worker_id> ----------------------------------------------------------------------

def test_block_worker_hides_the_requesters_hits(api, runtime, factory, requester, worker):
    factory.hit(requester.actor)
    body = api.put(f"/requester/blocks/{worker.actor.public_id}", token=token(requester),
                   json={"reason": "spam"})
    assert body == {"worker_id": worker.actor.public_id, "reason": "spam"}
    assert blocked_ids(runtime, requester) == [worker.actor.public_id]
    assert api.get("/worker/hits", token=token(worker))["items"] == []


def test_block_worker_again_updates_the_reason(api, runtime, requester, worker):
    path = f"/requester/blocks/{worker.actor.public_id}"
    api.put(path, token=token(requester), json={"reason": "spam"})
    api.put(path, token=token(requester), json={"reason": "copied answers"})
    assert [b.reason for b in workers.list_blocks(runtime, requester.actor).items] == ["copied answers"]


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"reason": "is required"}),
    ({"reason": ["spam"]}, {"reason": "must be a string"}),
    ({"reason": ""}, {"reason": "is required"}),
])
def test_block_worker_bad_input_is_400_and_blocks_nobody(api, runtime, requester, worker, payload, fields):
    body = api.put(f"/requester/blocks/{worker.actor.public_id}", token=token(requester), json=payload,
                   expect=400)
    assert body["error"]["fields"] == fields
    assert blocked_ids(runtime, requester) == []


def test_block_unknown_worker_is_404(api, runtime, requester):
    api.put("/requester/blocks/ANOBODY", token=token(requester), json={"reason": "spam"}, expect=404)
    assert blocked_ids(runtime, requester) == []


# DELETE /requester/blocks/<worker_id> -------------------------------------------------------------------

def test_unblock_worker(api, runtime, requester, worker):
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    api.delete(f"/requester/blocks/{worker.actor.public_id}", token=token(requester),
               query={"reason": "appealed"}, expect=204)
    assert blocked_ids(runtime, requester) == []


def test_unblock_a_worker_who_is_not_blocked_succeeds(api, requester, worker):
    api.delete(f"/requester/blocks/{worker.actor.public_id}", token=token(requester), expect=204)


def test_unblock_bad_query_is_400_and_keeps_the_block(api, runtime, requester, worker):
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam")
    body = api.delete(f"/requester/blocks/{worker.actor.public_id}", token=token(requester),
                      query={"why": "appealed"}, expect=400)
    assert body["error"]["fields"] == {"why": "is not a known field"}
    assert blocked_ids(runtime, requester) == [worker.actor.public_id]


def test_unblock_only_lifts_the_callers_own_block(api, runtime, requester, other_requester, worker):
    workers.block(runtime, other_requester.actor, worker.actor.public_id, "spam")
    api.delete(f"/requester/blocks/{worker.actor.public_id}", token=token(requester), expect=204)
    assert blocked_ids(runtime, other_requester) == [worker.actor.public_id]


# GET /requester/blocks ------------------------------------------------------------------------------------

def test_list_blocks(api, runtime, requester, worker, other_worker):
    for blocked in (worker, other_worker):
        workers.block(runtime, requester.actor, blocked.actor.public_id, "spam")
    first = api.get("/requester/blocks", token=token(requester), query={"limit": "1"})
    second = api.get("/requester/blocks", token=token(requester), query={"cursor": first["next_cursor"]})
    assert [b["worker_id"] for b in first["items"] + second["items"]] == [worker.actor.public_id,
                                                                          other_worker.actor.public_id]
    assert second["next_cursor"] is None


def test_list_blocks_bad_query_is_400(api, requester):
    body = api.get("/requester/blocks", token=token(requester), query={"limit": "many"}, expect=400)
    assert body["error"]["fields"] == {"limit": "must be an integer"}


def test_list_blocks_never_shows_another_requesters(api, runtime, requester, other_requester, worker):
    workers.block(runtime, other_requester.actor, worker.actor.public_id, "spam")
    assert api.get("/requester/blocks", token=token(requester))["items"] == []


# POST /requester/messages -------------------------------------------------------------------------------

def test_notify_workers_writes_to_the_inbox_and_reports_failures(api, runtime, requester, worker, submitted):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    body = api.post("/requester/messages", token=token(requester), json={
        "subject": "Thanks", "message": "More HITs tomorrow",
        "worker_ids": [worker.actor.public_id, "ANOBODY"]})
    assert body == {"failures": [{"worker_id": "ANOBODY", "code": "HardFailure",
                                  "message": "Worker does not exist"}]}
    [message] = workers.inbox(runtime, worker.actor).items
    assert (message.subject, message.body) == ("Thanks", "More HITs tomorrow")


@pytest.mark.parametrize(("payload", "fields"), [
    ({"subject": "Hi", "message": "m"}, {"worker_ids": "is required"}),
    ({"subject": "Hi", "message": "m", "worker_ids": "A1"}, {"worker_ids": "must be an array"}),
    ({"subject": "Hi", "message": "m", "worker_ids": []},
     {"worker_ids": "must have at least 1 item(s)"}),
    ({"subject": "", "message": "m", "worker_ids": ["A1"]}, {"subject": "is required"}),
])
def test_notify_workers_bad_input_is_400_and_sends_nothing(api, runtime, requester, worker, submitted,
                                                           payload, fields):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    body = api.post("/requester/messages", token=token(requester), json=payload, expect=400)
    assert body["error"]["fields"] == fields
    assert workers.inbox(runtime, worker.actor).items == []


def test_notify_a_worker_whose_work_another_requester_reviewed_fails(api, runtime, requester, other_requester,
                                                                     worker, submitted):
    assignments.approve(runtime, requester.actor, submitted.assignment_id)
    body = api.post("/requester/messages", token=token(other_requester), json={
        "subject": "Hi", "message": "Work for me", "worker_ids": [worker.actor.public_id]})
    failures = [(f["worker_id"], f["code"]) for f in body["failures"]]
    assert failures == [(worker.actor.public_id, "HardFailure")]
    assert workers.inbox(runtime, worker.actor).items == []
