"""The double-entry ledger (integer micro-units) and bonuses.

Every transaction's entries sum to zero; every balance is a sum of entries, never a stored column.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labelhub.db import Base
from labelhub.models.accounts import Worker
from labelhub.models.enums import Marketplace, enum_column
from labelhub.models.hits import Assignment


class LedgerAccount(Base):
    """An account: ``owner`` is e.g. 'requester:12', 'worker:7', 'platform' or 'outside';
    ``purpose`` is 'available', 'on_hold', 'earnings', 'fees' or 'deposits'."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("marketplace", "owner", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    owner: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(20))


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="transaction", lazy="raise")


class LedgerEntry(Base):
    """One line of a transaction. ``hit_id`` tags holds so the funds held for a HIT can be summed."""

    __tablename__ = "ledger_entries"
    # ix_ledger_entries_hit: deleting a HIT (a failed batch build's) checks this foreign key by it.
    __table_args__ = (Index("ix_ledger_entries_account_hit", "account_id", "hit_id"),
                      Index("ix_ledger_entries_hit", "hit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("hits.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")


class Bonus(Base):
    __tablename__ = "bonuses"
    __table_args__ = (
        Index("ix_bonuses_requester_page", "requester_id", "marketplace", "id"),
        Index("ix_bonuses_assignment", "assignment_id", "id"),
        Index("ix_bonuses_worker_page", "worker_id", "marketplace", "id"),  # the worker's dashboard
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    fee_micros: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(4096))
    created_at: Mapped[datetime]

    worker: Mapped[Worker] = relationship(lazy="joined", innerjoin=True)
    assignment: Mapped[Assignment] = relationship(lazy="joined", innerjoin=True)
