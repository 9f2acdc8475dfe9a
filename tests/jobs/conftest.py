"""Fixtures for job tests: the test Runtime installed for jobs, a private rq queue on the real Redis,
the test Runtime handing its jobs to that queue (the rq backend), and ``drain``: the jobs worker's
forwarder (outbox dispatch, sweeps, hand-over to rq) and a real rq worker, run in this process until
nothing is left."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from labelhub import jobs
from labelhub.jobs.runner import Runner
from labelhub.queueing import RqBackend
from labelhub.runtime import Runtime


class InProcessWorker(SimpleWorker):
    """rq's SimpleWorker runs jobs in this process, so they see the Runtime the test installed.

    Job timeouts use a timer thread instead of SIGALRM, which pytest-timeout owns.
    """

    death_penalty_class = TimerDeathPenalty


@pytest.fixture
def installed_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """The test's Runtime (test database, pinned clock) is the one jobs in this process use."""
    jobs.install_runtime(runtime)
    yield runtime
    jobs.install_runtime(None)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def queue_name(redis: Redis) -> Iterator[str]:
    """A queue no other test uses; every key rq made for it is deleted afterwards."""
    name = f"labelhub-test-{uuid.uuid4().hex[:12]}"
    yield name
    for key in redis.scan_iter(match=f"*{name}*"):
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{name}")
    for member in redis.zrange("rq:cron_jobs", 0, -1):
        if name in member.decode():
            redis.zrem("rq:cron_jobs", member)


@pytest.fixture
def queue(redis: Redis, queue_name: str) -> Queue:
    return Queue(queue_name, connection=redis, serializer=JSONSerializer)


@pytest.fixture
def rq_runtime(runtime: Runtime, redis: Redis, queue_name: str) -> Iterator[Runtime]:
    """The test's Runtime with the rq backend on the test's queue, installed for jobs."""
    rt = replace(runtime, backend=RqBackend(redis, queue=queue_name))
    jobs.install_runtime(rt)
    yield rt
    jobs.install_runtime(runtime)


@pytest.fixture
def drain(rq_runtime: Runtime, queue: Queue) -> Callable[[], None]:
    """What `labelhub jobs worker` does with Redis, until nothing is left: dispatch the outbox and hand
    due jobs to rq (the forwarder), then run them in a real rq worker. Fails on any failed job."""
    forwarder = Runner(rq_runtime, execute=False, send=RqBackend(queue.connection, queue=queue.name).send)

    def run() -> None:
        for _ in range(100):
            while forwarder.step(maintenance=False):
                pass
            if queue.is_empty():
                break
            InProcessWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)
        failed = queue.failed_job_registry.get_job_ids()
        assert failed == [], [getattr(queue.fetch_job(job_id).latest_result(), "exc_string", job_id)
                              for job_id in failed]
        assert queue.is_empty()
        assert failed_jobs(rq_runtime) == []

    return run


def failed_jobs(rt: Runtime) -> list[tuple[str, str | None]]:
    """Jobs-table rows that failed or wait for a retry, with their errors."""
    from sqlalchemy import select

    from labelhub.models import Job

    with rt.sessions() as db:
        return [(job.kind, job.error) for job in db.scalars(select(Job).where(
            (Job.state == "failed") | ((Job.state == "queued") & (Job.attempts > 0))))]
