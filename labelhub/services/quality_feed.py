"""The writing half of a batch aggregation (see labelhub.services.consensus), in one transaction:
consensus rows, worker evidence, the quality rules' decisions, the qualification feed, dynamic overlap.

Scores that feed a qualification type are pooled over every batch of the requester that feeds the
same type: a worker's score is the accuracy posterior of their summed counts, so evidence from an
earlier batch is not thrown away when a new one starts.

A decision (revoke or block) is applied once per worker and batch and kept on the worker's evidence
row: a requester who re-grants a qualification by hand is not overruled at the next aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from aggregation.consensus import Consensus
from labelhub.errors import InsufficientFundsError, InvalidStateError
from labelhub.models import (
    HIT,
    Batch,
    ConsensusLabel,
    HITStatus,
    Qualification,
    QualificationStatus,
    QualificationType,
    Worker,
    WorkerBlock,
    WorkerScore,
)
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, system_actor
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.common import record_event
from labelhub.services.hits import add_assignments_locked, remove_open_assignments_locked
from quality import Decision, OverlapPolicy, accuracy_table, combine

MAX_REASON = 1024


@dataclass(frozen=True)
class Snapshot:
    """What the aggregation reads, taken in one transaction."""

    batch_id: int
    batch_public_id: str
    shape: str
    settings: QualitySettings
    answers: pd.DataFrame  # task (HIT id), worker (worker id), label, submitted_at, seconds
    gold: pd.Series  # gold label by HIT id
    config: dict[str, Any]
    fingerprint: str  # digest of the answers, weights, gold and settings read


@dataclass(frozen=True)
class Computed:
    result: Consensus | None  # None when the batch has no answers yet
    evidence: pd.DataFrame  # per worker: counts, separation, longest run, median seconds, confusion


@dataclass(frozen=True)
class Outcome:
    """What one run did (logged by the job, returned to the CLI and tests)."""

    batch_id: str
    ran: bool
    answers: int = 0
    hits: int = 0
    workers: int = 0
    method: str | None = None
    extended: int = 0
    reduced: int = 0
    decisions: int = 0
    error: str | None = None


def plain(value: Any) -> Any:
    """A JSON-able copy of an estimator's value (numpy scalars and arrays, tuples)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    return value


def record_failure(rt: Runtime, snapshot: Snapshot, message: str) -> Outcome:
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = db.get_one(Batch, snapshot.batch_id)
        batch.aggregation_error, batch.aggregated_at = message[:MAX_REASON], now
        batch.aggregated_fingerprint = snapshot.fingerprint
        record_event(db, system_actor(batch.marketplace), "BatchAggregationFailed", entity="batch",
                     entity_id=batch.public_id, now=now, error=message[:MAX_REASON])
    return Outcome(snapshot.batch_public_id, ran=True, answers=len(snapshot.answers), error=message)


