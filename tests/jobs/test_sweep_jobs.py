"""The sweep jobs, queued in the jobs table, handed to rq by the rq backend and run by a real rq worker
against the test database."""

from __future__ import annotations

import pytest

from labelhub.errors import InvalidStateError
from labelhub.models import AssignmentStatus, HITStatus
from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, job_queue, payments
from tests.factories import Factory
from tests.jobs.readback import ledger_totals, snapshot

pytestmark = pytest.mark.redis


@pytest.fixture
def enqueue(rq_runtime: Runtime):
    """Queue a job by dotted path; the commit hands it to rq."""

    def submit(kind: str) -> None:
        with rq_runtime.sessions.begin() as db:
            job_queue.submit(db, kind, now=rq_runtime.clock())

    return submit


def test_abandon_overdue_job_abandons_past_deadline_and_reopens_the_slot(runtime, factory, clock, enqueue,
                                                                           drain):
    requester = factory.requester()
    first, second = factory.worker(), factory.worker()
    hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400)  # 600 s to work
    held = assignments.accept(runtime, first.actor, hit.public_id)
    with pytest.raises(InvalidStateError):
        assignments.accept(runtime, second.actor, hit.public_id)

    clock.advance(seconds=600)  # at the deadline the worker may still submit
    enqueue("labelhub.jobs.abandon_overdue")
    drain()
    assert assignments.get_assignment(runtime, first.actor, held.public_id).status \
        is AssignmentStatus.ACCEPTED

    clock.advance(seconds=1)
    enqueue("labelhub.jobs.abandon_overdue")
    drain()

    assert assignments.get_assignment(runtime, first.actor, held.public_id).status \
        is AssignmentStatus.ABANDONED
    current = hits.get_hit(runtime, requester.actor, hit.public_id)
    assert (current.status, current.pending_count, current.available_count) == (HITStatus.ASSIGNABLE, 0, 1)
    assert assignments.accept(runtime, second.actor, hit.public_id).status is AssignmentStatus.ACCEPTED


def test_auto_approve_due_job_pays_worker_reward_and_platform_fee(runtime, factory, clock, enqueue, drain):
    requester = factory.requester(deposit="10.00")
    worker = factory.worker()
    spec = factory.hit_type_spec(auto_approval_delay_seconds=3600)
    hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400, hit_type=spec)
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "cat"})

    clock.advance(seconds=3599)
    enqueue("labelhub.jobs.auto_approve_due")
    drain()
    assert assignments.get_assignment(runtime, worker.actor, assignment.public_id).status \
        is AssignmentStatus.SUBMITTED

    clock.advance(seconds=1)
    enqueue("labelhub.jobs.auto_approve_due")
    drain()

    approved = assignments.get_assignment(runtime, worker.actor, assignment.public_id)
    assert (approved.status, approved.approved_at) == (AssignmentStatus.APPROVED, clock.now)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    balance = payments.balance(runtime, requester.actor)
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("9.40"), 0)
    totals = ledger_totals(runtime)
    assert totals[(f"worker:{worker.actor.id}", "earnings")] == parse_amount("0.50")
    assert totals[("platform", "fees")] == parse_amount("0.10")
    assert totals[("outside", "deposits")] == -parse_amount("10.00")
    assert sum(totals.values()) == 0


def test_expire_due_hits_job_releases_unused_slots_and_makes_the_hit_reviewable(runtime, factory, clock,
                                                                                 enqueue, drain):
    requester = factory.requester(deposit="10.00")
    worker = factory.worker()
    hit = factory.hit(requester.actor, max_assignments=3, lifetime_seconds=3600)  # 3 x (0.50 + 0.10) held
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "dog"})

    clock.advance(seconds=3599)
    enqueue("labelhub.jobs.expire_due_hits")
    drain()
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.ASSIGNABLE
    assert payments.balance(runtime, requester.actor).on_hold_micros == parse_amount("1.80")

    clock.advance(seconds=1)
    enqueue("labelhub.jobs.expire_due_hits")
    drain()

    current = hits.get_hit(runtime, requester.actor, hit.public_id)
    assert (current.status, current.expired_at) == (HITStatus.REVIEWABLE, clock.now)
    balance = payments.balance(runtime, requester.actor)
    # the submitted assignment may still be approved: its cost stays held, the two unused slots come back
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("9.40"), parse_amount("0.60"))
    assert sum(ledger_totals(runtime).values()) == 0


def _due_world(runtime: Runtime, factory: Factory) -> None:
    """One overdue assignment, one submitted assignment due for auto-approval and one HIT due to expire,
    once the clock has moved an hour on."""
    requester = factory.requester(deposit="20.00")
    overdue = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400)
    assignments.accept(runtime, factory.worker().actor, overdue.public_id)
    spec = factory.hit_type_spec(auto_approval_delay_seconds=600)
    to_approve = factory.hit(requester.actor, max_assignments=2, lifetime_seconds=86_400, hit_type=spec)
    worker = factory.worker()
    submitted = assignments.accept(runtime, worker.actor, to_approve.public_id)
    assignments.submit(runtime, worker.actor, submitted.public_id, {"label": "cat"})
    factory.hit(requester.actor, max_assignments=3, lifetime_seconds=1800)


@pytest.mark.parametrize("job", ["labelhub.jobs.abandon_overdue", "labelhub.jobs.auto_approve_due",
                                 "labelhub.jobs.expire_due_hits", "labelhub.jobs.run_sweeps"])
def test_sweep_job_run_twice_changes_nothing_the_second_time(runtime, factory, clock, enqueue, drain, job):
    _due_world(runtime, factory)
    clock.advance(hours=1)
    before = snapshot(runtime)

    enqueue(job)
    drain()
    after_first = snapshot(runtime)
    enqueue(job)
    drain()

    assert after_first != before
    assert snapshot(runtime) == after_first
