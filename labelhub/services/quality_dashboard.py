"""Read models of a batch's quality dashboard: the page (stored figures only: the agreement the last
aggregation stored, counts from the HITs' counters, one page of stored worker scores) and its plots
(SVG), each bounded: the agreement matrix reads the answers of the most active workers only, the
histograms count in SQL or over the stored per-worker rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.orm import Session

from aggregation.consensus import CATEGORICAL_SHAPES
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import (
    ANSWERED_STATUSES,
    COUNTED_STATUSES,
    HIT,
    Assignment,
    Batch,
    ConsensusLabel,
    HITType,
    Worker,
    WorkerScore,
)
from labelhub.runtime import Runtime
from labelhub.services import batch_results, rankings, requester_pages
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings, batch_shape, owned_batch
from labelhub.services.batch_results import BatchSummary, WorkerScoreView
from labelhub.services.common import Page
from labelhub.services.gold import label_of
from labelhub.services.llm_flags import takes_text
from labelhub.services.worker_scores import accuracy_of
from quality import plots
from quality.agreement import (
    MAX_WORKERS,
    MIN_SHARED_TASKS,
    Histogram,
    Weights,
    agreement_matrix,
    grouped_median,
    histogram,
    time_edges,
    uniform_edges,
)

PLOTS = ("agreement", "confusion", "accuracy", "confidence", "worktime", "overlap", "llm", "ranking")
MATRIX_HITS = 5_000  # the agreement matrix reads the answers on the batch's last HITs only, to stay fast
RELIABLE, TENTATIVE = 0.8, 0.667  # Krippendorff's (2004) thresholds for alpha


@dataclass(frozen=True)
class Agreement:
    """The agreement figure the last aggregation stored, what it measures and how to read it."""

    value: float | None
    measure: str
    reading: str


def _agreement(batch: Batch, shape: str | None) -> Agreement:
    value = batch.agreement
    if shape in ("boxes", "spans"):
        measure = "mean consensus support (the share of a HIT's workers behind its consensus regions)"
    elif shape == "text":
        measure = "mean similarity of the texts given for the same HIT"
    elif shape == "ordinal" and "ordinal" in (batch.aggregation_method or "").lower():
        measure = "Krippendorff's alpha, ordinal (a one-step disagreement counts less than a wide one)"
    elif shape == "ordinal":
        measure = "Krippendorff's alpha, nominal (the scale's points read as categories)"
    else:
        measure = "Krippendorff's alpha, nominal"
    if value is None:
        reading = "No agreement yet: it is measured when the batch is aggregated, on HITs with two answers or more."
    elif not measure.startswith("Krippendorff"):
        reading = "From 0 (no two workers alike) to 1 (every worker gave the same); low values point at unclear " \
                  "instructions or careless work."
    elif value >= RELIABLE:
        reading = f"{value:.2f}: reliable. Alpha is 1 when workers always agree and 0 when they agree only as " \
                  f"often as chance; {RELIABLE} and above is the usual bar for labels to rely on."
    elif value >= TENTATIVE:
        reading = f"{value:.2f}: tentative. Alpha is 1 when workers always agree and 0 at chance; between " \
                  f"{TENTATIVE} and {RELIABLE} the labels support tentative conclusions only."
    else:
        reading = f"{value:.2f}: low. Alpha is 1 when workers always agree and 0 at chance; below {TENTATIVE} the " \
                  "workers disagree too often to trust single labels: check the instructions, the gold HITs and " \
                  "the workers' matrix below."
    return Agreement(value, measure, reading)


@dataclass(frozen=True)
class Overlap:
    """Answers spent on the batch's non-gold HITs against a fixed redundancy at the overlap's maximum."""

    hits: int
    answers: int  # submitted, approved or rejected
    slots: int  # the assignments the HITs have now (dynamic overlap adds and removes them)
    min_assignments: int | None
    max_assignments: int | None
    target: float | None

    @property
    def fixed(self) -> int | None:
        """What every HIT at the maximum would take (None without dynamic overlap)."""
        return None if self.max_assignments is None else self.hits * self.max_assignments

    @property
    def saved(self) -> int | None:
        return None if self.fixed is None else self.fixed - self.slots


def _overlap(db: Session, batch: Batch, summary: BatchSummary) -> Overlap:
    """The summary's counts (every HIT) less the gold HITs' (a few, through ix_hits_batch_gold): one scan
    of the batch's HITs fewer than counting the non-gold ones again."""
    p, policy = summary.progress, summary.settings.overlap
    gold_hits, gold_slots, gold_answers = db.execute(select(
        func.count(HIT.id), func.coalesce(func.sum(HIT.max_assignments), 0),
        func.coalesce(func.sum(HIT.submitted_count + HIT.approved_count + HIT.rejected_count), 0))
        .where(HIT.batch_id == batch.id, HIT.is_gold.is_(True))).one() if p.hits else (0, 0, 0)
    slots = p.assignments_open + p.assignments_pending + p.assignments_submitted + p.assignments_approved \
        + p.assignments_rejected
    answers = p.assignments_submitted + p.assignments_approved + p.assignments_rejected
    return Overlap(p.hits - int(gold_hits), answers - int(gold_answers), slots - int(gold_slots),
                   policy.min_assignments if policy else None, policy.max_assignments if policy else None,
                   policy.confidence_target if policy else None)


