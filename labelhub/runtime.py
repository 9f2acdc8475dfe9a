"""Runtime: the per-process wiring (engine, sessions, job backend, clock) every service receives."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from random import SystemRandom

from redis import Redis
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from labelhub.db import make_engine, make_sessionmaker, utcnow
from labelhub.queueing import Backend, EmbeddedBackend, RqBackend
from labelhub.settings import Settings

log = logging.getLogger(__name__)
# Session.info keys written by the services: the jobs a unit of work queued, and whether it recorded
# events (the outbox). The runtime tells the job backend about them once the unit of work commits.
SUBMITTED_JOBS = "labelhub.submitted_jobs"
EVENTS_RECORDED = "labelhub.events_recorded"
_COMMITTED_WORK = "labelhub.committed_work"


def _note_committed_work(db: Session) -> None:
    if not db.in_nested_transaction():  # a released savepoint commits nothing yet
        db.info[_COMMITTED_WORK] = (db.info.pop(SUBMITTED_JOBS, []), db.info.pop(EVENTS_RECORDED, False))


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    backend: Backend
    clock: Callable[[], datetime] = utcnow
    redis: Redis | None = None
    # Uniform draws in [0, 1) for decisions workers must not predict (when a gold HIT comes).
    random: Callable[[], float] = SystemRandom().random
    _sessions: sessionmaker = field(init=False, repr=False)
    _pid: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sessions = make_sessionmaker(self.engine)
        event.listen(self._sessions, "after_commit", _note_committed_work)
        event.listen(self._sessions, "after_transaction_end", self._after_unit_of_work)
        self._pid = os.getpid()

    def _after_unit_of_work(self, db: Session, transaction: SessionTransaction) -> None:
        """Tell the job backend what a committed unit of work queued. Called once the transaction has
        ended and its connection is back in the pool: a backend that runs work at once (tests) opens
        new connections, and holding the old one meanwhile would exhaust the pool under load."""
        if transaction.parent is not None:  # a savepoint ended; the unit of work goes on
            return
        db.info.pop(SUBMITTED_JOBS, None)  # a rollback leaves these behind
        db.info.pop(EVENTS_RECORDED, None)
        jobs, events = db.info.pop(_COMMITTED_WORK, ((), False))
        if jobs or events:
            try:
                self.backend.committed(self, jobs=jobs, events=events)
            except Exception:
                # The rows are committed either way; runners poll for them.
                log.exception("the job backend could not be told of a commit; its runners will find the work")

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        url = settings.database.url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url, echo=settings.database.echo)
        redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
        backend: Backend = RqBackend(redis, queue=settings.redis.queue) if redis else EmbeddedBackend()
        return cls(settings=settings, engine=engine, backend=backend, redis=redis)

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
