"""The event log: one row per state change (who, what, when), so any HIT's history can be replayed,
and the UniqueRequestToken memory behind idempotent creates.

The event row is also the outbox: it is written in the transaction of the change it records, and
after that commits a runner hands it to the subscribers of ``labelhub.services.reactions``, then
sets ``dispatched_at``. An event not yet dispatched when a process dies is dispatched by the next.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base
from labelhub.models.enums import Marketplace, enum_column


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_hit", "hit_id", "id"),
        Index("ix_events_entity", "entity", "entity_id", "id"),
        Index("ix_events_undispatched", "id", sqlite_where=text("dispatched_at IS NULL"),
              postgresql_where=text("dispatched_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(30))
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("hits.id"))
    data: Mapped[dict | None]
    dispatched_at: Mapped[datetime | None]


class RequestToken(Base):
    """A UniqueRequestToken seen from a requester, and the id of what the first request created."""

    __tablename__ = "request_tokens"
    __table_args__ = (UniqueConstraint("requester_id", "marketplace", "scope", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    scope: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
