"""What the worker pages need beyond the worker REST endpoints: the marketplace as HIT groups with
search, sort and filters, "accept the next HIT of this group", and read models for the task page,
the dashboard and the qualification tests.

Every rule comes from the services the REST API uses (accept, preview, eligibility, qualifications);
this module only selects and assembles. Reads open a session without a transaction block. Sign-in,
and its limit on failed attempts, is accounts.authenticate_worker, shared with every other adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

import annotators
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import (
    HIT,
    Assignment,
    Batch,
    HITStatus,
    HITType,
    Marketplace,
    Qualification,
    QualificationRequest,
    QualificationStatus,
    QualificationType,
    Requester,
    Worker,
    WorkerMessage,
)
from labelhub.runtime import Runtime
from labelhub.services import assignments, eligibility, payments, qualifications, workers
from labelhub.services.actors import Actor, require_worker
from labelhub.services.common import Page

GROUPS_PER_PAGE = 20
MAX_PAGE = 500
ACCEPT_TRIES = 10
Sort = Literal["newest", "reward", "title"]
SORTS: tuple[Sort, ...] = ("newest", "reward", "title")


# ---- the marketplace as HIT groups --------------------------------------------------------------------

@dataclass(frozen=True)
class MarketplaceQuery:
    """Search words (title, keywords, requester), sort, filters and a 1-based page number."""

    search: str = ""
    sort: Sort = "newest"
    min_reward_micros: int = 0
    requester: str = ""
    qualified_only: bool = False
    page: int = 1

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if len(self.search) > 200:
            problems["q"] = "must be at most 200 characters"
        if self.sort not in SORTS:
            problems["sort"] = f"must be one of: {', '.join(SORTS)}"
        if len(self.requester) > 100:
            problems["requester"] = "must be at most 100 characters"
        if isinstance(self.page, bool) or not 1 <= self.page <= MAX_PAGE:
            problems["page"] = f"must be between 1 and {MAX_PAGE}"
        if "\x00" in self.search + self.requester:
            problems["q" if "\x00" in self.search else "requester"] = "must not contain NUL characters"
        if problems:
            raise InvalidInputError(problems)


@dataclass(frozen=True)
class HITGroup:
    """HITs of one HIT type (and batch) the worker could take; ``first_hit_id`` is the oldest of them."""

    hit_type: HITType
    requester_name: str
    hits_available: int
    first_hit_id: str
    newest: datetime
    can_preview: bool
    can_accept: bool
    unmet: tuple[str, ...]  # names of the qualifications the worker lacks


@dataclass(frozen=True)
class GroupPage:
    items: Sequence[HITGroup]
    page: int
    has_next: bool


def _literal_like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with % and _ taken literally."""
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _groups_statement(query: MarketplaceQuery) -> Select:
    newest = func.max(HIT.created_at).label("newest")
    stmt = (select(HITType, Requester.name, func.count(HIT.id).label("hits"),
                   func.min(HIT.id).label("first_id"), newest)
            .join(HITType, HITType.id == HIT.hit_type_id).join(Requester, Requester.id == HIT.requester_id)
            .group_by(HITType.id, Requester.id, HIT.batch_id))
    if query.search:
        pattern = _literal_like(query.search)
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            HITType.title, HITType.keywords, HITType.description, Requester.name))))
    if query.requester:
        stmt = stmt.where(or_(func.lower(Requester.name) == query.requester.lower(),
                              Requester.public_id == query.requester))
    if query.min_reward_micros:
        stmt = stmt.where(HITType.reward_micros >= query.min_reward_micros)
    order = {"newest": (newest.desc(),), "reward": (HITType.reward_micros.desc(), newest.desc()),
             "title": (func.lower(HITType.title), newest.desc())}[query.sort]
    return stmt.order_by(*order, HITType.id, func.coalesce(HIT.batch_id, 0))


