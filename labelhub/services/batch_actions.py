"""What a requester does to a whole batch: pause and resume it, extend its HITs' lifetime, add
assignments to each of its HITs, and expire it now.

Each action is one transaction of set-based statements (a 100,000-HIT batch is a few UPDATEs and one
ledger transaction, never a loop of ORM calls). The batch's row lock serialises actions on one batch;
the HITs' rows are locked by the statements themselves, so accepts and submits wait, then see the
result. Held funds stay exactly slot cost x liable slots for every HIT, as ``ledger.sync_hold`` keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, case, func, literal, select, update
from sqlalchemy.orm import Session

from labelhub.errors import InvalidInputError, InvalidStateError
from labelhub.models import HIT, Batch, BatchState, HITStatus, HITType
from labelhub.runtime import Runtime
from labelhub.services import ledger
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import owned_batch
from labelhub.services.commands import MAX_DURATION_SECONDS
from labelhub.services.common import record_event, record_hit_events

MIN_EXTENSION_SECONDS = 60
MAX_ADDED_ASSIGNMENTS = 100  # per HIT, per action


@dataclass(frozen=True)
class BatchActionResult:
    """How many HITs an action changed, and the funds it held (add) or released (expire)."""

    batch: Batch
    hits: int
    amount_micros: int = 0


def _ready_batch(db: Session, actor: Actor, batch_public_id: str) -> Batch:
    """The requester's batch under its row lock; a batch still being built (or failed) takes no action."""
    batch = owned_batch(db, actor, batch_public_id, lock=True)
    if batch.state is BatchState.BUILDING:
        raise InvalidStateError(f"Batch {batch.name} is still being built: wait until its HITs are written",
                                entity="batch")
    if batch.state is BatchState.FAILED:
        raise InvalidStateError(f"Batch {batch.name} failed to build and is being removed", entity="batch")
    return batch


