"""Assignment use cases: workers accept, return and submit; requesters approve and reject.

Accept is correct under concurrency: it takes the HIT's row lock (PostgreSQL) or SQLite's write lock
(BEGIN IMMEDIATE, see labelhub.db), re-reads the counters, and the (hit, worker) unique constraint
backs up the one-assignment-per-worker rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import annotators
from labelhub import ids
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError, PermissionDeniedError
from labelhub.models import ANSWERED_STATUSES, HIT, Assignment, AssignmentStatus, HITStatus, Worker
from labelhub.runtime import Runtime
from labelhub.services import eligibility, gold, ledger
from labelhub.services.actors import Actor, require_requester, require_worker
from labelhub.services.answer_schemas import answer_validator
from labelhub.services.common import Page, paginate, record_event
from labelhub.services.hits import owned_hit, refresh_status

MAX_SIGNALS_KEYS = 100


def _hit_in_marketplace(db: Session, actor: Actor, hit_public_id: str, *, lock: bool) -> HIT:
    stmt = select(HIT).where(HIT.public_id == hit_public_id, HIT.marketplace == actor.marketplace)
    hit = db.scalars(stmt.with_for_update(of=HIT, key_share=True) if lock else stmt).one_or_none()
    if hit is None or hit.status is HITStatus.DISPOSED:
        raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
    return hit


def _assignment(db: Session, actor: Actor, assignment_public_id: str, *, lock: bool = False) -> Assignment:
    """The assignment, if the actor may see it: its worker, or the requester who owns the HIT. Anyone
    else's answers as an unknown id would, so an id never confirms that it exists."""
    found = db.scalars(select(Assignment).join(HIT, HIT.id == Assignment.hit_id).where(
        Assignment.public_id == assignment_public_id, HIT.marketplace == actor.marketplace)).one_or_none()
    owner_ok = found is not None and (
        (actor.kind == "worker" and found.worker_id == actor.id)
        or (actor.kind == "requester" and found.hit.requester_id == actor.id) or actor.kind == "system")
    if found is None or not owner_ok:
        raise NotFoundError(f"Assignment {assignment_public_id} does not exist.", entity="assignment")
    if lock:  # lock the HIT first, then re-read the assignment under that lock
        db.scalars(select(HIT).where(HIT.id == found.hit_id).with_for_update(of=HIT, key_share=True)
                   .execution_options(populate_existing=True)).one()
        db.refresh(found)
    return found


def preview(rt: Runtime, actor: Actor, hit_public_id: str) -> HIT:
    """A HIT as a worker may preview it. Raises PermissionDeniedError when requirements forbid it."""
    require_worker(actor)
    with rt.sessions() as db:
        hit = _hit_in_marketplace(db, actor, hit_public_id, lock=False)
        worker = db.get_one(Worker, actor.id)
        allowed = eligibility.worker_access(db, hit, worker, rt.settings.marketplace, now=rt.clock())
        if not allowed.discover:
            raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
        if not allowed.preview:
            raise PermissionDeniedError("You do not meet the qualification requirements to preview this HIT",
                                        entity="hit", unmet=allowed.unmet)
        return hit


def accept(rt: Runtime, actor: Actor, hit_public_id: str) -> Assignment:
    """Take one slot of a HIT: deadline = now + the HIT type's assignment duration.

    Never more accepted-or-submitted assignments than MaxAssignments, never two assignments of one
    worker on one HIT (a returned HIT cannot be taken again). In a batch with gold HITs the worker
    may get one of those instead (labelhub.services.gold). Raises NotFoundError,
    PermissionDeniedError (requirements, blocks), InvalidStateError (no slot, expired, already held).
    """
    require_worker(actor)
    gold_hit = gold.substitute(rt, actor, hit_public_id)
    if gold_hit is not None:
        try:
            return _accept(rt, actor, gold_hit)
        except (InvalidStateError, PermissionDeniedError, NotFoundError):
            pass  # taken or closed since it was picked: the worker gets the HIT they asked for
    return _accept(rt, actor, hit_public_id)


def _accept(rt: Runtime, actor: Actor, hit_public_id: str) -> Assignment:
    now = rt.clock()
    try:
        with rt.sessions.begin() as db:
            hit = _hit_in_marketplace(db, actor, hit_public_id, lock=True)
            worker = db.get_one(Worker, actor.id)
            allowed = eligibility.worker_access(db, hit, worker, rt.settings.marketplace, now=now)
            if not allowed.discover:
                raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
            if not allowed.accept:
                raise PermissionDeniedError("You do not meet the qualification requirements to accept this HIT",
                                            entity="hit", unmet=allowed.unmet)
            if db.scalar(select(Assignment.id).where(Assignment.hit_id == hit.id,
                                                     Assignment.worker_id == actor.id)):
                raise InvalidStateError("You have already worked on this HIT", entity="assignment")
            assignment = Assignment.accept(hit, worker, ids.new_id(), now=now)
            db.add(assignment)
            db.flush()
            record_event(db, actor, "AssignmentAccepted", entity="assignment", entity_id=assignment.public_id,
                         hit=hit, now=now)
            refresh_status(db, actor, hit, now=now)
    except IntegrityError:
        # The same worker accepted the same HIT in a concurrent request (a double click).
        raise InvalidStateError("You have already worked on this HIT", entity="assignment") from None
    return assignment


