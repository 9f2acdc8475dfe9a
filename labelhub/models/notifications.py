"""What requesters attach to HIT types and HITs to act on events: notification settings, webhook
secrets and the delivery outbox; review policies with the results and actions of their runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labelhub.db import Base
from labelhub.models.enums import Marketplace, enum_column


class DeliveryStatus(StrEnum):
    PENDING = "Pending"
    DELIVERED = "Delivered"
    FAILED = "Failed"


class ReviewPolicyLevel(StrEnum):
    ASSIGNMENT = "Assignment"
    HIT = "HIT"


class ReviewActionStatus(StrEnum):
    INTENDED = "Intended"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class NotificationSetting(Base):
    """One HIT type's notification specification: where its events go and which ones."""

    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_type_id: Mapped[int] = mapped_column(ForeignKey("hit_types.id"), unique=True)
    transport: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(1024))
    version: Mapped[str] = mapped_column(String(64))
    event_types: Mapped[list]
    active: Mapped[bool]
    updated_at: Mapped[datetime]


class WebhookSecret(Base):
    """The key a requester's webhook deliveries are signed with (HMAC-SHA256, so it is kept as is)."""

    __tablename__ = "webhook_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class NotificationDelivery(Base):
    """One event on its way to a destination (the outbox): written with the state change it reports,
    sent by a job, retried until ``next_attempt_at`` runs out of attempts. An SNS topic's
    SubscriptionConfirmation belongs to no HIT type."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_doc_id: Mapped[str] = mapped_column(String(40), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"), index=True)
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    hit_type_id: Mapped[int | None] = mapped_column(ForeignKey("hit_types.id"))
    destination: Mapped[str] = mapped_column(String(1024))
    version: Mapped[str] = mapped_column(String(64))
    event: Mapped[dict]
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ReviewPolicy(Base):
    """A review policy given when the HIT was created; ``parameters`` are the validated settings.

    ``reviewed_submissions`` counts the submitted assignments the last HIT-level run saw, so a run
    happens again only when the HIT has new work (after an extension).
    """

    __tablename__ = "review_policies"
    __table_args__ = (UniqueConstraint("hit_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id"))
    level: Mapped[ReviewPolicyLevel] = mapped_column(enum_column(ReviewPolicyLevel))
    name: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict]
    reviewed_submissions: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class ReviewAction(Base):
    """Something a policy run did or means to do: review, approve, reject or extend, and its outcome."""

    __tablename__ = "review_actions"
    __table_args__ = (
        Index("ix_review_actions_hit", "hit_id", "id"),
        Index("ix_review_actions_target", "target_id", "name"),
        Index("ix_review_actions_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id"))
    level: Mapped[ReviewPolicyLevel] = mapped_column(enum_column(ReviewPolicyLevel))
    name: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(30))
    target_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[ReviewActionStatus] = mapped_column(enum_column(ReviewActionStatus))
    result: Mapped[str] = mapped_column(String(1024), default="")
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class ReviewResult(Base):
    """One computed value of a run (a known-answer score, an agreed answer...) about a HIT or an
    assignment; ``action`` is the run's review action."""

    __tablename__ = "review_results"
    __table_args__ = (Index("ix_review_results_hit", "hit_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id"))
    action_id: Mapped[int] = mapped_column(ForeignKey("review_actions.id"), index=True)
    level: Mapped[ReviewPolicyLevel] = mapped_column(enum_column(ReviewPolicyLevel))
    subject_id: Mapped[str] = mapped_column(String(30))
    subject_type: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str | None] = mapped_column(String(256))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime]

    action: Mapped[ReviewAction] = relationship(lazy="joined", innerjoin=True)