def _qualification_names(db: Session, marketplace: Marketplace, ids: set[str]) -> dict[str, str]:
    names = {i: s.name for i in ids if (s := eligibility.system_type(marketplace, i)) is not None}
    names.update(db.execute(select(QualificationType.public_id, QualificationType.name).where(
        QualificationType.public_id.in_(ids - names.keys()))).tuples().all())
    return names


def _visible_groups(db: Session, rt: Runtime, actor: Actor, query: MarketplaceQuery,
                    wanted: int) -> list[Any]:
    """The first ``wanted`` group rows the worker may see, in the query's order; the requirements are
    checked once per HIT type, while the rows stream from the database."""
    worker = db.get_one(Worker, actor.id)
    values = eligibility.worker_values(db, actor.marketplace, worker, rt.settings.marketplace)
    stmt = workers.open_hits(db, actor, _groups_statement(query), now=rt.clock())
    rows = []
    for row in db.execute(stmt.execution_options(yield_per=200)):
        allowed = eligibility.access(row.HITType, values)
        if allowed.discover and (allowed.accept or not query.qualified_only):
            rows.append((row, allowed))
            if len(rows) == wanted:
                break
    return rows


def marketplace(rt: Runtime, actor: Actor, query: MarketplaceQuery) -> GroupPage:
    """One page of the HIT groups the worker may discover, with the counts of HITs they could take.

    Hidden as in the REST list: other workers' blocks, DiscoverPreviewAndAccept requirements the worker
    fails, HITs the worker already worked on. ``qualified_only`` keeps groups the worker may accept.
    """
    require_worker(actor)
    wanted = query.page * GROUPS_PER_PAGE + 1  # one more than the page shows: is there a next page?
    with rt.sessions() as db:
        rows = _visible_groups(db, rt, actor, query, wanted)
        shown = rows[(query.page - 1) * GROUPS_PER_PAGE:query.page * GROUPS_PER_PAGE]
        public = dict(db.execute(select(HIT.id, HIT.public_id).where(
            HIT.id.in_([row.first_id for row, _ in shown]))).tuples().all())
        unmet = {u for _, allowed in shown for u in allowed.unmet}
        names = _qualification_names(db, actor.marketplace, unmet)
    items = [HITGroup(row.HITType, row.name, row.hits, public[row.first_id], row.newest, allowed.preview,
                      allowed.accept, tuple(names.get(u, u) for u in allowed.unmet))
             for row, allowed in shown]
    return GroupPage(items, query.page, len(rows) == wanted)


def _group_of(db: Session, actor: Actor, hit_public_id: str) -> HIT:
    hit = db.scalars(select(HIT).where(HIT.public_id == hit_public_id,
                                       HIT.marketplace == actor.marketplace)).one_or_none()
    if hit is None or hit.status is HITStatus.DISPOSED:
        raise NotFoundError(f"Hit {hit_public_id} does not exist.", entity="hit")
    return hit


def _same_group(stmt: Select, hit: HIT) -> Select:
    """HITs made with ``hit``: its batch, or for HITs without a batch, its HIT type."""
    if hit.batch_id is not None:
        return stmt.where(HIT.batch_id == hit.batch_id)
    return stmt.where(HIT.hit_type_id == hit.hit_type_id, HIT.batch_id.is_(None))


def accept_next(rt: Runtime, actor: Actor, hit_public_id: str) -> Assignment | None:
    """Accept the oldest HIT the worker could take in the group of ``hit_public_id`` (that HIT
    included), or None when none is left.

    Each attempt is assignments.accept, its own unit of work with all its rules; a HIT another worker
    filled in the meantime is skipped. Raises NotFoundError, PermissionDeniedError (requirements).
    """
    require_worker(actor)
    with rt.sessions() as db:
        hit = _group_of(db, actor, hit_public_id)
        stmt = workers.open_hits(db, actor, _same_group(select(HIT.public_id), hit), now=rt.clock())
        candidates = list(db.scalars(stmt.order_by(HIT.id).limit(ACCEPT_TRIES)))
    for candidate in candidates:
        try:
            return assignments.accept(rt, actor, candidate)
        except InvalidStateError:
            continue  # filled, expired or already held since the list was read
    return None