def return_assignment(rt: Runtime, actor: Actor, assignment_public_id: str) -> Assignment:
    """The worker gives the assignment back; its slot opens again."""
    require_worker(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        assignment = _assignment(db, actor, assignment_public_id, lock=True)
        give_up_locked(db, actor, assignment, AssignmentStatus.RETURNED, "AssignmentReturned", now=now)
    return assignment


def give_up_locked(db: Session, actor: Actor, assignment: Assignment, outcome: AssignmentStatus, action: str, *,
             now: datetime) -> None:
    assignment.give_up(outcome, now=now)
    record_event(db, actor, action, entity="assignment", entity_id=assignment.public_id, hit=assignment.hit,
                 now=now)
    refresh_status(db, actor, assignment.hit, now=now)
    ledger.sync_hold(db, assignment.hit, now=now)


def _annotator_of(hit: HIT) -> tuple[annotators.Annotator, dict] | None:
    """The task type a batch HIT was made with, and the batch's (already validated) configuration."""
    batch = hit.batch
    if batch is None or batch.template_kind not in annotators.REGISTRY:
        return None
    return annotators.get(batch.template_kind), batch.template.get("config", {})


def _prefixed(problems: dict[str, str], prefix: str) -> dict[str, str]:
    return {key if key.startswith(prefix) else f"{prefix}.{key}": value for key, value in problems.items()}


def validate_answer(hit: HIT, answer: object) -> dict:
    """The canonical answer: checked by the HIT's task type (annotator) and its answer schema."""
    if not isinstance(answer, dict):
        raise InvalidInputError({"answer": "must be a JSON object"}, entity="assignment")
    task_type = _annotator_of(hit)
    if task_type is not None:
        annotator, config = task_type
        try:
            answer = annotator.parse_answer(config, answer, item=hit.data)
        except annotators.AnswerError as exc:
            raise InvalidInputError(_prefixed(exc.problems, "answer"), entity="assignment") from None
    if hit.answer_schema:
        errors = sorted(answer_validator(hit.answer_schema).iter_errors(answer), key=lambda e: list(e.path))
        if errors:
            problems = {"answer" + "".join(f".{p}" for p in e.absolute_path): e.message for e in errors[:10]}
            raise InvalidInputError(problems, entity="assignment")
    return answer


def _validate_signals(hit: HIT, signals: object) -> dict | None:
    """Task pages record a known set of behavioural signals (annotators.signals); other clients may
    send any small flat object."""
    if signals is None:
        return None
    if _annotator_of(hit) is not None:
        try:
            return annotators.validate_signals(signals)
        except annotators.AnswerError as exc:
            raise InvalidInputError(_prefixed(exc.problems, "signals"), entity="assignment") from None
    if not isinstance(signals, dict) or len(signals) > MAX_SIGNALS_KEYS:
        raise InvalidInputError({"signals": f"must be a JSON object of at most {MAX_SIGNALS_KEYS} keys"})
    if not all(isinstance(v, int | float | str | bool) or v is None for v in signals.values()):
        raise InvalidInputError({"signals": "values must be numbers, strings, booleans or null"})
    return signals


def submit(rt: Runtime, actor: Actor, assignment_public_id: str, answer: object,
           signals: object = None) -> Assignment:
    """Store the worker's answer (validated against the HIT's answer schema) and behavioural signals.

    The assignment is Submitted, whatever the HIT type's auto-approval delay: auto-approval is the
    sweep's (labelhub.services.sweeps.auto_approve_due), run once ``auto_approval_at`` has come, even
    when the delay is 0. That is MTurk's behaviour: AutoApprovalTime is when a Submitted assignment "is
    considered Approved automatically if [it has] not already been explicitly approved or rejected", and
    MTurk refuses ApproveAssignment on an Approved assignment ("This operation can be called with a status
    of: Submitted"; Dallinger issue 3072). Dallinger creates its HIT types with a delay of 0 and approves
    every assignment as soon as MTurk notifies it of the submission; on MTurk that call normally succeeds
    (Dallinger PR 1491 calls the rare refusal "a bit of a mystery"), so approving inside the submit made
    every one of those calls fail. ApproveAssignment therefore stays strict (not idempotent), as on MTurk.
    """
    require_worker(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        assignment = _assignment(db, actor, assignment_public_id, lock=True)
        hit = assignment.hit
        if assignment.status is AssignmentStatus.ACCEPTED and now > assignment.deadline:
            raise InvalidStateError("The time allotted for this assignment has passed", entity="assignment")
        if assignment.status is AssignmentStatus.ACCEPTED:
            assignment.submit(validate_answer(hit, answer), _validate_signals(hit, signals), now=now)
        else:
            assignment.submit({}, None, now=now)  # raises the state error naming the current status
        record_event(db, actor, "AssignmentSubmitted", entity="assignment", entity_id=assignment.public_id,
                     hit=hit, now=now)
        refresh_status(db, actor, hit, now=now)
        ledger.sync_hold(db, hit, now=now)  # a submit after the lifetime ends frees the unused slots at once
    return assignment


def approve_locked(db: Session, rt: Runtime, actor: Actor, assignment: Assignment, *, feedback: str | None,
                   override: bool, now: datetime) -> None:
    until = None
    if override and assignment.submitted_at is not None:
        if assignment.hit.status is HITStatus.DISPOSED:
            raise InvalidStateError("The HIT of this assignment has been deleted", entity="assignment")
        until = assignment.submitted_at + timedelta(days=rt.settings.marketplace.override_rejection_days)
    assignment.approve(feedback, now=now, override_rejection_until=until)
    ledger.pay_assignment(db, assignment.hit, assignment, now=now)
    ledger.sync_hold(db, assignment.hit, now=now)
    record_event(db, actor, "AssignmentApproved", entity="assignment", entity_id=assignment.public_id,
                 hit=assignment.hit, now=now, override_rejection=override)


def _check_feedback(feedback: str | None, *, required: bool) -> None:
    if feedback is not None and len(feedback) > 1024:
        raise InvalidInputError({"requester_feedback": "must be at most 1,024 characters"})
    if required and feedback is None:
        raise InvalidInputError({"requester_feedback": "is required when rejecting"})


def approve(rt: Runtime, actor: Actor, assignment_public_id: str, *, feedback: str | None = None,
            override_rejection: bool = False) -> Assignment:
    """Submitted -> Approved, paying reward and fee from the HIT's held funds. With
    ``override_rejection`` a Rejected assignment submitted within 30 days is approved instead
    (its cost is held again first; InsufficientFundsError if it cannot be)."""
    require_requester(actor)
    _check_feedback(feedback, required=False)
    now = rt.clock()
    with rt.sessions.begin() as db:
        assignment = _assignment(db, actor, assignment_public_id, lock=True)
        approve_locked(db, rt, actor, assignment, feedback=feedback, override=override_rejection, now=now)
    return assignment


def reject(rt: Runtime, actor: Actor, assignment_public_id: str, *, feedback: str) -> Assignment:
    """Submitted -> Rejected (feedback required); the slot's held cost returns to the requester."""
    require_requester(actor)
    _check_feedback(feedback, required=True)
    now = rt.clock()
    with rt.sessions.begin() as db:
        assignment = _assignment(db, actor, assignment_public_id, lock=True)
        reject_locked(db, actor, assignment, feedback, now=now)
    return assignment


def reject_locked(db: Session, actor: Actor, assignment: Assignment, feedback: str, *, now: datetime) -> None:
    """Reject an assignment whose HIT's row lock the caller holds; its held cost is released."""
    assignment.reject(feedback, now=now)
    ledger.sync_hold(db, assignment.hit, now=now)
    record_event(db, actor, "AssignmentRejected", entity="assignment", entity_id=assignment.public_id,
                 hit=assignment.hit, now=now)


def get_assignment(rt: Runtime, actor: Actor, assignment_public_id: str) -> Assignment:
    """An assignment for its worker, or for its requester once submitted (as MTurk's GetAssignment)."""
    with rt.sessions() as db:
        assignment = _assignment(db, actor, assignment_public_id)
        if actor.kind == "requester" and assignment.status not in ANSWERED_STATUSES:
            raise InvalidStateError(
                "This operation can be called with a status of: Submitted, Approved, Rejected",
                entity="assignment", status=assignment.status.value)
        return assignment


def list_for_hit(rt: Runtime, actor: Actor, hit_public_id: str, *,
                 statuses: tuple[AssignmentStatus, ...] = ANSWERED_STATUSES, cursor: str | None = None,
                 limit: int = 50) -> Page[Assignment]:
    """Submitted assignments of a HIT (never ones still being worked on), filtered by status."""
    require_requester(actor)
    if not statuses or any(s not in ANSWERED_STATUSES for s in statuses):
        raise InvalidInputError({"statuses": "may only contain Submitted, Approved and Rejected"})
    with rt.sessions() as db:
        hit = owned_hit(db, actor, hit_public_id)
        stmt = select(Assignment).where(Assignment.hit_id == hit.id, Assignment.status.in_(statuses))
        return paginate(db, stmt, Assignment.id, cursor, limit)


def list_for_worker(rt: Runtime, actor: Actor, *, statuses: tuple[AssignmentStatus, ...] | None = None,
                    cursor: str | None = None, limit: int = 50) -> Page[Assignment]:
    """The worker's own assignments in this marketplace."""
    require_worker(actor)
    stmt = select(Assignment).join(HIT, HIT.id == Assignment.hit_id).where(
        Assignment.worker_id == actor.id, HIT.marketplace == actor.marketplace)
    if statuses:
        stmt = stmt.where(Assignment.status.in_(statuses))
    with rt.sessions() as db:
        return paginate(db, stmt, Assignment.id, cursor, limit)
