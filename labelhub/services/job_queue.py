"""The jobs table as a queue: submit inside a unit of work, claim, run's bookkeeping, progress.

Every background job is a row (``labelhub.models.Job``) written in the transaction that asks for
it, so it exists exactly when that transaction commits. Runners (``labelhub.jobs.runner``: threads
in the serving process, ``labelhub jobs worker``, or rq work horses) claim rows, run them and record
the outcome here. A job is claimed under a row lock that other claimers skip (PostgreSQL's
``FOR UPDATE SKIP LOCKED``; SQLite's single write lock, taken by every BEGIN here), so several
processes on one database never run the same row twice at once; a dedup key adds "never two runs
of the same work at once" (a unique index over running rows).

A runner killed mid-job stops sending heartbeats; ``recover_stale`` queues such a job again, and jobs
are idempotent, so its effect happens once.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from labelhub import ids
from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import FINISHED, Job, JobState, Marketplace
from labelhub.runtime import SUBMITTED_JOBS, Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import Page, paginate

log = logging.getLogger(__name__)

RETRY_DELAYS = (10, 60, 300)  # seconds before the 2nd, 3rd and 4th attempt
MAX_ERROR = 4000
PROGRESS_EVERY = 0.5  # seconds between progress writes of one job
_current = contextvars.ContextVar[str | None]("labelhub_current_job", default=None)


def runner_name(role: str) -> str:
    """Who claims: host, process and thread, so a stale claim can be traced to its runner."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}:{role}"[:120]


def submit(db: Session, kind: str, *args: int | str, key: str | None = None, target: str | None = None,
           owner: tuple[int, Marketplace] | None = None, now: datetime, delay: timedelta = timedelta(),
           attempts: int = len(RETRY_DELAYS) + 1) -> str | None:
    """Queue ``kind(*args)`` in the caller's unit of work; it can run once that commits. Returns the
    new job's public id.

    ``owner`` (a requester's id and marketplace) makes the job theirs: listed on their job pages and by
    the REST API in that marketplace. With ``key``, a job already waiting under that key stands for this
    one (coalescing): nothing is added and None is returned. The insert never waits on a running job,
    and only on another waiting one while the transaction that queued it is still open. ``attempts=1``
    is for a job that undoes its own work when it fails (a retry would find nothing to do); a job whose
    runner died is still run again.
    """
    requester_id, marketplace = owner or (None, None)
    values = {"public_id": ids.new_id(), "kind": kind, "args": list(args), "dedup_key": key,
              "target": target, "requester_id": requester_id, "marketplace": marketplace,
              "state": JobState.QUEUED, "attempts": 0,
              "max_attempts": attempts, "progress_done": 0, "created_at": now,
              "run_after": now + delay}
    if key is None:
        db.execute(insert(Job).values(values))
    else:
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        inserted = db.execute(dialect.insert(Job).values(values).on_conflict_do_nothing(
            index_elements=["dedup_key"], index_where=text("state = 'queued'")).returning(Job.id)).first()
        if inserted is None:
            return None  # the waiting run stands for this one: nothing new to hand to a runner
    db.info.setdefault(SUBMITTED_JOBS, []).append(values["public_id"])
    return str(values["public_id"])


@dataclass(frozen=True)
class Claimed:
    """A job a runner now holds: run ``kind(*args)``, then call ``succeed`` or ``fail``."""

    public_id: str
    kind: str
    args: tuple[Any, ...]
    attempt: int


def claim_next(rt: Runtime, *, claimer: str) -> Claimed | None:
    """Take the oldest due job whose dedup key has no run in progress; None when there is none."""
    now = rt.clock()
    other = aliased(Job)
    busy = exists().where(other.dedup_key == Job.dedup_key, other.state == JobState.RUNNING)
    for _ in range(3):
        try:
            with rt.sessions.begin() as db:
                job = db.scalars(select(Job).where(Job.state == JobState.QUEUED, Job.run_after <= now,
                                                   ~and_(Job.dedup_key.is_not(None), busy))
                                 .order_by(Job.run_after, Job.id).limit(1)
                                 .with_for_update(skip_locked=True)).one_or_none()
                if job is None:
                    return None
                return _start(db, job, claimer=claimer, now=now)
        except IntegrityError:
            continue  # another runner started this key's run between our read and our write
    return None