@dataclass(frozen=True)
class QualityDashboard:
    summary: BatchSummary
    shape: str | None
    agreement: Agreement
    overlap: Overlap
    workers: Page[WorkerScoreView]
    scored_workers: int
    takes_text: bool

    @property
    def batch(self) -> Batch:
        return self.summary.batch

    @property
    def categorical(self) -> bool:
        return self.shape in CATEGORICAL_SHAPES

    @property
    def target(self) -> float:
        return self.summary.settings.confidence_target


def dashboard(rt: Runtime, actor: Actor, batch_public_id: str, *, workers_cursor: str | None = None,
              limit: int = 20) -> QualityDashboard:
    """The dashboard's figures, all stored: the batch summary, the agreement of the last aggregation,
    the answers spent against fixed redundancy, and one page of the workers' stored scores. Raises
    NotFoundError (also for another requester's batch)."""
    require_requester(actor)
    summary = batch_results.batch_summary(rt, actor, batch_public_id)
    workers = batch_results.batch_worker_scores(rt, actor, batch_public_id, cursor=workers_cursor, limit=limit)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        shape = batch_shape(batch)
        scored = db.scalar(select(func.count(WorkerScore.id)).where(WorkerScore.batch_id == batch.id)) or 0
        return QualityDashboard(summary, shape, _agreement(batch, shape), _overlap(db, batch, summary), workers,
                                int(scored), takes_text(batch))


def quality_plot(rt: Runtime, actor: Actor, batch_public_id: str, name: str, *, worker_id: str | None = None) -> str:
    """One of the dashboard's plots (PLOTS) as an SVG document; an empty-state plot with a sentence
    when there is nothing to show yet. ``worker_id``: the confusion matrix of that worker. Raises
    NotFoundError (another requester's batch), InvalidInputError (an unknown plot)."""
    require_requester(actor)
    if name not in PLOTS:
        raise InvalidInputError({"plot": f"must be one of: {', '.join(PLOTS)}"})
    if name == "confusion":
        return _confusion(rt, actor, batch_public_id, worker_id)
    if name in ("overlap", "llm"):
        return _counts_plot(rt, actor, batch_public_id, name)
    if name == "ranking":
        return _ranking(rt, actor, batch_public_id)
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        draw = {"agreement": _agreement_plot, "accuracy": _accuracy_plot, "confidence": _confidence_plot,
                "worktime": _worktime_plot}[name]
        return draw(db, batch)


