"""Fixtures for job tests: the test Runtime installed for jobs, a private rq queue on the real Redis
and a real rq worker that drains it in this process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from labelhub import jobs
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
def drain(queue: Queue) -> Callable[[], None]:
    """Run every queued job through a real rq worker (burst) and fail on any failed or retried job."""

    def run() -> None:
        InProcessWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)
        failed = queue.failed_job_registry.get_job_ids()
        assert failed == [], [getattr(queue.fetch_job(job_id).latest_result(), "exc_string", job_id)
                              for job_id in failed]
        assert queue.scheduled_job_registry.get_job_ids() == [], "a job failed and was scheduled for retry"
        assert queue.is_empty()

    return run