def claim(rt: Runtime, public_id: str, *, claimer: str) -> Claimed | None:
    """Take one given job (the rq backend's work horse); None if it is not waiting and due, or its
    key is running elsewhere (then it is left for the forwarder to send again).

    It waits for a row another transaction holds (the forwarder marking it sent, say) rather than
    skipping it: skipped, the job would be lost to this work horse while the forwarder's copy of the
    same rq job id is dropped as a duplicate, leaving the row to wait for stale recovery."""
    now = rt.clock()
    try:
        with rt.sessions.begin() as db:
            job = db.scalars(select(Job).where(Job.public_id == public_id).with_for_update()).one_or_none()
            if job is None or job.state != JobState.QUEUED or job.run_after > now:
                return None
            return _start(db, job, claimer=claimer, now=now)
    except IntegrityError:
        with rt.sessions.begin() as db:
            db.execute(update(Job).where(Job.public_id == public_id, Job.state == JobState.QUEUED)
                       .values(sent_at=None))
        return None


def _start(db: Session, job: Job, *, claimer: str, now: datetime) -> Claimed:
    job.state, job.claimed_by = JobState.RUNNING, claimer
    job.started_at = job.heartbeat_at = now
    job.attempts += 1
    job.error = None
    db.flush()  # the running-key index refuses a second run of the same work here
    return Claimed(job.public_id, job.kind, tuple(job.args), job.attempts)


def succeed(rt: Runtime, public_id: str, result: dict[str, Any] | None = None) -> None:
    with rt.sessions.begin() as db:
        db.execute(update(Job).where(Job.public_id == public_id, Job.state == JobState.RUNNING).values(
            state=JobState.SUCCEEDED, finished_at=rt.clock(), result=result))


def fail(rt: Runtime, public_id: str, error: str) -> bool:
    """Record a failed attempt: queue the job again after a delay, or fail it for good after its last
    attempt (or when a newer run of the same work is already waiting). Returns True if it will retry."""
    now = rt.clock()
    with rt.sessions.begin() as db:
        job = db.scalars(select(Job).where(Job.public_id == public_id).with_for_update()).one_or_none()
        if job is None or job.state != JobState.RUNNING:
            return False
        job.error = error[-MAX_ERROR:]
        if job.attempts < job.max_attempts:
            return _requeue(db, job, run_after=now + timedelta(seconds=RETRY_DELAYS[job.attempts - 1]), now=now)
        job.state, job.finished_at = JobState.FAILED, now
        return False


def _requeue(db: Session, job: Job, *, run_after: datetime, now: datetime) -> bool:
    """Make a running job wait again from ``run_after``; if the same work (its key) is already waiting,
    that run stands for this one and this one is failed. Returns True if it waits again."""
    try:
        with db.begin_nested():
            job.state, job.run_after, job.sent_at, job.claimed_by = JobState.QUEUED, run_after, None, None
        return True
    except IntegrityError:
        job.state, job.finished_at = JobState.FAILED, now
        return False


def recover_stale(rt: Runtime) -> int:
    """Running jobs whose runner stopped reporting (killed, say) wait again; queued jobs handed to
    Redis long ago without being run are handed again. Returns how many running jobs it took back."""
    now = rt.clock()
    cutoff = now - timedelta(seconds=rt.settings.jobs.stale_after_seconds)
    taken = 0
    with rt.sessions() as db:
        stale = list(db.scalars(select(Job.public_id).where(Job.state == JobState.RUNNING,
                                                            Job.heartbeat_at < cutoff).limit(100)))
    for public_id in stale:
        with rt.sessions.begin() as db:
            job = db.scalars(select(Job).where(Job.public_id == public_id, Job.state == JobState.RUNNING,
                                               Job.heartbeat_at < cutoff).with_for_update(skip_locked=True)
                             ).one_or_none()
            if job is None:
                continue
            log.warning("job %s (%s) stopped reporting on %s; queued again", job.public_id, job.kind,
                        job.claimed_by)
            job.error = f"its runner {job.claimed_by} stopped reporting at {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
            _requeue(db, job, run_after=now, now=now)
            taken += 1
    with rt.sessions.begin() as db:
        db.execute(update(Job).where(Job.state == JobState.QUEUED, Job.sent_at < cutoff).values(sent_at=None))
    return taken


def take_for_sending(rt: Runtime, *, limit: int = 200) -> list[str]:
    """Due jobs not yet handed to Redis, marked as handed (the rq backend's forwarder)."""
    now = rt.clock()
    with rt.sessions.begin() as db:
        found = list(db.scalars(select(Job).where(Job.state == JobState.QUEUED, Job.sent_at.is_(None),
                                                  Job.run_after <= now)
                                .order_by(Job.id).limit(limit).with_for_update(skip_locked=True)))
        for job in found:
            job.sent_at = now
        return [job.public_id for job in found]


