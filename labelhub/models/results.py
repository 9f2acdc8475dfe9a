"""What aggregation stores: the consensus of each HIT and each worker's quality evidence per batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base


class ConsensusLabel(Base):
    """The consensus of one (non-gold) HIT: a label, a list of labels, boxes, spans or a text."""

    __tablename__ = "consensus_labels"
    __table_args__ = (Index("ix_consensus_labels_batch_page", "batch_id", "hit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    value: Mapped[Any] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    answers: Mapped[int]
    updated_at: Mapped[datetime]


class WorkerScore(Base):
    """A worker's evidence in one batch: counts behind the accuracy posterior and the spammer signs.

    Counts add up across batches (``quality.scores.combine``), so a requester-wide accuracy is a sum
    over these rows, never a stored figure that could go stale.
    """

    __tablename__ = "worker_scores"
    __table_args__ = (UniqueConstraint("batch_id", "worker_id"),
                      Index("ix_worker_scores_worker", "worker_id", "batch_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    n_answers: Mapped[int]
    expected_correct: Mapped[float] = mapped_column(Float)
    gold_answers: Mapped[int]
    gold_correct: Mapped[int]
    separation: Mapped[float | None] = mapped_column(Float)
    independence_p: Mapped[float | None] = mapped_column(Float)
    run_label: Mapped[str | None] = mapped_column(String(200))
    run_length: Mapped[int]
    run_disagreements: Mapped[int]
    median_seconds: Mapped[float | None] = mapped_column(Float)
    # {"classes": [...], "matrix": [[...]]}: rows = the answer given, columns = the true label.
    confusion: Mapped[dict | None]
    # The quality rules' verdict at the last aggregation: {"action": ..., "reason": ...} or None.
    decision: Mapped[dict | None]
    updated_at: Mapped[datetime]


class AnswerFlag(Base):
    """The LLM-answer flag of one submitted text answer: probability, band and reasons in plain words."""

    __tablename__ = "answer_flags"
    __table_args__ = (Index("ix_answer_flags_batch_band", "batch_id", "band", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list]
    # Every piece of evidence: [{"family", "log_odds", "reason"}], for audits of a flag.
    evidence: Mapped[list]
    # What the batch's setting did about it: "held for review", "rejected"; None: nothing.
    action: Mapped[str | None] = mapped_column(String(32))
    scored_at: Mapped[datetime]