def store(rt: Runtime, snapshot: Snapshot, computed: Computed) -> Outcome:
    """Write one aggregation's results in one transaction.

    Lock order: the batch row, then its HITs in id order (consensus rows, dynamic overlap). Use
    cases on one HIT (accept, submit, approve...) lock that HIT and never the batch, so the two
    cannot wait on each other in opposite orders.
    """
    now = rt.clock()
    settings = snapshot.settings
    with rt.sessions.begin() as db:
        batch = db.get_one(Batch, snapshot.batch_id, with_for_update={"key_share": True})
        actor = system_actor(batch.marketplace)
        result = computed.result
        confidence = pd.Series(dtype=float)
        decisions: list[Decision] = []
        if result is not None:
            gold_hits = set(snapshot.gold.index)
            confidence = result.confidence[~result.confidence.index.isin(gold_hits)]
            _store_consensus(db, snapshot, result.values, confidence, now)
            rows = _store_evidence(db, snapshot, computed.evidence, now)
            pooled = accuracy_table(_pooled_counts(db, batch, settings, computed.evidence))
            names = dict(db.execute(select(Worker.id, Worker.public_id).where(
                Worker.id.in_(list(rows)))).tuples().all())
            decisions = settings.policy.decide(_decision_evidence(computed.evidence, pooled))
            _apply_decisions(db, actor, batch, settings, rows, pooled, decisions, names, now)
            _feed(db, actor, settings, pooled, names, now)
            batch.aggregation_method, batch.aggregation_reason = result.method, result.reason[:MAX_REASON]
            batch.agreement = None if np.isnan(result.agreement) else float(result.agreement)
        extended, reduced, problem = (0, 0, None) if settings.overlap is None else \
            _apply_overlap(db, rt, actor, batch, settings.overlap, confidence, now)
        batch.aggregated_at, batch.aggregated_fingerprint = now, snapshot.fingerprint
        batch.aggregation_error = problem[:MAX_REASON] if problem else None
        outcome = Outcome(batch.public_id, ran=True, answers=len(snapshot.answers), hits=len(confidence),
                          workers=len(computed.evidence), method=batch.aggregation_method, extended=extended,
                          reduced=reduced, decisions=len(decisions), error=batch.aggregation_error)
        record_event(db, actor, "BatchAggregated", entity="batch", entity_id=batch.public_id, now=now,
                     answers=outcome.answers, hits=outcome.hits, workers=outcome.workers, extended=extended,
                     reduced=reduced, decisions=outcome.decisions)
    return outcome


def _store_consensus(db: Session, snapshot: Snapshot, values: pd.Series, confidence: pd.Series,
                     now: datetime) -> None:
    """One row per non-gold HIT with answers: insert new ones, update the others, drop the rest."""
    answers = snapshot.answers.groupby("task").size()
    labels = snapshot.config.get("labels") if snapshot.shape == "ordinal" else None
    rows = [{"hit_id": int(hit_id), "batch_id": snapshot.batch_id, "confidence": float(confidence[hit_id]),
             "value": labels[int(values[hit_id]) - 1] if labels else plain(values[hit_id]),
             "answers": int(answers[hit_id]), "updated_at": now} for hit_id in confidence.index]
    existing = dict(db.execute(select(ConsensusLabel.hit_id, ConsensusLabel.id).where(
        ConsensusLabel.batch_id == snapshot.batch_id)).tuples().all())
    fresh = [row for row in rows if row["hit_id"] not in existing]
    changed = [row | {"id": existing[row["hit_id"]]} for row in rows if row["hit_id"] in existing]
    gone = set(existing) - {row["hit_id"] for row in rows}
    if gone:
        db.execute(delete(ConsensusLabel).where(ConsensusLabel.hit_id.in_(gone)))
    if fresh:
        db.execute(insert(ConsensusLabel), fresh)
    if changed:
        db.execute(update(ConsensusLabel), changed)


def _float_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _store_evidence(db: Session, snapshot: Snapshot, evidence: pd.DataFrame,
                    now: datetime) -> dict[int, WorkerScore]:
    """Upsert one WorkerScore per worker of the batch; returns them by worker id."""
    existing = {row.worker_id: row for row in db.scalars(select(WorkerScore).where(
        WorkerScore.batch_id == snapshot.batch_id))}
    for worker_id, row in evidence.iterrows():
        values = {"n_answers": int(row["n_answers"]), "expected_correct": float(row["expected_correct"]),
                  "gold_answers": int(row["gold_answers"]), "gold_correct": int(row["gold_correct"]),
                  "separation": _float_or_none(row["separation"]),
                  "independence_p": _float_or_none(row["independence_p"]), "run_label": row["run_label"],
                  "run_length": int(row["run_length"]), "run_disagreements": int(row["run_disagreements"]),
                  "median_seconds": _float_or_none(row["median_seconds"]), "confusion": row["confusion"],
                  "updated_at": now}
        score = existing.get(int(worker_id))
        if score is None:
            score = existing[int(worker_id)] = WorkerScore(batch_id=snapshot.batch_id, worker_id=int(worker_id))
            db.add(score)
        for name, value in values.items():
            setattr(score, name, value)
    db.flush()
    return existing


