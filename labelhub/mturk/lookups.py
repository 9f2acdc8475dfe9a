"""A read-only lookup the services do not offer yet: workers' public ids.

Assignments, qualifications and qualification requests come back from the services with the
worker's internal id only, and MTurk's shapes need the public WorkerId. This one read maps them
until those models get a ``worker`` relationship (then this module goes away).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from labelhub.models import Worker
from labelhub.runtime import Runtime


def worker_public_ids(rt: Runtime, worker_ids: Iterable[int]) -> dict[int, str]:
    wanted = set(worker_ids)
    if not wanted:
        return {}
    with rt.sessions() as db:
        rows = db.execute(select(Worker.id, Worker.public_id).where(Worker.id.in_(wanted))).tuples()
        return dict(rows.all())
