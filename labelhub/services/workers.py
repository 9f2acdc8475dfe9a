"""Requester-worker relations (blocks, messages) and the worker's view of the marketplace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import InvalidInputError
from labelhub.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    HITStatus,
    Worker,
    WorkerBlock,
    WorkerMessage,
)
from labelhub.runtime import Runtime
from labelhub.services import eligibility
from labelhub.services.actors import Actor, require_requester, require_worker
from labelhub.services.commands import NotifyWorkers
from labelhub.services.common import (
    Page,
    check_page_size,
    decode_cursor,
    encode_cursor,
    get_worker,
    paginate,
    record_event,
)


def block(rt: Runtime, actor: Actor, worker_public_id: str, reason: str) -> None:
    """Block a worker from the requester's HITs (blocking again updates the reason)."""
    require_requester(actor)
    if not reason or len(reason) > 1024:
        raise InvalidInputError({"reason": "is required (at most 1,024 characters)"})
    now = rt.clock()
    try:
        with rt.sessions.begin() as db:
            worker = get_worker(db, worker_public_id)
            existing = db.scalars(select(WorkerBlock).where(
                WorkerBlock.requester_id == actor.id, WorkerBlock.marketplace == actor.marketplace,
                WorkerBlock.worker_id == worker.id)).one_or_none()
            if existing is not None:
                existing.reason = reason
            else:
                db.add(WorkerBlock(requester_id=actor.id, marketplace=actor.marketplace, worker_id=worker.id,
                                   reason=reason, created_at=now))
            record_event(db, actor, "WorkerBlocked", entity="worker", entity_id=worker_public_id, now=now)
    except IntegrityError:
        pass  # blocked concurrently by the same requester: the block exists, as asked


def unblock(rt: Runtime, actor: Actor, worker_public_id: str, reason: str | None = None) -> None:
    """Remove a block; unblocking a worker who is not blocked succeeds."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        worker = get_worker(db, worker_public_id)
        existing = db.scalars(select(WorkerBlock).where(
            WorkerBlock.requester_id == actor.id, WorkerBlock.marketplace == actor.marketplace,
            WorkerBlock.worker_id == worker.id)).one_or_none()
        if existing is not None:
            db.delete(existing)
            record_event(db, actor, "WorkerUnblocked", entity="worker", entity_id=worker_public_id, now=now,
                         reason=reason)


@dataclass(frozen=True)
class BlockView:
    worker_id: str
    reason: str


def list_blocks(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[BlockView]:
    require_requester(actor)
    stmt = select(WorkerBlock).where(WorkerBlock.requester_id == actor.id,
                                     WorkerBlock.marketplace == actor.marketplace)
    with rt.sessions() as db:
        page = paginate(db, stmt, WorkerBlock.id, cursor, limit)
        names = dict(db.execute(select(Worker.id, Worker.public_id).where(
            Worker.id.in_({b.worker_id for b in page.items}))).all())
    return Page([BlockView(names[b.worker_id], b.reason) for b in page.items], page.next_cursor)


@dataclass(frozen=True)
class NotifyFailure:
    worker_id: str
    code: str  # SoftFailure | HardFailure
    message: str


def notify(rt: Runtime, actor: Actor, cmd: NotifyWorkers) -> list[NotifyFailure]:
    """Write a message to each worker's inbox. Only workers whose work this requester has approved
    or rejected can be written to; the others are reported as HardFailure, as MTurk does."""
    require_requester(actor)
    now = rt.clock()
    failures: list[NotifyFailure] = []
    with rt.sessions.begin() as db:
        for worker_public_id in dict.fromkeys(cmd.worker_ids):
            worker = db.scalars(select(Worker).where(Worker.public_id == worker_public_id)).one_or_none()
            if worker is None:
                failures.append(NotifyFailure(worker_public_id, "HardFailure", "Worker does not exist"))
                continue
            reviewed = db.scalar(select(Assignment.id).join(HIT).where(
                Assignment.worker_id == worker.id, HIT.requester_id == actor.id,
                HIT.marketplace == actor.marketplace,
                Assignment.status.in_((AssignmentStatus.APPROVED, AssignmentStatus.REJECTED))).limit(1))
            if reviewed is None:
                failures.append(NotifyFailure(worker_public_id, "HardFailure",
                                              "You have not approved or rejected any work of this worker"))
                continue
            db.add(WorkerMessage(public_id=ids.new_id(), requester_id=actor.id, worker_id=worker.id,
                                 marketplace=actor.marketplace, subject=cmd.subject, body=cmd.message,
                                 created_at=now))
            record_event(db, actor, "WorkerNotified", entity="worker", entity_id=worker_public_id, now=now)
    return failures


def inbox(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[WorkerMessage]:
    require_worker(actor)
    stmt = select(WorkerMessage).where(WorkerMessage.worker_id == actor.id,
                                       WorkerMessage.marketplace == actor.marketplace)
    with rt.sessions() as db:
        return paginate(db, stmt, WorkerMessage.id, cursor, limit)


@dataclass(frozen=True)
class HITListing:
    """A HIT as a worker sees it in the marketplace list."""

    hit: HIT
    can_preview: bool
    can_accept: bool


def open_hits(db: Session, actor: Actor, stmt: Select, *, now: datetime) -> Select:
    """Restrict ``stmt`` to HITs the worker could take: assignable, unexpired, not paused (their batch
    is, see labelhub.services.batch_actions), not gold (gold HITs come unannounced, see
    labelhub.services.gold), never worked on by this worker, and not of a requester who blocked them."""
    stmt = stmt.where(HIT.marketplace == actor.marketplace, HIT.status == HITStatus.ASSIGNABLE,
                      HIT.expires_at > now, HIT.paused.is_(False), HIT.is_gold.is_(False),
                      HIT.id.not_in(select(Assignment.hit_id).where(Assignment.worker_id == actor.id)))
    blocked = eligibility.blocked_requester_ids(db, actor.marketplace, actor.id)
    return stmt.where(HIT.requester_id.not_in(blocked)) if blocked else stmt


def available_hits(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50) -> Page[HITListing]:
    """Assignable HITs of the worker's marketplace the worker may discover, oldest first.

    Hidden: HITs of requesters who blocked the worker, HITs whose DiscoverPreviewAndAccept
    requirements the worker fails, and HITs the worker already has (or had) an assignment on.
    """
    require_worker(actor)
    limit = check_page_size(limit)
    after, now = decode_cursor(cursor), rt.clock()
    found: list[HITListing] = []
    with rt.sessions() as db:
        worker = db.get_one(Worker, actor.id)
        values = eligibility.worker_values(db, actor.marketplace, worker, rt.settings.marketplace)
        stmt = open_hits(db, actor, select(HIT), now=now)
        by_type: dict[int, eligibility.Access] = {}
        while len(found) <= limit:
            chunk = list(db.scalars(stmt.where(HIT.id > after).order_by(HIT.id).limit(4 * limit)))
            for hit in chunk:
                allowed = by_type.get(hit.hit_type_id) or by_type.setdefault(
                    hit.hit_type_id, eligibility.access(hit.hit_type, values))
                if allowed.discover:
                    found.append(HITListing(hit, allowed.preview, allowed.accept))
            if len(chunk) < 4 * limit:
                break
            after = chunk[-1].id
    page = found[:limit]
    return Page(page, encode_cursor(page[-1].hit.id) if len(found) > limit else None)
