"""Batches, HIT types, HITs and assignments, with their state machines.

Counters on the HIT (pending, submitted, approved, rejected) are kept by the assignment transitions
below, under the HIT's row lock, so "available" slots can be read and indexed without counting rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labelhub.db import Base
from labelhub.errors import InvalidStateError
from labelhub.models.accounts import Worker
from labelhub.models.enums import (
    AssignmentStatus,
    Comparator,
    GuardedAction,
    HITStatus,
    Marketplace,
    enum_column,
)


class BatchState(StrEnum):
    """``building``: a large batch's HITs are being written in chunks by its job, stored Disposed so no
    one sees them (labelhub.services.batch_builds); ``ready``: every HIT is there; ``failed``: the build
    failed and its HITs are being removed, then the batch itself."""

    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class Batch(Base):
    """A requester's group of HITs made from one template and one data file."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_requester_page", "requester_id", "marketplace", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    name: Mapped[str] = mapped_column(String(200))
    template_kind: Mapped[str] = mapped_column(String(50))
    template: Mapped[dict]
    hit_type_id: Mapped[int] = mapped_column(ForeignKey("hit_types.id"))
    created_at: Mapped[datetime]
    state: Mapped[BatchState] = mapped_column(enum_column(BatchState), default=BatchState.READY,
                                              server_default=BatchState.READY.value)
    # The requester's consensus and quality settings (labelhub.services.batch_quality.QualitySettings).
    quality: Mapped[dict | None]
    # A digest of what the last aggregation read (answers, weights, gold, settings): a run that
    # finds the same digest has nothing to do. None: aggregate on the next run whatever it finds.
    aggregated_fingerprint: Mapped[str | None] = mapped_column(String(64))
    aggregated_at: Mapped[datetime | None]
    aggregation_method: Mapped[str | None] = mapped_column(String(64))
    aggregation_reason: Mapped[str | None] = mapped_column(String(1024))
    aggregation_error: Mapped[str | None] = mapped_column(String(1024))
    agreement: Mapped[float | None] = mapped_column(Float)
    # Paused by its requester: its HITs (``HIT.paused``) serve no new assignments until resumed.
    paused_at: Mapped[datetime | None]

    hits: Mapped[list[HIT]] = relationship(back_populates="batch", lazy="raise")


