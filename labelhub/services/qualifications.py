"""Qualification use cases: types (with tests and answer keys), grants, scores and requests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import (
    ConflictError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import (
    HIT,
    HITStatus,
    Qualification,
    QualificationRequest,
    QualificationRequirement,
    QualificationStatus,
    QualificationType,
    QualificationTypeStatus,
    RequestStatus,
    Worker,
)
from labelhub.runtime import Runtime
from labelhub.services import eligibility
from labelhub.services.actors import Actor, require_requester, require_worker
from labelhub.services.commands import (
    MAX_REASON_LENGTH,
    AnswerKey,
    QualificationTypeSpec,
    QualificationTypeUpdate,
    check_text,
)
from labelhub.services.common import (
    Page,
    check_page_size,
    decode_cursor,
    encode_cursor,
    get_worker,
    paginate,
    record_event,
)
from labelhub.services.hits import expire

DUPLICATE_NAME = "You have already created a QualificationType with this name."


def _type(db: Session, actor: Actor, public_id: str, *, owned: bool) -> QualificationType:
    qtype = db.scalars(select(QualificationType).where(
        QualificationType.public_id == public_id, QualificationType.marketplace == actor.marketplace,
        QualificationType.deleted_at.is_(None))).one_or_none()
    if qtype is None:
        if eligibility.system_type(actor.marketplace, public_id):
            raise PermissionDeniedError(
                f"QualificationType {public_id} is a system type: its value is derived from each worker's "
                "record, so it cannot be changed, granted or requested", entity="qualification_type")
        raise NotFoundError(f"QualificationType {public_id} does not exist.", entity="qualification_type")
    if owned and qtype.requester_id != actor.id:
        raise PermissionDeniedError(f"QualificationType {public_id} belongs to another requester",
                                    entity="qualification_type")
    return qtype


def create_type(rt: Runtime, actor: Actor, spec: QualificationTypeSpec) -> QualificationType:
    """Create a qualification type; names are unique per requester among live types (ConflictError)."""
    require_requester(actor)
    now = rt.clock()
    qtype = QualificationType(
        public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, name=spec.name,
        active_name=spec.name, description=spec.description, keywords=spec.keywords,
        status=QualificationTypeStatus.ACTIVE if spec.active else QualificationTypeStatus.INACTIVE,
        is_requestable=True, auto_granted=spec.auto_granted, auto_granted_value=spec.auto_granted_value,
        test=spec.test, answer_key=spec.answer_key.as_json() if spec.answer_key else None,
        test_duration_seconds=spec.test_duration_seconds, retry_delay_seconds=spec.retry_delay_seconds,
        created_at=now)
    try:
        with rt.sessions.begin() as db:
            db.add(qtype)
            db.flush()
            record_event(db, actor, "QualificationTypeCreated", entity="qualification_type",
                         entity_id=qtype.public_id, now=now, name=spec.name)
    except IntegrityError:
        raise ConflictError(f"{DUPLICATE_NAME} Name: {spec.name}", entity="qualification_type") from None
    return qtype


def update_type(rt: Runtime, actor: Actor, public_id: str, change: QualificationTypeUpdate) -> QualificationType:
    """Change a type. A test cannot be removed and retries cannot be disabled once enabled."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        qtype = _type(db, actor, public_id, owned=True)
        test = change.test if change.test is not None else qtype.test
        auto = change.auto_granted if change.auto_granted is not None else qtype.auto_granted
        if test is not None and auto:
            raise InvalidInputError({"auto_granted": "a type with a test cannot also be auto-granted"})
        if change.test is not None and (change.test_duration_seconds or qtype.test_duration_seconds) is None:
            raise InvalidInputError({"test_duration_seconds": "is required when a test is given"})
        if change.answer_key is not None and test is None:
            raise InvalidInputError({"answer_key": "needs a test to score"})
        for name in ("description", "test", "test_duration_seconds", "retry_delay_seconds", "auto_granted",
                     "auto_granted_value"):
            value = getattr(change, name)
            if value is not None:
                setattr(qtype, name, value)
        if change.answer_key is not None:
            qtype.answer_key = change.answer_key.as_json()
        if change.active is not None:
            qtype.status = QualificationTypeStatus.ACTIVE if change.active else QualificationTypeStatus.INACTIVE
        record_event(db, actor, "QualificationTypeUpdated", entity="qualification_type", entity_id=public_id,
                     now=now)
    return qtype