def _open_hits(batch: Batch, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The batch's HITs still taking workers (by the clock): not deleted, not expired."""
    return HIT.batch_id == batch.id, HIT.status != HITStatus.DISPOSED, HIT.expires_at > now


def pause(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchActionResult:
    """Serve no new assignments of the batch: its HITs leave the marketplace and refuse accepts;
    assignments already accepted can still be submitted. Raises NotFoundError, InvalidStateError."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = _ready_batch(db, actor, batch_public_id)
        if batch.paused_at is not None:
            raise InvalidStateError(f"Batch {batch.name} is already paused", entity="batch")
        batch.paused_at = now
        changed = db.execute(update(HIT).where(HIT.batch_id == batch.id, HIT.paused.is_(False))
                             .values(paused=True).execution_options(synchronize_session=False)).rowcount
        record_event(db, actor, "BatchPaused", entity="batch", entity_id=batch.public_id, now=now)
    return BatchActionResult(batch, changed)


def resume(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchActionResult:
    """Put a paused batch's HITs back on offer. Raises NotFoundError, InvalidStateError."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = _ready_batch(db, actor, batch_public_id)
        if batch.paused_at is None:
            raise InvalidStateError(f"Batch {batch.name} is not paused", entity="batch")
        batch.paused_at = None
        changed = db.execute(update(HIT).where(HIT.batch_id == batch.id, HIT.paused.is_(True))
                             .values(paused=False).execution_options(synchronize_session=False)).rowcount
        record_event(db, actor, "BatchResumed", entity="batch", entity_id=batch.public_id, now=now)
    return BatchActionResult(batch, changed)


def _later(db: Session, seconds: int) -> ColumnElement[Any]:
    """``HIT.expires_at`` plus ``seconds``, computed by the database for every row at once."""
    if db.get_bind().dialect.name == "postgresql":
        return HIT.expires_at + literal(timedelta(seconds=seconds), Interval())
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff": shift the whole seconds, keep the fraction as it was.
    return func.datetime(HIT.expires_at, f"+{seconds} seconds").op("||")(func.substr(HIT.expires_at, 20))


def extend(rt: Runtime, actor: Actor, batch_public_id: str, seconds: int) -> BatchActionResult:
    """Add ``seconds`` to the lifetime of each of the batch's open HITs (expired or deleted ones stay
    as they are). Their held funds do not change: an open HIT holds all its undecided slots already.
    Raises NotFoundError, InvalidStateError (no open HIT), InvalidInputError."""
    require_requester(actor)
    if isinstance(seconds, bool) or not isinstance(seconds, int) \
            or not MIN_EXTENSION_SECONDS <= seconds <= MAX_DURATION_SECONDS:
        raise InvalidInputError({"extend_by": f"must be between {MIN_EXTENSION_SECONDS // 60} minute and "
                                              f"{MAX_DURATION_SECONDS // 86_400} days"})
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = _ready_batch(db, actor, batch_public_id)
        rows = db.execute(update(HIT).where(*_open_hits(batch, now)).values(expires_at=_later(db, seconds))
                          .returning(HIT.id, HIT.public_id, HIT.expires_at)
                          .execution_options(synchronize_session=False)).all()
        if not rows:
            raise InvalidStateError(f"Batch {batch.name} has no open HITs to extend", entity="batch")
        record_hit_events(db, actor, "HITExtended", ((hit_id, public_id, {"expires_at": expires.isoformat()})
                                                     for hit_id, public_id, expires in rows), now=now)
    return BatchActionResult(batch, len(rows))


def add_assignments(rt: Runtime, actor: Actor, batch_public_id: str, count: int) -> BatchActionResult:
    """Give each open, non-gold HIT of the batch ``count`` more assignments and hold their cost (reward
    and fee) in one ledger transaction. HITs that were full or done take workers again.

    Raises InsufficientFundsError (nothing changes), InvalidStateError (no open HIT, or a HIT would
    cross the large-HIT fee tier), NotFoundError, InvalidInputError."""
    require_requester(actor)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ADDED_ASSIGNMENTS:
        raise InvalidInputError({"assignments": f"must be between 1 and {MAX_ADDED_ASSIGNMENTS} per HIT"})
    now = rt.clock()
    threshold = rt.settings.money.large_hit_min_assignments
    with rt.sessions.begin() as db:
        batch = _ready_batch(db, actor, batch_public_id)
        chosen = (*_open_hits(batch, now), HIT.is_gold.is_(False))
        rows = db.execute(select(HIT.id, HIT.public_id, HIT.status, HIT.max_assignments, HIT.hit_type_id,
                                 HIT.fee_per_assignment_micros).where(*chosen)
                          .with_for_update(of=HIT, key_share=True)).all()
        if not rows:
            raise InvalidStateError(f"Batch {batch.name} has no open HITs to add assignments to", entity="batch")
        crossing = next((row.public_id for row in rows if row.max_assignments < threshold <= row.max_assignments
                         + count), None)
        if crossing is not None:
            raise InvalidStateError(
                f"HIT {crossing} was created with fewer than {threshold} assignments and cannot go to {threshold} "
                "or more (its fee tier is fixed)", entity="hit", reason="InvalidMaximumAssignmentsIncrease")
        rewards = dict(db.execute(select(HITType.id, HITType.reward_micros).where(
            HITType.id.in_({row.hit_type_id for row in rows}))).tuples().all())
        holds = [(row.id, count * (rewards[row.hit_type_id] + row.fee_per_assignment_micros)) for row in rows]
        ledger.hold_new_hits(db, actor.marketplace, batch.requester_id, holds, now=now,
                             what=f"{count} more assignment(s) on each of the {len(rows):,} open HITs of "
                                  f"batch {batch.name}")
        db.execute(update(HIT).where(*chosen).values(max_assignments=HIT.max_assignments + count,
                                                    status=HITStatus.ASSIGNABLE)
                   .execution_options(synchronize_session=False))
        record_hit_events(db, actor, "HITExtended", ((row.id, row.public_id, {"added_assignments": count})
                                                     for row in rows), now=now)
        record_hit_events(db, actor, "HITStatusChanged", (
            (row.id, row.public_id, {"previous": row.status.value, "status": HITStatus.ASSIGNABLE.value})
            for row in rows if row.status is not HITStatus.ASSIGNABLE), now=now)
    return BatchActionResult(batch, len(rows), sum(amount for _, amount in holds))


def _status_after_expiry(status: HITStatus, pending: int) -> HITStatus:
    """What ``HIT.derived_status`` gives once the HIT has expired."""
    if pending > 0:
        return HITStatus.UNASSIGNABLE
    return HITStatus.REVIEWING if status is HITStatus.REVIEWING else HITStatus.REVIEWABLE


def expire(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchActionResult:
    """Expire every open HIT of the batch now: no new workers; assignments in progress may still be
    submitted; the funds held for slots nobody took go back to the requester's available balance.
    Raises NotFoundError, InvalidStateError (no open HIT)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = _ready_batch(db, actor, batch_public_id)
        rows = db.execute(select(HIT.id, HIT.public_id, HIT.status, HIT.pending_count, HIT.hit_type_id,
                                 HIT.fee_per_assignment_micros,
                                 (HIT.max_assignments - HIT.pending_count - HIT.submitted_count
                                  - HIT.approved_count - HIT.rejected_count).label("free"))
                          .where(*_open_hits(batch, now)).with_for_update(of=HIT, key_share=True)).all()
        if not rows:
            raise InvalidStateError(f"Batch {batch.name} has no open HITs to expire", entity="batch")
        after = case((HIT.pending_count > 0, literal(HITStatus.UNASSIGNABLE.value)),
                     (HIT.status == HITStatus.REVIEWING, literal(HITStatus.REVIEWING.value)),
                     else_=literal(HITStatus.REVIEWABLE.value))
        db.execute(update(HIT).where(*_open_hits(batch, now)).values(expires_at=now, expired_at=now, status=after)
                   .execution_options(synchronize_session=False))
        rewards = dict(db.execute(select(HITType.id, HITType.reward_micros).where(
            HITType.id.in_({row.hit_type_id for row in rows}))).tuples().all())
        released = ledger.release_holds(db, actor.marketplace, batch.requester_id, [
            (row.id, row.free * (rewards[row.hit_type_id] + row.fee_per_assignment_micros)) for row in rows],
            now=now, what=f"batch {batch.public_id} expired")
        changed = [(row, _status_after_expiry(row.status, row.pending_count)) for row in rows]
        record_hit_events(db, actor, "HITReviewable", (
            (row.id, row.public_id, {"previous": row.status.value}) for row, new in changed
            if new is HITStatus.REVIEWABLE and row.status is not HITStatus.REVIEWABLE), now=now)
        record_hit_events(db, actor, "HITStatusChanged", (
            (row.id, row.public_id, {"previous": row.status.value, "status": new.value}) for row, new in changed
            if new is HITStatus.UNASSIGNABLE and row.status is not HITStatus.UNASSIGNABLE), now=now)
        record_hit_events(db, actor, "HITExpired", ((row.id, row.public_id, {}) for row in rows), now=now)
        record_event(db, actor, "BatchExpired", entity="batch", entity_id=batch.public_id, now=now,
                     hits=len(rows), released=released)
    return BatchActionResult(batch, len(rows), released)
