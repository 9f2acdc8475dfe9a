"""Time-driven work, run periodically by jobs: abandon overdue assignments, auto-approve, expire HITs.

Each sweep selects what is due *now* and handles every item in its own transaction, so running a
sweep twice changes nothing and one bad item cannot block the rest.
"""

from __future__ import annotations

from sqlalchemy import select

from labelhub.errors import DomainError
from labelhub.models import HIT, Assignment, AssignmentStatus, HITStatus, Marketplace
from labelhub.runtime import Runtime
from labelhub.services.actors import system_actor
from labelhub.services.assignments import approve_locked, give_up_locked
from labelhub.services.hits import expire

BATCH = 500


def _due_ids(rt: Runtime, stmt) -> list[tuple[int, Marketplace]]:
    with rt.sessions() as db:
        return list(db.execute(stmt.limit(BATCH)).tuples())


def abandon_overdue(rt: Runtime) -> int:
    """Accepted assignments past their deadline become Abandoned; their slots open again."""
    now, done = rt.clock(), 0
    due = _due_ids(rt, select(Assignment.id, HIT.marketplace).join(HIT).where(
        Assignment.status == AssignmentStatus.ACCEPTED, Assignment.deadline < now).order_by(Assignment.id))
    for assignment_id, marketplace in due:
        with rt.sessions.begin() as db:
            assignment = db.get_one(Assignment, assignment_id)
            db.scalars(select(HIT).where(HIT.id == assignment.hit_id).with_for_update(of=HIT, key_share=True)
                       .execution_options(populate_existing=True)).one()
            db.refresh(assignment)
            if assignment.status is AssignmentStatus.ACCEPTED and assignment.deadline < now:
                give_up_locked(db, system_actor(marketplace), assignment, AssignmentStatus.ABANDONED,
                         "AssignmentAbandoned", now=now)
                done += 1
    return done


def auto_approve_due(rt: Runtime) -> int:
    """Submitted assignments whose auto-approval time has come are approved and paid."""
    now, done = rt.clock(), 0
    due = _due_ids(rt, select(Assignment.id, HIT.marketplace).join(HIT).where(
        Assignment.status == AssignmentStatus.SUBMITTED, Assignment.auto_approval_at <= now).order_by(Assignment.id))
    for assignment_id, marketplace in due:
        try:
            with rt.sessions.begin() as db:
                assignment = db.get_one(Assignment, assignment_id)
                db.scalars(select(HIT).where(HIT.id == assignment.hit_id).with_for_update(of=HIT, key_share=True)
                           .execution_options(populate_existing=True)).one()
                db.refresh(assignment)
                if assignment.status is AssignmentStatus.SUBMITTED:
                    approve_locked(db, rt, system_actor(marketplace), assignment, feedback=None, override=False,
                                   now=now)
                    done += 1
        except DomainError:
            continue  # approved or rejected meanwhile by the requester
    return done


def expire_due_hits(rt: Runtime) -> int:
    """HITs whose lifetime has passed stop taking workers; their unused slots' funds are released.

    Reviewable HITs are included: a submit after the lifetime ended can make a HIT Reviewable while
    its hold still covers slots nobody can take any more.
    """
    now, done = rt.clock(), 0
    due = _due_ids(rt, select(HIT.id, HIT.marketplace).where(
        HIT.status != HITStatus.DISPOSED, HIT.expires_at <= now, HIT.expired_at.is_(None)).order_by(HIT.id))
    for hit_id, marketplace in due:
        with rt.sessions.begin() as db:
            hit = db.scalars(select(HIT).where(HIT.id == hit_id).with_for_update(of=HIT, key_share=True)).one()
            if hit.expired_at is None and hit.expires_at <= now and hit.status is not HITStatus.DISPOSED:
                expire(db, system_actor(marketplace), hit, now=now)
                done += 1
    return done


def run_all(rt: Runtime) -> dict[str, int]:
    return {"abandoned": abandon_overdue(rt), "auto_approved": auto_approve_due(rt),
            "expired": expire_due_hits(rt)}
