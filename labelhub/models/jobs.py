"""Background jobs: one row per piece of work, the durable queue both runners read, and the place
where a long job's progress and outcome are kept for the pages, the REST API and the CLI.

A job with a ``dedup_key`` coalesces: two partial unique indexes let at most one such job wait
(``queued``) and at most one run (``running``) at a time, so "aggregate batch B" asked for by a
thousand submissions is one queued run, and never two at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.db import Base
from labelhub.models.enums import Marketplace, enum_column


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = (JobState.SUCCEEDED, JobState.FAILED)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("uq_jobs_queued_key", "dedup_key", unique=True,
              sqlite_where=text("state = 'queued'"), postgresql_where=text("state = 'queued'")),
        Index("uq_jobs_running_key", "dedup_key", unique=True,
              sqlite_where=text("state = 'running'"), postgresql_where=text("state = 'running'")),
        Index("ix_jobs_state_due", "state", "run_after", "id"),
        Index("ix_jobs_kind_created", "kind", "created_at"),
        Index("ix_jobs_requester", "requester_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)
    # The dotted path of the job function in labelhub.jobs, e.g. "labelhub.jobs.aggregate_batch".
    kind: Mapped[str] = mapped_column(String(100))
    args: Mapped[list]
    dedup_key: Mapped[str | None] = mapped_column(String(120))
    # What the job works on, for people: "batch:BAT..." or "hit:...". Owner, when it is a requester's.
    target: Mapped[str | None] = mapped_column(String(120))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("requesters.id"))
    marketplace: Mapped[Marketplace | None] = mapped_column(enum_column(Marketplace))  # the requester's, with it
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    created_at: Mapped[datetime]
    run_after: Mapped[datetime]
    # When the rq backend last handed the job to Redis (None: not yet, or to be sent again).
    sent_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None]

    @property
    def error_message(self) -> str | None:
        """What went wrong, for people: the last line of the traceback the runner kept."""
        return self.error.strip().splitlines()[-1] if self.error else None