def delete_type(rt: Runtime, actor: Actor, public_id: str) -> None:
    """Delete a type: its name becomes reusable, pending requests are rejected, granted
    qualifications are kept, and live HITs that require it are expired (their HIT type is gone)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        qtype = _type(db, actor, public_id, owned=True)
        qtype.deleted_at, qtype.active_name, qtype.status = now, None, QualificationTypeStatus.INACTIVE
        for request in db.scalars(select(QualificationRequest).where(
                QualificationRequest.qualification_type_id == qtype.id,
                QualificationRequest.status == RequestStatus.PENDING)):
            request.status, request.decided_at = RequestStatus.REJECTED, now
            request.reason = "The qualification type was deleted"
        uses_type = select(QualificationRequirement.hit_type_id).where(
            QualificationRequirement.qualification_type_id == public_id)
        for hit in db.scalars(select(HIT).where(
                HIT.hit_type_id.in_(uses_type), HIT.expires_at > now,
                HIT.status.in_((HITStatus.ASSIGNABLE, HITStatus.UNASSIGNABLE)))
                .with_for_update(of=HIT, key_share=True)):
            expire(db, actor, hit, now=now)
        record_event(db, actor, "QualificationTypeDeleted", entity="qualification_type", entity_id=public_id,
                     now=now)


@dataclass(frozen=True)
class TypeView:
    """A qualification type as a caller sees it: a custom type or one of the system types.

    Build one for a reader with ``seen_by``: it is the one place that hides owner-only fields
    (the answer key) from everyone but the type's owner, so every adapter renders what it gets."""

    public_id: str
    name: str
    description: str
    keywords: str
    status: QualificationTypeStatus
    is_requestable: bool
    auto_granted: bool
    auto_granted_value: int | None
    test: str | None
    answer_key: dict | None
    test_duration_seconds: int | None
    retry_delay_seconds: int | None
    created_at: datetime | None
    owner_id: int | None

    @classmethod
    def of(cls, qtype: QualificationType) -> TypeView:
        """The owner's full view (create_type / update_type results); for any other reader use ``seen_by``."""
        return cls(qtype.public_id, qtype.name, qtype.description, qtype.keywords, qtype.status,
                   qtype.is_requestable, qtype.auto_granted, qtype.auto_granted_value, qtype.test,
                   qtype.answer_key, qtype.test_duration_seconds, qtype.retry_delay_seconds, qtype.created_at,
                   qtype.requester_id)

    @classmethod
    def seen_by(cls, actor: Actor, qtype: QualificationType) -> TypeView:
        """The type as ``actor`` may see it: only its owner sees the answer key."""
        view = cls.of(qtype)
        if actor.kind == "requester" and qtype.requester_id == actor.id:
            return view
        return replace(view, answer_key=None)

    @classmethod
    def system(cls, stype: eligibility.SystemQualificationType) -> TypeView:
        return cls(stype.public_id, stype.name, stype.description, "system", QualificationTypeStatus.ACTIVE,
                   False, False, None, None, None, None, None, None, None)


def get_type(rt: Runtime, actor: Actor, public_id: str) -> TypeView:
    """Any live type of this marketplace, including other requesters' and the system types."""
    stype = eligibility.system_type(actor.marketplace, public_id)
    if stype is not None:
        return TypeView.system(stype)
    with rt.sessions() as db:
        return TypeView.seen_by(actor, _type(db, actor, public_id, owned=False))


