"""The time-driven sweeps: abandon overdue assignments, auto-approve, expire HITs; each due item once, and a
second run changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelhub.models import AssignmentStatus, Event, HITStatus, LedgerEntry, Marketplace
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, ledger, payments, sweeps

SLOT = parse_amount("0.60")  # reward 0.50 + 20% fee


@pytest.fixture
def requester(factory):
    return factory.requester(deposit="100.00")


def held_for(runtime, hit) -> int:
    with runtime.sessions() as db:
        on_hold = ledger.account(db, hit.marketplace, f"requester:{hit.requester_id}", ledger.ON_HOLD)
        return ledger.balance_of(db, on_hold, hit_id=hit.id)


def snapshot(runtime) -> tuple[int, int]:
    """Ledger entries and events written so far: a sweep that has nothing to do writes neither."""
    with runtime.sessions() as db:
        return (db.scalar(select(func.count()).select_from(LedgerEntry)),
                db.scalar(select(func.count()).select_from(Event)))


def current(runtime, requester, hit):
    return hits.get_hit(runtime, requester.actor, hit.public_id)


def status_of(runtime, worker, assignment) -> AssignmentStatus:
    return assignments.get_assignment(runtime, worker.actor, assignment.public_id).status


# abandon ---------------------------------------------------------------------------------------------------

def test_abandon_overdue_waits_for_the_deadline_then_reopens_the_slot(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=1)
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=600)
    assert sweeps.abandon_overdue(runtime) == 0  # at the deadline the worker may still submit

    clock.advance(seconds=1)
    assert sweeps.abandon_overdue(runtime) == 1

    gone = assignments.get_assignment(runtime, worker.actor, taken.public_id)
    assert (gone.status, gone.ended_at) == (AssignmentStatus.ABANDONED, clock.now)
    after = current(runtime, requester, hit)
    assert (after.pending_count, after.available_count, after.status) == (0, 1, HITStatus.ASSIGNABLE)
    assert held_for(runtime, hit) == SLOT  # the reopened slot can still be paid
    with runtime.sessions() as db:
        logged = db.execute(select(Event.actor, Event.marketplace).where(
            Event.entity_id == taken.public_id, Event.action == "AssignmentAbandoned")).all()
    assert [tuple(row) for row in logged] == [("system:system", Marketplace.PRODUCTION)]


def test_abandon_overdue_twice_changes_nothing(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=2)
    for _ in range(2):
        assignments.accept(runtime, factory.worker().actor, hit.public_id)
    clock.advance(seconds=601)
    assert sweeps.abandon_overdue(runtime) == 2
    before = snapshot(runtime)

    assert sweeps.abandon_overdue(runtime) == 0
    assert snapshot(runtime) == before
    assert current(runtime, requester, hit).available_count == 2


def test_abandon_overdue_on_an_expired_hit_releases_the_slot_cost(runtime, factory, requester, clock):
    slow = factory.hit_type_spec(assignment_duration_seconds=7200)
    hit = factory.hit(requester.actor, max_assignments=3, hit_type=slow)
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=3600)
    assert sweeps.expire_due_hits(runtime) == 1
    assert held_for(runtime, hit) == SLOT
    assert current(runtime, requester, hit).status is HITStatus.UNASSIGNABLE

    clock.advance(seconds=3601)
    assert sweeps.abandon_overdue(runtime) == 1

    assert status_of(runtime, worker, taken) is AssignmentStatus.ABANDONED
    assert held_for(runtime, hit) == 0
    assert current(runtime, requester, hit).status is HITStatus.REVIEWABLE
    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("100.00"), 0)


def test_abandon_overdue_leaves_submitted_and_returned_assignments_alone(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=2)
    done_by, returned_by = factory.worker(), factory.worker()
    done = assignments.accept(runtime, done_by.actor, hit.public_id)
    assignments.submit(runtime, done_by.actor, done.public_id, {"label": "cat"})
    returned = assignments.accept(runtime, returned_by.actor, hit.public_id)
    assignments.return_assignment(runtime, returned_by.actor, returned.public_id)
    clock.advance(seconds=601)

    assert sweeps.abandon_overdue(runtime) == 0
    assert (status_of(runtime, done_by, done), status_of(runtime, returned_by, returned)) == \
        (AssignmentStatus.SUBMITTED, AssignmentStatus.RETURNED)


# auto-approve ----------------------------------------------------------------------------------------------

def test_auto_approve_due_pays_once_the_delay_has_passed(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=1,
                      hit_type=factory.hit_type_spec(auto_approval_delay_seconds=3600))
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    clock.advance(seconds=3599)
    assert sweeps.auto_approve_due(runtime) == 0

    clock.advance(seconds=1)
    assert sweeps.auto_approve_due(runtime) == 1

    approved = assignments.get_assignment(runtime, worker.actor, taken.public_id)
    assert (approved.status, approved.approved_at) == (AssignmentStatus.APPROVED, clock.now)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    assert held_for(runtime, hit) == 0


def test_auto_approve_due_twice_pays_once(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=2,
                      hit_type=factory.hit_type_spec(auto_approval_delay_seconds=60))
    workers = [factory.worker() for _ in range(2)]
    for worker in workers:
        taken = assignments.accept(runtime, worker.actor, hit.public_id)
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    clock.advance(seconds=60)
    assert sweeps.auto_approve_due(runtime) == 2
    before = snapshot(runtime)

    assert sweeps.auto_approve_due(runtime) == 0
    assert snapshot(runtime) == before
    assert [payments.worker_earnings(runtime, w.actor).approved_micros for w in workers] == \
        [parse_amount("0.50")] * 2


def test_auto_approve_due_skips_assignments_the_requester_decided(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=1,
                      hit_type=factory.hit_type_spec(auto_approval_delay_seconds=60))
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    assignments.reject(runtime, requester.actor, taken.public_id, feedback="wrong")
    clock.advance(seconds=61)

    assert sweeps.auto_approve_due(runtime) == 0
    assert status_of(runtime, worker, taken) is AssignmentStatus.REJECTED
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0


# expire ----------------------------------------------------------------------------------------------------

def test_expire_due_hits_stops_work_and_releases_unused_slots(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=4, lifetime_seconds=3600)
    later = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=7200)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)
    submitter = factory.worker()
    taken = assignments.accept(runtime, submitter.actor, hit.public_id)
    assignments.submit(runtime, submitter.actor, taken.public_id, {"label": "cat"})
    clock.advance(seconds=3599)
    assert sweeps.expire_due_hits(runtime) == 0

    clock.advance(seconds=1)
    assert sweeps.expire_due_hits(runtime) == 1

    expired = current(runtime, requester, hit)
    assert (expired.status, expired.expired_at, expired.expires_at) == \
        (HITStatus.UNASSIGNABLE, clock.now, clock.now)
    assert held_for(runtime, hit) == 2 * SLOT  # the pending and the submitted assignment
    assert current(runtime, requester, later).status is HITStatus.ASSIGNABLE
    assert held_for(runtime, later) == SLOT


def test_expire_due_hits_twice_changes_nothing(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=2)
    clock.advance(seconds=3600)
    assert sweeps.expire_due_hits(runtime) == 1
    before = snapshot(runtime)

    assert sweeps.expire_due_hits(runtime) == 0
    assert snapshot(runtime) == before
    assert current(runtime, requester, hit).status is HITStatus.REVIEWABLE
    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("100.00"), 0)


def test_expire_due_hits_marks_a_reviewable_hit_without_moving_funds_and_skips_deleted(runtime, factory,
                                                                                      requester, clock):
    full, deleted = (factory.hit(requester.actor, max_assignments=1) for _ in range(2))
    done = {}
    for hit in (full, deleted):
        worker = factory.worker()
        taken = assignments.accept(runtime, worker.actor, hit.public_id)
        done[hit.public_id] = assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    assignments.approve(runtime, requester.actor, done[deleted.public_id].public_id)
    hits.delete_hit(runtime, requester.actor, deleted.public_id)  # before its lifetime ended
    clock.advance(seconds=3600)

    assert sweeps.expire_due_hits(runtime) == 1

    expired = current(runtime, requester, full)
    assert (expired.status, expired.expired_at) == (HITStatus.REVIEWABLE, clock.now)
    assert held_for(runtime, full) == SLOT
    assert held_for(runtime, deleted) == 0
    assert payments.balance(runtime, requester.actor).on_hold_micros == SLOT
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Event).where(
            Event.action == "HITExpired", Event.entity_id == deleted.public_id)) == 0


# all together ----------------------------------------------------------------------------------------------

def test_run_all_handles_each_due_item_once(runtime, factory, requester, clock):
    sandbox_hit = factory.hit(requester.sandbox(), max_assignments=1)
    hit = factory.hit(requester.actor, max_assignments=3, hit_type=factory.hit_type_spec(
        auto_approval_delay_seconds=60))
    idle = factory.worker()
    assignments.accept(runtime, idle.actor, hit.public_id)
    assignments.accept(runtime, idle.actor.in_marketplace(Marketplace.SANDBOX), sandbox_hit.public_id)
    busy = factory.worker()
    taken = assignments.accept(runtime, busy.actor, hit.public_id)
    assignments.submit(runtime, busy.actor, taken.public_id, {"label": "cat"})
    clock.advance(hours=2)

    assert sweeps.run_all(runtime) == {"abandoned": 2, "auto_approved": 1, "expired": 2}
    before = snapshot(runtime)
    assert sweeps.run_all(runtime) == {"abandoned": 0, "auto_approved": 0, "expired": 0}
    assert snapshot(runtime) == before
    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("100.00") - SLOT, 0)
    assert payments.balance(runtime, requester.sandbox()).on_hold_micros == 0


def test_expire_due_hits_releases_a_hit_that_turned_reviewable_after_its_lifetime(runtime, factory, requester,
                                                                                   clock):
    hit = factory.hit(requester.actor, max_assignments=3,
                      hit_type=factory.hit_type_spec(assignment_duration_seconds=7200))
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=3600)  # the HIT's lifetime ends before any sweep runs
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    assert current(runtime, requester, hit).status is HITStatus.REVIEWABLE

    assert sweeps.expire_due_hits(runtime) == 1

    assert held_for(runtime, hit) == SLOT  # only the submitted assignment can still cost anything
    assert current(runtime, requester, hit).expired_at == clock.now
