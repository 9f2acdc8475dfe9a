"""Requester-to-worker relations: blocks and the worker's inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base
from labelhub.models.enums import Marketplace, enum_column


class WorkerBlock(Base):
    __tablename__ = "worker_blocks"
    __table_args__ = (UniqueConstraint("requester_id", "marketplace", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime]


class WorkerMessage(Base):
    __tablename__ = "worker_messages"
    __table_args__ = (Index("ix_worker_messages_inbox", "worker_id", "marketplace", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