def list_types(rt: Runtime, actor: Actor, *, query: str | None = None, must_be_requestable: bool = False,
               must_be_owned_by_caller: bool = False, cursor: str | None = None,
               limit: int = 50) -> Page[TypeView]:
    """Search types by name, description and keywords (case-insensitive, literal). Unless ownership or
    requestability is required, the matching system types come first, counted within ``limit``."""
    limit = check_page_size(limit)
    stmt = select(QualificationType).where(QualificationType.marketplace == actor.marketplace,
                                           QualificationType.deleted_at.is_(None))
    if must_be_owned_by_caller:
        require_requester(actor)
        stmt = stmt.where(QualificationType.requester_id == actor.id)
    if must_be_requestable:
        stmt = stmt.where(QualificationType.is_requestable.is_(True))
    if query:
        # % and _ in the query are literal characters, not LIKE wildcards
        literal = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            QualificationType.name, QualificationType.description, QualificationType.keywords))))
    needle = (query or "").lower()
    systems = [] if must_be_owned_by_caller or must_be_requestable else [
        TypeView.system(s) for s in eligibility.system_types(actor.marketplace)
        if needle in f"{s.name} {s.description}".lower()]
    # A cursor <= 0 counts the system types already listed; a positive one is the last custom type's id.
    position = decode_cursor(cursor)
    items: list[TypeView] = []
    with rt.sessions() as db:
        if position <= 0:
            shown = -position
            items = systems[shown:shown + limit]
            if len(items) == limit:
                more = shown + limit < len(systems) or db.scalar(stmt.limit(1)) is not None
                return Page(items, encode_cursor(-(shown + limit)) if more else None)
            cursor = None
        page = paginate(db, stmt, QualificationType.id, cursor, limit - len(items))
    return Page(items + [TypeView.seen_by(actor, t) for t in page.items], page.next_cursor)


def _grant(db: Session, actor: Actor, qtype: QualificationType, worker_id: int, value: int, *, now: datetime,
           worker_public_id: str) -> Qualification:
    qual = db.scalars(select(Qualification).where(Qualification.qualification_type_id == qtype.id,
                                                  Qualification.worker_id == worker_id)).one_or_none()
    if qual is None:
        qual = Qualification(qualification_type_id=qtype.id, worker=db.get_one(Worker, worker_id),
                             granted_at=now)
        db.add(qual)
    qual.integer_value, qual.status, qual.updated_at, qual.reason = value, QualificationStatus.GRANTED, now, None
    qual.qualification_type = qtype
    record_event(db, actor, "QualificationGranted", entity="qualification_type", entity_id=qtype.public_id,
                 now=now, worker=worker_public_id, value=value)
    return qual


