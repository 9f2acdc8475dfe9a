"""Read models of a batch's aggregation for the requester: the batch summary, consensus labels and
worker scores (per batch and across the requester's batches), all paginated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from annotators.base import AnswerShape
from labelhub.errors import NotFoundError
from labelhub.models import (
    COUNTED_STATUSES,
    HIT,
    Assignment,
    Batch,
    ConsensusLabel,
    Worker,
    WorkerScore,
)
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings, aggregation_key, batch_shape, owned_batch
from labelhub.services.batches import BatchProgress, progress_of
from labelhub.services.common import Page, check_page_size, decode_cursor, encode_cursor, paginate
from labelhub.services.export_records import label_source, value_reader
from labelhub.services.llm_flags import LLMSummary, llm_summary
from labelhub.services.worker_scores import COUNTS, accuracy_of


@dataclass(frozen=True)
class BatchSummary:
    batch: Batch
    progress: BatchProgress
    gold_hits: int
    settings: QualitySettings
    hits_with_consensus: int
    mean_confidence: float | None
    confident_hits: int  # at or above the overlap target (0.95 without dynamic overlap)
    llm: LLMSummary
    aggregation_pending: bool  # a run is queued or in progress


def _summary(db: Session, batch: Batch) -> BatchSummary:
    settings = QualitySettings.stored(batch.quality)
    target = settings.confidence_target
    labelled, mean, confident = db.execute(select(
        func.count(ConsensusLabel.id), func.avg(ConsensusLabel.confidence),
        func.count(ConsensusLabel.id).filter(ConsensusLabel.confidence >= target))
        .where(ConsensusLabel.batch_id == batch.id)).one()
    gold = db.scalar(select(func.count(HIT.id)).where(HIT.batch_id == batch.id, HIT.is_gold))
    pending = bool(job_queue.pending_keys(db, [aggregation_key(batch.public_id)]))
    return BatchSummary(batch, progress_of(db, batch), int(gold or 0), settings, int(labelled),
                        None if mean is None else float(mean), int(confident), llm_summary(db, batch), pending)


def batch_summary(rt: Runtime, actor: Actor, batch_public_id: str) -> BatchSummary:
    """Progress, quality settings and the state of the last aggregation of one of the requester's batches."""
    require_requester(actor)
    with rt.sessions() as db:
        return _summary(db, owned_batch(db, actor, batch_public_id))


def list_batch_summaries(rt: Runtime, actor: Actor, *, cursor: str | None = None,
                         limit: int = 50) -> Page[BatchSummary]:
    require_requester(actor)
    stmt = select(Batch).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    with rt.sessions() as db:
        found = paginate(db, stmt, Batch.id, cursor, limit)
        return Page([_summary(db, batch) for batch in found.items], found.next_cursor)


@dataclass(frozen=True)
class ConsensusView:
    """A HIT's label: ``value`` is the requester's fixed label where there is one (``label_source``
    "fixed"), else the consensus; ``consensus`` is the crowd's own (None once a fixed label replaced
    it at an aggregation), with its ``confidence``. ``updated_at``: when the label last changed."""

    hit_id: str
    value: Any
    confidence: float | None
    answers: int
    updated_at: datetime
    label_source: str = "consensus"
    consensus: Any = None


def consensus_labels(rt: Runtime, actor: Actor, batch_public_id: str, *, below: float | None = None,
                     cursor: str | None = None, limit: int = 50) -> Page[ConsensusView]:
    """The label of each HIT of the batch with a consensus or a fixed label, in HIT order; ``below``
    keeps only the HITs without a fixed label whose confidence is under it (the ones worth a look)."""
    require_requester(actor)
    limit = check_page_size(limit)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        after = decode_cursor(cursor)
        # The join names the batch and the cursor on both sides, so the consensus rows are read in
        # ix_consensus_labels_batch_page from the cursor on, not from the first row of the table.
        stmt = (select(HIT.id, HIT.public_id, HIT.reviewed_answer, HIT.reviewed_at, ConsensusLabel)
                .outerjoin(ConsensusLabel, (ConsensusLabel.hit_id == HIT.id) & (ConsensusLabel.batch_id == batch.id)
                           & (ConsensusLabel.hit_id > after))
                .where(HIT.batch_id == batch.id, HIT.id > after))
        if below is not None:
            stmt = stmt.where(ConsensusLabel.id.is_not(None), ConsensusLabel.confidence < below,
                              HIT.reviewed_at.is_(None))
        else:
            stmt = stmt.where(or_(ConsensusLabel.id.is_not(None), HIT.reviewed_at.is_not(None)))
        rows = db.execute(stmt.order_by(HIT.id).limit(limit + 1)).tuples().all()
        answered = _answer_counts(db, [row[0] for row in rows[:limit] if row[4] is None])
        value_of = value_reader(AnswerShape(batch_shape(batch) or AnswerShape.FORM.value))
    views = [_label_view(row, value_of, answered) for row in rows[:limit]]
    return Page(views, encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None)


