"""The requester's view of workers: the workers who worked for them (a page at a time, with their record
and accuracy), and one worker's profile (history by batch, accuracy from gold and from the consensus
with their intervals, approval rate, median time, spam signs, LLM flags, qualifications held).

A requester sees a worker only within their own scope in the actor's marketplace: a worker who took one
of their HITs, whom they blocked, who holds or asked for one of their qualification types. Anyone else
is NotFoundError, so a worker id tells nothing about work done for other requesters.

Accuracy is the posterior of the worker's summed evidence (``WorkerScore`` counts, as
``batch_results.requester_worker_scores`` and the qualification feed pool them) through
``quality.accuracy_table``: the one interval computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session

from labelhub.errors import NotFoundError
from labelhub.models import (
    ANSWERED_STATUSES,
    HIT,
    AnswerFlag,
    Assignment,
    AssignmentStatus,
    Batch,
    Qualification,
    QualificationRequest,
    QualificationType,
    Worker,
    WorkerBlock,
    WorkerScore,
)
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import Page, check_page_size, decode_cursor, encode_cursor, paginate
from labelhub.services.worker_scores import COUNTS, accuracy_of
from quality import median_seconds

BONUS_CHOICES = 50  # the newest answered assignments offered in the bonus form
TYPE_CHOICES = 100  # the requester's newest types offered in the grant form
FLAG_BANDS = ("medium", "high")  # the flags listed on the page (every band is counted)


# ---- scope ------------------------------------------------------------------------------------------------

def _worked_for(actor: Actor, worker_id: Any) -> ColumnElement[bool]:
    return exists().where(Assignment.worker_id == worker_id, Assignment.hit_id == HIT.id,
                          HIT.requester_id == actor.id, HIT.marketplace == actor.marketplace)


def _in_scope(actor: Actor, worker_id: Any) -> ColumnElement[bool]:
    """The worker took one of the requester's HITs, is blocked by them, or holds or asked for one of
    their qualification types (all in the actor's marketplace)."""
    own_type = and_(QualificationType.requester_id == actor.id, QualificationType.marketplace == actor.marketplace)
    blocked = exists().where(WorkerBlock.worker_id == worker_id, WorkerBlock.requester_id == actor.id,
                             WorkerBlock.marketplace == actor.marketplace)
    holds = exists().where(Qualification.worker_id == worker_id,
                           Qualification.qualification_type_id == QualificationType.id, own_type)
    asked = exists().where(QualificationRequest.worker_id == worker_id,
                           QualificationRequest.qualification_type_id == QualificationType.id, own_type)
    return _worked_for(actor, worker_id) | blocked | holds | asked


def scoped_worker(db: Session, actor: Actor, worker_public_id: str) -> Worker:
    """The worker, if within the requester's scope; NotFoundError otherwise (also for unknown ids)."""
    worker = db.scalars(select(Worker).where(Worker.public_id == worker_public_id,
                                             _in_scope(actor, Worker.id))).one_or_none()
    if worker is None:
        raise NotFoundError(f"Worker {worker_public_id} does not exist", entity="worker")
    return worker


def check_in_scope(rt: Runtime, actor: Actor, worker_public_id: str) -> None:
    """Raise NotFoundError unless the worker is within the requester's scope: the pages' actions
    (block, message, bonus, grant) call it before the use case that acts."""
    require_requester(actor)
    with rt.sessions() as db:
        scoped_worker(db, actor, worker_public_id)


# ---- records and accuracy ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """A worker's assignments on the requester's HITs."""

    answers: int = 0  # submitted, approved or rejected
    approved: int = 0
    rejected: int = 0
    last_active: datetime | None = None

    @property
    def approval_rate(self) -> float | None:
        """Approved share of the reviewed answers (None before any review)."""
        reviewed = self.approved + self.rejected
        return self.approved / reviewed if reviewed else None


@dataclass(frozen=True)
class Accuracy:
    """Posterior mean and 95% interval of the accuracy against the consensus and against gold alone."""

    answers: int = 0
    consensus: float | None = None
    consensus_low: float | None = None
    consensus_high: float | None = None
    gold_answers: int = 0
    gold_correct: int = 0
    gold: float | None = None
    gold_low: float | None = None
    gold_high: float | None = None


def _accuracies(rows: Sequence[Any]) -> list[Accuracy]:
    """One Accuracy per row of summed WorkerScore counts (attributes named as COUNTS)."""
    table = accuracy_of(rows)

    def number(row: pd.Series, name: str) -> float | None:
        return None if pd.isna(row[name]) or not row["n_answers"] else round(float(row[name]), 4)

    return [Accuracy(int(row["n_answers"]), number(row, "accuracy"), number(row, "accuracy_low"),
                     number(row, "accuracy_high"), int(row["gold_answers"]), int(row["gold_correct"]),
                     number(row, "gold_accuracy"), number(row, "gold_accuracy_low"), number(row, "gold_accuracy_high"))
            for _, row in table.iterrows()]


def _mine(actor: Actor) -> Select[Any]:
    return select(Batch.id).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)