def _check_value(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
        raise InvalidInputError({"integer_value": "must be a 32-bit integer"})


def grant(rt: Runtime, actor: Actor, public_id: str, worker_public_id: str, value: int = 1) -> Qualification:
    """Grant (or re-grant, or set the score of) a qualification of the requester's own type."""
    require_requester(actor)
    _check_value(value)
    now = rt.clock()
    with rt.sessions.begin() as db:
        qtype = _type(db, actor, public_id, owned=True)
        worker = get_worker(db, worker_public_id)
        return _grant(db, actor, qtype, worker.id, value, now=now, worker_public_id=worker.public_id)


def _check_reason(reason: str | None) -> None:
    problems: dict[str, str] = {}
    check_text(problems, "reason", reason, max_len=MAX_REASON_LENGTH, required=False)
    if problems:
        raise InvalidInputError(problems)


def revoke(rt: Runtime, actor: Actor, public_id: str, worker_public_id: str, reason: str | None = None) -> None:
    """Revoke a worker's qualification; the record stays, with status Revoked and the reason."""
    require_requester(actor)
    _check_reason(reason)
    now = rt.clock()
    with rt.sessions.begin() as db:
        qtype = _type(db, actor, public_id, owned=True)
        worker = get_worker(db, worker_public_id)
        qual = db.scalars(select(Qualification).where(Qualification.qualification_type_id == qtype.id,
                                                      Qualification.worker_id == worker.id)).one_or_none()
        if qual is None:
            raise NotFoundError(f"You requested a Qualification that does not exist. (worker {worker_public_id})",
                                entity="qualification")
        qual.status, qual.updated_at, qual.reason = QualificationStatus.REVOKED, now, reason
        record_event(db, actor, "QualificationRevoked", entity="qualification_type", entity_id=public_id,
                     now=now, worker=worker_public_id)


def get_score(rt: Runtime, actor: Actor, public_id: str, worker_public_id: str) -> Qualification:
    """A worker's qualification of the requester's type (NotFoundError without one,
    InvalidStateError when revoked)."""
    require_requester(actor)
    with rt.sessions() as db:
        qtype = _type(db, actor, public_id, owned=True)
        worker = get_worker(db, worker_public_id)
        qual = db.scalars(select(Qualification).where(Qualification.qualification_type_id == qtype.id,
                                                      Qualification.worker_id == worker.id)).one_or_none()
    if qual is None:
        raise NotFoundError(f"You requested a Qualification that does not exist. (worker {worker_public_id})",
                            entity="qualification")
    if qual.status is QualificationStatus.REVOKED:
        raise InvalidStateError("This operation can be called with a status of: Granted", entity="qualification")
    return qual


def list_workers(rt: Runtime, actor: Actor, public_id: str, *, status: QualificationStatus | None = None,
                 cursor: str | None = None, limit: int = 50) -> Page[Qualification]:
    """Workers holding the requester's type, optionally only Granted or only Revoked."""
    require_requester(actor)
    with rt.sessions() as db:
        qtype = _type(db, actor, public_id, owned=True)
        stmt = select(Qualification).where(Qualification.qualification_type_id == qtype.id)
        if status is not None:
            stmt = stmt.where(Qualification.status == status)
        return paginate(db, stmt, Qualification.id, cursor, limit)


def worker_qualifications(rt: Runtime, actor: Actor, *, cursor: str | None = None,
                          limit: int = 50) -> Page[Qualification]:
    """The worker's own custom qualifications in this marketplace."""
    require_worker(actor)
    stmt = select(Qualification).join(QualificationType).where(
        Qualification.worker_id == actor.id, QualificationType.marketplace == actor.marketplace,
        QualificationType.deleted_at.is_(None))
    with rt.sessions() as db:
        return paginate(db, stmt, Qualification.id, cursor, limit)


def _check_retry(db: Session, qtype: QualificationType, worker_id: int, now: datetime) -> None:
    last = db.scalars(select(QualificationRequest).where(
        QualificationRequest.qualification_type_id == qtype.id, QualificationRequest.worker_id == worker_id)
        .order_by(QualificationRequest.id.desc()).limit(1)).first()
    if last is None:
        return
    if last.status is RequestStatus.PENDING:
        raise InvalidStateError("You already have a pending request for this qualification",
                                entity="qualification_request")
    if qtype.retry_delay_seconds is None:
        raise InvalidStateError("This qualification can be requested only once", entity="qualification_request")
    retry_at = last.submitted_at + timedelta(seconds=qtype.retry_delay_seconds)
    if now < retry_at:
        raise InvalidStateError(f"You can request this qualification again after {retry_at.isoformat()}",
                                entity="qualification_request", retry_at=retry_at.isoformat())


def request(rt: Runtime, actor: Actor, public_id: str, answers: dict | None = None) -> QualificationRequest:
    """A worker asks for a qualification. Auto-granted types grant at once; a test with an answer key
    is scored and granted with its score; otherwise the request waits for the requester.
    The retry delay is honoured (none set: one request per worker)."""
    require_worker(actor)
    if answers is not None and not isinstance(answers, dict):
        raise InvalidInputError({"answers": "must map question ids to answers"})
    now = rt.clock()
    with rt.sessions.begin() as db:
        qtype = _type(db, actor, public_id, owned=False)
        if qtype.status is not QualificationTypeStatus.ACTIVE or not qtype.is_requestable:
            raise InvalidStateError("This qualification type is not accepting requests",
                                    entity="qualification_type")
        if qtype.test is not None and answers is None:
            raise InvalidInputError({"answers": "this qualification has a test: answer it"})
        _check_retry(db, qtype, actor.id, now)
        req = QualificationRequest(public_id=ids.new_id(), qualification_type=qtype,
                                   worker=db.get_one(Worker, actor.id), status=RequestStatus.PENDING,
                                   answers=answers, submitted_at=now)
        db.add(req)
        if qtype.auto_granted or qtype.answer_key:
            score = AnswerKey.from_json(qtype.answer_key).score(answers or {}) if qtype.answer_key \
                else qtype.auto_granted_value
            req.score, req.status, req.decided_at = score, RequestStatus.ACCEPTED, now
            _grant(db, actor, qtype, actor.id, score, now=now, worker_public_id=actor.public_id)
        db.flush()
        record_event(db, actor, "QualificationRequested", entity="qualification_type", entity_id=public_id,
                     now=now, request=req.public_id, status=req.status.value)
    return req


def list_requests(rt: Runtime, actor: Actor, public_id: str | None = None, *, cursor: str | None = None,
                  limit: int = 50) -> Page[QualificationRequest]:
    """Pending requests for the requester's types (one type, or all of them)."""
    require_requester(actor)
    with rt.sessions() as db:
        stmt = select(QualificationRequest).join(QualificationType).where(
            QualificationType.requester_id == actor.id, QualificationType.marketplace == actor.marketplace,
            QualificationRequest.status == RequestStatus.PENDING)
        if public_id is not None:
            stmt = stmt.where(QualificationRequest.qualification_type_id == _type(db, actor, public_id,
                                                                                   owned=True).id)
        return paginate(db, stmt, QualificationRequest.id, cursor, limit)


def _pending_request(db: Session, actor: Actor, request_public_id: str) -> QualificationRequest:
    req = db.scalars(select(QualificationRequest).join(QualificationType).where(
        QualificationRequest.public_id == request_public_id,
        QualificationType.marketplace == actor.marketplace)).one_or_none()
    if req is None or req.qualification_type.requester_id != actor.id:  # another's: no hint it exists
        raise NotFoundError(f"QualificationRequest {request_public_id} does not exist.",
                            entity="qualification_request")
    if req.status is not RequestStatus.PENDING:
        raise InvalidStateError(f"This request was already {req.status.value.lower()}",
                                entity="qualification_request")
    return req


def accept_request(rt: Runtime, actor: Actor, request_public_id: str, value: int = 1) -> QualificationRequest:
    require_requester(actor)
    _check_value(value)
    now = rt.clock()
    with rt.sessions.begin() as db:
        req = _pending_request(db, actor, request_public_id)
        req.status, req.decided_at, req.score = RequestStatus.ACCEPTED, now, value
        worker = db.get_one(Worker, req.worker_id)
        _grant(db, actor, req.qualification_type, req.worker_id, value, now=now, worker_public_id=worker.public_id)
    return req


def reject_request(rt: Runtime, actor: Actor, request_public_id: str,
                   reason: str | None = None) -> QualificationRequest:
    require_requester(actor)
    _check_reason(reason)
    now = rt.clock()
    with rt.sessions.begin() as db:
        req = _pending_request(db, actor, request_public_id)
        req.status, req.decided_at, req.reason = RequestStatus.REJECTED, now, reason
        record_event(db, actor, "QualificationRequestRejected", entity="qualification_type",
                     entity_id=req.qualification_type.public_id, now=now, request=request_public_id)
    return req
