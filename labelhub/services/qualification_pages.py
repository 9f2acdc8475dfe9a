"""Read models of the requester's qualification type pages: their types with holder and request counts,
and one type with its holders and pending requests, a page of each.

Another requester's type is NotFoundError here (the pages' 404), where ``labelhub.services.qualifications``
answers PermissionDeniedError as MTurk does; the pages' actions call ``check_owned`` before the
qualification use case they run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.errors import NotFoundError
from labelhub.models import (
    Qualification,
    QualificationRequest,
    QualificationStatus,
    QualificationType,
    RequestStatus,
)
from labelhub.runtime import Runtime
from labelhub.services import qualifications
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import Page
from labelhub.services.qualifications import TypeView


def owned_type(db: Session, actor: Actor, type_public_id: str) -> QualificationType:
    """The requester's live type in the actor's marketplace; NotFoundError for anyone else's."""
    qtype = db.scalars(select(QualificationType).where(
        QualificationType.public_id == type_public_id, QualificationType.requester_id == actor.id,
        QualificationType.marketplace == actor.marketplace, QualificationType.deleted_at.is_(None))).one_or_none()
    if qtype is None:
        raise NotFoundError(f"QualificationType {type_public_id} does not exist.", entity="qualification_type")
    return qtype


def check_owned(rt: Runtime, actor: Actor, type_public_id: str, *, request_public_id: str | None = None) -> None:
    """Raise NotFoundError unless the type is the requester's (and the request, if named, is one for it)."""
    require_requester(actor)
    with rt.sessions() as db:
        qtype = owned_type(db, actor, type_public_id)
        if request_public_id is not None and db.scalar(select(QualificationRequest.id).where(
                QualificationRequest.public_id == request_public_id,
                QualificationRequest.qualification_type_id == qtype.id)) is None:
            raise NotFoundError(f"QualificationRequest {request_public_id} does not exist.",
                                entity="qualification_request")


@dataclass(frozen=True)
class Counts:
    granted: int = 0
    revoked: int = 0
    pending: int = 0


def _counts(db: Session, type_ids: list[int]) -> dict[int, Counts]:
    if not type_ids:
        return {}
    held = db.execute(select(
        Qualification.qualification_type_id,
        func.count(Qualification.id).filter(Qualification.status == QualificationStatus.GRANTED),
        func.count(Qualification.id).filter(Qualification.status == QualificationStatus.REVOKED))
        .where(Qualification.qualification_type_id.in_(type_ids))
        .group_by(Qualification.qualification_type_id)).tuples().all()
    pending = dict(db.execute(select(QualificationRequest.qualification_type_id, func.count(QualificationRequest.id))
                              .where(QualificationRequest.qualification_type_id.in_(type_ids),
                                     QualificationRequest.status == RequestStatus.PENDING)
                              .group_by(QualificationRequest.qualification_type_id)).tuples().all())
    found = {type_id: Counts(int(granted), int(revoked), int(pending.get(type_id, 0)))
             for type_id, granted, revoked in held}
    return {type_id: found.get(type_id, Counts(pending=int(pending.get(type_id, 0)))) for type_id in type_ids}


@dataclass(frozen=True)
class TypeRow:
    qtype: TypeView
    counts: Counts


def types_overview(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 25) -> Page[TypeRow]:
    """The requester's live types in the actor's marketplace, oldest first, with their holders and
    pending requests counted."""
    require_requester(actor)
    found = qualifications.list_types(rt, actor, must_be_owned_by_caller=True, cursor=cursor, limit=limit)
    with rt.sessions() as db:
        ids = dict(db.execute(select(QualificationType.public_id, QualificationType.id).where(
            QualificationType.public_id.in_([view.public_id for view in found.items]))).tuples().all())
        counts = _counts(db, list(ids.values()))
    return Page([TypeRow(view, counts.get(ids.get(view.public_id, 0), Counts())) for view in found.items],
                found.next_cursor)


@dataclass(frozen=True)
class TypePage:
    qtype: TypeView
    counts: Counts
    holders: Page[Qualification]
    requests: Page[QualificationRequest]


def type_page(rt: Runtime, actor: Actor, type_public_id: str, *, holders_cursor: str | None = None,
              requests_cursor: str | None = None, limit: int = 25) -> TypePage:
    """One of the requester's types (with its test and answer key), its holders (granted and revoked)
    and its pending requests, a page of each. Raises NotFoundError (also for another requester's type)."""
    require_requester(actor)
    with rt.sessions() as db:
        qtype = owned_type(db, actor, type_public_id)
        view, counts = TypeView.of(qtype), _counts(db, [qtype.id])[qtype.id]
    holders = qualifications.list_workers(rt, actor, type_public_id, cursor=holders_cursor, limit=limit)
    requests = qualifications.list_requests(rt, actor, type_public_id, cursor=requests_cursor, limit=limit)
    return TypePage(view, counts, holders, requests)
