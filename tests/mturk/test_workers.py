"""Worker operations through boto3: blocks and NotifyWorkers."""

from __future__ import annotations

import pytest

from labelhub.errors import NotFoundError
from labelhub.models import Marketplace
from labelhub.services import assignments, workers
from tests.mturk.conftest import fails, hit_params


def test_create_list_and_delete_worker_blocks(factory, connect, runtime):
    client = connect(factory.requester())
    spammer, bot = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]

    client.create_worker_block(WorkerId=spammer.actor.public_id, Reason="Copy-pasted answers")
    client.create_worker_block(WorkerId=bot.actor.public_id, Reason="Bots")
    first = client.list_worker_blocks(MaxResults=1)
    second = client.list_worker_blocks(NextToken=first["NextToken"])
    with pytest.raises(NotFoundError):  # a blocked worker does not even see the requester's HITs
        assignments.accept(runtime, spammer.actor, hit_id)
    client.delete_worker_block(WorkerId=spammer.actor.public_id, Reason="Appealed")
    client.delete_worker_block(WorkerId=spammer.actor.public_id)  # unblocking an unblocked worker succeeds

    assert first["WorkerBlocks"] == [{"WorkerId": spammer.actor.public_id, "Reason": "Copy-pasted answers"}]
    assert second["WorkerBlocks"] == [{"WorkerId": bot.actor.public_id, "Reason": "Bots"}]
    assert client.list_worker_blocks()["WorkerBlocks"] == second["WorkerBlocks"]
    assert assignments.accept(runtime, spammer.actor, hit_id).status.value == "Accepted"


def test_worker_block_of_unknown_worker_or_without_reason_is_refused(factory, connect, raw_post):
    requester = factory.requester()
    client = connect(requester)

    unknown = fails(client.create_worker_block, WorkerId="A1234567890123", Reason="spam")
    no_reason = raw_post(requester, "CreateWorkerBlock", {"WorkerId": "A1234567890123"})

    assert unknown.turk_code == "AWS.MechanicalTurk.WorkerDoesNotExist"
    assert "Reason: is required" in no_reason.body["Message"]
    assert client.list_worker_blocks()["NumResults"] == 0


def test_notify_workers_reports_failures_per_worker(factory, connect, runtime):
    client = connect(factory.requester())
    hit_id = client.create_hit(**hit_params())["HIT"]["HITId"]
    known, stranger = (factory.worker(marketplace=Marketplace.SANDBOX) for _ in range(2))
    taken = assignments.accept(runtime, known.actor, hit_id)
    assignments.submit(runtime, known.actor, taken.public_id, {"comment": "done"})
    client.approve_assignment(AssignmentId=taken.public_id)

    response = client.notify_workers(Subject="New batch", MessageText="More work tomorrow",
                                     WorkerIds=[known.actor.public_id, stranger.actor.public_id])

    assert response["NotifyWorkersFailureStatuses"] == [{
        "NotifyWorkersFailureCode": "HardFailure", "WorkerId": stranger.actor.public_id,
        "NotifyWorkersFailureMessage": "You have not approved or rejected any work of this worker"}]
    inbox = workers.inbox(runtime, known.actor).items
    assert [(m.subject, m.body) for m in inbox] == [("New batch", "More work tomorrow")]


def test_notify_workers_refuses_too_long_subject_and_bad_ids(factory, connect):
    client = connect(factory.requester())

    long_subject = fails(client.notify_workers, Subject="s" * 201, MessageText="m",
                         WorkerIds=["A1234567890123"])
    bad_id = fails(client.notify_workers, Subject="s", MessageText="m", WorkerIds=["a-worker"])

    assert "Subject: must be at most 200 characters" in long_subject.message
    assert "WorkerIds[0]:" in bad_id.message