def _agreement_plot(db: Session, batch: Batch) -> str:
    shape = batch_shape(batch)
    title = f"Agreement between workers, batch {batch.name}"
    if shape not in CATEGORICAL_SHAPES:
        return plots.empty_svg(title, "The worker-by-worker matrix needs one label per answer (classification, "
                                      "ordinal scales, pairwise).")
    top = db.execute(select(WorkerScore.worker_id).where(WorkerScore.batch_id == batch.id)  # stored at aggregation
                     .order_by(WorkerScore.n_answers.desc(), WorkerScore.worker_id).limit(MAX_WORKERS)).scalars().all()
    window = select(HIT.id).where(HIT.batch_id == batch.id).order_by(HIT.id.desc()).limit(MATRIX_HITS)
    rows = db.execute(select(Assignment.hit_id, Worker.public_id, Assignment.answer)
                      .join(Worker, Worker.id == Assignment.worker_id)
                      .where(Assignment.hit_id.in_(window.scalar_subquery()), Assignment.status.in_(COUNTED_STATUSES),
                             Assignment.worker_id.in_(top))).tuples().all()
    answers = pd.DataFrame({"task": [r[0] for r in rows], "worker": [r[1] for r in rows],
                            "label": pd.Series([label_of(batch, r[2]) for r in rows], dtype=object)})
    weights: Weights = "linear" if shape == "ordinal" else "none"
    matrix = agreement_matrix(answers, min_shared=MIN_SHARED_TASKS, max_workers=MAX_WORKERS, weights=weights)
    measure = "weighted kappa" if weights == "linear" else "kappa"
    in_window = f", on the last {MATRIX_HITS:,} HITs" if len(set(answers["task"])) >= MATRIX_HITS else ""
    if matrix.pairs == 0:
        return plots.empty_svg(title, f"No two workers have answered {MIN_SHARED_TASKS} or more of the same HITs yet.")
    return plots.agreement_svg(matrix.workers, matrix.kappa, matrix.shared, matrix.agreed, measure=measure,
                               min_shared=MIN_SHARED_TASKS,
                               title=f"Cohen's {measure} between workers ({len(matrix.workers)} with the most "
                                     f"answers{in_window}), batch {batch.name}")


def _confusion(rt: Runtime, actor: Actor, batch_public_id: str, worker_id: str | None) -> str:
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        name = batch.name
    try:
        return requester_pages.batch_plot(rt, actor, batch_public_id, "confusion", worker_id=worker_id)
    except NotFoundError:  # the batch is the requester's (checked above): no matrix stored yet
        who = f"worker {worker_id}" if worker_id else "the crowd"
        return plots.empty_svg(f"Confusion matrix of {who}, batch {name}",
                               f"No confusion matrix for {who} yet: it needs single-label answers aggregated with "
                               "a Dawid-Skene method.")


def _accuracy_plot(db: Session, batch: Batch) -> str:
    rows = db.execute(select(WorkerScore.n_answers, WorkerScore.expected_correct, WorkerScore.gold_answers,
                             WorkerScore.gold_correct).where(WorkerScore.batch_id == batch.id)).all()
    title = f"Workers by accuracy, batch {batch.name}"
    if not rows:
        return plots.empty_svg(title, "No worker has a score yet: scores come with the first aggregation.")
    accuracy = accuracy_of(rows)["accuracy"]
    found = histogram(accuracy.tolist(), uniform_edges(0.0, 1.0, 10))
    rule = QualitySettings.stored(batch.quality).policy.accuracy
    markers = [] if rule is None else [(rule.threshold / 100, f"rule threshold {rule.threshold}%")]
    return plots.histogram_svg(found.edges, found.counts, title=title, noun="workers", markers=markers,
                               x_label="accuracy (posterior mean, against the consensus and gold)",
                               tick=lambda v: f"{v:.0%}")


def _binned(db: Session, values: Select[Any], edges: list[float]) -> Histogram:
    """Counts of ``values`` (a SELECT of one column) in the bins of ``edges``, in one scan; values beyond
    the ends count in the end bins."""
    found = values.subquery()
    column = found.c[0]
    inner = zip(edges[1:-2], edges[2:-1], strict=True)
    bins = [column < edges[1], *((column >= low) & (column < high) for low, high in inner), column >= edges[-2]] \
        if len(edges) > 2 else [column.is_not(None)]
    row = db.execute(select(*(func.count().filter(condition) for condition in bins)).select_from(found)).one()
    return Histogram(edges, [int(c) for c in row])


def _confidence_plot(db: Session, batch: Batch) -> str:
    settings = QualitySettings.stored(batch.quality)
    target = settings.confidence_target
    found = _binned(db, select(ConsensusLabel.confidence).where(ConsensusLabel.batch_id == batch.id),
                    uniform_edges(0.0, 1.0, 20))
    title = f"HITs by consensus confidence, batch {batch.name}"
    if not found.total:
        return plots.empty_svg(title, "No HIT has a consensus yet.")
    origin = "dynamic overlap's target" if settings.overlap else "default target"
    return plots.histogram_svg(found.edges, found.counts, title=title, noun="HITs", tick=lambda v: f"{v:.0%}",
                               x_label=f"confidence of the consensus ({found.total:,} HITs)",
                               markers=[(target, f"{origin} {target:.0%}")])


