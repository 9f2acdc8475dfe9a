"""Read models of the requester's batch pages: the batches (newest first, with progress, spend and
time left), the HITs made without a batch grouped by HIT type, one batch's page, one HIT type's page,
and the batch plots.

Counts come from the HITs' counters in one aggregate per page, over the batches (or HIT types) on
that page only, through ix_hits_batch and ix_hits_batchless_type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from labelhub.errors import InvalidInputError
from labelhub.models import HIT, Batch, BatchState, Export, HITStatus, HITType, Job
from labelhub.runtime import Runtime
from labelhub.services import batch_results
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import owned_batch
from labelhub.services.batch_results import BatchSummary, ConsensusView
from labelhub.services.common import Page, paginate
from labelhub.services.exports import ExportView
from labelhub.services.hits import owned_hit_type
from quality import plots

RECENT_EXPORTS = 10
PLOTS = ("progress", "timeline", "workers", "confusion")
GOLD_FILTERS = ("any", "gold", "not-gold")
ANSWER_FILTERS = ("any", "answered", "unanswered")


@dataclass(frozen=True)
class Tally:
    """Counts and money over a group of HITs, from their counters."""

    hits: int = 0
    assignments: int = 0  # every slot: MaxAssignments summed
    pending: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    open_hits: int = 0  # unexpired HITs with a free slot
    spent_micros: int = 0  # approved rewards and their fees
    held_micros: int = 0  # what the HITs can still cost (the ledger holds exactly this)
    latest_expiry: datetime | None = None
    hit_statuses: dict[str, int] = field(default_factory=dict)  # HITs by status, the statuses some HIT has

    @property
    def done(self) -> int:
        """Answers in: submitted and approved assignments."""
        return self.submitted + self.approved

    @property
    def finished(self) -> bool:
        return self.hits > 0 and self.open_hits == 0 and self.pending == 0


def _tallies(db: Session, key: InstrumentedAttribute[Any], keys: Sequence[int], *where: ColumnElement[bool],
             now: datetime) -> dict[int, Tally]:
    """One Tally per value of ``key`` (a HIT column) in ``keys``, in one aggregate query."""
    if not keys:
        return {}
    cost = HITType.reward_micros + HIT.fee_per_assignment_micros
    free = HIT.max_assignments - HIT.pending_count - HIT.submitted_count - HIT.approved_count - HIT.rejected_count
    live = (HIT.status != HITStatus.DISPOSED) & (HIT.expires_at > now)
    liable = case((HIT.status == HITStatus.DISPOSED, 0),
                  (HIT.expires_at <= now, HIT.pending_count + HIT.submitted_count),
                  else_=HIT.max_assignments - HIT.approved_count - HIT.rejected_count)
    total = func.coalesce
    rows = db.execute(
        select(key, func.count(HIT.id), total(func.sum(HIT.max_assignments), 0), total(func.sum(HIT.pending_count), 0),
               total(func.sum(HIT.submitted_count), 0), total(func.sum(HIT.approved_count), 0),
               total(func.sum(HIT.rejected_count), 0), func.count(HIT.id).filter(live & (free > 0)),
               total(func.sum(HIT.approved_count * cost), 0), total(func.sum(liable * cost), 0),
               func.max(HIT.expires_at).filter(HIT.status != HITStatus.DISPOSED),
               *(func.count(HIT.id).filter(HIT.status == status) for status in HITStatus))
        .join(HITType, HITType.id == HIT.hit_type_id).where(key.in_(keys), *where).group_by(key)).all()
    names = ("hits", "assignments", "pending", "submitted", "approved", "rejected", "open_hits", "spent_micros",
             "held_micros")
    return {row[0]: Tally(**{name: int(value) for name, value in zip(names, row[1:10], strict=True)},
                          latest_expiry=row[10],
                          hit_statuses={status.value: count for status, count in zip(HITStatus, row[11:], strict=True)
                                        if count})
            for row in rows}


@dataclass(frozen=True)
class BatchRow:
    batch: Batch
    tally: Tally

    @property
    def status(self) -> str:
        """building, failed, paused, finished (nothing open, nothing in progress) or running."""
        if self.batch.state is not BatchState.READY:
            return self.batch.state.value
        if self.batch.paused_at is not None:
            return "paused"
        return "finished" if self.tally.finished else "running"


@dataclass(frozen=True)
class HITTypeRow:
    """A HIT type with the counts of its HITs made without a batch (MTurk API or REST)."""

    hit_type: HITType
    tally: Tally


@dataclass(frozen=True)
class BatchesOverview:
    batches: Page[BatchRow]
    hit_types: Page[HITTypeRow]
    now: datetime


def batches_overview(rt: Runtime, actor: Actor, *, batches_cursor: str | None = None,
                     hit_types_cursor: str | None = None, limit: int = 20) -> BatchesOverview:
    """The requester's batches in the actor's marketplace, newest first, and the HIT types of their
    HITs made without a batch, newest first; each paged on its own cursor."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions() as db:
        found = paginate(db, select(Batch).where(Batch.requester_id == actor.id,
                                                 Batch.marketplace == actor.marketplace),
                         Batch.id, batches_cursor, limit, newest_first=True)
        ready = [batch.id for batch in found.items if batch.state is BatchState.READY]
        counts = _tallies(db, HIT.batch_id, ready, now=now)
        batchless = exists().where(HIT.hit_type_id == HITType.id, HIT.batch_id.is_(None))
        types = paginate(db, select(HITType).where(HITType.requester_id == actor.id,
                                                   HITType.marketplace == actor.marketplace, batchless),
                         HITType.id, hit_types_cursor, limit, newest_first=True)
        type_counts = _tallies(db, HIT.hit_type_id, [t.id for t in types.items], HIT.batch_id.is_(None), now=now)
        return BatchesOverview(
            Page([BatchRow(batch, counts.get(batch.id, Tally())) for batch in found.items], found.next_cursor),
            Page([HITTypeRow(t, type_counts.get(t.id, Tally())) for t in types.items], types.next_cursor), now)


