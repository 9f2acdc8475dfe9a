"""`labelhub jobs worker`: an rq worker on the configured queue that also schedules the periodic sweeps.

How the sweeps are scheduled, and why this way (rq 3.0.0):

- rq 3's periodic mechanism is ``rq.cron.CronScheduler``: a loop that enqueues each registered
  ``CronJob`` every ``interval`` seconds (the first time at start-up) and records every run in
  Redis (``rq:cron_job:<name>:jobs``, ``rq:cron_jobs``). The worker itself has no cron option; the
  worker's own scheduler (``with_scheduler=True``) only moves jobs whose time has come from the
  ScheduledJobRegistry (delayed jobs, retries) and does not repeat anything by itself.
- ``Repeat`` (a finished job schedules itself again) was rejected: it takes a finite count, and the
  chain stops for good the first time a sweep fails or its work horse is killed.
- rq 3.0.0's ``CronJob.enqueue`` builds its Queue without a serializer, so it pickles the job, and
  a worker using ``JSONSerializer`` cannot read it (``DeserializationError``). ``JSONCronJob``
  enqueues through a JSON queue instead and records the run the same way.

Several workers each run a CronScheduler; the job id names the interval window
(``<queue>-<sweep>-<epoch // interval>``) and is enqueued with ``unique=True``, so one sweep runs
per window however many workers there are. Sweeps are idempotent, so a window that is missed or
run twice at a boundary is harmless.
"""

from __future__ import annotations

import re
import time
from multiprocessing import get_context

from redis import Redis
from rq import Queue, Worker, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from labelhub import migrations
from labelhub.errors import InvalidInputError
from labelhub.jobs.context import install_runtime
from labelhub.runtime import Runtime
from labelhub.settings import Settings

# In this order on one queue: abandoning overdue assignments first lets expiry release their funds.
SWEEPS = ("abandon_overdue", "auto_approve_due", "expire_due_hits", "review_due", "deliver_notifications",
          "score_due", "aggregate_due")
FAILURE_TTL = 7 * 86400


class JSONCronJob(CronJob):
    """A CronJob enqueued with the JSON serializer, at most once per interval window."""

    def enqueue(self, connection: Redis) -> Job | None:
        """Enqueue this window's run and record it as CronJob.enqueue does; None if already enqueued."""
        assert self.interval, "sweeps run on an interval"
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        job_id = f"{self.name}-{int(time.time()) // self.interval}"
        try:
            job = queue.enqueue(self.func_name, job_id=job_id, unique=True, **self.job_options)
        except DuplicateJobError:
            return None  # another worker's scheduler enqueued this window's run
        assert job.enqueued_at is not None
        enqueued = job.enqueued_at.timestamp()
        with connection.pipeline() as pipeline:
            pipeline.zadd(self.job_history_key, {job.id: enqueued})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=enqueued)
            pipeline.execute()
        return job


class SweepScheduler(CronScheduler):
    """rq's CronScheduler holding LabelHub's sweeps as JSONCronJobs on ``queue``."""

    def __init__(self, connection: Redis, *, queue: str, interval: int) -> None:
        super().__init__(connection)
        prefix = re.sub(r"[^A-Za-z0-9_-]", "_", queue)  # job ids allow letters, digits, '-' and '_'
        for sweep in SWEEPS:
            # result_ttl keeps a finished run's id taken until its window is over (see the module doc).
            self._cron_jobs.append(JSONCronJob(
                queue_name=queue, func_name=f"labelhub.jobs.{sweep}", name=f"{prefix}-{sweep}",
                interval=interval, result_ttl=interval, failure_ttl=FAILURE_TTL))


def _check(settings: Settings) -> None:
    problems: dict[str, str] = {}
    if not settings.redis.url.strip():
        problems["redis.url"] = "is empty: a background worker needs Redis (set LABELHUB_REDIS_URL)"
    if not settings.redis.queue.strip():
        problems["redis.queue"] = "is empty: name the queue to work on (LABELHUB_REDIS_QUEUE)"
    if settings.jobs.sweep_interval_seconds < 1:
        problems["jobs.sweep_interval_seconds"] = "must be at least 1 second"
    if problems:
        raise InvalidInputError(problems)


def _run_cron(redis_url: str, queue: str, interval: int) -> None:
    """The cron process: its own Redis connection; SIGTERM/SIGINT stop it cleanly (rq handles them)."""
    SweepScheduler(Redis.from_url(redis_url), queue=queue, interval=interval).start()


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Work on ``settings.redis.queue`` with a forking rq Worker (JSONSerializer) until stopped.

    The worker runs rq's scheduler (delayed retries need it) and, in a child process, the
    SweepScheduler. With ``burst`` the sweeps are enqueued once, then the queue is drained and the
    function returns: the way to drive the sweeps from the system cron instead.

    The Runtime is built here and installed for the jobs; each forked work horse inherits it and
    opens its own database connections. Raises InvalidInputError (empty redis.url or queue, or a
    sweep interval under 1 s) and SchemaOutOfDateError before anything starts.
    """
    _check(settings)
    rt = Runtime.from_settings(settings)
    migrations.check_current(rt.engine)
    install_runtime(rt)
    queue, interval = settings.redis.queue, settings.jobs.sweep_interval_seconds
    worker = Worker([Queue(queue, connection=rt.redis, serializer=JSONSerializer)], connection=rt.redis,
                    serializer=JSONSerializer)
    if burst:
        SweepScheduler(rt.redis, queue=queue, interval=interval).enqueue_jobs()
        worker.work(burst=True, with_scheduler=True)
        return
    scheduler = get_context("fork").Process(target=_run_cron, args=(settings.redis.url, queue, interval),
                                            name="labelhub-cron", daemon=True)
    scheduler.start()
    try:
        worker.work(with_scheduler=True)
    finally:
        scheduler.terminate()
        scheduler.join(timeout=10)
