"""Jobs for tests only: they record what happened to them in files, so another process can tell."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from labelhub import jobs
from labelhub.services import job_queue


def connection_opened_at() -> float:
    """Epoch seconds at which PostgreSQL started the backend serving this job's session."""
    with jobs.worker_runtime().sessions() as db:
        return float(db.scalar(text(
            "SELECT extract(epoch FROM backend_start) FROM pg_stat_activity WHERE pid = pg_backend_pid()")))


def slow_append(path: str, seconds: str) -> dict[str, int]:
    """Append 'started', wait ``seconds`` reporting progress, then append 'done' once: the 'done'
    lines count how often the job completed."""
    log = Path(path)
    with log.open("a") as out:
        out.write("started\n")
    Path(f"{path}.pid").write_text(str(os.getpid()))
    steps = max(1, int(float(seconds) * 10))
    for step in range(steps):
        time.sleep(0.1)
        job_queue.report_progress(jobs.worker_runtime(), step + 1, steps, force=step + 1 == steps)
    with log.open("a") as out:
        out.write("done\n")
    return {"steps": steps}


def always_fails(message: str) -> None:
    raise RuntimeError(message)
