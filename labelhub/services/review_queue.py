"""The review queue of a batch: its answers awaiting a decision (or rejected ones still open to an
override, or approved ones), one page at a time, each with what a reviewer weighs it against: the
HIT's consensus and the other workers' answers, the worker's accuracy in the batch, the time taken,
the LLM flag.

A page costs a fixed number of statements whatever the batch's size. The main query walks the
assignments of the wanted status in (HIT, assignment) order through ix_assignments_hit_page, from the
batch's first HIT id to its last (each HIT checked in ix_hits_batch), so it stops after one page of
rows; the SQL filters narrow it through
their own indexes (LLM flags by ix_answer_flags_batch_band, consensus by ix_consensus_labels_batch_page,
gold HITs by ix_hits_batch_gold). "Disagrees with the consensus" and "failed gold" compare answers
through the task type (``label_of``), in Python: those filters read at most MAX_SCANNED candidates
per page, so a page can be short and still have a next page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

import annotators
from aggregation.consensus import CATEGORICAL_SHAPES
from labelhub.errors import InvalidInputError
from labelhub.models import (
    ANSWERED_STATUSES,
    HIT,
    AnswerFlag,
    Assignment,
    AssignmentStatus,
    Batch,
    ConsensusLabel,
    Worker,
    WorkerScore,
)
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings, batch_shape, owned_batch
from labelhub.services.common import Page, check_page_size, decode_cursor, encode_cursor
from labelhub.services.gold import label_of
from labelhub.services.worker_scores import COUNTS, accuracy_of

STATUSES = {"submitted": AssignmentStatus.SUBMITTED, "rejected": AssignmentStatus.REJECTED,
            "approved": AssignmentStatus.APPROVED}
MAX_SCANNED = 1_000  # candidates one page of a Python-side filter reads at most
SCAN_CHUNK = 200
COUNT_CAP = 1_000  # the filter bar counts up to this, then says "1,000+"


@dataclass(frozen=True)
class ReviewFilters:
    """Which answers the queue shows. ``accuracy_below`` is a share (0-1) of the worker's accuracy in
    this batch; ``low_confidence``: HITs whose consensus confidence is under the batch's target."""

    status: str = "submitted"
    llm_flagged: bool = False
    disagrees: bool = False
    low_confidence: bool = False
    accuracy_below: float | None = None
    failed_gold: bool = False
    worker_id: str | None = None

    def __post_init__(self) -> None:
        problems = {}
        if self.status not in STATUSES:
            problems["status"] = f"must be one of: {', '.join(STATUSES)}"
        below = self.accuracy_below
        if below is not None and (isinstance(below, bool) or not isinstance(below, int | float)
                                  or not 0 < below <= 1):
            problems["accuracy_below"] = "must be a percentage above 0 and at most 100"
        if self.worker_id is not None and not 1 <= len(self.worker_id) <= 64:
            problems["worker_id"] = "must be a worker id"
        if problems:
            raise InvalidInputError(problems)

    @property
    def compares_answers(self) -> bool:
        return self.disagrees or self.failed_gold


@dataclass(frozen=True)
class HITView:
    hit_id: str
    item: dict[str, Any]
    is_gold: bool
    gold_answer: dict[str, Any] | None
    fixed_answer: dict[str, Any] | None = None  # the requester's correction (label_fixes), which wins



@dataclass(frozen=True)
class OtherAnswer:
    assignment_id: str
    worker_id: str
    answer: dict[str, Any]
    status: str


@dataclass(frozen=True)
class Accuracy:
    """The worker's accuracy in this batch: posterior mean and 95% interval over ``answers``."""

    accuracy: float
    low: float
    high: float
    answers: int


@dataclass(frozen=True)
class LLMFlagView:
    band: str
    probability: float
    reasons: list[str]


@dataclass(frozen=True)
class ReviewItem:
    assignment_id: str
    status: str
    worker_id: str
    submitted_at: datetime | None
    seconds: int | None  # accept to submit
    answer: dict[str, Any]
    feedback: str | None
    hit: HITView
    consensus: Any = None
    confidence: float | None = None
    agrees: bool | None = None  # None: no consensus, or answers of a shape that is not one label
    failed_gold: bool | None = None
    others: list[OtherAnswer] = field(default_factory=list)
    accuracy: Accuracy | None = None
    llm: LLMFlagView | None = None
    override_until: datetime | None = None  # a rejection the requester may still override, until then


