"""Submissions racing the aggregation of their batch on real parallel connections: submit locks one HIT
and never the batch, the aggregation locks the batch then HITs (dynamic overlap changes them), so the
two cannot deadlock, and no submission waits on a shared batch row. Meaningful on PostgreSQL (row
locks, deadlock detection); on SQLite the write lock serialises everything and the test still holds."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from labelhub.models import Assignment, AssignmentStatus, Event
from labelhub.queueing import EmbeddedBackend
from labelhub.runtime import Runtime
from labelhub.services import consensus
from labelhub.services.batch_quality import QualitySettings
from tests.crowd import make_crowd

WORKERS = 8


def test_submissions_racing_the_aggregation_job_never_deadlock_or_fail(runtime, factory, engine):
    # Nothing runs inline: the test itself plays the aggregation job, as often as it can.
    quiet = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(),
                    clock=runtime.clock, random=lambda: 0.99)
    quality = QualitySettings.parse({"method": "MajorityVote", "overlap": {
        "min_assignments": 2, "max_assignments": 4, "confidence_target": 0.9}})
    crowd = make_crowd(quiet, factory, items=30, gold=0, quality=quality)
    handles = [factory.worker() for _ in range(WORKERS)]
    errors: list[BaseException] = []
    submitting = threading.Event()
    runs = 0

    def work(index: int) -> None:
        try:
            crowd.work(handles[index], 0.7)
        except BaseException as exc:  # recorded: the test shows every failure
            errors.append(exc)

    def aggregate() -> None:
        nonlocal runs
        try:
            while submitting.is_set():
                consensus.aggregate_batch(quiet, crowd.batch_id, force=True)
                runs += 1
        except BaseException as exc:
            errors.append(exc)

    submitting.set()
    aggregator = threading.Thread(target=aggregate, daemon=True)
    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(WORKERS)]
    aggregator.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=240)
    submitting.clear()
    aggregator.join(timeout=120)
    engine.dispose()

    assert errors == [], "\n\n".join(f"{e}" for e in errors)
    assert runs >= 2
    with quiet.sessions() as db:
        submitted = db.scalar(select(func.count()).where(Assignment.status == AssignmentStatus.SUBMITTED))
        events = db.scalar(select(func.count()).where(Event.action == "AssignmentSubmitted"))
    assert submitted == events == sum(crowd.answered.values()) >= 60
    final = consensus.aggregate_batch(quiet, crowd.batch_id, force=True)
    assert final.ran and final.answers == submitted
