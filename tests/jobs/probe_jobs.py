"""A job for tests only: reports when the database connection a work horse got was opened."""

from __future__ import annotations

from sqlalchemy import text

from labelhub import jobs


def connection_opened_at() -> float:
    """Epoch seconds at which PostgreSQL started the backend serving this job's session."""
    with jobs.worker_runtime().sessions() as db:
        return float(db.scalar(text(
            "SELECT extract(epoch FROM backend_start) FROM pg_stat_activity WHERE pid = pg_backend_pid()")))
