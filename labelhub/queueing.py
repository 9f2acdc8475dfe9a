"""How services hand work to the background: rq on Redis when configured, inline otherwise."""

from __future__ import annotations

import importlib
from typing import Protocol

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer


class Enqueuer(Protocol):
    def __call__(self, func: str, *args: int | str, job_id: str | None = None) -> None: ...


def import_string(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class InlineEnqueuer:
    """Runs the job at once in this process: the embedded default needs no Redis."""

    def __call__(self, func: str, *args: int | str, job_id: str | None = None) -> None:
        import_string(func)(*args)


class RqEnqueuer:
    """Enqueues by dotted path with ids only (JSON serializer: nothing is unpickled from Redis)."""

    def __init__(self, redis: Redis, *, queue: str) -> None:
        self.queue = Queue(queue, connection=redis, serializer=JSONSerializer)

    def __call__(self, func: str, *args: int | str, job_id: str | None = None) -> None:
        try:
            self.queue.enqueue(
                func,
                *args,
                job_id=job_id,
                unique=job_id is not None,
                result_ttl=0,  # outcomes live in the database; also ends uniqueness once a job is done
                failure_ttl=7 * 86400,
                retry=Retry(max=3, interval=[10, 60, 300]),
            )
        except DuplicateJobError:
            pass  # the same work is already queued, and jobs are idempotent
