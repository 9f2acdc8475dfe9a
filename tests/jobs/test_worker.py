"""`labelhub jobs worker` with and without Redis: settings checks, forking rq work horses, and real
worker processes that run the sweeps on their own (burst, and until stopped)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from rq import Worker
from rq.results import Result
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, text

from labelhub.errors import InvalidInputError
from labelhub.jobs.runner import SWEEPS
from labelhub.jobs.worker import run_worker
from labelhub.models import AssignmentStatus, HITStatus, Job
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments
from labelhub.settings import JobsSettings, RedisSettings
from tests.serving import REPO, wait_for

SWEEP_FUNCS = [f"labelhub.jobs.{sweep}" for sweep in SWEEPS]
RUN_WORKER = "from labelhub.jobs.worker import run_worker; from labelhub.settings import Settings; " \
             "run_worker(Settings.load(), burst={burst})"


def _succeeded_runs(runtime) -> dict[str, int]:
    """How many runs of each sweep succeeded, by dotted path."""
    with runtime.sessions() as db:
        return dict(db.execute(select(Job.kind, func.count()).where(Job.kind.in_(SWEEP_FUNCS),
                                                                    Job.state == "succeeded")
                               .group_by(Job.kind)).tuples().all())


@pytest.mark.parametrize(("change", "field"), [
    ({"redis": RedisSettings(url="redis://127.0.0.1:1/0", queue="")}, "redis.queue"),
    ({"jobs": JobsSettings(sweep_interval_seconds=0)}, "jobs.sweep_interval_seconds"),
    ({"jobs": JobsSettings(threads=0)}, "jobs.threads"),
    ({"jobs": JobsSettings(runner="sometimes")}, "jobs.runner"),
])
def test_run_worker_refuses_incomplete_settings_naming_the_field(settings, change, field):
    with pytest.raises(InvalidInputError) as caught:
        run_worker(replace(settings, **change))  # checked before anything is used
    assert list(caught.value.fields) == [field]


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


def _jobs_table(runtime) -> str:
    """Every job row, one per line, for a failure message."""
    with runtime.sessions() as db:
        rows = db.execute(select(Job.public_id, Job.kind, Job.state, Job.attempts, Job.created_at, Job.sent_at,
                                 Job.started_at, Job.finished_at, Job.claimed_by, Job.error).order_by(Job.id))
        return "\n".join(" ".join(map(str, row)) for row in rows)


def _worker_env(database_url: str, redis_url: str, queue_name: str, tmp_path: Path, interval: int) -> dict:
    """Settings for a worker in another process, given as LABELHUB_* variables only."""
    return os.environ | {
        "LABELHUB_CONFIG": str(tmp_path / "no-config.toml"), "LABELHUB_DATABASE_URL": database_url,
        "LABELHUB_REDIS_URL": redis_url, "LABELHUB_REDIS_QUEUE": queue_name,
        "LABELHUB_JOBS_SWEEP_INTERVAL_SECONDS": str(interval), "LABELHUB_JOBS_POLL_INTERVAL_MS": "100",
        "LABELHUB_STORAGE_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(REPO)}


@pytest.fixture(params=["redis", "no-redis"])
def worker_redis_url(request, redis_url: str) -> str:
    """The jobs worker is tried with the rq backend and without Redis."""
    return redis_url if request.param == "redis" else ""


def test_run_worker_burst_runs_every_sweep(runtime, factory, clock, database_url, worker_redis_url, queue_name,
                                          tmp_path, request):
    """With Redis the jobs run in rq's forking work horses, forked after the parent has used the
    database; without, in the worker's own threads. The other process uses the real clock, so the
    data is made two hours in the past."""
    if worker_redis_url:
        request.getfixturevalue("queue")  # the test queue's keys are deleted afterwards
    requester = factory.requester(deposit="10.00")
    first, second = factory.worker(), factory.worker()
    clock.advance(hours=-2)
    expiring = factory.hit(requester.actor, max_assignments=2, lifetime_seconds=3600)
    overdue = assignments.accept(runtime, first.actor, expiring.public_id)
    spec = factory.hit_type_spec(auto_approval_delay_seconds=3600)
    paid = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400, hit_type=spec)
    submitted = assignments.accept(runtime, second.actor, paid.public_id)
    assignments.submit(runtime, second.actor, submitted.public_id, {"label": "cat"})

    done = subprocess.run([sys.executable, "-c", RUN_WORKER.format(burst=True)], check=False, cwd=REPO, timeout=120,
                          env=_worker_env(database_url, worker_redis_url, queue_name, tmp_path, 60),
                          capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert _succeeded_runs(runtime) == dict.fromkeys(SWEEP_FUNCS, 1)
    assert assignments.get_assignment(runtime, first.actor, overdue.public_id).status \
        is AssignmentStatus.ABANDONED
    assert assignments.get_assignment(runtime, second.actor, submitted.public_id).status \
        is AssignmentStatus.APPROVED
    assert hits.get_hit(runtime, requester.actor, expiring.public_id).status is HITStatus.REVIEWABLE
    balance = payments.balance(runtime, requester.actor)
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("9.40"), 0)
    assert payments.worker_earnings(runtime, second.actor).approved_micros == parse_amount("0.50")


def test_run_worker_queues_the_sweeps_every_interval_until_stopped(runtime, database_url, worker_redis_url,
                                                                   queue_name, tmp_path, request):
    if worker_redis_url:
        request.getfixturevalue("queue")
    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would block the worker's logging
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", RUN_WORKER.format(burst=False)], cwd=REPO,
                                   env=_worker_env(database_url, worker_redis_url, queue_name, tmp_path, 1),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: min(_succeeded_runs(runtime).get(f, 0) for f in SWEEP_FUNCS) >= 2,
                 timeout=90, what="the worker to finish two rounds of sweeps",
                 explain=lambda: f"jobs:\n{_jobs_table(runtime)}\nworker log:\n{log.read_text()}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    assert process.returncode == 0, log.read_text()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).where(Job.state == "failed")) == 0, log.read_text()
