"""Who runs the jobs a unit of work queued (rows of the jobs table), told after every commit.

- ``EmbeddedBackend`` (no Redis): background threads of this process (``labelhub.jobs.runner``),
  started by ``start`` in serving processes when ``[jobs] runner = "embedded"``; a commit wakes them.
- ``RqBackend`` (Redis): each queued job is handed to rq as ``labelhub.jobs.run_job(job_id)``; the
  events are dispatched by ``labelhub jobs worker``, which also re-sends what Redis lost.
- ``InlineBackend`` (tests only): dispatches and runs everything at once, after the commit, in the
  committing thread, so a test reads the outcome right after the call that caused it.

None of them runs a job inside the transaction that queued it: the runtime tells the backend only
after the commit (``Runtime._after_commit``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

if TYPE_CHECKING:
    from labelhub.runtime import Runtime

log = logging.getLogger(__name__)
RUN_JOB = "labelhub.jobs.run_job"


def import_string(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class Backend(Protocol):
    def committed(self, rt: Runtime, *, jobs: Sequence[str], events: bool) -> None:
        """A unit of work committed having queued ``jobs`` and (if ``events``) recorded events."""

    def start(self, rt: Runtime) -> None:
        """This process serves requests: start whatever must run beside it (idempotent)."""


class EmbeddedBackend:
    """Background threads in the serving process run the outbox, the jobs and the sweeps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runner: Any = None
        self._pid = 0

    def start(self, rt: Runtime) -> None:
        if rt.settings.jobs.runner != "embedded" or (self._runner is not None and self._pid == os.getpid()):
            return
        with self._lock:
            if self._runner is not None and self._pid == os.getpid():
                return
            runner = import_string("labelhub.jobs.runner.Runner")(rt, threads=rt.settings.jobs.threads,
                                                                  processes=rt.settings.jobs.processes)
            runner.start()
            self._runner, self._pid = runner, os.getpid()

    def stop(self) -> None:
        with self._lock:
            if self._runner is not None and self._pid == os.getpid():
                self._runner.stop()
            self._runner = None

    def committed(self, rt: Runtime, *, jobs: Sequence[str], events: bool) -> None:
        runner = self._runner
        if runner is not None and self._pid == os.getpid():
            runner.wake()


class RqBackend:
    """Hands queued jobs to rq by id (JSON serializer: nothing is unpickled from Redis)."""

    def __init__(self, redis: Redis, *, queue: str) -> None:
        self.queue = Queue(queue, connection=redis, serializer=JSONSerializer)

    def start(self, rt: Runtime) -> None:
        """Nothing runs in serving processes: ``labelhub jobs worker`` does the background work."""

    def committed(self, rt: Runtime, *, jobs: Sequence[str], events: bool) -> None:
        try:
            self.send(jobs)
        except Exception:
            # The jobs are committed rows either way; the worker's forwarder sends what is not taken.
            log.exception("could not hand %d jobs to rq; the jobs worker will send them", len(jobs))

    def send(self, jobs: Sequence[str]) -> None:
        for public_id in jobs:
            # One rq job per row at a time (unique while queued or running: a duplicate is dropped);
            # failures are the jobs table's business (retries, errors), so rq keeps no result and
            # retries nothing.
            with contextlib.suppress(DuplicateJobError):
                self.queue.enqueue(RUN_JOB, public_id, job_id=f"labelhub-job-{public_id}", unique=True,
                                   result_ttl=0, failure_ttl=86400)


class InlineBackend:
    """For tests: after each commit, dispatch the events and run every due job in this thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def start(self, rt: Runtime) -> None:
        """Nothing to start: commits run the work."""

    def committed(self, rt: Runtime, *, jobs: Sequence[str], events: bool) -> None:
        if getattr(self._local, "draining", False):
            return  # the outer drain loops until nothing is left, so it picks this up
        self._local.draining = True
        try:
            import_string("labelhub.jobs.runner.drain")(rt)
        finally:
            self._local.draining = False
