"""HIT lifecycle use cases for requesters: HIT types, create, extend, expire, review status, delete."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import (
    ConflictError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
)
from labelhub.models import HIT, Batch, Event, HITStatus, HITType, QualificationRequirement, QualificationType
from labelhub.runtime import Runtime
from labelhub.services import eligibility, ledger
from labelhub.services.actors import Actor, require_requester
from labelhub.services.commands import CreateHIT, HITTypeSpec
from labelhub.services.common import Created, Page, find_token, paginate, record_event, remember_token

if TYPE_CHECKING:  # review_policies uses these use cases; the policies reach create_hit as a value
    from labelhub.services.review_policy_specs import ReviewPolicies

CREATE_HIT_SCOPE = "CreateHIT"
ADD_ASSIGNMENTS_SCOPE = "CreateAdditionalAssignmentsForHIT"


def _fingerprint(actor: Actor, spec: HITTypeSpec) -> str:
    payload = {
        "requester": actor.id, "marketplace": actor.marketplace.value, "title": spec.title,
        "description": spec.description, "keywords": spec.keywords, "reward": spec.reward_micros,
        "duration": spec.assignment_duration_seconds, "auto_approval": spec.auto_approval_delay_seconds,
        "requirements": [
            [r.qualification_type_id, r.comparator.value, list(r.integer_values),
             [[loc.country, loc.subdivision] for loc in r.locale_values], r.actions_guarded.value]
            for r in spec.requirements],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _check_requirement_types(db: Session, actor: Actor, spec: HITTypeSpec) -> None:
    """Every requirement must name a system type or a live qualification type of this marketplace."""
    custom = {r.qualification_type_id for r in spec.requirements
              if eligibility.system_type(actor.marketplace, r.qualification_type_id) is None}
    if not custom:
        return
    live = set(db.scalars(select(QualificationType.public_id).where(
        QualificationType.public_id.in_(custom), QualificationType.marketplace == actor.marketplace,
        QualificationType.deleted_at.is_(None))))
    missing = sorted(custom - live)
    if missing:
        raise InvalidInputError({"qualification_requirements": f"QualificationType {missing[0]} does not exist"},
                                entity="qualification_type")


def hit_type_for(db: Session, actor: Actor, spec: HITTypeSpec, now: datetime) -> HITType:
    """The requester's HIT type with exactly these properties, created if there is none yet."""
    _check_requirement_types(db, actor, spec)
    fingerprint = _fingerprint(actor, spec)
    stmt = select(HITType).where(HITType.requester_id == actor.id, HITType.marketplace == actor.marketplace,
                                 HITType.fingerprint == fingerprint)
    existing = db.scalars(stmt).one_or_none()
    if existing is not None:
        return existing
    hit_type = HITType(
        public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, fingerprint=fingerprint,
        title=spec.title, description=spec.description, keywords=spec.keywords,
        reward_micros=spec.reward_micros, assignment_duration_seconds=spec.assignment_duration_seconds,
        auto_approval_delay_seconds=spec.auto_approval_delay_seconds, created_at=now,
        requirements=[
            QualificationRequirement(
                position=i, qualification_type_id=r.qualification_type_id, comparator=r.comparator,
                integer_values=list(r.integer_values) or None,
                locale_values=[{"country": loc.country, "subdivision": loc.subdivision}
                               for loc in r.locale_values] or None,
                actions_guarded=r.actions_guarded)
            for i, r in enumerate(spec.requirements)])
    try:
        with db.begin_nested():
            db.add(hit_type)
    except IntegrityError:  # an identical type was created concurrently: use it
        return db.scalars(stmt).one()
    return hit_type


def owned_hit_type(db: Session, actor: Actor, hit_type_public_id: str) -> HITType:
    """The actor's HIT type in the actor's marketplace. Another requester's answers as an unknown id
    would, so an id never confirms that it exists."""
    hit_type = db.scalars(select(HITType).where(HITType.public_id == hit_type_public_id,
                                                HITType.marketplace == actor.marketplace,
                                                HITType.requester_id == actor.id)).one_or_none()
    if hit_type is None:
        raise NotFoundError(f"HITType {hit_type_public_id} does not exist", entity="hit_type")
    return hit_type