def _pooled_counts(db: Session, batch: Batch, settings: QualitySettings, evidence: pd.DataFrame) -> pd.DataFrame:
    """This batch's workers' counts summed over the requester's batches feeding the same type."""
    batch_ids = [batch.id]
    if settings.qualification_type_id is not None:
        batch_ids = [b.id for b in db.scalars(select(Batch).where(
            Batch.requester_id == batch.requester_id, Batch.marketplace == batch.marketplace))
            if (b.quality or {}).get("qualification_type_id") == settings.qualification_type_id]
    rows = db.execute(select(WorkerScore.worker_id, WorkerScore.n_answers, WorkerScore.expected_correct,
                             WorkerScore.gold_answers, WorkerScore.gold_correct)
                      .where(WorkerScore.batch_id.in_(batch_ids),
                             WorkerScore.worker_id.in_([int(w) for w in evidence.index]))).tuples().all()
    frame = pd.DataFrame(rows, columns=["worker", "n_answers", "expected_correct", "gold_answers",
                                        "gold_correct"]).set_index("worker")
    return combine(frame)


def _decision_evidence(evidence: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """This batch's spammer signs beside the pooled gold accuracy."""
    gold = pooled[["gold_answers", "gold_accuracy", "gold_accuracy_low", "gold_accuracy_high"]]
    signs = evidence[["n_answers", "separation", "independence_p", "run_label", "run_length",
                      "run_disagreements", "median_seconds"]]
    return signs.join(gold.reindex(signs.index))


def _feed_type(db: Session, settings: QualitySettings) -> QualificationType | None:
    if settings.qualification_type_id is None:
        return None
    return db.scalars(select(QualificationType).where(
        QualificationType.public_id == settings.qualification_type_id,
        QualificationType.deleted_at.is_(None))).one_or_none()


def _qualifications(db: Session, qtype: QualificationType, worker_ids: list[int]) -> dict[int, Qualification]:
    return {q.worker_id: q for q in db.scalars(select(Qualification).where(
        Qualification.qualification_type_id == qtype.id, Qualification.worker_id.in_(worker_ids)))}


def _feed(db: Session, actor: Actor, settings: QualitySettings, pooled: pd.DataFrame, names: dict[int, str],
          now: datetime) -> None:
    """Write each worker's pooled score (0-100) to the batch's qualification type; revoked
    qualifications stay revoked, and unchanged scores write nothing."""
    qtype = _feed_type(db, settings)
    if qtype is None:
        return
    held = _qualifications(db, qtype, [int(w) for w in pooled.index])
    for worker_id, score in pooled["score"].items():
        qual = held.get(int(worker_id))
        if qual is not None and (qual.status is QualificationStatus.REVOKED or qual.integer_value == score):
            continue
        if qual is None:
            qual = Qualification(qualification_type_id=qtype.id, worker_id=int(worker_id), granted_at=now,
                                 status=QualificationStatus.GRANTED)
            db.add(qual)
        qual.integer_value, qual.updated_at = int(score), now
        record_event(db, actor, "QualificationScoreFed", entity="qualification_type", entity_id=qtype.public_id,
                     now=now, worker=names[int(worker_id)], value=int(score))


def _worker_id(decision: Decision) -> int:
    """The decisions of the quality rules name workers by the aggregation frame's worker ids."""
    return int(decision.worker)  # type: ignore[call-overload]  # Hashable in quality/, an int here


def _apply_decisions(db: Session, actor: Actor, batch: Batch, settings: QualitySettings,
                     rows: dict[int, WorkerScore], pooled: pd.DataFrame, decisions: list[Decision],
                     names: dict[int, str], now: datetime) -> None:
    qtype = _feed_type(db, settings)
    held = _qualifications(db, qtype, [_worker_id(d) for d in decisions]) if qtype is not None else {}
    for decision in decisions:
        row = rows[_worker_id(decision)]
        if row.decision is not None:
            continue  # applied at an earlier run; the requester may have overruled it since
        reason = f"LabelHub quality rule on batch {batch.public_id}: {decision.reason}"[:MAX_REASON]
        row.decision = {"action": decision.action, "reason": decision.reason, "at": now.isoformat()}
        worker = names[_worker_id(decision)]
        if decision.action == "block":
            if db.scalar(select(WorkerBlock.id).where(
                    WorkerBlock.requester_id == batch.requester_id, WorkerBlock.marketplace == batch.marketplace,
                    WorkerBlock.worker_id == _worker_id(decision))) is None:
                db.add(WorkerBlock(requester_id=batch.requester_id, marketplace=batch.marketplace,
                                   worker_id=_worker_id(decision), reason=reason, created_at=now))
            record_event(db, actor, "WorkerBlocked", entity="worker", entity_id=worker, now=now, reason=reason)
        if qtype is not None:
            _revoke(db, actor, qtype, held.get(_worker_id(decision)), _worker_id(decision),
                    int(pooled.at[decision.worker, "score"]), reason, worker, now)


def _revoke(db: Session, actor: Actor, qtype: QualificationType, qual: Qualification | None, worker_id: int,
            score: int, reason: str, worker: str, now: datetime) -> None:
    if qual is None:
        qual = Qualification(qualification_type_id=qtype.id, worker_id=worker_id, granted_at=now,
                             integer_value=score)
        db.add(qual)
    qual.status, qual.updated_at, qual.reason = QualificationStatus.REVOKED, now, reason
    record_event(db, actor, "QualificationRevoked", entity="qualification_type", entity_id=qtype.public_id,
                 now=now, worker=worker, reason=reason)


def _overlap_frame(hits: list[HIT], confidence: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "answers": [h.submitted_count + h.approved_count for h in hits], "slots": [h.max_assignments for h in hits],
        "open": [h.available_count for h in hits], "pending": [h.pending_count for h in hits],
        "confidence": confidence.reindex([h.id for h in hits]).to_numpy(dtype=float)},
        index=[h.id for h in hits])