# ---- the task page ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskView:
    """A HIT as its preview or work page shows it; ``next_item`` is the data row of the HIT that
    "Submit and next" would most likely give (for preloading), None when the group has no other."""

    hit: HIT
    requester_name: str
    template_kind: str | None
    template_config: dict[str, Any] | None
    assignment: Assignment | None
    next_item: dict[str, Any] | None
    has_next: bool


def _task_view(rt: Runtime, actor: Actor, hit: HIT, assignment: Assignment | None) -> TaskView:
    with rt.sessions() as db:
        requester_name = db.scalar(select(Requester.name).where(Requester.id == hit.requester_id)) or ""
        batch = db.get(Batch, hit.batch_id) if hit.batch_id is not None else None
        stmt = workers.open_hits(db, actor, _same_group(select(HIT.data), hit), now=rt.clock())
        following = db.execute(stmt.where(HIT.id != hit.id).order_by(HIT.id).limit(1)).first()
    return TaskView(hit, requester_name, batch.template_kind if batch else None,
                    (batch.template or {}).get("config") if batch else None, assignment,
                    following[0] if following else None, following is not None)


@dataclass(frozen=True)
class HITTask:
    """What a client needs to show a batch HIT's task and shape its answer: the batch, its task type,
    the type's configuration as workers see it, the HIT's data row and the JSON Schema of an answer
    (the task type's, or the batch's own for untyped HTML batches)."""

    batch_id: str
    task_type: str
    config: dict[str, Any] | None
    item: dict[str, Any]
    answer_schema: dict[str, Any] | None


def hit_task(batch: Batch | None, hit: HIT) -> HITTask | None:
    """The task of a HIT made from a batch row; None for a HIT created on its own."""
    if batch is None:
        return None
    annotator = annotators.REGISTRY.get(batch.template_kind)
    if annotator is None:
        return HITTask(batch.public_id, batch.template_kind, None, hit.data or {}, hit.answer_schema)
    config = annotator.parse_config((batch.template or {}).get("config") or {})
    return HITTask(batch.public_id, batch.template_kind, annotator.public_config(config), hit.data or {},
                   annotator.answer_schema(config))


def preview_task(rt: Runtime, actor: Actor, hit_public_id: str) -> tuple[HIT, HITTask | None]:
    """A HIT as a worker may preview it (assignments.preview decides who may) with its task."""
    hit = assignments.preview(rt, actor, hit_public_id)
    with rt.sessions() as db:
        batch = db.get(Batch, hit.batch_id) if hit.batch_id is not None else None
    return hit, hit_task(batch, hit)


def preview_view(rt: Runtime, actor: Actor, hit_public_id: str) -> TaskView:
    """The HIT for its preview page (assignments.preview decides who may see it)."""
    return _task_view(rt, actor, assignments.preview(rt, actor, hit_public_id), None)


def work_view(rt: Runtime, actor: Actor, assignment_public_id: str) -> TaskView:
    """The worker's own assignment for its work page. Raises NotFoundError, PermissionDeniedError
    (another worker's assignment)."""
    require_worker(actor)
    assignment = assignments.get_assignment(rt, actor, assignment_public_id)
    return _task_view(rt, actor, assignment.hit, assignment)


# ---- the dashboard --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordLine:
    name: str
    value: int


@dataclass(frozen=True)
class MessageView:
    message: WorkerMessage
    requester_name: str


@dataclass(frozen=True)
class Dashboard:
    """``assignments`` carry the requester's feedback (``requester_feedback``) on reviewed ones."""

    earnings: payments.Earnings
    record: Sequence[RecordLine]  # the worker's system qualification values (approval rate...)
    qualifications: Page[Qualification]
    messages: Page[MessageView]
    assignments: Page[Assignment]
    bonuses: Page[payments.ReceivedBonus]


