"""Concurrency: many threads on real parallel connections (a shared Runtime and engine) racing for the same
slots, the same assignments and the same overdue work. Runs on PostgreSQL (row locks) and SQLite (BEGIN
IMMEDIATE); the figures are printed (pytest -s) and recorded as test properties."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from labelhub.errors import InsufficientFundsError, InvalidStateError
from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    Event,
    HITStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, ledger, payments, sweeps
from tests.ledger_checks import check_holds

WORKERS = 52
MAX_ASSIGNMENTS = (3, 5, 7, 10)
DUPLICATE_THREADS = 6  # workers who also race themselves from a second thread (a double click)


@pytest.fixture(autouse=True)
def close_idle_connections(engine):
    """A race leaves ~60 pooled connections open; the server's connection slots are shared with other
    test runs, so close them once the test (and the runtime's clean-up) is done."""
    yield
    engine.dispose()


@dataclass(frozen=True)
class Outcome:
    key: Hashable
    value: object = None
    error: Exception | None = None


Step = tuple[Hashable, Callable[[], object]]


def race(threads: list[list[Step]]) -> tuple[list[Outcome], float]:
    """Run each list of steps in its own thread, all released at once by a barrier; every step's result
    or exception is kept. Returns the outcomes and the wall-clock seconds from release to the last join."""
    barrier = threading.Barrier(len(threads) + 1)
    outcomes: list[Outcome] = []

    def run(steps: list[Step]) -> None:
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError as exc:
            outcomes.append(Outcome("barrier", error=exc))
            return
        for key, call in steps:
            try:
                outcomes.append(Outcome(key, value=call()))
            except Exception as exc:  # recorded: the test asserts every failure is the expected one
                outcomes.append(Outcome(key, error=exc))

    started = [threading.Thread(target=run, args=(steps,), daemon=True) for steps in threads]
    for thread in started:
        thread.start()
    barrier.wait(timeout=120)
    began = time.perf_counter()
    for thread in started:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in started), "a racing thread never finished"
    return outcomes, time.perf_counter() - began


def unexpected_failures(outcomes: list[Outcome],
                        expected: type[Exception] = InvalidStateError) -> list[Exception]:
    return [o.error for o in outcomes if o.error is not None and not isinstance(o.error, expected)]