class BatchBuild(Base):
    """What the job building a large batch reads: the rows, the settings of their HITs, how many rows
    are HITs already, and why the build failed. Deleted when the batch is ready (or removed)."""

    __tablename__ = "batch_builds"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    rows: Mapped[list]
    max_assignments: Mapped[int]
    gold_assignments: Mapped[int]
    lifetime_seconds: Mapped[int]
    answer_schema: Mapped[dict | None]
    rows_written: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class HITType(Base):
    """Title, reward, durations and qualification requirements shared by many HITs.

    ``fingerprint`` hashes every property, so creating an identical type returns the existing one.
    """

    __tablename__ = "hit_types"
    __table_args__ = (UniqueConstraint("requester_id", "marketplace", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"), index=True)
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(2000))
    keywords: Mapped[str] = mapped_column(String(1000), default="")
    reward_micros: Mapped[int] = mapped_column(BigInteger)
    assignment_duration_seconds: Mapped[int]
    auto_approval_delay_seconds: Mapped[int]
    created_at: Mapped[datetime]

    requirements: Mapped[list[QualificationRequirement]] = relationship(
        back_populates="hit_type", order_by="QualificationRequirement.position",
        cascade="all, delete-orphan", lazy="selectin")


class QualificationRequirement(Base):
    """One ANDed condition on a worker's qualification, and the actions it guards.

    ``qualification_type_id`` is the public id (custom types and the system types alike), so
    requirements on system types such as Worker_Locale need no row of their own.
    """

    __tablename__ = "qualification_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_type_id: Mapped[int] = mapped_column(ForeignKey("hit_types.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    qualification_type_id: Mapped[str] = mapped_column(String(30), index=True)
    comparator: Mapped[Comparator] = mapped_column(enum_column(Comparator))
    integer_values: Mapped[list | None]
    locale_values: Mapped[list | None]
    actions_guarded: Mapped[GuardedAction] = mapped_column(enum_column(GuardedAction))

    hit_type: Mapped[HITType] = relationship(back_populates="requirements")


class HIT(Base):
    __tablename__ = "hits"
    __table_args__ = (
        Index("ix_hits_requester_page", "requester_id", "marketplace", "id"),
        Index("ix_hits_discovery", "marketplace", "status", "expires_at"),
        Index("ix_hits_hit_type", "hit_type_id", "id"),
        Index("ix_hits_batch", "batch_id", "id"),
        Index("ix_hits_batch_gold", "batch_id", "is_gold"),
        # The requester's HITs made without a batch, by HIT type (the batches page groups them so).
        Index("ix_hits_batchless_type", "hit_type_id", "id", postgresql_where=text("batch_id IS NULL"),
              sqlite_where=text("batch_id IS NULL")),
        Index("ix_hits_batch_status", "batch_id", "status", "id"),  # the batch page's HITs filtered by status
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    hit_type_id: Mapped[int] = mapped_column(ForeignKey("hit_types.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    question: Mapped[str] = mapped_column(Text)
    data: Mapped[dict | None]
    answer_schema: Mapped[dict | None]
    requester_annotation: Mapped[str | None] = mapped_column(String(255))
    max_assignments: Mapped[int]
    fee_per_assignment_micros: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[HITStatus] = mapped_column(enum_column(HITStatus))
    review_status: Mapped[str] = mapped_column(String(32), default="NotReviewed")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    disposed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    # A gold (control) HIT has a known answer: it is mixed into workers' streams, never listed, and
    # scores workers instead of getting a consensus.
    is_gold: Mapped[bool] = mapped_column(default=False)
    # Its batch is paused: not listed, not accepted (kept on the HIT so the marketplace filters one column).
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    gold_answer: Mapped[dict | None]
    # The requester's corrected label ("fix and accept"): it wins over the consensus in exports and
    # counts as a known answer in worker accuracy, over the gold answer too (labelhub.services.label_fixes).
    reviewed_answer: Mapped[dict | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("requesters.id"))
    pending_count: Mapped[int] = mapped_column(default=0)
    submitted_count: Mapped[int] = mapped_column(default=0)
    approved_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)

    hit_type: Mapped[HITType] = relationship(lazy="joined", innerjoin=True)
    batch: Mapped[Batch | None] = relationship(back_populates="hits")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="hit", lazy="raise")

    @property
    def available_count(self) -> int:
        return self.max_assignments - self.pending_count - self.submitted_count - self.approved_count \
            - self.rejected_count

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def liable_slots(self, now: datetime) -> int:
        """Slots the requester may still have to pay for: funds held for this HIT cover exactly these."""
        if self.status is HITStatus.DISPOSED:
            return 0
        if self.is_expired(now):
            return self.pending_count + self.submitted_count
        return self.max_assignments - self.approved_count - self.rejected_count

    def derived_status(self, now: datetime) -> HITStatus:
        """The status the counters and the clock call for; Reviewing and Disposed are sticky."""
        if self.status is HITStatus.DISPOSED:
            return HITStatus.DISPOSED
        open_for_work = self.available_count > 0 and not self.is_expired(now)
        if open_for_work:
            return HITStatus.ASSIGNABLE
        if self.pending_count > 0:
            return HITStatus.UNASSIGNABLE
        if self.status is HITStatus.REVIEWING:
            return HITStatus.REVIEWING
        return HITStatus.REVIEWABLE

    def check_accepting(self, now: datetime) -> None:
        if self.status is HITStatus.DISPOSED:
            raise InvalidStateError("This HIT has been deleted", entity="hit")
        if self.is_expired(now):
            raise InvalidStateError("This HIT has expired and can no longer be accepted", entity="hit")
        if self.available_count <= 0:
            raise InvalidStateError("There are no more assignments available for this HIT", entity="hit")
        if self.paused:
            raise InvalidStateError("This HIT's batch is paused by its requester: it takes no new workers for now",
                                    entity="hit")


class Assignment(Base):
    """One worker's claim on one HIT: Accepted -> Submitted -> Approved/Rejected, or Returned/Abandoned."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("hit_id", "worker_id"),
        Index("ix_assignments_hit_page", "hit_id", "status", "id"),
        Index("ix_assignments_worker_page", "worker_id", "status", "id"),
        Index("ix_assignments_deadline", "status", "deadline"),
        Index("ix_assignments_auto_approval", "status", "auto_approval_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    status: Mapped[AssignmentStatus] = mapped_column(enum_column(AssignmentStatus))
    accepted_at: Mapped[datetime]
    deadline: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    auto_approval_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    answer: Mapped[dict | None]
    signals: Mapped[dict | None]
    requester_feedback: Mapped[str | None] = mapped_column(String(1024))

    hit: Mapped[HIT] = relationship(back_populates="assignments", lazy="joined", innerjoin=True)
    worker: Mapped[Worker] = relationship(lazy="joined", innerjoin=True)

    @classmethod
    def accept(cls, hit: HIT, worker: Worker, public_id: str, *, now: datetime) -> Assignment:
        hit.check_accepting(now)
        hit.pending_count += 1
        duration = timedelta(seconds=hit.hit_type.assignment_duration_seconds)
        return cls(public_id=public_id, hit=hit, worker=worker, status=AssignmentStatus.ACCEPTED,
                   accepted_at=now, deadline=now + duration)

    def _require(self, *allowed: AssignmentStatus) -> None:
        if self.status not in allowed:
            names = ", ".join(s.value for s in allowed)
            raise InvalidStateError(
                f"This operation can be called with a status of: {names}; the assignment is {self.status.value}",
                entity="assignment", status=self.status.value, allowed=names)

    def submit(self, answer: dict, signals: dict | None, *, now: datetime) -> None:
        """Accepted -> Submitted, only before the deadline."""
        self._require(AssignmentStatus.ACCEPTED)
        if now > self.deadline:
            raise InvalidStateError("The time allotted for this assignment has passed", entity="assignment")
        delay = timedelta(seconds=self.hit.hit_type.auto_approval_delay_seconds)
        self.status, self.answer, self.signals = AssignmentStatus.SUBMITTED, answer, signals
        self.submitted_at, self.auto_approval_at = now, now + delay
        self.hit.pending_count -= 1
        self.hit.submitted_count += 1

    def give_up(self, outcome: AssignmentStatus, *, now: datetime) -> None:
        """Accepted -> Returned (by the worker) or Abandoned (deadline passed): the slot opens again."""
        self._require(AssignmentStatus.ACCEPTED)
        self.status, self.ended_at = outcome, now
        self.hit.pending_count -= 1

    def approve(self, feedback: str | None, *, now: datetime, override_rejection_until: datetime | None) -> None:
        """Submitted -> Approved; Rejected -> Approved only while the override window is open."""
        if self.status is AssignmentStatus.REJECTED and override_rejection_until is not None:
            if now > override_rejection_until:
                raise InvalidStateError(
                    f"This rejection could only be overridden until {override_rejection_until.isoformat()}",
                    entity="assignment")
            self.hit.rejected_count -= 1
            self.rejected_at = None
        else:
            self._require(AssignmentStatus.SUBMITTED)
            self.hit.submitted_count -= 1
        self.status, self.approved_at = AssignmentStatus.APPROVED, now
        self.hit.approved_count += 1
        if feedback is not None:
            self.requester_feedback = feedback

    def reject(self, feedback: str, *, now: datetime) -> None:
        self._require(AssignmentStatus.SUBMITTED)
        self.status, self.rejected_at, self.requester_feedback = AssignmentStatus.REJECTED, now, feedback
        self.hit.submitted_count -= 1
        self.hit.rejected_count += 1
