"""Aggregating a batch: answers -> a consensus per HIT, each worker's evidence, the quality rules'
decisions, the qualification feed and dynamic overlap. It runs as the job
``labelhub.jobs.aggregate_batch``, queued (one waiting run per batch) by the reaction to every
submission or rejection in a batch.

Three steps, so no transaction stays open while the estimators run:

1. ``_snapshot`` (one read): the batch's answers, weights and gold, and their fingerprint. If the
   last run read the same fingerprint there is nothing to do. An answer committed after this read
   has its own event, whose reaction queues the next run (this one is running, so that one waits).
   Pairwise batches also read the two items each HIT compares (``_pairs``; HIT data never changes).
2. ``_compute`` (no database): the consensus of ``aggregation.consensus`` (the estimator the
   registry ``aggregation.methods.ANSWER_SHAPES`` names for the batch's shape) and the evidence of
   ``quality``.
3. ``quality_feed.store`` (one transaction): consensus rows, worker evidence, decisions, the
   qualification feed and dynamic overlap, and the fingerprint.

Running it twice in a row changes nothing: the second run stops at step 1.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

import annotators
from aggregation import methods
from aggregation.consensus import CATEGORICAL_SHAPES, Consensus, consensus
from aggregation.pairwise import LEFT, RIGHT
from labelhub.errors import NotFoundError
from labelhub.models import COUNTED_STATUSES, HIT, AnswerFlag, Assignment, Batch, Event
from labelhub.runtime import Runtime
from labelhub.services import job_queue, quality_feed
from labelhub.services.batch_quality import QualitySettings, aggregation_key, batch_shape, request_aggregation
from labelhub.services.gold import label_of
from labelhub.services.quality_feed import Computed, Outcome, Snapshot
from quality import independence_p, longest_run, median_seconds, separation, worker_counts

TRIGGERS = frozenset({"AssignmentSubmitted", "AssignmentRejected"})
VALUE_KEYS = {"boxes": "boxes", "spans": "spans", "text": "text"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def queue_aggregation(db: Session, event: Event, hit: HIT) -> None:
    """Reaction: after a submission or a rejection in a batch with a consensus, aggregate it again."""
    if hit.batch_id is None:
        return
    batch = db.get_one(Batch, hit.batch_id)
    if batch_shape(batch) is not None:
        request_aggregation(db, batch, now=event.at)


def aggregate_batch(rt: Runtime, batch_public_id: str, *, force: bool = False) -> Outcome:
    """Aggregate the batch if it has answers the last run did not see (always, with ``force``).

    Answers the estimators refuse (ValueError) end the run with the problem recorded on the batch
    (``aggregation_error``); any other failure propagates (the job is tried again later). Raises
    NotFoundError for an unknown batch.
    """
    snapshot = _snapshot(rt, batch_public_id, force=force)
    if snapshot is None:
        return Outcome(batch_public_id, ran=False)
    pairs = _pairs(rt, snapshot)
    try:
        computed = _compute(snapshot, pairs)
    except ValueError as exc:
        return quality_feed.record_failure(rt, snapshot, str(exc))
    return quality_feed.store(rt, snapshot, computed)


def aggregate_due(rt: Runtime) -> int:
    """Queue the aggregation of every batch with answers submitted after its last aggregation and none
    waiting or running (a reaction that failed, or data older than the outbox). Returns how many."""
    now = rt.clock()
    later = exists().where(HIT.batch_id == Batch.id, Assignment.hit_id == HIT.id,
                           Assignment.status.in_(COUNTED_STATUSES),
                           Assignment.submitted_at > func.coalesce(Batch.aggregated_at, EPOCH))
    with rt.sessions.begin() as db:
        due = [b for b in db.scalars(select(Batch).where(later).order_by(Batch.id)) if batch_shape(b) is not None]
        waiting = job_queue.pending_keys(db, [aggregation_key(b.public_id) for b in due])
        due = [b for b in due if aggregation_key(b.public_id) not in waiting]
        for batch in due:
            request_aggregation(db, batch, now=now)
    return len(due)


def _snapshot(rt: Runtime, batch_public_id: str, *, force: bool) -> Snapshot | None:
    with rt.sessions() as db:
        batch = db.scalars(select(Batch).where(Batch.public_id == batch_public_id)).one_or_none()
        if batch is None:
            raise NotFoundError(f"Batch {batch_public_id} does not exist", entity="batch")
        shape = batch_shape(batch)
        if shape is None:
            return None
        config = (batch.template or {}).get("config", {})
        settings = QualitySettings.stored(batch.quality)
        answers = _weigh_by_llm_flags(db, batch, settings, _answers(db, batch, shape, config))
        # The known answers: gold answers and the requester's fixed labels, a fix winning over gold.
        # Only single-label shapes use known answers (a fix elsewhere changes exports, not the run).
        known = (HIT.is_gold | HIT.reviewed_at.is_not(None)) if shape in CATEGORICAL_SHAPES else HIT.is_gold
        gold = {hit_id: label_of(batch, fixed if fixed is not None else answer)
                for hit_id, answer, fixed in db.execute(
                    select(HIT.id, HIT.gold_answer, HIT.reviewed_answer).where(HIT.batch_id == batch.id, known))
                .tuples()}
        fingerprint = _fingerprint(answers, gold, settings)
        never_ran = batch.aggregated_fingerprint is None and batch.aggregated_at is None
        if (answers.empty and never_ran) or (fingerprint == batch.aggregated_fingerprint and not force):
            return None
        return Snapshot(batch.id, batch.public_id, shape, settings, answers, pd.Series(gold, dtype=object),
                        config, fingerprint)


def _fingerprint(answers: pd.DataFrame, gold: dict[int, Any], settings: QualitySettings) -> str:
    """What a run's result depends on: which answers count and with what weight, the known answers
    (gold and fixed labels: a fix made, changed or cleared changes the digest) and the settings."""
    digest = hashlib.sha256(json.dumps(settings.to_json(), sort_keys=True, default=str).encode())
    digest.update(np.ascontiguousarray(answers["assignment"].to_numpy(dtype=np.int64)).tobytes())
    digest.update(np.ascontiguousarray(answers["weight"].to_numpy(dtype=np.float64)).tobytes())
    digest.update(json.dumps(sorted((k, repr(v)) for k, v in gold.items())).encode())
    return digest.hexdigest()


def _answers(db: Session, batch: Batch, shape: str, config: dict[str, Any]) -> pd.DataFrame:
    """Every counted answer of the batch as (task, worker, label, submitted_at, seconds, assignment),
    oldest first."""
    rows = db.execute(select(Assignment.hit_id, Assignment.worker_id, Assignment.answer, Assignment.signals,
                             Assignment.accepted_at, Assignment.submitted_at, Assignment.id)
                      .join(HIT, HIT.id == Assignment.hit_id)
                      .where(HIT.batch_id == batch.id, Assignment.status.in_(COUNTED_STATUSES))
                      .order_by(Assignment.submitted_at, Assignment.id)).tuples().all()
    key = VALUE_KEYS.get(shape)
    labels = [answer.get(key) if key else label_of(batch, answer) for _, _, answer, *_ in rows]
    seconds = [(signals or {}).get("time_on_page_ms", None) for _, _, _, signals, *_ in rows]
    seconds = [ms / 1000 if ms is not None else (submitted - accepted).total_seconds()
               for ms, (_, _, _, _, accepted, submitted, _) in zip(seconds, rows, strict=True)]
    return pd.DataFrame({"task": [r[0] for r in rows], "worker": [r[1] for r in rows],
                         "label": pd.Series(labels, dtype=object), "submitted_at": [r[5] for r in rows],
                         "seconds": seconds, "assignment": [r[6] for r in rows], "weight": 1.0})


def _weigh_by_llm_flags(db: Session, batch: Batch, settings: QualitySettings, answers: pd.DataFrame) -> pd.DataFrame:
    """Apply the batch's LLM setting to its text answers: drop the flagged ones (exclude) or weigh
    each by 1 - its probability of being LLM-written (downweight)."""
    if settings.llm.action not in ("exclude", "downweight") or answers.empty:
        return answers
    flags = {row.assignment_id: row for row in db.scalars(select(AnswerFlag).where(AnswerFlag.batch_id == batch.id))}
    if settings.llm.action == "exclude":
        flagged = [a for a, f in flags.items() if f.band == "high"]
        return answers[~answers["assignment"].isin(flagged)].reset_index(drop=True)
    probability = answers["assignment"].map({a: f.probability for a, f in flags.items()}).fillna(0.0)
    return answers.assign(weight=1.0 - probability.to_numpy())


def current_inputs(rt: Runtime, batch_public_id: str) -> tuple[Snapshot, pd.DataFrame | None] | None:
    """What aggregating the batch now would read: its snapshot and, for shapes that compare items,
    the items of each HIT (see ``_pairs``); None for a batch without a consensus. No authorization:
    callers check the actor first. Raises NotFoundError for an unknown batch."""
    snapshot = _snapshot(rt, batch_public_id, force=True)
    return None if snapshot is None else (snapshot, _pairs(rt, snapshot))


def _pairs(rt: Runtime, snapshot: Snapshot) -> pd.DataFrame | None:
    """For a shape that compares two items (pairwise), each HIT's items, indexed by HIT id, columns
    left and right: the values of the task type's two item columns (a text or an image URL)."""
    if not methods.ANSWER_SHAPES[snapshot.shape].compares_items:
        return None
    with rt.sessions() as db:
        batch = db.get_one(Batch, snapshot.batch_id)
        first, second = annotators.get(batch.template_kind).item_fields(snapshot.config)
        rows = db.execute(select(HIT.id, HIT.data).where(HIT.batch_id == batch.id)).tuples().all()
    return pd.DataFrame({LEFT: [str((data or {}).get(first, "")) for _, data in rows],
                         RIGHT: [str((data or {}).get(second, "")) for _, data in rows]},
                        index=pd.Index([hit_id for hit_id, _ in rows], name="task"))