def dashboard(rt: Runtime, actor: Actor, *, assignments_cursor: str | None = None,
              messages_cursor: str | None = None, qualifications_cursor: str | None = None,
              bonuses_cursor: str | None = None, limit: int = 10) -> Dashboard:
    """Earnings, the worker's record, qualifications with scores, messages, assignments (with the
    requester's feedback) and bonuses received (pages through each list's own cursor). Raises
    InvalidInputError naming a bad cursor."""
    require_worker(actor)
    with rt.sessions() as db:
        values = eligibility.system_values(db, actor.marketplace, db.get_one(Worker, actor.id),
                                           rt.settings.marketplace)
    record = [RecordLine(t.name, values[t.public_id]) for t in eligibility.system_types(actor.marketplace)
              if isinstance(values.get(t.public_id), int)]
    inbox = workers.inbox(rt, actor, cursor=messages_cursor, limit=limit)
    with rt.sessions() as db:
        names = dict(db.execute(select(Requester.id, Requester.name).where(
            Requester.id.in_({m.requester_id for m in inbox.items}))).tuples().all())
    return Dashboard(
        earnings=payments.worker_earnings(rt, actor), record=record,
        qualifications=qualifications.worker_qualifications(rt, actor, cursor=qualifications_cursor,
                                                            limit=limit),
        messages=Page([MessageView(m, names[m.requester_id]) for m in inbox.items], inbox.next_cursor),
        assignments=assignments.list_for_worker(rt, actor, cursor=assignments_cursor, limit=limit),
        bonuses=payments.bonuses_received(rt, actor, cursor=bonuses_cursor, limit=limit))


# ---- qualification tests --------------------------------------------------------------------------------

@dataclass(frozen=True)
class QualificationView:
    """A requestable type and where the worker stands: their score and their latest request."""

    qtype: qualifications.TypeView
    score: int | None
    revoked: bool
    last_request: QualificationRequest | None


def _standing(db: Session, actor: Actor, type_ids: Sequence[str]) -> tuple[dict[str, Qualification],
                                                                            dict[str, QualificationRequest]]:
    held = {q.qualification_type.public_id: q for q in db.scalars(
        select(Qualification).join(QualificationType).where(Qualification.worker_id == actor.id,
                                                            QualificationType.public_id.in_(type_ids)))}
    latest = {}
    for request in db.scalars(select(QualificationRequest).join(QualificationType).where(
            QualificationRequest.worker_id == actor.id, QualificationType.public_id.in_(type_ids))
            .order_by(QualificationRequest.id)):
        latest[request.qualification_type.public_id] = request
    return held, latest


def _view(qtype: qualifications.TypeView, held: dict[str, Qualification],
          latest: dict[str, QualificationRequest]) -> QualificationView:
    qual = held.get(qtype.public_id)
    revoked = qual is not None and qual.status is QualificationStatus.REVOKED
    score = qual.integer_value if qual else None
    return QualificationView(qtype, score, revoked, latest.get(qtype.public_id))


def qualification_list(rt: Runtime, actor: Actor, *, search: str | None = None, cursor: str | None = None,
                       limit: int = 20) -> Page[QualificationView]:
    """Requestable qualification types (qualifications.list_types) with the worker's standing."""
    require_worker(actor)
    page = qualifications.list_types(rt, actor, query=search, must_be_requestable=True, cursor=cursor,
                                     limit=limit)
    with rt.sessions() as db:
        held, latest = _standing(db, actor, [t.public_id for t in page.items])
    return Page([_view(t, held, latest) for t in page.items], page.next_cursor)


def qualification_view(rt: Runtime, actor: Actor, type_public_id: str) -> QualificationView:
    """One type for its test page (qualifications.get_type: no answer key). Raises NotFoundError,
    PermissionDeniedError (system types cannot be requested)."""
    require_worker(actor)
    qtype = qualifications.get_type(rt, actor, type_public_id)
    if qtype.owner_id is None:
        raise NotFoundError(f"{qtype.name} is a system qualification: it comes from your work record, "
                            "not from a test", entity="qualification_type")
    with rt.sessions() as db:
        held, latest = _standing(db, actor, [qtype.public_id])
    return _view(qtype, held, latest)
