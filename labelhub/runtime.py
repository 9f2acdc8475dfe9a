"""Runtime: the per-process wiring (engine, sessions, enqueuer, clock) every service receives."""

from __future__ import annotations

import logging
import os
import secrets
from random import SystemRandom
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from redis import Redis
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from labelhub.db import make_engine, make_sessionmaker, utcnow
from labelhub.queueing import Enqueuer, InlineEnqueuer, RqEnqueuer
from labelhub.settings import Settings

log = logging.getLogger(__name__)
AFTER_COMMIT_JOBS = "labelhub.after_commit_jobs"


def enqueue_after_commit(db: Session, func: str, *args: int | str, job_id: str) -> None:
    """Enqueue ``func(*args)`` once ``db``'s transaction has committed; nothing if it rolls back."""
    db.info.setdefault(AFTER_COMMIT_JOBS, []).append((func, args, job_id))


def _forget_jobs(db: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the unit of work ended (a commit has already sent its jobs)
        db.info.pop(AFTER_COMMIT_JOBS, None)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    enqueue: Enqueuer
    clock: Callable[[], datetime] = utcnow
    redis: Redis | None = None
    # Uniform draws in [0, 1) for decisions workers must not predict (when a gold HIT comes).
    random: Callable[[], float] = SystemRandom().random
    _sessions: sessionmaker = field(init=False, repr=False)
    _pid: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sessions = make_sessionmaker(self.engine)
        event.listen(self._sessions, "after_commit", self._enqueue_committed_jobs)
        event.listen(self._sessions, "after_transaction_end", _forget_jobs)
        self._pid = os.getpid()

    def _enqueue_committed_jobs(self, db: Session) -> None:
        if db.in_nested_transaction():  # a savepoint was released; the work is not committed yet
            return
        for func, args, job_id in db.info.pop(AFTER_COMMIT_JOBS, ()):
            try:
                self.enqueue(func, *args, job_id=job_id)
            except Exception:
                # The change is committed either way; the periodic sweeps find work whose job was lost.
                log.exception("could not enqueue %s (job %s); the sweeps will pick it up", func, job_id)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        url = settings.database.url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url, echo=settings.database.echo)
        redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
        enqueue: Enqueuer = RqEnqueuer(redis, queue=settings.redis.queue) if redis else InlineEnqueuer()
        return cls(settings=settings, engine=engine, enqueue=enqueue, redis=redis)

    @property
    def sessions(self) -> sessionmaker:
        """The session factory, safe after fork: rq's work horse never reuses the parent's connections."""
        if self._pid != os.getpid():
            self.engine.dispose(close=False)
            self._pid = os.getpid()
        return self._sessions

    def secret_key(self) -> str:
        """The configured key, or one generated once and kept in the instance folder."""
        if self.settings.web.secret_key:
            return self.settings.web.secret_key
        path = Path(self.settings.storage.instance_path) / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()