def report(record_property, runtime, name: str, **figures: object) -> None:
    """Print the figures (visible with -s) and keep them in the JUnit report."""
    dialect = runtime.engine.dialect.name
    for key, value in figures.items():
        record_property(f"{name}.{dialect}.{key}", value)
    print(f"\n[{name} on {dialect}] " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def runtime_at(runtime: Runtime, moment: datetime) -> Runtime:
    """Another process's view of the same database, with its own clock."""
    return Runtime(settings=runtime.settings, engine=runtime.engine, backend=InlineBackend(),
                   clock=lambda: moment)


def test_accept_race_fills_each_hit_exactly_to_max_assignments(runtime, factory, record_property):
    requester = factory.requester(deposit="100.00")
    hits = [factory.hit(requester.actor, max_assignments=m, lifetime_seconds=86_400) for m in MAX_ASSIGNMENTS]
    workers = [factory.worker() for _ in range(WORKERS)]
    rng = random.Random(20260701)

    def attempts(worker) -> list[Step]:
        order = rng.sample(hits, len(hits))
        return [((worker.actor.id, h.id), lambda h=h: assignments.accept(runtime, worker.actor, h.public_id))
                for h in order]

    threads = [attempts(w) for w in workers] + [attempts(w) for w in workers[:DUPLICATE_THREADS]]
    outcomes, seconds = race(threads)

    won = [o for o in outcomes if o.error is None]
    assert len(outcomes) == len(threads) * len(hits)
    assert unexpected_failures(outcomes) == []
    assert len(won) == sum(MAX_ASSIGNMENTS)
    assert len({o.key for o in won}) == len(won), "a worker got two assignments on one HIT"
    assert all((o.value.worker_id, o.value.hit_id) == o.key for o in won)
    with runtime.sessions() as db:
        per_hit = dict(db.execute(select(Assignment.hit_id, func.count()).where(
            Assignment.status == AssignmentStatus.ACCEPTED).group_by(Assignment.hit_id)).tuples().all())
        doubles = db.execute(select(Assignment.hit_id, Assignment.worker_id).group_by(
            Assignment.hit_id, Assignment.worker_id).having(func.count() > 1)).all()
        stored = {h.id: h for h in db.scalars(select(HIT))}
        accepted_events = db.scalar(select(func.count()).select_from(Event).where(
            Event.action == "AssignmentAccepted"))
    assert per_hit == {h.id: h.max_assignments for h in hits}
    assert doubles == []
    for hit in hits:
        row = stored[hit.id]
        assert (row.pending_count, row.submitted_count, row.available_count, row.status) == \
            (hit.max_assignments, 0, 0, HITStatus.UNASSIGNABLE)
    assert accepted_events == sum(MAX_ASSIGNMENTS)
    check_holds(runtime)
    report(record_property, runtime, "accept_race", threads=len(threads), workers=WORKERS,
           attempts=len(outcomes), accepted=len(won), refused=len(outcomes) - len(won),
           seconds=round(seconds, 3))


def test_submit_race_against_the_abandon_sweep_decides_each_assignment_once(runtime, factory,
                                                                            record_property):
    requester = factory.requester(deposit="100.00")
    hits = [factory.hit(requester.actor, max_assignments=12) for _ in range(3)]
    workers = [factory.worker() for _ in range(12)]
    taken = [(w, assignments.accept(runtime, w.actor, h.public_id)) for w in workers for h in hits]
    deadline = taken[0][1].deadline
    assert all(a.deadline == deadline for _, a in taken)
    # Workers submit at the last allowed instant while two sweepers already see the deadline passed.
    late = runtime_at(runtime, deadline)
    sweeper = runtime_at(runtime, deadline + timedelta(seconds=1))
    rng = random.Random(20260702)

    def submit_later(worker, assignment, pause: float):
        time.sleep(pause)  # spreads the submits over the sweep's run so both sides win some
        return assignments.submit(late, worker.actor, assignment.public_id, {"label": "cat"})

    def submits_of(worker) -> list[Step]:
        mine = [a for w, a in taken if w is worker]
        return [(("submit", a.public_id), functools.partial(submit_later, worker, a, rng.uniform(0, 0.4)))
                for a in rng.sample(mine, len(mine))]

    threads = [submits_of(w) for w in workers]
    threads += [[("sweep", lambda: sweeps.abandon_overdue(sweeper))] for _ in range(2)]

    outcomes, seconds = race(threads)

    assert unexpected_failures(outcomes) == []
    submitted = {o.key[1] for o in outcomes if o.key != "sweep" and o.error is None}
    abandoned_by_sweeps = sum(o.value for o in outcomes if o.key == "sweep")
    with runtime.sessions() as db:
        final = dict(db.execute(select(Assignment.public_id, Assignment.status)).tuples().all())
        abandon_events = db.scalar(select(func.count()).select_from(Event).where(
            Event.action == "AssignmentAbandoned"))
        counters = [(h.pending_count, h.submitted_count) for h in db.scalars(select(HIT).order_by(HIT.id))]
    assert {a.public_id for s, a in taken} == set(final)
    assert {p for p, s in final.items() if s is AssignmentStatus.SUBMITTED} == submitted
    abandoned = {p for p, s in final.items() if s is AssignmentStatus.ABANDONED}
    assert abandoned == set(final) - submitted
    assert abandoned_by_sweeps == abandon_events == len(abandoned)
    submitted_per_hit = Counter(a.hit_id for _, a in taken if a.public_id in submitted)
    assert counters == [(0, submitted_per_hit[h.id]) for h in hits]
    check_holds(sweeper)
    report(record_property, runtime, "submit_vs_abandon", assignments=len(taken), submitted=len(submitted),
           abandoned=len(abandoned), seconds=round(seconds, 3))


@pytest.mark.parametrize("decisions", [("approve", "approve"), ("approve", "reject")])
def test_concurrent_decisions_on_one_assignment_pay_at_most_once(runtime, factory, record_property,
                                                                 decisions):
    requester = factory.requester(deposit="100.00")
    hit = factory.hit(requester.actor, max_assignments=10)
    done = []
    for worker in [factory.worker() for _ in range(10)]:
        taken = assignments.accept(runtime, worker.actor, hit.public_id)
        done.append(assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"}))
    calls = {"approve": lambda a: assignments.approve(runtime, requester.actor, a.public_id),
             "reject": lambda a: assignments.reject(runtime, requester.actor, a.public_id, feedback="no")}
    threads = [[((decision, a.public_id), lambda a=a, d=decision: calls[d](a))]
               for a in done for decision in decisions]

    outcomes, seconds = race(threads)

    assert unexpected_failures(outcomes) == []
    winners = Counter(o.key[1] for o in outcomes if o.error is None)
    assert winners == Counter({a.public_id: 1 for a in done}), "each assignment is decided exactly once"
    approved = {o.key[1] for o in outcomes if o.error is None and o.key[0] == "approve"}
    with runtime.sessions() as db:
        final = dict(db.execute(select(Assignment.public_id, Assignment.status)).tuples().all())
        paid = Counter(db.scalars(
            select(Assignment.public_id).join(LedgerEntry, LedgerEntry.assignment_id == Assignment.id)
            .join(LedgerTransaction).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerTransaction.kind == "reward", LedgerAccount.purpose == ledger.EARNINGS)))
        row = db.get_one(HIT, hit.id)
        counters = (row.submitted_count, row.approved_count, row.rejected_count)
    assert {p for p, s in final.items() if s is AssignmentStatus.APPROVED} == approved
    assert paid == Counter({p: 1 for p in approved})
    assert counters == (0, len(approved), len(done) - len(approved))
    check_holds(runtime)
    report(record_property, runtime, "decide_race_" + "_vs_".join(decisions), threads=len(threads),
           approved=len(approved), rejected=len(done) - len(approved), seconds=round(seconds, 3))


def test_concurrent_spending_never_overdraws_the_requester(runtime, factory, record_property):
    requester = factory.requester(deposit="3.00")  # five one-slot HITs at 0.60
    spec = factory.hit_type_spec()
    threads = [[(n, lambda: factory.hit(requester.actor, max_assignments=1, hit_type=spec))]
               for n in range(12)]

    outcomes, seconds = race(threads)

    assert unexpected_failures(outcomes, InsufficientFundsError) == []
    created = [o.value for o in outcomes if o.error is None]
    assert len(created) == 5
    assert len({h.hit_type_id for h in created}) == 1  # the identical HIT type was created once
    assert payments.balance(runtime, requester.actor) == ledger.Balance(0, 5 * ledger.slot_cost(created[0]))
    check_holds(runtime)
    report(record_property, runtime, "spend_race", threads=len(threads), created=len(created),
           refused=len(outcomes) - len(created), seconds=round(seconds, 3))