@dataclass(frozen=True)
class HITTypePage:
    hit_type: HITType
    tally: Tally
    hits: Page[HIT]
    now: datetime


def hit_type_page(rt: Runtime, actor: Actor, hit_type_public_id: str, *, cursor: str | None = None,
                  limit: int = 50) -> HITTypePage:
    """One of the requester's HIT types with its HITs made without a batch, oldest first. Raises
    NotFoundError (also for another requester's type)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions() as db:
        hit_type = owned_hit_type(db, actor, hit_type_public_id)
        hits = paginate(db, select(HIT).where(HIT.hit_type_id == hit_type.id, HIT.batch_id.is_(None)), HIT.id,
                        cursor, limit)
        tally = _tallies(db, HIT.hit_type_id, [hit_type.id], HIT.batch_id.is_(None), now=now)
        return HITTypePage(hit_type, tally.get(hit_type.id, Tally()), hits, now)


@dataclass(frozen=True)
class HITFilters:
    """The batch page's HIT list filters: a HIT status, gold or not, answered or not."""

    status: str | None = None
    gold: str = "any"
    answers: str = "any"

    def __post_init__(self) -> None:
        problems = {}
        if self.status is not None and self.status not in {s.value for s in HITStatus}:
            problems["status"] = f"must be one of: {', '.join(s.value for s in HITStatus)}"
        if self.gold not in GOLD_FILTERS:
            problems["gold"] = f"must be one of: {', '.join(GOLD_FILTERS)}"
        if self.answers not in ANSWER_FILTERS:
            problems["answers"] = f"must be one of: {', '.join(ANSWER_FILTERS)}"
        if problems:
            raise InvalidInputError(problems)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.status is not None:
            stmt = stmt.where(HIT.status == HITStatus(self.status))
        if self.gold != "any":
            stmt = stmt.where(HIT.is_gold.is_(self.gold == "gold"))
        answered = HIT.submitted_count + HIT.approved_count + HIT.rejected_count
        if self.answers != "any":
            stmt = stmt.where(answered > 0 if self.answers == "answered" else answered == 0)
        return stmt


@dataclass(frozen=True)
class BatchPage:
    summary: BatchSummary
    tally: Tally
    hits: Page[HIT]
    consensus: Page[ConsensusView]
    exports: list[ExportView]
    now: datetime

    @property
    def batch(self) -> Batch:
        return self.summary.batch

    @property
    def hit_statuses(self) -> dict[str, int]:
        return self.tally.hit_statuses

    @property
    def status(self) -> str:
        return BatchRow(self.batch, self.tally).status