@dataclass(frozen=True)
class ReviewPage:
    """A page of the queue, with what every item shares: the task type and its public configuration."""

    batch: Batch
    kind: str
    config: dict[str, Any] | None
    target: float
    items: Page[ReviewItem]
    matching: int  # items matching the SQL filters, counted up to COUNT_CAP
    scanned_short: bool  # an answer-comparing filter stopped after MAX_SCANNED candidates


# --- cursors -------------------------------------------------------------------------------------------


def _cursor(hit_id: int, assignment_id: int) -> str:
    return f"{encode_cursor(hit_id)}.{encode_cursor(assignment_id)}"


def _position(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    hit_part, dot, assignment_part = cursor.partition(".")
    if not dot:
        raise InvalidInputError({"cursor": "is not a cursor this server issued"})
    return decode_cursor(hit_part), decode_cursor(assignment_part)


# --- selection -----------------------------------------------------------------------------------------


def confidence_target(batch: Batch) -> float:
    return QualitySettings.stored(batch.quality).confidence_target


def override_window(rt: Runtime) -> timedelta:
    return timedelta(days=rt.settings.marketplace.override_rejection_days)


def _workers_below(db: Session, batch: Batch, share: float) -> list[int]:
    """The batch's workers whose accuracy in it is under ``share`` (bounded by its workers)."""
    rows = db.execute(select(WorkerScore.worker_id, *(getattr(WorkerScore, name) for name in COUNTS))
                      .where(WorkerScore.batch_id == batch.id)).all()
    if not rows:
        return []
    return [row[0] for row, accuracy in zip(rows, accuracy_of(rows)["accuracy"], strict=True) if accuracy < share]


def selection(db: Session, rt: Runtime, batch: Batch, filters: ReviewFilters) -> Select[Any]:
    """The assignment rows the SQL filters keep, ordered by (HIT, assignment). The rows are bounded by
    the batch's first and last HIT ids (two index lookups in ix_hits_batch), so the assignments' index
    (ix_assignments_hit_page) is read from the batch's first HIT on, not from the start of the table."""
    status = STATUSES[filters.status]
    ids = select(HIT.id).where(HIT.batch_id == batch.id)
    stmt = (select(Assignment.id, Assignment.hit_id).join(HIT, HIT.id == Assignment.hit_id)
            .where(HIT.batch_id == batch.id, Assignment.status == status,
                   Assignment.hit_id >= ids.order_by(HIT.id).limit(1).scalar_subquery(),
                   Assignment.hit_id <= ids.order_by(HIT.id.desc()).limit(1).scalar_subquery()))
    if status is AssignmentStatus.REJECTED:
        stmt = stmt.where(Assignment.submitted_at > rt.clock() - override_window(rt))
    if filters.worker_id is not None:
        worker = select(Worker.id).where(Worker.public_id == filters.worker_id).scalar_subquery()
        stmt = stmt.where(Assignment.worker_id == worker)
    if filters.llm_flagged:
        # Through ix_answer_flags_batch_band: the flagged answers are few, so they lead the plan.
        stmt = stmt.where(Assignment.id.in_(select(AnswerFlag.assignment_id).where(
            AnswerFlag.batch_id == batch.id, AnswerFlag.band == "high")))
    if filters.low_confidence:
        stmt = stmt.join(ConsensusLabel, ConsensusLabel.hit_id == HIT.id).where(
            ConsensusLabel.confidence < confidence_target(batch))
    elif filters.disagrees:  # HITs with a label to disagree with: a consensus, or the requester's fix
        stmt = stmt.where(or_(HIT.reviewed_at.is_not(None), exists().where(ConsensusLabel.hit_id == HIT.id)))
    if filters.failed_gold:
        stmt = stmt.where(HIT.is_gold.is_(True))
    if filters.accuracy_below is not None:
        stmt = stmt.where(Assignment.worker_id.in_(_workers_below(db, batch, filters.accuracy_below)))
    return stmt.order_by(Assignment.hit_id, Assignment.id)


def after(stmt: Select[Any], hit_id: int, assignment_id: int) -> Select[Any]:
    """Rows after (hit_id, assignment_id); ``Assignment.hit_id >= hit_id`` alone is the index's range."""
    return stmt.where(Assignment.hit_id >= hit_id, or_(Assignment.hit_id > hit_id, Assignment.id > assignment_id))


# --- comparing answers ---------------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    """A label as JSON would give it back (tuples as lists, sets sorted), to compare with a stored one."""
    if isinstance(value, set | frozenset):
        return sorted((_normal(v) for v in value), key=json.dumps)
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def _label(batch: Batch, answer: dict[str, Any] | None) -> Any:
    try:
        return _normal(label_of(batch, answer or {}))
    except (KeyError, TypeError, ValueError):
        return None


def _compares(batch: Batch) -> bool:
    shape = batch_shape(batch)
    return shape in CATEGORICAL_SHAPES or shape == "multi_label"


@dataclass(frozen=True)
class Verdicts:
    """What the answer-comparing filters need of one assignment."""

    agrees: bool | None
    failed_gold: bool | None


def _verdict(batch: Batch, answer: dict[str, Any] | None, consensus: ConsensusLabel | None,
             gold_answer: dict[str, Any] | None, is_gold: bool, fixed_answer: dict[str, Any] | None) -> Verdicts:
    """Whether the answer agrees with the HIT's label (the requester's fix when there is one, else the
    consensus) and, on a gold HIT, whether it failed."""
    if not _compares(batch):
        return Verdicts(None, None)
    label = _label(batch, answer)
    if fixed_answer is not None:
        agrees: bool | None = label == _label(batch, fixed_answer)
    else:
        agrees = None if consensus is None else label == _normal(consensus.value)
    failed = (label != _label(batch, gold_answer)) if is_gold and gold_answer is not None else None
    return Verdicts(agrees, failed)


def _keeps(filters: ReviewFilters, verdicts: Verdicts) -> bool:
    if filters.disagrees and verdicts.agrees is not False:
        return False
    return not (filters.failed_gold and verdicts.failed_gold is not True)


# --- the page ------------------------------------------------------------------------------------------


def review_page(rt: Runtime, actor: Actor, batch_public_id: str, filters: ReviewFilters | None = None, *,
                cursor: str | None = None, limit: int = 20) -> ReviewPage:
    """One page of the requester's batch's review queue. Raises NotFoundError (another requester's
    batch too), InvalidInputError (a bad cursor or limit)."""
    require_requester(actor)
    filters = filters or ReviewFilters()
    limit = check_page_size(limit)
    position = _position(cursor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        chosen = selection(db, rt, batch, filters)
        matching = db.scalar(select(func.count()).select_from(chosen.limit(COUNT_CAP + 1).subquery())) or 0
        ids, next_cursor, short = _page_ids(db, batch, filters, chosen, position, limit)
        items = _items(db, rt, batch, ids)
    kind, config = _task_type(batch)
    return ReviewPage(batch, kind, config, confidence_target(batch), Page(items, next_cursor), int(matching), short)


def _page_ids(db: Session, batch: Batch, filters: ReviewFilters, chosen: Select[Any],
              position: tuple[int, int], limit: int) -> tuple[list[int], str | None, bool]:
    """The page's assignment ids, the next cursor, and whether an answer-comparing filter stopped short."""
    if not filters.compares_answers:
        rows = db.execute(after(chosen, *position).limit(limit + 1)).all()
        shown = rows[:limit]
        more = len(rows) > limit
        return [row.id for row in shown], _cursor(shown[-1].hit_id, shown[-1].id) if more else None, False
    kept: list[int] = []
    last = position
    scanned = 0
    while scanned < MAX_SCANNED:
        rows = db.execute(after(chosen, *last).limit(SCAN_CHUNK)).all()
        verdicts = verdicts_of(db, batch, [row.id for row in rows])
        for row in rows:
            scanned += 1
            if _keeps(filters, verdicts[row.id]):
                if len(kept) == limit:
                    return kept, _cursor(*last), False
                kept.append(row.id)
            last = (row.hit_id, row.id)
        if len(rows) < SCAN_CHUNK:
            return kept, None, False
    return kept, _cursor(*last), True


def verdicts_of(db: Session, batch: Batch, ids: list[int]) -> dict[int, Verdicts]:
    rows = db.execute(select(Assignment.id, Assignment.answer, HIT.is_gold, HIT.gold_answer, ConsensusLabel,
                             HIT.reviewed_answer)
                      .join(HIT, HIT.id == Assignment.hit_id)
                      .outerjoin(ConsensusLabel, ConsensusLabel.hit_id == HIT.id)
                      .where(Assignment.id.in_(ids))).all()
    return {row[0]: _verdict(batch, row[1], row[4], row[3], row[2], row[5]) for row in rows}


def _task_type(batch: Batch) -> tuple[str, dict[str, Any] | None]:
    annotator = annotators.REGISTRY.get(batch.template_kind)
    if annotator is None:
        return batch.template_kind, None
    return batch.template_kind, annotator.public_config(annotator.parse_config((batch.template or {}).get("config")
                                                                               or {}))


def _items(db: Session, rt: Runtime, batch: Batch, ids: list[int]) -> list[ReviewItem]:
    """The page's items in five statements: the assignments with their HITs and workers, the HITs'
    consensus, their other answers, the workers' scores, the LLM flags."""
    if not ids:
        return []
    # Columns, not the Assignment entity: its eager HIT, HIT type and requirements are not needed here.
    rows = db.execute(select(Assignment.id, Assignment.public_id, Assignment.hit_id, Assignment.worker_id,
                             Assignment.status, Assignment.accepted_at, Assignment.submitted_at, Assignment.answer,
                             Assignment.requester_feedback, HIT.public_id.label("hit_public_id"), HIT.data,
                             HIT.is_gold, HIT.gold_answer, HIT.reviewed_answer,
                             Worker.public_id.label("worker_public_id"))
                      .join(HIT, HIT.id == Assignment.hit_id).join(Worker, Worker.id == Assignment.worker_id)
                      .where(Assignment.id.in_(ids)).order_by(HIT.id, Assignment.id)).all()
    hit_ids = {row.hit_id for row in rows}
    consensus = {c.hit_id: c for c in db.scalars(select(ConsensusLabel).where(ConsensusLabel.hit_id.in_(hit_ids)))}
    others: dict[int, list[tuple[int, OtherAnswer]]] = {}
    for hit_id, assignment_id, public_id, worker, answer, status in db.execute(
            select(Assignment.hit_id, Assignment.id, Assignment.public_id, Worker.public_id, Assignment.answer,
                   Assignment.status).join(Worker, Worker.id == Assignment.worker_id)
            .where(Assignment.hit_id.in_(hit_ids), Assignment.status.in_(ANSWERED_STATUSES)).order_by(Assignment.id)):
        others.setdefault(hit_id, []).append((assignment_id, OtherAnswer(public_id, worker, answer or {},
                                                                         status.value)))
    accuracy = _accuracies(db, batch, {row.worker_id for row in rows})
    flags = {f.assignment_id: LLMFlagView(f.band, f.probability, list(f.reasons))
             for f in db.scalars(select(AnswerFlag).where(AnswerFlag.assignment_id.in_(ids)))}
    window = override_window(rt)
    now = rt.clock()
    items = []
    for row in rows:
        label = consensus.get(row.hit_id)
        verdicts = _verdict(batch, row.answer, label, row.gold_answer, row.is_gold, row.reviewed_answer)
        submitted = row.submitted_at
        until = submitted + window if submitted is not None else None
        items.append(ReviewItem(
            row.public_id, row.status.value, row.worker_public_id, submitted,
            int((submitted - row.accepted_at).total_seconds()) if submitted is not None else None,
            row.answer or {}, row.requester_feedback,
            HITView(row.hit_public_id, row.data or {}, row.is_gold, row.gold_answer if row.is_gold else None,
                    row.reviewed_answer),
            label.value if label is not None else None, label.confidence if label is not None else None,
            verdicts.agrees, verdicts.failed_gold,
            [other for other_id, other in others.get(row.hit_id, []) if other_id != row.id],
            accuracy.get(row.worker_id), flags.get(row.id),
            until if row.status is AssignmentStatus.REJECTED and until is not None and until > now else None))
    return items


def _accuracies(db: Session, batch: Batch, worker_ids: set[int]) -> dict[int, Accuracy]:
    rows = db.execute(select(WorkerScore.worker_id, *(getattr(WorkerScore, name) for name in COUNTS))
                      .where(WorkerScore.batch_id == batch.id, WorkerScore.worker_id.in_(worker_ids))).all()
    if not rows:
        return {}
    table = accuracy_of(rows)
    return {row[0]: Accuracy(float(t.accuracy), float(t.accuracy_low), float(t.accuracy_high), int(t.n_answers))
            for row, t in zip(rows, table.itertuples(), strict=True)}