def owned_hit(db: Session, actor: Actor, hit_public_id: str, *, lock: bool = False) -> HIT:
    """The actor's HIT in the actor's marketplace (any HIT for the system); ``lock`` takes the HIT's row
    lock. Another requester's HIT answers as an unknown id would."""
    stmt = select(HIT).where(HIT.public_id == hit_public_id, HIT.marketplace == actor.marketplace)
    if actor.kind != "system":
        stmt = stmt.where(HIT.requester_id == actor.id)
    if lock:
        stmt = stmt.with_for_update(of=HIT, key_share=True)
    hit = db.scalars(stmt).one_or_none()
    if hit is None:
        raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
    return hit


def refresh_status(db: Session, actor: Actor, hit: HIT, *, now: datetime) -> None:
    """Bring the HIT's status in line with its counters and clock, logging the change."""
    new = hit.derived_status(now)
    if new is not hit.status:
        old, hit.status = hit.status, new
        if new in (HITStatus.REVIEWABLE, HITStatus.REVIEWING):
            record_event(db, actor, "HITReviewable", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                         previous=old.value)
        else:
            record_event(db, actor, "HITStatusChanged", entity="hit", entity_id=hit.public_id, hit=hit,
                         now=now, previous=old.value, status=new.value)


def create_hit_type(rt: Runtime, actor: Actor, spec: HITTypeSpec) -> HITType:
    """Create a HIT type, or return the requester's existing one with identical properties."""
    require_requester(actor)
    with rt.sessions.begin() as db:
        return hit_type_for(db, actor, spec, rt.clock())


def insert_hit(db: Session, rt: Runtime, actor: Actor, cmd: CreateHIT, *, now: datetime) -> HIT:
    """Create one HIT and reserve its cost inside the caller's transaction (also used for batches)."""
    if cmd.hit_type is not None:
        hit_type = hit_type_for(db, actor, cmd.hit_type, now)
    else:
        hit_type = owned_hit_type(db, actor, cmd.hit_type_id or "")
    hit = HIT(
        public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, hit_type=hit_type,
        batch_id=cmd.batch_id, question=cmd.question, data=cmd.data, answer_schema=cmd.answer_schema,
        requester_annotation=cmd.requester_annotation, max_assignments=cmd.max_assignments,
        is_gold=cmd.gold_answer is not None, gold_answer=cmd.gold_answer,
        fee_per_assignment_micros=ledger.reward_fee(rt.settings.money, hit_type.reward_micros,
                                                    cmd.max_assignments),
        status=HITStatus.ASSIGNABLE, created_at=now, expires_at=now + timedelta(seconds=cmd.lifetime_seconds))
    db.add(hit)
    db.flush()
    ledger.sync_hold(db, hit, now=now)
    record_event(db, actor, "HITCreated", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                 max_assignments=hit.max_assignments, hit_type=hit_type.public_id)
    return hit


def create_hit(rt: Runtime, actor: Actor, cmd: CreateHIT, *,
               review_policies: ReviewPolicies | None = None) -> Created[HIT]:
    """Create a HIT and hold its maximum cost (reward + fee for every assignment), with its review
    policies if given.

    A UniqueRequestToken seen in the last 24 hours returns the first HIT (``replayed``), never a
    second. Raises InsufficientFundsError (nothing is created), NotFoundError/PermissionDeniedError
    for a HIT type that is not the requester's, InvalidInputError.
    """
    require_requester(actor)
    window = timedelta(hours=rt.settings.marketplace.idempotency_window_hours)
    for attempt in range(2):
        now = rt.clock()
        try:
            with rt.sessions.begin() as db:
                earlier = find_token(db, actor, CREATE_HIT_SCOPE, cmd.unique_request_token, now=now, window=window)
                if earlier is not None:
                    return Created(owned_hit(db, actor, earlier), replayed=True)
                hit = insert_hit(db, rt, actor, cmd, now=now)
                if review_policies is not None:
                    review_policies.attach(db, hit, now=now)
                remember_token(db, actor, CREATE_HIT_SCOPE, cmd.unique_request_token, hit.public_id, now=now)
            return Created(hit)
        except IntegrityError:
            # A concurrent request with the same token committed first; the next attempt finds it.
            if attempt or not cmd.unique_request_token:
                raise
    raise AssertionError("unreachable")


