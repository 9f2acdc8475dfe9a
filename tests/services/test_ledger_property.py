"""Property test of the money rules: random sequences of marketplace operations (hypothesis stateful),
with the ledger's invariants checked against the database after every step.

Invariants: every transaction moves money and sums to zero; no requester, worker or platform balance is
negative; the funds held for each HIT are its slot cost x liable slots; each approved assignment was paid
exactly once and no other assignment was paid; the counters on each HIT equal its assignment rows.

Each step picks one operation among those that can apply to the current data, with weights: a uniform
choice would spend most steps moving the clock and expiring HITs before anyone works on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from labelhub.errors import DomainError, InsufficientFundsError, InvalidStateError
from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    HITStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)
from labelhub.queueing import InlineBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, ledger, payments, sweeps
from labelhub.services.actors import Actor
from labelhub.services.commands import SendBonus
from tests.conftest import Clock, empty_all_tables
from tests.factories import Factory
from tests.ledger_checks import check_hit_counters

REWARDS = (0, 10_000, 120_000, 500_000, 1_025_000)  # free, minimum fee, rounding down, plain, half-up
MAX_ASSIGNMENTS = (1, 2, 3, 9, 10, 12)               # both fee tiers and the edge between them
LIFETIMES = (600, 3600, 7200)
DURATIONS = (60, 600, 7200)
AUTO_APPROVAL_DELAYS = (0, 60, 3600)
BONUSES = (10_000, 40_000, 1_025_000)
DEPOSITS = (600_000, 5_000_000)
CLOCK_STEPS = (30, 120, 600, 3600, 86_400, 31 * 86_400)
WORKERS = 4
NON_NEGATIVE = (ledger.AVAILABLE, ledger.ON_HOLD, ledger.EARNINGS, ledger.FEES)
SUBMITTED_OR_DECIDED = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED)

index = st.integers(min_value=0, max_value=10_000)


@dataclass(frozen=True)
class View:
    """What the next operation is chosen from: HITs as (public id, requester id), assignments as
    (public id, worker id, requester id) by status."""

    open_hits: tuple[tuple[str, int], ...]   # assignable and within their lifetime
    live_hits: tuple[tuple[str, int], ...]   # not deleted
    by_status: dict[AssignmentStatus, tuple[tuple[str, int, int], ...]]
    sweep_due: bool                           # a sweep has something to abandon, approve or expire

    def assignments(self, *statuses: AssignmentStatus) -> tuple[tuple[str, int, int], ...]:
        return tuple(a for s in statuses for a in self.by_status.get(s, ()))


def always(view: View) -> bool:
    return True


def with_assignments(*statuses: AssignmentStatus) -> Callable[[View], bool]:
    return lambda view: bool(view.assignments(*statuses))


def with_live_hits(view: View) -> bool:
    return bool(view.live_hits)


# (operation, weight, when it can apply); earlier entries are also what hypothesis shrinks towards.
OPERATIONS: tuple[tuple[str, int, Callable[[View], bool]], ...] = (
    ("submit", 3, with_assignments(AssignmentStatus.ACCEPTED)),
    ("accept", 4, lambda view: bool(view.open_hits)),
    ("approve", 2, with_assignments(AssignmentStatus.SUBMITTED)),
    ("reject", 2, with_assignments(AssignmentStatus.SUBMITTED)),
    ("override_rejection", 2, with_assignments(AssignmentStatus.REJECTED)),
    ("return_assignment", 1, with_assignments(AssignmentStatus.ACCEPTED)),
    ("bonus", 1, with_assignments(*SUBMITTED_OR_DECIDED)),
    ("create_hit", 2, always),
    ("add_assignments", 1, with_live_hits),
    ("extend", 1, with_live_hits),
    ("expire", 1, with_live_hits),
    ("delete", 1, with_live_hits),
    ("deposit", 1, always),
    ("move_clock", 1, with_live_hits),
    ("move_clock_to_next", 2, with_live_hits),
    ("run_sweeps", 2, lambda view: view.sweep_due),
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, engine, app_settings) -> None:
        super().__init__()
        self.engine = engine
        empty_all_tables(engine)
        self.clock = Clock()
        self.rt = Runtime(settings=app_settings, engine=engine, backend=InlineBackend(), clock=self.clock)
        self.factory = Factory(self.rt)
        self.requesters: dict[int, Actor] = {}
        self.workers: dict[int, Actor] = {}
        self._view: View | None = None
        self.swept_at = self.clock.now  # HITs due before the last sweep must have been expired by it

    def teardown(self) -> None:
        empty_all_tables(self.engine)

    @initialize()
    def people(self) -> None:
        for deposit in ("5.00", "40.00"):
            handle = self.factory.requester(deposit=deposit)
            self.requesters[handle.actor.id] = handle.actor
        for _ in range(WORKERS):
            handle = self.factory.worker()
            self.workers[handle.actor.id] = handle.actor

    @rule(data=st.data())
    def step(self, data) -> None:
        view = self.view()
        choices = [name for name, weight, applies in OPERATIONS if applies(view) for _ in range(weight)]
        name = data.draw(st.sampled_from(choices), label="operation")
        getattr(self, name)(data)

    def view(self) -> View:
        """The database as the choice of the next operation needs it (every operation forgets it)."""
        if self._view is None:
            now = self.clock.now
            with self.rt.sessions() as db:
                live = db.execute(select(HIT.public_id, HIT.requester_id, HIT.status, HIT.expires_at,
                                         HIT.expired_at).where(HIT.status != HITStatus.DISPOSED)
                                  .order_by(HIT.id)).all()
                found = db.execute(select(Assignment.public_id, Assignment.worker_id, HIT.requester_id,
                                          Assignment.status, Assignment.deadline, Assignment.auto_approval_at)
                                   .join(HIT).order_by(Assignment.id)).all()
            by_status: dict[AssignmentStatus, list[tuple[str, int, int]]] = defaultdict(list)
            for public_id, worker_id, requester_id, status, _, _ in found:
                by_status[status].append((public_id, worker_id, requester_id))
            expiry_due = any(expires_at <= now and expired_at is None for *_, expires_at, expired_at in live)
            work_due = any(status is AssignmentStatus.ACCEPTED and deadline < now
                           or status is AssignmentStatus.SUBMITTED and auto_approval_at <= now
                           for *_, status, deadline, auto_approval_at in found)
            self._view = View(
                open_hits=tuple((h, r) for h, r, status, expires_at, _ in live
                                if status is HITStatus.ASSIGNABLE and expires_at > now),
                live_hits=tuple((h, r) for h, r, *_ in live),
                by_status={s: tuple(found) for s, found in by_status.items()},
                sweep_due=expiry_due or work_due)
        return self._view

    def do(self, name: str, call: Callable[[], Any], *expected: type[DomainError]) -> Any:
        """Run one operation. The typed errors a random sequence can legitimately hit are swallowed (and
        counted with hypothesis.event); any other exception fails the example."""
        self._view = None
        try:
            result = call()
        except expected as exc:
            event(f"{name}: {type(exc).__name__}")
            return None
        event(f"{name}: done")
        return result

    def _requester(self, data) -> Actor:
        return list(self.requesters.values())[data.draw(index, label="requester") % len(self.requesters)]

    def _hit(self, data, candidates: tuple[tuple[str, int], ...]) -> tuple[str, Actor]:
        public_id, requester_id = candidates[data.draw(index, label="hit") % len(candidates)]
        return public_id, self.requesters[requester_id]

    def _assignment(self, data, *statuses: AssignmentStatus) -> tuple[str, Actor, Actor]:
        candidates = self.view().assignments(*statuses)
        chosen = data.draw(index, label="assignment") % len(candidates)
        public_id, worker_id, requester_id = candidates[chosen]
        return public_id, self.workers[worker_id], self.requesters[requester_id]

    # operations --------------------------------------------------------------------------------------------

    def create_hit(self, data) -> None:
        requester = self._requester(data)
        spec = self.factory.hit_type_spec(
            reward_micros=data.draw(st.sampled_from(REWARDS), label="reward"),
            assignment_duration_seconds=data.draw(st.sampled_from(DURATIONS), label="duration"),
            auto_approval_delay_seconds=data.draw(st.sampled_from(AUTO_APPROVAL_DELAYS), label="delay"))
        max_assignments = data.draw(st.sampled_from(MAX_ASSIGNMENTS), label="max_assignments")
        lifetime = data.draw(st.sampled_from(LIFETIMES), label="lifetime")
        self.do("create_hit", lambda: self.factory.hit(requester, max_assignments=max_assignments,
                                                       lifetime_seconds=lifetime, hit_type=spec),
                InsufficientFundsError)

    def accept(self, data) -> None:
        public_id, _ = self._hit(data, self.view().open_hits)
        worker = list(self.workers.values())[data.draw(index, label="worker") % len(self.workers)]
        self.do("accept", lambda: assignments.accept(self.rt, worker, public_id), InvalidStateError)

    def submit(self, data) -> None:
        public_id, worker, _ = self._assignment(data, AssignmentStatus.ACCEPTED)
        self.do("submit", lambda: assignments.submit(self.rt, worker, public_id, {"label": "cat"}),
                InvalidStateError)

    def return_assignment(self, data) -> None:
        public_id, worker, _ = self._assignment(data, AssignmentStatus.ACCEPTED)
        self.do("return", lambda: assignments.return_assignment(self.rt, worker, public_id))

    def approve(self, data) -> None:
        public_id, _, requester = self._assignment(data, AssignmentStatus.SUBMITTED)
        self.do("approve", lambda: assignments.approve(self.rt, requester, public_id))

    def reject(self, data) -> None:
        public_id, _, requester = self._assignment(data, AssignmentStatus.SUBMITTED)
        self.do("reject", lambda: assignments.reject(self.rt, requester, public_id, feedback="wrong"))

    def override_rejection(self, data) -> None:
        public_id, _, requester = self._assignment(data, AssignmentStatus.REJECTED)
        self.do("override",
                lambda: assignments.approve(self.rt, requester, public_id, override_rejection=True),
                InvalidStateError, InsufficientFundsError)

    def expire(self, data) -> None:
        public_id, requester = self._hit(data, self.view().live_hits)
        now = self.clock.now
        self.do("expire", lambda: hits.update_expiration(self.rt, requester, public_id, now))

    def extend(self, data) -> None:
        public_id, requester = self._hit(data, self.view().live_hits)
        until = self.clock.now + timedelta(seconds=data.draw(st.sampled_from(LIFETIMES), label="seconds"))
        self.do("extend", lambda: hits.update_expiration(self.rt, requester, public_id, until),
                InsufficientFundsError)

    def add_assignments(self, data) -> None:
        public_id, requester = self._hit(data, self.view().live_hits)
        count = data.draw(st.integers(min_value=1, max_value=3), label="count")
        self.do("add_assignments",
                lambda: hits.create_additional_assignments(self.rt, requester, public_id, count),
                InvalidStateError, InsufficientFundsError)

    def delete(self, data) -> None:
        public_id, requester = self._hit(data, self.view().live_hits)
        self.do("delete", lambda: hits.delete_hit(self.rt, requester, public_id), InvalidStateError)

    def bonus(self, data) -> None:
        public_id, worker, requester = self._assignment(data, *SUBMITTED_OR_DECIDED)
        cmd = SendBonus(worker_id=worker.public_id, assignment_id=public_id,
                        amount_micros=data.draw(st.sampled_from(BONUSES), label="amount"), reason="well done")
        self.do("bonus", lambda: payments.send_bonus(self.rt, requester, cmd), InsufficientFundsError)

    def deposit(self, data) -> None:
        requester = self._requester(data)
        amount = data.draw(st.sampled_from(DEPOSITS), label="amount")
        self.do("deposit", lambda: payments.deposit(self.rt, requester.public_id, amount))

    def move_clock(self, data) -> None:
        seconds = data.draw(st.sampled_from(CLOCK_STEPS), label="seconds")
        self.do("move_clock", lambda: self.clock.advance(seconds=seconds))

    def move_clock_to_next(self, data) -> None:
        """Jump to the next HIT expiry, assignment deadline or auto-approval time (or a second past it),
        where the time-driven rules change their answer; random steps rarely land there."""
        moment = data.draw(st.sampled_from(("expiry", "deadline", "auto_approval")), label="moment")
        column, where = {
            "expiry": (HIT.expires_at, HIT.status != HITStatus.DISPOSED),
            "deadline": (Assignment.deadline, Assignment.status == AssignmentStatus.ACCEPTED),
            "auto_approval": (Assignment.auto_approval_at, Assignment.status == AssignmentStatus.SUBMITTED),
        }[moment]
        with self.rt.sessions() as db:
            upcoming = db.scalar(select(func.min(column)).where(where, column > self.clock.now))
        if upcoming is not None:
            then = upcoming + timedelta(seconds=data.draw(st.sampled_from((0, 1)), label="past"))
            self.do(f"move_clock to {moment}", lambda: setattr(self.clock, "now", then))

    def run_sweeps(self, data) -> None:
        done = self.do("sweeps", lambda: sweeps.run_all(self.rt))
        self.swept_at = self.clock.now
        for sweep, count in done.items():
            event(f"sweep {sweep}: {'some' if count else 'none'}")

    # invariants --------------------------------------------------------------------------------------------

    @invariant()
    def transactions_sum_to_zero(self) -> None:
        with self.rt.sessions() as db:
            unbalanced = db.execute(select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_micros))
                                    .group_by(LedgerEntry.transaction_id)
                                    .having(func.sum(LedgerEntry.amount_micros) != 0)).all()
            has_entries = select(LedgerEntry.id).where(
                LedgerEntry.transaction_id == LedgerTransaction.id).exists()
            empty = db.scalars(select(LedgerTransaction.id).where(~has_entries)).all()
        assert unbalanced == []
        assert empty == [], "a transaction that moves no money"

    @invariant()
    def no_balance_is_negative(self) -> None:
        with self.rt.sessions() as db:
            negative = db.execute(
                select(LedgerAccount.owner, LedgerAccount.purpose, func.sum(LedgerEntry.amount_micros))
                .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                .where(LedgerAccount.purpose.in_(NON_NEGATIVE))
                .group_by(LedgerAccount.id, LedgerAccount.owner, LedgerAccount.purpose)
                .having(func.sum(LedgerEntry.amount_micros) < 0)).all()
        assert negative == []

    @invariant()
    def each_hit_holds_slot_cost_times_liable_slots(self) -> None:
        now = self.clock.now
        with self.rt.sessions() as db:
            held = dict(db.execute(
                select(LedgerEntry.hit_id, func.sum(LedgerEntry.amount_micros))
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .where(LedgerAccount.purpose == ledger.ON_HOLD).group_by(LedgerEntry.hit_id)).all())
            for hit in db.scalars(select(HIT)):
                cost, have = ledger.slot_cost(hit), held.get(hit.id, 0)
                if hit.status is not HITStatus.DISPOSED and hit.expired_at is None and \
                        self.swept_at < hit.expires_at <= now:
                    # Its lifetime ended but no expiry sweep has run since: until one does, the hold is the
                    # pre-expiry one, or already the expired one if an approval or return re-synced it.
                    allowed = {cost * (hit.max_assignments - hit.approved_count - hit.rejected_count),
                               cost * (hit.pending_count + hit.submitted_count)}
                    assert have in allowed, (hit.public_id, have, allowed)
                else:
                    assert have == cost * hit.liable_slots(now), (hit.public_id, have, hit.liable_slots(now))
        assert None not in held, "an on-hold entry without its HIT"

    @invariant()
    def approved_assignments_are_paid_exactly_once(self) -> None:
        with self.rt.sessions() as db:
            paid: dict[int, list[int]] = defaultdict(list)
            for assignment_id, amount in db.execute(
                    select(LedgerEntry.assignment_id, LedgerEntry.amount_micros)
                    .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                    .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                    .where(LedgerTransaction.kind == "reward", LedgerAccount.purpose == ledger.EARNINGS)):
                paid[assignment_id].append(amount)
            every = db.execute(select(Assignment.id, Assignment.status, HIT).join(HIT)).all()
        for assignment_id, status, hit in every:
            reward = hit.hit_type.reward_micros
            expected = [reward] if status is AssignmentStatus.APPROVED and reward else []
            assert paid.pop(assignment_id, []) == expected, (assignment_id, status)
        assert paid == {}, "reward entries for assignments that do not exist"

    @invariant()
    def hit_counters_equal_assignment_rows(self) -> None:
        check_hit_counters(self.rt)


def test_ledger_invariants_hold_under_random_operations(engine, settings):
    run_state_machine_as_test(
        lambda: LedgerMachine(engine, settings),
        settings=hypothesis_settings(max_examples=14, stateful_step_count=50, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow]))