def _records(db: Session, actor: Actor, worker_ids: Sequence[int], *where: ColumnElement[bool],
             key: Any = Assignment.worker_id) -> dict[Any, Record]:
    """Records of the workers on the requester's HITs, grouped by ``key`` (the worker, or the batch)."""
    if not worker_ids:
        return {}
    rows = db.execute(
        select(key, func.count(Assignment.id).filter(Assignment.status.in_(ANSWERED_STATUSES)),
               func.count(Assignment.id).filter(Assignment.status == AssignmentStatus.APPROVED),
               func.count(Assignment.id).filter(Assignment.status == AssignmentStatus.REJECTED),
               func.max(func.coalesce(Assignment.submitted_at, Assignment.accepted_at)))
        .join(HIT, HIT.id == Assignment.hit_id)
        .where(Assignment.worker_id.in_(worker_ids), HIT.requester_id == actor.id,
               HIT.marketplace == actor.marketplace, *where)
        .group_by(key)).all()
    return {row[0]: Record(int(row[1]), int(row[2]), int(row[3]), _aware(row[4])) for row in rows}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC from an aggregate; the rest of LabelHub is timezone-aware."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _pooled(db: Session, actor: Actor, worker_ids: Sequence[int]) -> dict[int, Accuracy]:
    """Each worker's evidence summed over the requester's batches."""
    if not worker_ids:
        return {}
    rows = db.execute(select(WorkerScore.worker_id, *(func.sum(getattr(WorkerScore, n)).label(n) for n in COUNTS))
                      .where(WorkerScore.worker_id.in_(worker_ids), WorkerScore.batch_id.in_(_mine(actor)))
                      .group_by(WorkerScore.worker_id)).all()
    return dict(zip([row.worker_id for row in rows], _accuracies(rows), strict=True))


# ---- the workers list -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerRow:
    worker_id: str
    record: Record
    accuracy: Accuracy
    blocked: bool


def workers_page(rt: Runtime, actor: Actor, *, search: str | None = None, cursor: str | None = None,
                 limit: int = 25) -> Page[WorkerRow]:
    """The workers who took any of the requester's HITs in the actor's marketplace, in the order they
    joined LabelHub, with their record and pooled accuracy; ``search``: worker ids starting with it."""
    require_requester(actor)
    limit, after = check_page_size(limit), decode_cursor(cursor)
    stmt = select(Worker.id, Worker.public_id).where(Worker.id > after, _worked_for(actor, Worker.id))
    if search:
        stmt = stmt.where(Worker.public_id.startswith(search.strip().upper(), autoescape=True))
    with rt.sessions() as db:
        found = db.execute(stmt.order_by(Worker.id).limit(limit + 1)).all()
        shown = found[:limit]
        ids = [row.id for row in shown]
        records, accuracy = _records(db, actor, ids), _pooled(db, actor, ids)
        blocked = set(db.scalars(select(WorkerBlock.worker_id).where(
            WorkerBlock.worker_id.in_(ids), WorkerBlock.requester_id == actor.id,
            WorkerBlock.marketplace == actor.marketplace)))
    rows = [WorkerRow(row.public_id, records.get(row.id, Record()), accuracy.get(row.id, Accuracy()),
                      row.id in blocked) for row in shown]
    return Page(rows, encode_cursor(shown[-1].id) if len(found) > limit else None)