def get_hit(rt: Runtime, actor: Actor, hit_public_id: str) -> HIT:
    require_requester(actor)
    with rt.sessions() as db:
        return owned_hit(db, actor, hit_public_id)


def _requester_hits(actor: Actor):
    return select(HIT).where(HIT.requester_id == actor.id, HIT.marketplace == actor.marketplace)


def list_hits(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 50,
              batch_id: int | None = None) -> Page[HIT]:
    """The requester's HITs in any status except Disposed, oldest first."""
    require_requester(actor)
    stmt = _requester_hits(actor).where(HIT.status != HITStatus.DISPOSED)
    if batch_id is not None:
        stmt = stmt.where(HIT.batch_id == batch_id)
    with rt.sessions() as db:
        return paginate(db, stmt, HIT.id, cursor, limit)


def batch_public_ids(rt: Runtime, found: Iterable[HIT]) -> dict[int, str]:
    """The public ids of these HITs' batches, by the batches' row ids (HITs made alone have none)."""
    wanted = {hit.batch_id for hit in found if hit.batch_id is not None}
    if not wanted:
        return {}
    with rt.sessions() as db:
        return dict(db.execute(select(Batch.id, Batch.public_id).where(Batch.id.in_(wanted))).tuples().all())


def list_reviewable_hits(rt: Runtime, actor: Actor, *, status: HITStatus = HITStatus.REVIEWABLE,
                         hit_type_id: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[HIT]:
    require_requester(actor)
    if status not in (HITStatus.REVIEWABLE, HITStatus.REVIEWING):
        raise InvalidInputError({"status": "must be Reviewable or Reviewing"})
    with rt.sessions() as db:
        stmt = _requester_hits(actor).where(HIT.status == status)
        if hit_type_id is not None:
            stmt = stmt.where(HIT.hit_type_id == owned_hit_type(db, actor, hit_type_id).id)
        return paginate(db, stmt, HIT.id, cursor, limit)


def list_hits_for_qualification_type(rt: Runtime, actor: Actor, qualification_type_id: str, *,
                                     cursor: str | None = None, limit: int = 50) -> Page[HIT]:
    """The requester's live HITs whose HIT type requires this qualification type. Raises NotFoundError
    for a type that does not exist in the actor's marketplace."""
    require_requester(actor)
    uses_type = select(QualificationRequirement.hit_type_id).where(
        QualificationRequirement.qualification_type_id == qualification_type_id)
    stmt = _requester_hits(actor).where(HIT.status != HITStatus.DISPOSED, HIT.hit_type_id.in_(uses_type))
    with rt.sessions() as db:
        custom_type = db.scalar(select(QualificationType.id).where(
            QualificationType.public_id == qualification_type_id,
            QualificationType.marketplace == actor.marketplace, QualificationType.deleted_at.is_(None)))
        if custom_type is None and eligibility.system_type(actor.marketplace, qualification_type_id) is None:
            raise NotFoundError(f"QualificationType {qualification_type_id} does not exist.",
                                entity="qualification_type")
        return paginate(db, stmt, HIT.id, cursor, limit)


def create_additional_assignments(rt: Runtime, actor: Actor, hit_public_id: str, count: int, *,
                                  unique_request_token: str | None = None) -> Created[HIT]:
    """Add assignments to a HIT and hold their cost.

    Going from fewer than 10 to 10 or more is refused (it would change the fee tier of assignments
    already held). Raises InvalidStateError, InsufficientFundsError, InvalidInputError.
    """
    require_requester(actor)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1_000_000:
        raise InvalidInputError({"number_of_additional_assignments": "must be between 1 and 1,000,000"})
    window = timedelta(hours=rt.settings.marketplace.idempotency_window_hours)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit = owned_hit(db, actor, hit_public_id, lock=True)
        earlier = find_token(db, actor, ADD_ASSIGNMENTS_SCOPE, unique_request_token, now=now, window=window)
        if earlier == hit.public_id:
            return Created(hit, replayed=True)
        if earlier is not None:
            raise ConflictError(f"The UniqueRequestToken was already used for HIT {earlier}", entity="hit")
        add_assignments_locked(db, rt, actor, hit, count, now=now)
        remember_token(db, actor, ADD_ASSIGNMENTS_SCOPE, unique_request_token, hit.public_id, now=now)
    return Created(hit)


def add_assignments_locked(db: Session, rt: Runtime, actor: Actor, hit: HIT, count: int, *,
                           now: datetime) -> None:
    """Add ``count`` assignments to a HIT whose row lock the caller holds, and hold their cost.
    Raises InvalidStateError (deleted, or crossing the large-HIT fee tier), InsufficientFundsError."""
    threshold = rt.settings.money.large_hit_min_assignments
    if hit.status is HITStatus.DISPOSED:
        raise InvalidStateError("This HIT has been deleted", entity="hit")
    if hit.max_assignments < threshold <= hit.max_assignments + count:
        raise InvalidStateError(
            f"A HIT created with fewer than {threshold} assignments cannot be extended to {threshold} or more",
            entity="hit", reason="InvalidMaximumAssignmentsIncrease")
    hit.max_assignments += count
    ledger.sync_hold(db, hit, now=now)
    record_event(db, actor, "HITExtended", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                 added_assignments=count)
    refresh_status(db, actor, hit, now=now)


def remove_open_assignments_locked(db: Session, actor: Actor, hit: HIT, count: int, *, now: datetime) -> None:
    """Take back ``count`` assignments nobody has accepted (row lock held by the caller); their
    held cost returns to the requester."""
    if not 0 < count <= hit.available_count:
        raise InvalidStateError(f"Only {hit.available_count} assignment(s) of HIT {hit.public_id} are open",
                                entity="hit")
    hit.max_assignments -= count
    ledger.sync_hold(db, hit, now=now)
    record_event(db, actor, "HITReduced", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                 removed_assignments=count)
    refresh_status(db, actor, hit, now=now)


def expire(db: Session, actor: Actor, hit: HIT, *, now: datetime) -> None:
    """Stop the HIT taking new workers now; funds for slots nobody holds go back to the requester."""
    hit.expires_at = min(hit.expires_at, now)
    hit.expired_at = now
    refresh_status(db, actor, hit, now=now)
    ledger.sync_hold(db, hit, now=now)
    record_event(db, actor, "HITExpired", entity="hit", entity_id=hit.public_id, hit=hit, now=now)


def update_expiration(rt: Runtime, actor: Actor, hit_public_id: str, expire_at: datetime) -> HIT:
    """Set the expiration. A time not in the future expires the HIT now; a future time extends it
    (an expired HIT with free slots becomes Assignable again, and their cost is held again).

    Expiring a deleted (Disposed) HIT succeeds and changes nothing: it already takes no workers. That
    is what MTurk's clients rely on: Dallinger's ``disable_hit`` (and ``dallinger expire``) calls
    UpdateExpirationForHIT(ExpireAt=0) first and treats any failure as fatal, and only then DeleteHIT,
    whose "currently in the state 'Disposed'" it takes to mean "already deleted"; that branch is reachable
    only if the expiry of a deleted HIT succeeds. Extending a deleted HIT is refused.
    """
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit = owned_hit(db, actor, hit_public_id, lock=True)
        if hit.status is HITStatus.DISPOSED:
            if expire_at > now:
                raise InvalidStateError("This HIT has been deleted", entity="hit")
        elif expire_at <= now:
            expire(db, actor, hit, now=now)
        else:
            hit.expires_at, hit.expired_at = expire_at, None
            ledger.sync_hold(db, hit, now=now)
            record_event(db, actor, "HITExtended", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                         expires_at=expire_at.isoformat())
            refresh_status(db, actor, hit, now=now)
    return hit


def update_review_status(rt: Runtime, actor: Actor, hit_public_id: str, *, revert: bool = False) -> HIT:
    """Reviewable -> Reviewing, or with ``revert`` Reviewing -> Reviewable."""
    require_requester(actor)
    now = rt.clock()
    source, target = (HITStatus.REVIEWING, HITStatus.REVIEWABLE) if revert else \
        (HITStatus.REVIEWABLE, HITStatus.REVIEWING)
    with rt.sessions.begin() as db:
        hit = owned_hit(db, actor, hit_public_id, lock=True)
        if hit.status is not source:
            raise InvalidStateError(
                f"This HIT is currently in the state '{hit.status.value}'.  This operation can be called "
                f"with a status of: {source.value}", entity="hit", status=hit.status.value)
        hit.status = target
        record_event(db, actor, "HITReviewStatusChanged", entity="hit", entity_id=hit.public_id, hit=hit,
                     now=now, status=target.value)
    return hit


def change_hit_type(rt: Runtime, actor: Actor, hit_public_id: str, hit_type_public_id: str) -> HIT:
    """Move a HIT to another of the requester's HIT types (title, reward, requirements...).

    The fee tier stays the HIT's; the held funds are re-synced to the new reward.
    """
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit = owned_hit(db, actor, hit_public_id, lock=True)
        if hit.status is HITStatus.DISPOSED:
            raise InvalidStateError("This HIT has been deleted", entity="hit")
        hit_type = owned_hit_type(db, actor, hit_type_public_id)
        previous = hit.hit_type.public_id
        hit.hit_type = hit_type
        hit.fee_per_assignment_micros = ledger.reward_fee(rt.settings.money, hit_type.reward_micros,
                                                          hit.max_assignments)
        db.flush()
        ledger.sync_hold(db, hit, now=now)
        record_event(db, actor, "HITTypeChanged", entity="hit", entity_id=hit.public_id, hit=hit, now=now,
                     previous=previous, hit_type=hit_type.public_id)
    return hit


def delete_hit(rt: Runtime, actor: Actor, hit_public_id: str) -> HIT:
    """Dispose of a HIT: only Reviewable or Reviewing, with every submitted assignment decided."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit = owned_hit(db, actor, hit_public_id, lock=True)
        dispose(db, actor, hit, now=now)
    return hit


def dispose(db: Session, actor: Actor, hit: HIT, *, now: datetime) -> None:
    if hit.status not in (HITStatus.REVIEWABLE, HITStatus.REVIEWING):
        raise InvalidStateError(
            f"This HIT is currently in the state '{hit.status.value}'.  This operation can be called with a "
            "status of: Reviewing, Reviewable", entity="hit", status=hit.status.value)
    if hit.submitted_count:
        raise InvalidStateError(
            f"This HIT has {hit.submitted_count} submitted assignment(s) to approve or reject before it can "
            "be deleted", entity="hit", status=hit.status.value)
    hit.status, hit.disposed_at = HITStatus.DISPOSED, now
    ledger.sync_hold(db, hit, now=now)
    record_event(db, actor, "HITDisposed", entity="hit", entity_id=hit.public_id, hit=hit, now=now)


def hit_history(rt: Runtime, actor: Actor, hit_public_id: str, *, cursor: str | None = None,
                limit: int = 100) -> Page[Event]:
    """Every recorded state change of the HIT and its assignments, in order, a page at a time."""
    require_requester(actor)
    with rt.sessions() as db:
        hit = owned_hit(db, actor, hit_public_id)
        return paginate(db, select(Event).where(Event.hit_id == hit.id), Event.id, cursor, limit)
