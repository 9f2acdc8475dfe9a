"""Applying many review decisions (approve, reject, override a rejection) to one batch's assignments:
the review queue's bulk actions and the MTurk results-CSV upload share this one path.

Decisions are applied in chunks, one transaction per chunk and a savepoint per decision, through the
assignment state machine and the ledger calls of ``labelhub.services.assignments`` (under the HITs'
row locks, as a single approve or reject takes them). A decision that cannot be applied (wrong state,
no funds, another batch's assignment) is refused with a reason a person can act on and changes
nothing; the others go through. An assignment already in the wanted state counts as unchanged, so
applying the same decisions again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.errors import InsufficientFundsError, InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Assignment, AssignmentStatus, Batch
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.assignments import approve_locked, reject_locked
from labelhub.services.batch_quality import owned_batch

CHUNK = 200  # decisions per transaction: short write locks, few round trips
MAX_REFUSALS_KEPT = 5_000  # refusals listed in a job's stored result (all are counted)
FEEDBACK_LIMIT: int = Assignment.__table__.c.requester_feedback.type.length  # type: ignore[attr-defined]
NOT_IN_BATCH = "not an assignment of this batch"
NO_REASON = "a rejection needs a reason: the worker sees it"
UNCHANGED = "already in the wanted state"  # a verdict of _refusal, never shown
NOT_DECIDABLE = {
    AssignmentStatus.ACCEPTED: "not submitted yet: the worker is still working on it",
    AssignmentStatus.RETURNED: "the worker returned it: there is no answer to review",
    AssignmentStatus.ABANDONED: "abandoned: there is no answer to review",
}

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Decision:
    """One decision on one assignment. ``feedback`` is what the worker sees (required to reject);
    ``override_rejection`` approves a Rejected assignment within the marketplace's override window;
    ``ref`` is how the report names the decision ("row 7"), by default the assignment id."""

    assignment_id: str
    approve: bool
    feedback: str | None = None
    override_rejection: bool = False
    ref: str | None = None

    @property
    def name(self) -> str:
        return self.ref or self.assignment_id


@dataclass(frozen=True)
class DecisionReport:
    """What applying decisions did: applied, already in the wanted state, refused (ref, reason)."""

    applied: int = 0
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)

    def as_result(self) -> dict[str, Any]:
        """A JSON-able job result; the refusals listed are capped at MAX_REFUSALS_KEPT (all counted)."""
        shown = self.refused[:MAX_REFUSALS_KEPT]
        return {"applied": self.applied, "unchanged": self.unchanged, "refused_count": len(self.refused),
                "refused": [{"ref": ref, "reason": reason} for ref, reason in shown],
                "refused_truncated": len(shown) < len(self.refused)}


def apply_decisions(rt: Runtime, actor: Actor, batch_public_id: str, decisions: Iterable[Decision], *,
                    progress: Progress | None = None) -> DecisionReport:
    """Apply each decision to its assignment of the requester's batch; returns the report.

    ``progress(done, total)`` is called after each chunk (``total`` is None when ``decisions`` has no
    length); by default the running job's progress is written (``job_queue.report_progress``).
    Raises NotFoundError for a batch that is not the requester's; every per-decision problem is a
    refusal in the report, never an exception.
    """
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
    total = len(decisions) if isinstance(decisions, Sized) else None
    report = progress or (lambda done, of: job_queue.report_progress(rt, done, of))
    applied = unchanged = done = 0
    refused: list[tuple[str, str]] = []
    for chunk in _chunks(decisions):
        with rt.sessions.begin() as db:
            outcome = _apply_chunk(db, rt, actor, batch, chunk)
        applied, unchanged = applied + outcome.applied, unchanged + outcome.unchanged
        refused.extend(outcome.refused)
        done += len(chunk)
        report(done, total)
    if progress is None:
        job_queue.report_progress(rt, done, total if total is not None else done, force=True)
    return DecisionReport(applied, unchanged, refused)


def decide(rt: Runtime, actor: Actor, decision: Decision) -> bool:
    """Apply one decision to one of the requester's assignments (the review queue's buttons), by the
    same rules as many. Returns False when it was in the wanted state already. Raises NotFoundError
    (not the requester's assignment, or not of a batch), InvalidInputError (a rejection without a
    reason), InvalidStateError (any other refusal, with its reason)."""
    require_requester(actor)
    with rt.sessions() as db:
        batch_public_id = db.scalar(select(Batch.public_id).join(HIT, HIT.batch_id == Batch.id)
                                    .join(Assignment, Assignment.hit_id == HIT.id)
                                    .where(Assignment.public_id == decision.assignment_id,
                                           HIT.requester_id == actor.id, HIT.marketplace == actor.marketplace))
    if batch_public_id is None:
        raise NotFoundError(f"Assignment {decision.assignment_id} does not exist.", entity="assignment")
    report = apply_decisions(rt, actor, batch_public_id, [decision], progress=lambda done, total: None)
    if report.refused:
        reason = report.refused[0][1]
        if reason == NO_REASON:
            raise InvalidInputError({"reason": reason}, entity="assignment")
        raise InvalidStateError(reason[:1].upper() + reason[1:], entity="assignment")
    return report.applied == 1


def _chunks(decisions: Iterable[Decision]) -> Iterator[list[Decision]]:
    items = iter(decisions)
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def _apply_chunk(db: Session, rt: Runtime, actor: Actor, batch: Batch, chunk: list[Decision]) -> DecisionReport:
    """One chunk in the caller's transaction: lock the chunk's HITs (in id order, so two chunks never
    wait on each other in a cycle), then decide each assignment under those locks."""
    wanted = {decision.assignment_id for decision in chunk}
    hit_ids = sorted(set(db.scalars(select(Assignment.hit_id).join(HIT, HIT.id == Assignment.hit_id).where(
        Assignment.public_id.in_(wanted), HIT.batch_id == batch.id))))
    if hit_ids:
        db.scalars(select(HIT).where(HIT.id.in_(hit_ids)).order_by(HIT.id).with_for_update(of=HIT, key_share=True)
                   .execution_options(populate_existing=True)).all()
    found = {a.public_id: a for a in db.scalars(select(Assignment).where(
        Assignment.public_id.in_(wanted), Assignment.hit_id.in_(hit_ids))
        .execution_options(populate_existing=True))}
    applied = unchanged = 0
    refused: list[tuple[str, str]] = []
    now = rt.clock()
    for decision in chunk:
        assignment = found.get(decision.assignment_id)
        if assignment is None:
            refused.append((decision.name, NOT_IN_BATCH))
            continue
        problem = _refusal(rt, decision, assignment)
        if problem is UNCHANGED:
            unchanged += 1
            continue
        if problem is not None:
            refused.append((decision.name, problem))
            continue
        try:
            with db.begin_nested():
                if decision.approve:
                    approve_locked(db, rt, actor, assignment, feedback=decision.feedback or None,
                                   override=assignment.status is AssignmentStatus.REJECTED, now=now)
                else:
                    reject_locked(db, actor, assignment, decision.feedback or "", now=now)
        except (InvalidStateError, InsufficientFundsError) as exc:
            refused.append((decision.name, exc.message))
            continue
        applied += 1
    return DecisionReport(applied, unchanged, refused)


def _refusal(rt: Runtime, decision: Decision, assignment: Assignment) -> str | None:
    """Why this decision cannot be applied to this assignment; UNCHANGED when it is in the wanted
    state already; None when it can be applied."""
    if assignment.status in NOT_DECIDABLE:
        return NOT_DECIDABLE[assignment.status]
    feedback = decision.feedback
    if feedback is not None and len(feedback) > FEEDBACK_LIMIT:
        return f"the reason is {len(feedback):,} characters long: at most {FEEDBACK_LIMIT:,} are allowed"
    return _approval_refusal(rt, decision, assignment) if decision.approve else _rejection_refusal(decision, assignment)


def _approval_refusal(rt: Runtime, decision: Decision, assignment: Assignment) -> str | None:
    if assignment.status is AssignmentStatus.APPROVED:
        return UNCHANGED
    if assignment.status is AssignmentStatus.REJECTED and not decision.override_rejection:
        days = rt.settings.marketplace.override_rejection_days
        return f"already rejected: approving it needs 'override the rejection' (possible within {days} days of " \
               "its submission)"
    return None


def _rejection_refusal(decision: Decision, assignment: Assignment) -> str | None:
    if assignment.status is AssignmentStatus.REJECTED:
        return UNCHANGED
    if assignment.status is AssignmentStatus.APPROVED:
        return "already approved: an approval cannot be undone"
    if not (decision.feedback or "").strip():
        return NO_REASON
    return None
