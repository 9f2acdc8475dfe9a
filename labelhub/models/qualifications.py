"""Qualification types, workers' qualifications (scores) and qualification requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labelhub.db import Base
from labelhub.models.accounts import Worker
from labelhub.models.enums import (
    Marketplace,
    QualificationStatus,
    QualificationTypeStatus,
    RequestStatus,
    enum_column,
)


class QualificationType(Base):
    """A requester's qualification type.

    ``active_name`` equals ``name`` until the type is deleted and is NULL after, so the unique
    constraint keeps live names unique per requester while a deleted type's name becomes reusable.
    """

    __tablename__ = "qualification_types"
    __table_args__ = (
        UniqueConstraint("requester_id", "marketplace", "active_name"),
        Index("ix_qualification_types_page", "marketplace", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    name: Mapped[str] = mapped_column(String(200))
    active_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000))
    keywords: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[QualificationTypeStatus] = mapped_column(enum_column(QualificationTypeStatus))
    is_requestable: Mapped[bool] = mapped_column(default=True)
    auto_granted: Mapped[bool] = mapped_column(default=False)
    auto_granted_value: Mapped[int] = mapped_column(default=1)
    test: Mapped[str | None] = mapped_column(Text)
    answer_key: Mapped[dict | None]
    test_duration_seconds: Mapped[int | None]
    retry_delay_seconds: Mapped[int | None]
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class Qualification(Base):
    """A worker's score on a qualification type (Granted or Revoked; a revoked record is kept)."""

    __tablename__ = "qualifications"
    __table_args__ = (
        UniqueConstraint("qualification_type_id", "worker_id"),
        Index("ix_qualifications_type_page", "qualification_type_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_type_id: Mapped[int] = mapped_column(ForeignKey("qualification_types.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    integer_value: Mapped[int]
    status: Mapped[QualificationStatus] = mapped_column(enum_column(QualificationStatus))
    granted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(1024))

    qualification_type: Mapped[QualificationType] = relationship(lazy="joined", innerjoin=True)
    worker: Mapped[Worker] = relationship(lazy="joined", innerjoin=True)


class QualificationRequest(Base):
    """A worker asking for a qualification, with the test answers when the type has a test."""

    __tablename__ = "qualification_requests"
    __table_args__ = (
        Index("ix_qualification_requests_type_page", "qualification_type_id", "status", "id"),
        Index("ix_qualification_requests_worker", "worker_id", "qualification_type_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    qualification_type_id: Mapped[int] = mapped_column(ForeignKey("qualification_types.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus))
    answers: Mapped[dict | None]
    score: Mapped[int | None]
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(1024))

    qualification_type: Mapped[QualificationType] = relationship(lazy="joined", innerjoin=True)
    worker: Mapped[Worker] = relationship(lazy="joined", innerjoin=True)
