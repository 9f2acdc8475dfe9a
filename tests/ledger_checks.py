"""The ledger's audit, for tests that leave it after concurrency or a crash: every transaction sums to
zero, each HIT holds exactly slot cost x liable slots, and its counters equal its assignment rows."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from labelhub.models import HIT, Assignment, AssignmentStatus, LedgerEntry
from labelhub.runtime import Runtime
from labelhub.services import ledger

# The statuses behind the HIT's pending, submitted, approved and rejected counters, in that order.
COUNTED = (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED,
           AssignmentStatus.REJECTED)


def check_holds(runtime: Runtime) -> None:
    """Every transaction sums to zero and each HIT holds exactly slot cost x liable slots."""
    now = runtime.clock()
    with runtime.sessions() as db:
        unbalanced = db.execute(select(LedgerEntry.transaction_id).group_by(LedgerEntry.transaction_id)
                                .having(func.sum(LedgerEntry.amount_micros) != 0)).all()
        assert unbalanced == []
        for hit in db.scalars(select(HIT)):
            on_hold = ledger.account(db, hit.marketplace, f"requester:{hit.requester_id}", ledger.ON_HOLD)
            expected = ledger.slot_cost(hit) * hit.liable_slots(now)
            assert ledger.balance_of(db, on_hold, hit_id=hit.id) == expected, hit.public_id


def check_hit_counters(runtime: Runtime) -> None:
    """Each HIT's pending/submitted/approved/rejected counters equal its assignment rows."""
    with runtime.sessions() as db:
        rows = Counter({(h, s): n for h, s, n in db.execute(
            select(Assignment.hit_id, Assignment.status, func.count())
            .group_by(Assignment.hit_id, Assignment.status)).all()})
        for hit in db.scalars(select(HIT)):
            counted = tuple(rows[(hit.id, s)] for s in COUNTED)
            assert counted == (hit.pending_count, hit.submitted_count, hit.approved_count,
                               hit.rejected_count), hit.public_id