# ---- one worker --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpamSigns:
    """The spammer evidence of one batch's last aggregation (see labelhub.services.consensus)."""

    separation: float | None
    independence_p: float | None
    run: dict[str, Any] | None  # the longest run of one label: label, length, disagreements
    median_seconds: float | None
    decision: dict[str, Any] | None  # what the batch's quality rules did


@dataclass(frozen=True)
class BatchHistory:
    batch_id: str
    name: str
    record: Record
    accuracy: Accuracy
    signs: SpamSigns | None  # None: the batch has not been aggregated with this worker's answers
    has_confusion: bool


@dataclass(frozen=True)
class FlagCounts:
    low: int = 0
    medium: int = 0
    high: int = 0


@dataclass(frozen=True)
class FlaggedAnswer:
    assignment_id: str
    hit_id: str
    batch_id: str
    batch_name: str
    band: str
    probability: float
    reasons: list[str]
    action: str | None


@dataclass(frozen=True)
class HeldQualification:
    type_id: str
    name: str
    value: int
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class AssignmentChoice:
    """An answered assignment the bonus form offers."""

    assignment_id: str
    hit_id: str
    status: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class WorkerProfile:
    worker_id: str
    joined: datetime
    record: Record
    accuracy: Accuracy
    median_seconds: float | None  # accepted to submitted, over the answers for this requester
    history: Page[BatchHistory]
    flags: FlagCounts
    flagged: Page[FlaggedAnswer]
    qualifications: Page[HeldQualification]
    block_reason: str | None
    assignments: list[AssignmentChoice]
    types: list[tuple[str, str]]  # (type id, name) of the requester's live types, for the grant form

    @property
    def blocked(self) -> bool:
        return self.block_reason is not None


def worker_profile(rt: Runtime, actor: Actor, worker_public_id: str, *, history_cursor: str | None = None,
                   flags_cursor: str | None = None, qualifications_cursor: str | None = None,
                   limit: int = 20) -> WorkerProfile:
    """Everything the worker's page shows, within the requester's scope (NotFoundError outside it)."""
    require_requester(actor)
    with rt.sessions() as db:
        worker = scoped_worker(db, actor, worker_public_id)
        record = _records(db, actor, [worker.id]).get(worker.id, Record())
        block = db.scalars(select(WorkerBlock.reason).where(
            WorkerBlock.worker_id == worker.id, WorkerBlock.requester_id == actor.id,
            WorkerBlock.marketplace == actor.marketplace)).one_or_none()
        return WorkerProfile(
            worker.public_id, worker.created_at, record, _pooled(db, actor, [worker.id]).get(worker.id, Accuracy()),
            _median_seconds(db, actor, worker.id), _history(db, actor, worker.id, history_cursor, limit),
            _flag_counts(db, actor, worker.id), _flagged(db, actor, worker.id, flags_cursor, limit),
            _held(db, actor, worker.id, qualifications_cursor, limit), block, _assignment_choices(db, actor, worker.id),
            _type_choices(db, actor))


def _median_seconds(db: Session, actor: Actor, worker_id: int) -> float | None:
    rows = db.execute(select(Assignment.accepted_at, Assignment.submitted_at).join(HIT, HIT.id == Assignment.hit_id)
                      .where(Assignment.worker_id == worker_id, Assignment.status.in_(ANSWERED_STATUSES),
                             HIT.requester_id == actor.id, HIT.marketplace == actor.marketplace)).all()
    seconds = median_seconds([(submitted - accepted).total_seconds() for accepted, submitted in rows if submitted])
    return None if pd.isna(seconds) else seconds