def _compute(snapshot: Snapshot, pairs: pd.DataFrame | None = None) -> Computed:
    answers = snapshot.answers
    if answers.empty:
        return Computed(None, pd.DataFrame())
    frame = answers[["worker", "task", "label"]]
    entry = methods.ANSWER_SHAPES[snapshot.shape]
    gold = snapshot.gold[snapshot.gold.index.isin(frame["task"])] if entry.single_label else None
    method = snapshot.settings.method
    uses_gold = gold is not None and len(gold) > 0 and (
        not entry.methods or method == "auto" or methods.get(method).gold != "unused")
    result = consensus(snapshot.shape, frame, method=method, gold=gold if uses_gold else None,
                       weights=answers["weight"] if snapshot.shape == "text" else None, pairs=pairs)
    return Computed(result, _evidence(snapshot, result, gold))


def _evidence(snapshot: Snapshot, result: Consensus, gold: pd.Series | None) -> pd.DataFrame:
    """Per worker: the counts behind their accuracy and the spammer signs (categorical shapes)."""
    answers = snapshot.answers
    counts = worker_counts(answers, result.workers["accuracy"], gold)
    evidence = counts.assign(separation=np.nan, independence_p=np.nan, run_label=None, run_length=0,
                             run_disagreements=0, median_seconds=np.nan, confusion=None)
    categorical = snapshot.shape in CATEGORICAL_SHAPES
    consensus_of = result.values
    if categorical and gold is not None and len(gold):  # on gold tasks the known answer is the consensus
        consensus_of = pd.concat([result.values[~result.values.index.isin(gold.index)], gold])
    weights = _class_weights(result)
    for worker, mine in answers.groupby("worker", sort=False):
        evidence.at[worker, "median_seconds"] = median_seconds(mine["seconds"].tolist())
        if not categorical:
            continue
        theirs = [consensus_of.get(t) for t in mine["task"]]
        run = longest_run(mine["label"].tolist(), theirs)
        evidence.at[worker, "independence_p"] = independence_p(mine["label"].tolist(), theirs)
        evidence.at[worker, "run_label"] = str(run.label)
        evidence.at[worker, "run_length"], evidence.at[worker, "run_disagreements"] = run.length, run.disagreements
        if "confusion" in result.workers.columns and weights is not None and result.classes is not None:
            matrix = result.workers.at[worker, "confusion"]
            evidence.at[worker, "separation"] = separation(matrix, weights)
            evidence.at[worker, "confusion"] = {"classes": [str(c) for c in result.classes],
                                                "matrix": np.round(matrix, 6).tolist()}
    return evidence


def _class_weights(result: Consensus) -> np.ndarray | None:
    """The share of each class among the consensus labels: how much each confusion column counts."""
    if result.classes is None or len(result.classes) < 2:
        return None
    shares = pd.Series(result.values).value_counts(normalize=True)
    return np.array([float(shares.get(c, 0.0)) for c in result.classes]) + 1e-3