def _seconds(db: Session) -> ColumnElement[Any]:
    if db.get_bind().dialect.name == "postgresql":
        # date_part gives a double (extract a numeric since PostgreSQL 14, slower to bin and sort)
        return func.date_part("epoch", Assignment.submitted_at - Assignment.accepted_at)
    # julianday's day fractions put 10 s at 9.99999 s: round to the millisecond
    return cast(func.round((func.julianday(Assignment.submitted_at) - func.julianday(Assignment.accepted_at))
                           * 86_400.0, 3), Float)


def _worktime_plot(db: Session, batch: Batch) -> str:
    """Work time grouped by whole seconds in SQL (at most the time allotted: a few hundred rows), then
    binned and its median taken from those groups: one hash aggregate, no sort of every answer."""
    allotted = db.scalar(select(HITType.assignment_duration_seconds).where(HITType.id == batch.hit_type_id)) or 3600
    seconds = func.round(_seconds(db))
    grouped = db.execute(select(seconds, func.count()).join(HIT, HIT.id == Assignment.hit_id)
                         .where(HIT.batch_id == batch.id, Assignment.status.in_(ANSWERED_STATUSES),
                                Assignment.submitted_at.is_not(None)).group_by(seconds)).tuples().all()
    values, counts = [float(value) for value, _ in grouped], [int(count) for _, count in grouped]
    found, median = histogram(values, time_edges(allotted), counts), grouped_median(values, counts)
    title = f"Work time per assignment, batch {batch.name}"
    if median is None:
        return plots.empty_svg(title, "No assignment has been submitted yet.")
    return plots.histogram_svg(found.edges, found.counts, title=title, noun="assignments", tick=_duration,
                               x_label=f"seconds from accept to submit ({found.total:,} assignments)",
                               markers=[(median, f"median {_duration(median)}")])


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min" if seconds % 60 == 0 else f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.0f} h" if seconds % 3600 == 0 else f"{seconds / 3600:.1f} h"


def _counts_plot(rt: Runtime, actor: Actor, batch_public_id: str, name: str) -> str:
    page = dashboard(rt, actor, batch_public_id, limit=1)
    batch = page.batch
    if name == "overlap":
        o = page.overlap
        rows = [("answers collected", o.answers, plots.GREEN, f"{o.answers:,} answers submitted on {o.hits:,} HITs"),
                ("assignments now", o.slots, plots.BLUE, f"{o.slots:,} assignments on {o.hits:,} HITs, answered or "
                                                         "still to answer")]
        if o.fixed is not None:
            rows.append((f"fixed at {o.max_assignments} per HIT", o.fixed, plots.GREY,
                         f"{o.hits:,} HITs x {o.max_assignments} assignments"))
        title = f"Answers spent, batch {batch.name}"
        if not o.hits:
            return plots.empty_svg(title, "The batch has no HITs (other than gold).")
        return plots.bars_svg(rows, title=title, x_label="answers (non-gold HITs)")
    llm = page.summary.llm
    title = f"Answers by LLM-flag band, batch {batch.name}"
    if not page.takes_text:
        return plots.empty_svg(title, "This batch's task type takes no free text: nothing to score.")
    if not llm.scored:
        return plots.empty_svg(title, "No text answer has been scored yet.")
    low = llm.scored - llm.flagged - llm.medium
    return plots.bars_svg([("low", low, plots.GREEN, f"{low:,} answers unlikely to be LLM-written"),
                           ("medium", llm.medium, plots.AMBER, f"{llm.medium:,} answers with some LLM signs"),
                           ("high (flagged)", llm.flagged, plots.RED, f"{llm.flagged:,} answers flagged")],
                          title=title, x_label=f"text answers scored ({llm.scored:,})")


def _ranking(rt: Runtime, actor: Actor, batch_public_id: str) -> str:
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
        name, shape = batch.name, batch_shape(batch)
    title = f"Items ranked by Bradley-Terry score, batch {name}"
    if shape != "pairwise":
        return plots.empty_svg(title, "Only pairwise batches have a ranking.")
    items = rankings.batch_ranking(rt, actor, batch_public_id)
    if not items:
        return plots.empty_svg(title, "No comparisons yet: the ranking comes with the first answers.")
    return plots.ranking(items, title=title)
