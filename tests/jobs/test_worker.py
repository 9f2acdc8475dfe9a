"""The worker and its periodic sweeps: what rq records in Redis, and real forking workers in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker, cron_job_registry
from rq.cron import CronScheduler, get_cron_job_ids
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer
from sqlalchemy import text

from labelhub.errors import InvalidInputError
from labelhub.jobs import run_worker
from labelhub.jobs.worker import SWEEPS, SweepScheduler
from labelhub.models import AssignmentStatus, HITStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments
from labelhub.settings import JobsSettings, RedisSettings

REPO = Path(__file__).resolve().parents[2]
SWEEP_FUNCS = [f"labelhub.jobs.{sweep}" for sweep in SWEEPS]
RUN_WORKER = "from labelhub.jobs import run_worker; from labelhub.settings import Settings; " \
             "run_worker(Settings.load(), burst={burst})"


def _jobs(redis: Redis, job_ids: list[str]) -> list[Job]:
    return [Job.fetch(job_id, connection=redis, serializer=JSONSerializer) for job_id in job_ids]


def _recorded_runs(redis: Redis, queue_name: str) -> list[tuple[str, JobStatus]]:
    """(function, status) of every job in rq's cron history of this queue's sweeps."""
    job_ids = [job_id for sweep in SWEEPS for job_id in get_cron_job_ids(f"{queue_name}-{sweep}", redis)]
    return [(job.func_name, job.get_status()) for job in _jobs(redis, job_ids)]


@pytest.mark.parametrize(("change", "field"), [
    ({"redis": RedisSettings(url=" ")}, "redis.url"),
    ({"redis": RedisSettings(url="redis://127.0.0.1:1/0", queue="")}, "redis.queue"),
    ({"jobs": JobsSettings(sweep_interval_seconds=0)}, "jobs.sweep_interval_seconds"),
])
def test_run_worker_refuses_incomplete_settings_naming_the_field(settings, change, field):
    complete = replace(settings, redis=RedisSettings(url="redis://127.0.0.1:1/0"))  # checked before any use
    with pytest.raises(InvalidInputError) as caught:
        run_worker(replace(complete, **change))
    assert list(caught.value.fields) == [field]


@pytest.mark.redis
def test_sweep_scheduler_enqueues_each_sweep_once_per_interval_and_rq_records_it(redis, queue, queue_name):
    window = int(time.time()) // 3600
    scheduler = SweepScheduler(redis, queue=queue_name, interval=3600)

    enqueued = scheduler.enqueue_jobs()
    queued = _jobs(redis, queue.get_job_ids())
    enqueued_again = scheduler.enqueue_jobs()  # not due again before the interval has passed
    SweepScheduler(redis, queue=queue_name, interval=3600).enqueue_jobs()  # another worker, same window
    if int(time.time()) // 3600 != window:
        pytest.skip("the clock crossed an interval boundary during the test")

    assert [cron_job.func_name for cron_job in enqueued] == SWEEP_FUNCS
    assert enqueued_again == []
    assert [(job.id, job.func_name) for job in queued] == \
        [(f"{queue_name}-{sweep}-{window}", f"labelhub.jobs.{sweep}") for sweep in SWEEPS]
    assert queue.get_job_ids() == [job.id for job in queued]
    for cron_job, job in zip(scheduler.get_jobs(), queued, strict=True):
        assert cron_job.get_job_ids(redis) == [job.id]
    assert {cron_job.name for cron_job in scheduler.get_jobs()} <= set(cron_job_registry.get_names(redis))


@pytest.mark.redis
def test_sweeps_enqueued_by_the_scheduler_run_on_a_json_worker(runtime, factory, clock, redis, queue,
                                                                queue_name, installed_runtime, drain):
    requester = factory.requester()
    worker = factory.worker()
    hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400)
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=601)

    scheduler = SweepScheduler(redis, queue=queue_name, interval=3600)
    scheduler.enqueue_jobs()
    drain()

    assert assignments.get_assignment(runtime, worker.actor, assignment.public_id).status \
        is AssignmentStatus.ABANDONED
    assert _recorded_runs(redis, queue_name) == [(func, JobStatus.FINISHED) for func in SWEEP_FUNCS]


@pytest.mark.redis
def test_forked_work_horse_opens_its_own_database_connection(runtime, is_postgres, installed_runtime, queue):
    """The parent has pooled connections; a job run by a forking rq Worker must not reuse them."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL's pg_stat_activity to tell connections apart")
    with runtime.sessions() as db:
        db.execute(text("SELECT 1"))  # the parent now holds a pooled connection
    before_fork = time.time()
    job = queue.enqueue("tests.jobs.probe_jobs.connection_opened_at")

    Worker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)

    result = job.latest_result()
    assert result is not None and result.type is Result.Type.SUCCESSFUL, result and result.exc_string
    assert result.return_value >= before_fork