def _answer_counts(db: Session, hit_ids: list[int]) -> dict[int, int]:
    """The counted answers of HITs without a consensus row (fixed labels that replaced it)."""
    if not hit_ids:
        return {}
    return dict(db.execute(select(Assignment.hit_id, func.count(Assignment.id)).where(
        Assignment.hit_id.in_(hit_ids), Assignment.status.in_(COUNTED_STATUSES))
        .group_by(Assignment.hit_id)).tuples().all())


def _label_view(row: Any, value_of: Any, answered: dict[int, int]) -> ConsensusView:
    hit_id, public_id, fixed, fixed_at, found = row
    if fixed_at is None or fixed is None:
        return ConsensusView(public_id, found.value, found.confidence, found.answers, found.updated_at,
                             consensus=found.value)
    changed = fixed_at if found is None else max(fixed_at, found.updated_at)
    return ConsensusView(public_id, value_of(fixed), None if found is None else found.confidence,
                         answered.get(hit_id, 0) if found is None else found.answers, changed,
                         label_source(fixed=True, gold=False), None if found is None else found.value)


@dataclass(frozen=True)
class WorkerScoreView:
    """A worker's accuracy (posterior mean and 95% interval), gold record, spammer signs and the
    quality rules' decision; ``confusion`` and the signs are per batch (None across batches)."""

    worker_id: str
    batches: int
    scores: dict[str, Any]
    separation: float | None = None
    independence_p: float | None = None
    run: dict[str, Any] | None = None
    median_seconds: float | None = None
    confusion: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None


def _scores(table: pd.DataFrame, position: int) -> dict[str, Any]:
    row = table.iloc[position]

    def number(name: str) -> float | None:
        return None if pd.isna(row[name]) else round(float(row[name]), 4)

    return {"answers": int(row["n_answers"]), "gold_answers": int(row["gold_answers"]),
            "gold_correct": int(row["gold_correct"]), "score": int(row["score"]),
            "accuracy": number("accuracy"), "accuracy_low": number("accuracy_low"),
            "accuracy_high": number("accuracy_high"), "gold_accuracy": number("gold_accuracy"),
            "gold_accuracy_low": number("gold_accuracy_low"), "gold_accuracy_high": number("gold_accuracy_high")}


def batch_worker_scores(rt: Runtime, actor: Actor, batch_public_id: str, *, cursor: str | None = None,
                        limit: int = 50) -> Page[WorkerScoreView]:
    """Each worker of the batch with their evidence from this batch alone."""
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        found = paginate(db, select(WorkerScore).where(WorkerScore.batch_id == batch.id), WorkerScore.id,
                         cursor, limit)
        names = dict(db.execute(select(Worker.id, Worker.public_id).where(
            Worker.id.in_([row.worker_id for row in found.items]))).tuples().all())
    table = accuracy_of(found.items)
    views = [WorkerScoreView(
        names[row.worker_id], 1, _scores(table, i), row.separation, row.independence_p,
        {"label": row.run_label, "length": row.run_length, "disagreements": row.run_disagreements}
        if row.run_label is not None else None, row.median_seconds, row.confusion, row.decision)
        for i, row in enumerate(found.items)]
    return Page(views, found.next_cursor)