def _apply_overlap(db: Session, rt: Runtime, actor: Actor, batch: Batch, policy: OverlapPolicy,
                   confidence: pd.Series, now: datetime) -> tuple[int, int, str | None]:
    """Give HITs below the confidence target one more assignment and take back the open slots of
    HITs above it. Returns (extended, reduced, the problem of those that could not be extended)."""
    live = select(HIT).where(HIT.batch_id == batch.id, HIT.is_gold.is_(False), HIT.expires_at > now,
                             HIT.status != HITStatus.DISPOSED)
    candidates = policy.changes(_overlap_frame(list(db.scalars(live)), confidence))
    candidates = candidates[candidates != 0]
    if candidates.empty:
        return 0, 0, None
    locked = list(db.scalars(live.where(HIT.id.in_([int(i) for i in candidates.index])).order_by(HIT.id)
                             .with_for_update(of=HIT, key_share=True).execution_options(populate_existing=True)))
    changes = policy.changes(_overlap_frame(locked, confidence))
    extended, reduced, refused = 0, 0, []
    for hit in locked:
        change = int(changes[hit.id])
        if change > 0:
            try:
                with db.begin_nested():
                    add_assignments_locked(db, rt, actor, hit, change, now=now)
                extended += 1
            except (InsufficientFundsError, InvalidStateError) as exc:
                refused.append(exc.message)
        elif change < 0:
            remove_open_assignments_locked(db, actor, hit, -change, now=now)
            reduced += 1
    problem = f"{len(refused)} HIT(s) below the confidence target could not get another assignment: " \
              f"{refused[0]}" if refused else None
    return extended, reduced, problem