def _worker_env(database_url: str, redis_url: str, queue_name: str, tmp_path: Path, interval: int) -> dict:
    """Settings for a worker in another process, given as LABELHUB_* variables only."""
    return os.environ | {
        "LABELHUB_CONFIG": str(tmp_path / "no-config.toml"), "LABELHUB_DATABASE_URL": database_url,
        "LABELHUB_REDIS_URL": redis_url, "LABELHUB_REDIS_QUEUE": queue_name,
        "LABELHUB_JOBS_SWEEP_INTERVAL_SECONDS": str(interval),
        "LABELHUB_STORAGE_INSTANCE_PATH": str(tmp_path / "instance")}


@pytest.mark.redis
def test_run_worker_burst_runs_every_sweep_in_forked_work_horses(runtime, factory, clock, database_url,
                                                                  redis_url, redis, queue_name, tmp_path):
    """`run_worker` uses rq's forking Worker: each job runs in a work horse forked after the parent
    has used the database (the schema check), against the file database the settings name. The
    other process uses the real clock, so the data is made two hours in the past."""
    requester = factory.requester(deposit="10.00")
    first, second = factory.worker(), factory.worker()
    clock.advance(hours=-2)
    expiring = factory.hit(requester.actor, max_assignments=2, lifetime_seconds=3600)
    overdue = assignments.accept(runtime, first.actor, expiring.public_id)
    spec = factory.hit_type_spec(auto_approval_delay_seconds=3600)
    paid = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400, hit_type=spec)
    submitted = assignments.accept(runtime, second.actor, paid.public_id)
    assignments.submit(runtime, second.actor, submitted.public_id, {"label": "cat"})

    done = subprocess.run([sys.executable, "-c", RUN_WORKER.format(burst=True)], cwd=REPO, timeout=120,
                          env=_worker_env(database_url, redis_url, queue_name, tmp_path, 60),
                          capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert _recorded_runs(redis, queue_name) == [(func, JobStatus.FINISHED) for func in SWEEP_FUNCS]
    assert assignments.get_assignment(runtime, first.actor, overdue.public_id).status \
        is AssignmentStatus.ABANDONED
    assert assignments.get_assignment(runtime, second.actor, submitted.public_id).status \
        is AssignmentStatus.APPROVED
    assert hits.get_hit(runtime, requester.actor, expiring.public_id).status is HITStatus.REVIEWABLE
    balance = payments.balance(runtime, requester.actor)
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("9.40"), 0)
    assert payments.worker_earnings(runtime, second.actor).approved_micros == parse_amount("0.50")


def _wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.1)


def _our_cron_schedulers(redis: Redis, queue_name: str) -> list[CronScheduler]:
    return [s for s in CronScheduler.all(redis) if any(queue_name in j.name for j in s.get_jobs())]


@pytest.mark.redis
def test_run_worker_schedules_the_sweeps_every_interval_until_stopped(engine, database_url, redis_url, redis,
                                                                       queue, queue_name, tmp_path):
    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would block the worker's logging
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", RUN_WORKER.format(burst=False)], cwd=REPO,
                                   env=_worker_env(database_url, redis_url, queue_name, tmp_path, 1),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: sum(w.successful_job_count for w in Worker.all(queue=queue)) >= 2 * len(SWEEPS),
                  timeout=60, what="the worker to finish two rounds of sweeps")
        assert len(_our_cron_schedulers(redis, queue_name)) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    assert process.returncode == 0, log.read_text()
    for sweep in SWEEPS:
        runs = get_cron_job_ids(f"{queue_name}-{sweep}", redis)
        windows = {int(job_id.rsplit("-", 1)[1]) for job_id in runs}
        assert len(runs) == len(windows) >= 2  # one job per one-second window
    assert queue.failed_job_registry.get_job_ids() == []
    assert _our_cron_schedulers(redis, queue_name) == []  # the cron process stopped with the worker
