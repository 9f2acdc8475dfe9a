"""Read-only views of the database that job tests assert on (never used to change anything)."""

from __future__ import annotations

from sqlalchemy import func, select

from labelhub.models import HIT, Assignment, Event, LedgerAccount, LedgerEntry, Marketplace
from labelhub.runtime import Runtime


def ledger_totals(rt: Runtime, marketplace: Marketplace = Marketplace.PRODUCTION) \
        -> dict[tuple[str, str], int]:
    """Balance per (owner, purpose) account of one marketplace, summed from the ledger entries."""
    with rt.sessions() as db:
        rows = db.execute(select(LedgerAccount.owner, LedgerAccount.purpose,
                                 func.coalesce(func.sum(LedgerEntry.amount_micros), 0))
                          .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                          .where(LedgerAccount.marketplace == marketplace)
                          .group_by(LedgerAccount.owner, LedgerAccount.purpose)).all()
    return {(owner, purpose): int(total) for owner, purpose, total in rows}


def snapshot(rt: Runtime) -> dict[str, object]:
    """Everything a sweep can change: statuses, counters, ledger balances and the event log."""
    with rt.sessions() as db:
        hits = db.execute(select(HIT.public_id, HIT.status, HIT.expired_at, HIT.pending_count,
                                 HIT.submitted_count, HIT.approved_count, HIT.rejected_count)
                          .order_by(HIT.id)).all()
        assignments = db.execute(select(Assignment.public_id, Assignment.status, Assignment.approved_at,
                                        Assignment.ended_at).order_by(Assignment.id)).all()
        events = db.scalar(select(func.count()).select_from(Event))
        entries = db.scalar(select(func.count()).select_from(LedgerEntry))
    return {"hits": hits, "assignments": assignments, "events": events, "ledger_entries": entries,
            "balances": {m: ledger_totals(rt, m) for m in Marketplace}}
