"""Export files: what a requester asked for (batch, format, filters), the job that writes it, and the
file it left in the instance folder until ``expires_at``. The job's row (``jobs``) holds the progress;
this row outlives it for as long as the file is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base
from labelhub.models.enums import Marketplace, enum_column


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_requester_page", "requester_id", "marketplace", "id"),
                      Index("ix_exports_expires", "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace] = mapped_column(enum_column(Marketplace))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    format: Mapped[str] = mapped_column(String(20))
    # "consensus" (one record per HIT) or "answers" (one per assignment).
    records: Mapped[str] = mapped_column(String(10))
    # The validated filters and split settings, as labelhub.services.exports.ExportFilters.to_json writes them.
    filters: Mapped[dict]
    # The public id of the job writing the file (its progress; it may be pruned before this row).
    job_id: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
    # Set when the file is written: its name (the download's), type, size and number of records.
    finished_at: Mapped[datetime | None]
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    record_count: Mapped[int | None]
    # The retention sweep deletes the file and this row from then on.
    expires_at: Mapped[datetime]
