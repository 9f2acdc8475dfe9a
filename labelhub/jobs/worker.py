"""`labelhub jobs worker`: the background work out of the web processes, with or without Redis.

- Without Redis: the runner's threads (``labelhub.jobs.runner``) dispatch the outbox, queue the
  sweeps and run the jobs in this process; several such workers share the database safely.
- With Redis: an rq worker (forking work horses, JSON serializer) runs the jobs as
  ``labelhub.jobs.run_job``, while a child process (the forwarder) dispatches the outbox, queues the
  sweeps and hands due jobs to rq (again, if Redis lost them). Any number of these may run, on any
  machines sharing the database and Redis. The forwarder is a process, not a thread: rq forks a
  work horse per job, and a fork taken while another thread holds a lock (the connection pool's,
  logging's) leaves that lock held forever in the child.
"""

from __future__ import annotations

import signal
from multiprocessing import get_context
from types import FrameType

from rq import Worker
from rq.serializers import JSONSerializer

from labelhub import migrations
from labelhub.errors import InvalidInputError
from labelhub.jobs.context import install_runtime
from labelhub.jobs.runner import Runner, drain, queue_every_sweep
from labelhub.queueing import RqBackend
from labelhub.runtime import Runtime
from labelhub.settings import Settings


def check(settings: Settings) -> None:
    """Raise InvalidInputError naming each setting a worker cannot start with."""
    problems: dict[str, str] = {}
    if settings.redis.url.strip() and not settings.redis.queue.strip():
        problems["redis.queue"] = "is empty: name the queue to work on (LABELHUB_REDIS_QUEUE)"
    if settings.jobs.sweep_interval_seconds < 1:
        problems["jobs.sweep_interval_seconds"] = "must be at least 1 second"
    if settings.jobs.threads < 1:
        problems["jobs.threads"] = "must be at least 1"
    if settings.jobs.processes < 0:
        problems["jobs.processes"] = "must be 0 (run jobs in the runner's threads) or more"
    if settings.jobs.poll_interval_ms < 10:
        problems["jobs.poll_interval_ms"] = "must be at least 10 ms"
    if settings.jobs.runner not in ("embedded", "external"):
        problems["jobs.runner"] = "must be embedded or external"
    if problems:
        raise InvalidInputError(problems)


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Do the background work until SIGTERM/SIGINT; with ``burst``, queue every sweep once, do what is
    due and return (the way to drive LabelHub from the system cron).

    Raises InvalidInputError (bad [jobs]/[redis] settings) and SchemaOutOfDateError before anything
    starts.
    """
    check(settings)
    rt = Runtime.from_settings(settings)
    migrations.check_current(rt.engine)
    install_runtime(rt)
    if not isinstance(rt.backend, RqBackend):
        _run_embedded(rt, burst=burst)
        return
    backend = rt.backend
    worker = Worker([backend.queue], connection=rt.redis, serializer=JSONSerializer)
    if burst:
        queue_every_sweep(rt)
        forwarder = Runner(rt, threads=1, execute=False, send=backend.send)
        while forwarder.step(maintenance=False):
            pass
        worker.work(burst=True)
        return
    forwarder = get_context("fork").Process(target=_forward, args=(settings,), name="labelhub-forwarder",
                                            daemon=True)
    forwarder.start()
    try:
        worker.work()
    finally:
        forwarder.terminate()
        forwarder.join(timeout=30)


def _forward(settings: Settings) -> None:
    """The forwarder process: its own Runtime and connections; SIGTERM stops it after its round."""
    rt = Runtime.from_settings(settings)
    install_runtime(rt)
    assert isinstance(rt.backend, RqBackend)
    _run_until_signalled(Runner(rt, threads=1, execute=False, send=rt.backend.send))


def _run_embedded(rt: Runtime, *, burst: bool) -> None:
    if burst:
        drain(rt, sweeps=True)
        return
    _run_until_signalled(Runner(rt, threads=rt.settings.jobs.threads, processes=rt.settings.jobs.processes))


def _run_until_signalled(runner: Runner) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        runner.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.run_forever()