def _history(db: Session, actor: Actor, worker_id: int, cursor: str | None, limit: int) -> Page[BatchHistory]:
    """The requester's batches the worker took HITs of, oldest first."""
    worked = exists().where(HIT.batch_id == Batch.id, Assignment.hit_id == HIT.id, Assignment.worker_id == worker_id)
    found = paginate(db, select(Batch).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace,
                                             worked), Batch.id, cursor, limit)
    ids = [batch.id for batch in found.items]
    records = _records(db, actor, [worker_id], HIT.batch_id.in_(ids), key=HIT.batch_id)
    scores = {row.batch_id: row for row in db.scalars(select(WorkerScore).where(
        WorkerScore.worker_id == worker_id, WorkerScore.batch_id.in_(ids)))}
    accuracy = dict(zip(scores, _accuracies(list(scores.values())), strict=True))
    rows = []
    for batch in found.items:
        score = scores.get(batch.id)
        signs = None if score is None else SpamSigns(
            score.separation, score.independence_p,
            {"label": score.run_label, "length": score.run_length, "disagreements": score.run_disagreements}
            if score.run_label is not None else None, score.median_seconds, score.decision)
        rows.append(BatchHistory(batch.public_id, batch.name, records.get(batch.id, Record()),
                                 accuracy.get(batch.id, Accuracy()), signs, bool(score and score.confusion)))
    return Page(rows, found.next_cursor)


def _flags_of(actor: Actor, worker_id: int) -> Select[Any]:
    return (select(AnswerFlag).join(Assignment, Assignment.id == AnswerFlag.assignment_id)
            .where(Assignment.worker_id == worker_id, AnswerFlag.batch_id.in_(_mine(actor))))


def _flag_counts(db: Session, actor: Actor, worker_id: int) -> FlagCounts:
    flags = _flags_of(actor, worker_id).subquery()
    counts = dict(db.execute(select(flags.c.band, func.count()).group_by(flags.c.band)).tuples().all())
    return FlagCounts(**{band: int(counts.get(band, 0)) for band in ("low", "medium", "high")})


def _flagged(db: Session, actor: Actor, worker_id: int, cursor: str | None, limit: int) -> Page[FlaggedAnswer]:
    found = paginate(db, _flags_of(actor, worker_id).where(AnswerFlag.band.in_(FLAG_BANDS)), AnswerFlag.id,
                     cursor, limit)
    names = {row[0]: row[1:] for row in db.execute(
        select(Assignment.id, Assignment.public_id, HIT.public_id, Batch.public_id, Batch.name)
        .join(HIT, HIT.id == Assignment.hit_id).join(Batch, Batch.id == HIT.batch_id)
        .where(Assignment.id.in_([flag.assignment_id for flag in found.items]))).tuples()}
    return Page([FlaggedAnswer(*names[flag.assignment_id], flag.band, flag.probability, list(flag.reasons),
                               flag.action) for flag in found.items], found.next_cursor)


def _held(db: Session, actor: Actor, worker_id: int, cursor: str | None, limit: int) -> Page[HeldQualification]:
    found = paginate(db, select(Qualification).join(QualificationType).where(
        Qualification.worker_id == worker_id, QualificationType.requester_id == actor.id,
        QualificationType.marketplace == actor.marketplace, QualificationType.deleted_at.is_(None)),
        Qualification.id, cursor, limit)
    return Page([HeldQualification(q.qualification_type.public_id, q.qualification_type.name, q.integer_value,
                                   q.status.value, q.updated_at) for q in found.items], found.next_cursor)


def _assignment_choices(db: Session, actor: Actor, worker_id: int) -> list[AssignmentChoice]:
    rows = db.execute(select(Assignment.public_id, HIT.public_id, Assignment.status, Assignment.submitted_at)
                      .join(HIT, HIT.id == Assignment.hit_id)
                      .where(Assignment.worker_id == worker_id, Assignment.status.in_(ANSWERED_STATUSES),
                             HIT.requester_id == actor.id, HIT.marketplace == actor.marketplace)
                      .order_by(Assignment.id.desc()).limit(BONUS_CHOICES)).tuples().all()
    return [AssignmentChoice(a, h, status.value, submitted) for a, h, status, submitted in rows]


def _type_choices(db: Session, actor: Actor) -> list[tuple[str, str]]:
    rows = db.execute(select(QualificationType.public_id, QualificationType.name).where(
        QualificationType.requester_id == actor.id, QualificationType.marketplace == actor.marketplace,
        QualificationType.deleted_at.is_(None)).order_by(QualificationType.id.desc()).limit(TYPE_CHOICES)).tuples()
    return list(rows)