def heartbeat(rt: Runtime, public_ids: Sequence[str]) -> None:
    if public_ids:
        with rt.sessions.begin() as db:
            db.execute(update(Job).where(Job.public_id.in_(public_ids), Job.state == JobState.RUNNING)
                       .values(heartbeat_at=rt.clock()))


_last_report: dict[str, float] = {}


@contextmanager
def running(public_id: str) -> Iterator[None]:
    """The job being run in this thread, while the block runs: ``report_progress`` writes to its row."""
    token = _current.set(public_id)
    try:
        yield
    finally:
        _current.reset(token)
        _last_report.pop(public_id, None)


def report_progress(rt: Runtime, done: int, total: int | None = None, *, force: bool = False) -> None:
    """Write the running job's progress (at most every half second unless ``force``); a no-op when no
    job is running in this thread, so a service can report whether it runs as a job or not."""
    public_id = _current.get()
    if public_id is None:
        return
    clock = time.monotonic()
    if not force and clock - _last_report.get(public_id, 0.0) < PROGRESS_EVERY:
        return
    _last_report[public_id] = clock
    with rt.sessions.begin() as db:
        db.execute(update(Job).where(Job.public_id == public_id).values(
            progress_done=done, progress_total=total, heartbeat_at=rt.clock()))


def due_sweep(rt: Runtime, kind: str, *, interval: timedelta) -> bool:
    """Queue the sweep ``kind`` unless one was queued within ``interval`` (by any process). Returns
    True if it queued one."""
    now = rt.clock()
    with rt.sessions.begin() as db:
        if db.scalar(select(Job.id).where(Job.kind == kind, Job.created_at > now - interval).limit(1)):
            return False
        submit(db, kind, key=_sweep_key(kind), now=now)
        return True


def queue_sweep(rt: Runtime, kind: str) -> None:
    """Queue the sweep ``kind`` now, whenever it last ran (``labelhub jobs worker --burst``)."""
    with rt.sessions.begin() as db:
        submit(db, kind, key=_sweep_key(kind), now=rt.clock())


def _sweep_key(kind: str) -> str:
    return f"sweep:{kind.rsplit('.', 1)[-1]}"


def prune_finished(rt: Runtime) -> int:
    """Delete finished jobs older than ``[jobs] keep_finished_days``. Returns how many."""
    cutoff = rt.clock() - timedelta(days=rt.settings.jobs.keep_finished_days)
    with rt.sessions.begin() as db:
        return db.execute(delete(Job).where(Job.state.in_(FINISHED), Job.finished_at < cutoff)).rowcount


def pending_keys(db: Session, keys: Sequence[str]) -> set[str]:
    """Which of these dedup keys have a run waiting or in progress."""
    if not keys:
        return set()
    return set(db.scalars(select(Job.dedup_key).where(
        Job.dedup_key.in_(keys), Job.state.in_((JobState.QUEUED, JobState.RUNNING)))))


# --- reading jobs -----------------------------------------------------------------------------------

STATES = tuple(state.value for state in JobState)


def get_job(rt: Runtime, actor: Actor, public_id: str) -> Job:
    """One of the requester's jobs. Raises NotFoundError (also for another requester's job)."""
    require_requester(actor)
    with rt.sessions() as db:
        job = db.scalars(select(Job).where(Job.public_id == public_id)).one_or_none()
    if job is None or job.requester_id != actor.id or job.marketplace != actor.marketplace:
        raise NotFoundError(f"Job {public_id} does not exist", entity="job")
    return job


def list_jobs(rt: Runtime, actor: Actor | None, *, state: str | None = None, kind: str | None = None,
              cursor: str | None = None, limit: int = 50, newest_first: bool = False) -> Page[Job]:
    """Jobs newest last, or ``newest_first`` (keyset-paged): a requester's own, or every job for the
    operator (None)."""
    if actor is not None:
        require_requester(actor)
    if state is not None and state not in STATES:
        raise InvalidInputError({"state": f"must be one of: {', '.join(STATES)}"})
    with rt.sessions() as db:
        stmt = select(Job)
        if actor is not None:
            stmt = stmt.where(Job.requester_id == actor.id, Job.marketplace == actor.marketplace)
        if state is not None:
            stmt = stmt.where(Job.state == state)
        if kind:
            stmt = stmt.where(Job.kind.endswith(f".{kind}") | (Job.kind == kind))
        return paginate(db, stmt, Job.id, cursor, limit, newest_first=newest_first)


def count_by_state(rt: Runtime) -> dict[str, int]:
    with rt.sessions() as db:
        return {state: count for state, count in db.execute(
            select(Job.state, func.count()).group_by(Job.state)).tuples()}
