"""Requesters, workers and their credentials (API tokens, MTurk-style access keys)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base


class Requester(Base):
    __tablename__ = "requesters"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # For the requester pages; None until set at sign-up or by `labelhub requester set-password`.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(3))
    adult: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"),
                                                     index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    # The token's first characters, shown in lists so its owner can tell tokens apart (None: made
    # before prefixes were kept).
    prefix: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime]


class AccessKey(Base):
    """An AWS-style key pair for the MTurk-compatible API.

    SigV4 verification needs the secret itself (the server recomputes the client's HMAC), so it is
    stored; it is never logged and never shown again after creation.
    """

    __tablename__ = "access_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_key_id: Mapped[str] = mapped_column(String(20), unique=True)
    secret_access_key: Mapped[str] = mapped_column(String(64))
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
