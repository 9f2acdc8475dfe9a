"""The outbox: events dispatched once, after commit, to the reactions of their action; a reaction
that fails is logged and skipped without holding up the other events or reactions."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from labelhub.errors import InvalidStateError
from labelhub.models import Event, Job
from labelhub.queueing import EmbeddedBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, outbox, reactions
from tests.crowd import make_crowd


@pytest.fixture
def quiet(runtime: Runtime) -> Runtime:
    """The test database with nothing run after commits: the test dispatches by hand."""
    return Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(),
                   clock=runtime.clock, random=lambda: 0.99)


def _undispatched(rt: Runtime) -> list[str]:
    with rt.sessions() as db:
        return list(db.scalars(select(Event.action).where(Event.dispatched_at.is_(None)).order_by(Event.id)))


def _jobs(rt: Runtime) -> list[tuple[str, str | None]]:
    with rt.sessions() as db:
        return [(j.kind.rsplit(".", 1)[-1], j.dedup_key) for j in db.scalars(select(Job).order_by(Job.id))]


def test_a_submission_writes_only_its_event_and_the_dispatch_queues_one_aggregation(quiet, factory):
    crowd = make_crowd(quiet, factory, items=6, gold=0, max_assignments=2)
    outbox.dispatch_pending(quiet)  # the batch's creation
    crowd.work(factory.worker(), 0.9)

    waiting = _undispatched(quiet)
    queued_before = _jobs(quiet)
    dispatched = outbox.dispatch_pending(quiet)

    assert waiting.count("AssignmentSubmitted") == 6 and queued_before == []
    assert dispatched == len(waiting) and _undispatched(quiet) == []
    assert _jobs(quiet) == [("aggregate_batch", f"aggregate:{crowd.batch_id}")]
    assert outbox.dispatch_pending(quiet) == 0  # dispatched once


def test_a_failing_reaction_is_logged_and_the_others_still_run(quiet, factory, monkeypatch, caplog):
    crowd = make_crowd(quiet, factory, items=2, gold=0, max_assignments=1)
    worker = factory.worker()
    crowd.work(worker, 1.0)

    def broken(db, event, hit):
        raise RuntimeError("a bug in a subscriber")

    table = dict(reactions.REACTIONS)
    table["AssignmentSubmitted"] = (broken, *table["AssignmentSubmitted"])
    monkeypatch.setattr(outbox, "REACTIONS", table)
    with caplog.at_level(logging.ERROR, logger="labelhub.services.outbox"):
        outbox.dispatch_pending(quiet)

    assert _undispatched(quiet) == []
    assert _jobs(quiet) == [("aggregate_batch", f"aggregate:{crowd.batch_id}")]
    assert sum("reaction" in r.message and "broken" in r.message for r in caplog.records) == 2


def test_events_of_a_rolled_back_unit_of_work_never_reach_the_outbox(quiet, factory, clock):
    requester, worker = factory.requester(), factory.worker()
    hit = factory.hit(requester.actor, max_assignments=1)
    taken = assignments.accept(quiet, worker.actor, hit.public_id)
    outbox.dispatch_pending(quiet)
    clock.advance(seconds=601)  # past the deadline: the submission is refused and rolled back

    with pytest.raises(InvalidStateError):
        assignments.submit(quiet, worker.actor, taken.public_id, {"label": "cat"})

    assert _undispatched(quiet) == []