def requester_worker_scores(rt: Runtime, actor: Actor, *, cursor: str | None = None,
                            limit: int = 50) -> Page[WorkerScoreView]:
    """Each worker who answered any of the requester's batches (this marketplace), with their counts
    summed over those batches, in worker order."""
    require_requester(actor)
    limit, after = check_page_size(limit), decode_cursor(cursor)
    mine = select(Batch.id).where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    stmt = (select(WorkerScore.worker_id, Worker.public_id, func.count(WorkerScore.id).label("batches"),
                   *(func.sum(getattr(WorkerScore, name)).label(name) for name in COUNTS))
            .join(Worker, Worker.id == WorkerScore.worker_id)
            .where(WorkerScore.batch_id.in_(mine), WorkerScore.worker_id > after)
            .group_by(WorkerScore.worker_id, Worker.public_id).order_by(WorkerScore.worker_id).limit(limit + 1))
    with rt.sessions() as db:
        rows = db.execute(stmt).all()
    shown = rows[:limit]
    table = accuracy_of(shown)
    views = [WorkerScoreView(row.public_id, int(row.batches), _scores(table, i)) for i, row in enumerate(shown)]
    return Page(views, encode_cursor(shown[-1].worker_id) if len(rows) > limit else None)


@dataclass(frozen=True)
class Confusion:
    classes: list[str]
    matrix: list[list[float]]
    answers: int


def confusion(rt: Runtime, actor: Actor, batch_public_id: str, worker_public_id: str | None = None) -> Confusion:
    """A worker's confusion matrix in the batch, or without ``worker_public_id`` the crowd's: every
    worker's matrix weighted by their answers, columns renormalised. Raises NotFoundError when there
    is none (no single-label answers aggregated yet, or the worker has none in this batch)."""
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        stmt = select(WorkerScore).where(WorkerScore.batch_id == batch.id)
        if worker_public_id is not None:
            stmt = stmt.join(Worker, Worker.id == WorkerScore.worker_id).where(Worker.public_id == worker_public_id)
        rows = [row for row in db.scalars(stmt) if row.confusion]  # a JSON null is not SQL NULL
    if not rows:
        who = f"worker {worker_public_id}" if worker_public_id else "any worker"
        raise NotFoundError(f"Batch {batch_public_id} has no confusion matrix for {who}: none aggregated yet, or "
                            "the batch's method keeps none (Dawid-Skene methods do)", entity="worker")
    classes = rows[0].confusion["classes"]
    total = sum(np.asarray(row.confusion["matrix"]) * row.n_answers for row in rows
                if row.confusion["classes"] == classes)
    columns = total.sum(axis=0, keepdims=True)
    matrix = np.divide(total, columns, out=np.zeros_like(total), where=columns > 0)
    return Confusion(classes, matrix.round(6).tolist(), sum(row.n_answers for row in rows))


def answers_by_hour(rt: Runtime, actor: Actor, batch_public_id: str) -> tuple[BatchSummary, list[tuple[datetime, int]]]:
    """The batch summary and its answers submitted per hour (UTC), oldest first: the hours with answers."""
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        postgres = db.get_bind().dialect.name == "postgresql"
        hour = func.date_trunc("hour", Assignment.submitted_at) if postgres \
            else func.strftime("%Y-%m-%d %H:00:00", Assignment.submitted_at)
        rows = db.execute(select(hour, func.count(Assignment.id)).join(HIT, HIT.id == Assignment.hit_id)
                          .where(HIT.batch_id == batch.id, Assignment.submitted_at.is_not(None))
                          .group_by(hour).order_by(hour)).all()
        return _summary(db, batch), [(_utc_hour(start), int(count)) for start, count in rows]


def _utc_hour(start: datetime | str) -> datetime:
    """An hour's start as PostgreSQL (a datetime) or SQLite (text, naive UTC) gives it."""
    moment = start if isinstance(start, datetime) else datetime.fromisoformat(start)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def consensus_confidences(rt: Runtime, actor: Actor, batch_public_id: str) -> tuple[BatchSummary, list[float]]:
    """The batch summary and the confidence of every consensus label (for the progress plot)."""
    require_requester(actor)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        values = list(db.scalars(select(ConsensusLabel.confidence).where(ConsensusLabel.batch_id == batch.id)))
        return _summary(db, batch), values