def batch_page(rt: Runtime, actor: Actor, batch_public_id: str, *, filters: HITFilters | None = None,
               hits_cursor: str | None = None, consensus_cursor: str | None = None,
               limit: int = 25) -> BatchPage:
    """Everything the batch page shows: progress and settings (``batch_results.batch_summary``), counts
    by HIT status, one page of HITs, one page of consensus labels, the latest exports. Raises
    NotFoundError (also for another requester's batch or another marketplace's)."""
    require_requester(actor)
    now = rt.clock()
    summary = batch_results.batch_summary(rt, actor, batch_public_id)
    consensus = batch_results.consensus_labels(rt, actor, batch_public_id, cursor=consensus_cursor, limit=limit)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        ready = batch.state is BatchState.READY
        tally = _tallies(db, HIT.batch_id, [batch.id] if ready else [], now=now).get(batch.id, Tally())
        stmt = (filters or HITFilters()).apply(select(HIT).where(HIT.batch_id == batch.id))
        hits = paginate(db, stmt, HIT.id, hits_cursor, limit) if ready else Page([], None)
        recent = list(db.scalars(select(Export).where(Export.batch_id == batch.id, Export.requester_id == actor.id)
                                 .order_by(Export.id.desc()).limit(RECENT_EXPORTS)))
        jobs = {job.public_id: job for job in db.scalars(select(Job).where(
            Job.public_id.in_([export.job_id for export in recent])))}
    return BatchPage(summary, tally, hits, consensus,
                     [ExportView(export, batch.public_id, jobs.get(export.job_id)) for export in recent], now)


def batch_plot(rt: Runtime, actor: Actor, batch_public_id: str, name: str, *, worker_id: str | None = None,
               cursor: str | None = None, limit: int = 50) -> str:
    """One of the batch's plots (PLOTS) as an SVG document, for the pages and the REST API; ``worker_id``:
    the confusion matrix of one worker; ``cursor``, ``limit``: which workers the accuracy plot shows.
    Raises NotFoundError (another requester's batch, or a confusion matrix not computed yet),
    InvalidInputError (an unknown plot)."""
    if name == "progress":
        summary, confidences = batch_results.consensus_confidences(rt, actor, batch_public_id)
        p = summary.progress
        parts = [("approved", p.assignments_approved), ("submitted", p.assignments_submitted),
                 ("pending", p.assignments_pending), ("rejected", p.assignments_rejected),
                 ("open", p.assignments_open)]
        target = summary.settings.overlap.confidence_target if summary.settings.overlap else None
        return plots.progress_svg([(part, count, plots.PROGRESS_COLOURS[part]) for part, count in parts],
                                  confidences, title=f"Progress of batch {summary.batch.name}", target=target)
    if name == "timeline":
        summary, hours = batch_results.answers_by_hour(rt, actor, batch_public_id)
        p = summary.progress
        slots = p.assignments_open + p.assignments_pending + p.assignments_submitted + p.assignments_approved \
            + p.assignments_rejected
        return plots.timeline_svg(hours, slots, title=f"Answers over time, batch {summary.batch.name}")
    if name == "workers":
        scores = batch_results.batch_worker_scores(rt, actor, batch_public_id, cursor=cursor, limit=limit)
        rule = batch_results.batch_summary(rt, actor, batch_public_id).settings.policy.accuracy
        return plots.accuracy_svg([plots.AccuracyRow(
            v.worker_id, v.scores["accuracy"], v.scores["accuracy_low"], v.scores["accuracy_high"],
            v.scores["answers"], v.decision is not None) for v in scores.items],
            title=f"Worker accuracy, batch {batch_public_id}", threshold=None if rule is None else rule.threshold / 100)
    if name == "confusion":
        matrix = batch_results.confusion(rt, actor, batch_public_id, worker_id)
        who = f"worker {worker_id}" if worker_id else "all workers"
        return plots.confusion_svg(matrix.classes, matrix.matrix, title=f"Confusion matrix of {who} "
                                   f"({matrix.answers:,} answers), batch {batch_public_id}")
    raise InvalidInputError({"plot": f"must be one of: {', '.join(PLOTS)}"})
