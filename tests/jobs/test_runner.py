"""The runner and the jobs table: time-driven work done with nobody calling a sweep (embedded threads,
and rq), claims that never run one job twice, coalesced and exclusive keyed jobs, retries, stale
recovery, and a serving process killed with SIGKILL mid-job."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from labelhub import jobs
from labelhub.db import make_engine
from labelhub.jobs.runner import Runner, drain
from labelhub.models import AssignmentStatus, DeliveryStatus, HITStatus, Job, NotificationDelivery
from labelhub.money import parse_amount
from labelhub.queueing import EmbeddedBackend
from labelhub.runtime import Runtime
from labelhub.services import assignments, hits, job_queue, notifications, payments
from labelhub.settings import JobsSettings
from tests.factories import Factory
from tests.jobs.conftest import InProcessWorker
from tests.mturk.test_notifications import Receiver
from tests.serving import free_port, serve, wait_for

FAST = JobsSettings(poll_interval_ms=50, sweep_interval_seconds=1, stale_after_seconds=2, threads=2, processes=0)


def submit_job(rt: Runtime, kind: str, *args: str, key: str | None = None) -> None:
    with rt.sessions.begin() as db:
        job_queue.submit(db, kind, *args, key=key, now=rt.clock())


def job_rows(rt: Runtime, kind: str | None = None) -> list[Job]:
    with rt.sessions() as db:
        stmt = select(Job).order_by(Job.id)
        return list(db.scalars(stmt.where(Job.kind == kind) if kind else stmt))


@pytest.fixture
def embedded(runtime: Runtime) -> Iterator[Runtime]:
    """The test Runtime with the embedded backend: two runner threads in this process, started as a
    serving process starts them, polling every 50 ms, sweeps every second."""
    backend = EmbeddedBackend()
    rt = replace(runtime, settings=replace(runtime.settings, jobs=FAST), backend=backend)
    jobs.install_runtime(rt)
    backend.start(rt)
    yield rt
    backend.stop()
    jobs.install_runtime(runtime)


def _time_driven_world(rt: Runtime, receiver: Receiver):
    """An assignment soon overdue, a submission soon auto-approved, a HIT soon expired, and a webhook
    whose first delivery fails."""
    factory = Factory(rt)
    requester = factory.requester(deposit="20.00")
    holder, submitter, later = factory.worker(), factory.worker(), factory.worker()
    overdue_hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400)  # 600 s to work
    overdue = assignments.accept(rt, holder.actor, overdue_hit.public_id)
    spec = factory.hit_type_spec(auto_approval_delay_seconds=600, title="Approved on time")
    paid_hit = factory.hit(requester.actor, max_assignments=1, lifetime_seconds=86_400, hit_type=spec)
    notifications.update_settings(rt, requester.actor, paid_hit.hit_type.public_id, spec=notifications.NotificationSpec(
        destination=receiver.url, transport="SNS", version="2006-05-05", event_types=("AssignmentSubmitted",)))
    receiver.statuses.append(500)  # the first delivery fails and is retried 30 s later
    submitted = assignments.accept(rt, submitter.actor, paid_hit.public_id)
    assignments.submit(rt, submitter.actor, submitted.public_id, {"label": "cat"})
    expiring = factory.hit(requester.actor, max_assignments=3, lifetime_seconds=1800)
    return requester, (holder, overdue, overdue_hit, later), (submitter, submitted), expiring


def _assert_time_driven_work_done(rt: Runtime, world, receiver: Receiver) -> None:
    requester, (holder, overdue, overdue_hit, later), (submitter, submitted), expiring = world
    assert assignments.get_assignment(rt, holder.actor, overdue.public_id).status is AssignmentStatus.ABANDONED
    assert assignments.accept(rt, later.actor, overdue_hit.public_id).status is AssignmentStatus.ACCEPTED
    assert payments.worker_earnings(rt, submitter.actor).approved_micros == parse_amount("0.50")
    assert hits.get_hit(rt, requester.actor, expiring.public_id).status is HITStatus.REVIEWABLE
    balance = payments.balance(rt, requester.actor)
    # 20.00 - 0.60 paid for the approved answer; the overdue HIT's slot is held again by `later`
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("18.80"), parse_amount("0.60"))
    with rt.sessions() as db:
        [delivery] = db.scalars(select(NotificationDelivery))
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.requests) == 2


def _first_attempt_recorded(rt: Runtime) -> bool:
    """The failed first delivery is recorded: its outcome, not only its claim, so that its retry time is
    set from the clock of that moment and not from the clock the test moves on an hour right after."""
    with rt.sessions() as db:
        return db.scalar(select(func.count()).where(NotificationDelivery.attempts == 1,
                                                    NotificationDelivery.last_error.is_not(None))) == 1


def _all_due_work_done(rt: Runtime, world) -> bool:
    requester, (holder, overdue, *_), (submitter, submitted), expiring = world
    with rt.sessions() as db:
        delivered = db.scalar(select(func.count()).where(NotificationDelivery.status == DeliveryStatus.DELIVERED))
    return (assignments.get_assignment(rt, holder.actor, overdue.public_id).status is AssignmentStatus.ABANDONED
            and assignments.get_assignment(rt, submitter.actor, submitted.public_id).status
            is AssignmentStatus.APPROVED
            and hits.get_hit(rt, requester.actor, expiring.public_id).status is HITStatus.REVIEWABLE
            and delivered == 1)


def test_embedded_runner_does_the_time_driven_work_with_nobody_calling_a_sweep(embedded, clock):
    with Receiver() as receiver:
        world = _time_driven_world(embedded, receiver)
        wait_for(lambda: _first_attempt_recorded(embedded), timeout=20, what="the first webhook attempt")
        clock.advance(hours=1)  # past every deadline, lifetime, approval delay and the webhook's retry

        wait_for(lambda: _all_due_work_done(embedded, world), timeout=30, what="the sweeps")

        _assert_time_driven_work_done(embedded, world, receiver)
    assert [j.state for j in job_rows(embedded) if j.state == "failed"] == []


@pytest.mark.redis
def test_rq_backend_does_the_time_driven_work_with_nobody_calling_a_sweep(rq_runtime, clock, queue):
    """The jobs worker's forwarder (dispatch, sweeps on their interval, hand-over) and a real rq worker."""
    fast = replace(rq_runtime, settings=replace(rq_runtime.settings, jobs=FAST))
    forwarder = Runner(fast, execute=False, send=rq_runtime.backend.send)

    def work() -> None:
        forwarder.step(maintenance=True)
        InProcessWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)

    with Receiver() as receiver:
        world = _time_driven_world(rq_runtime, receiver)
        wait_for(lambda: _first_attempt_recorded(rq_runtime), timeout=20, what="the first webhook attempt",
                 between=work)
        clock.advance(hours=1)

        wait_for(lambda: _all_due_work_done(rq_runtime, world), timeout=30, what="the sweeps", between=work)

        _assert_time_driven_work_done(rq_runtime, world, receiver)


RECORDED: list[str] = []
RECORDED_LOCK = threading.Lock()


def record_call(name: str) -> dict[str, str]:
    """A job for the claim test: remembers that it ran."""
    time.sleep(0.002)
    with RECORDED_LOCK:
        RECORDED.append(name)
    return {"ran": name}


def test_two_processes_runners_never_run_one_job_twice(runtime, database_url):
    """Two runtimes with their own engines and connection pools (two processes, as far as the database
    can tell), three threads each, over 150 jobs: each job runs exactly once."""
    RECORDED.clear()
    other_engine = make_engine(database_url)
    settings = replace(runtime.settings, jobs=FAST)
    one = Runtime(settings=settings, engine=runtime.engine, backend=EmbeddedBackend(), clock=runtime.clock)
    other = Runtime(settings=settings, engine=other_engine, backend=EmbeddedBackend(), clock=runtime.clock)
    for number in range(150):
        submit_job(other, f"{__name__}.record_call", f"job-{number}")
    runners = [Runner(one, threads=3), Runner(other, threads=3)]
    jobs.install_runtime(runtime)
    for runner in runners:
        runner.start()
    try:
        wait_for(lambda: len(RECORDED) >= 150 and all(j.state == "succeeded" for j in job_rows(runtime)),
                 timeout=60, what="150 jobs")
    finally:
        for runner in runners:
            runner.stop()
        other_engine.dispose()

    assert sorted(RECORDED) == sorted(f"job-{n}" for n in range(150))
    assert {j.attempts for j in job_rows(runtime)} == {1}


def test_a_keyed_job_waits_once_and_never_runs_twice_at_once(runtime):
    idle = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(), clock=runtime.clock)
    for _ in range(5):
        submit_job(idle, "labelhub.jobs.aggregate_due", key="k")
    assert [j.state for j in job_rows(runtime)] == ["queued"]  # five requests, one waiting run

    first = job_queue.claim_next(idle, claimer="test")
    submit_job(idle, "labelhub.jobs.aggregate_due", key="k")  # asked again while it runs: one more waits
    assert first is not None
    assert [j.state for j in job_rows(runtime)] == ["running", "queued"]
    assert job_queue.claim_next(idle, claimer="test") is None  # not while the same work runs
    job_queue.succeed(idle, first.public_id)
    second = job_queue.claim_next(idle, claimer="test")
    assert second is not None and second.public_id != first.public_id


def test_a_work_horse_waits_for_a_job_row_the_forwarder_holds_instead_of_losing_the_job(runtime, is_postgres):
    """The forwarder marks a job sent (row locked) just as rq's work horse claims it: the claim waits
    for the lock and takes the job; skipping it would strand the job until stale recovery."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL's row locks (SQLite locks the whole file)")
    idle = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(), clock=runtime.clock)
    submit_job(idle, "labelhub.jobs.aggregate_due")
    [job] = job_rows(idle)
    claimed: list[job_queue.Claimed | None] = []
    with idle.sessions.begin() as forwarder:
        forwarder.scalars(select(Job).where(Job.id == job.id).with_for_update()).one()
        horse = threading.Thread(target=lambda: claimed.append(job_queue.claim(idle, job.public_id, claimer="rq")))
        horse.start()
        horse.join(timeout=0.5)
        assert horse.is_alive() and claimed == []  # waiting for the forwarder's transaction
    horse.join(timeout=10)

    assert [c.public_id if c else None for c in claimed] == [job.public_id]
    assert [j.state for j in job_rows(idle)] == ["running"]


def test_a_failing_job_is_retried_later_then_fails_for_good_with_its_error(runtime, clock):
    idle = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(), clock=clock)
    jobs.install_runtime(idle)
    submit_job(idle, "tests.jobs.probe_jobs.always_fails", "the disk is full")

    ran = [drain(idle)]
    for delay in job_queue.RETRY_DELAYS:
        assert drain(idle) == 0  # not before its delay
        clock.advance(seconds=delay)
        ran.append(drain(idle))

    [job] = job_rows(idle)
    assert ran == [1, 1, 1, 1]
    assert (job.state, job.attempts) == ("failed", 4)
    assert "RuntimeError: the disk is full" in job.error


def test_a_running_job_whose_runner_stopped_reporting_runs_again(runtime, clock):
    idle = Runtime(settings=replace(runtime.settings, jobs=FAST), engine=runtime.engine, backend=EmbeddedBackend(),
                   clock=clock)
    submit_job(idle, "labelhub.jobs.aggregate_due", key="stale")
    claimed = job_queue.claim_next(idle, claimer="a runner that dies")
    assert claimed is not None
    assert job_queue.recover_stale(idle) == 0  # still fresh

    clock.advance(seconds=3)
    assert job_queue.recover_stale(idle) == 1

    [job] = job_rows(idle)
    assert (job.state, job.claimed_by) == ("queued", None)
    assert "a runner that dies stopped reporting" in job.error
    again = job_queue.claim_next(idle, claimer="the next runner")
    assert again is not None and again.attempt == 2


def test_a_serving_process_killed_mid_job_loses_nothing_and_the_job_completes_once(runtime, database_url,
                                                                                   tmp_path):
    """`labelhub run` (embedded runner) takes a 2-second job; SIGKILL half-way; a new server finds the
    claim stale, runs the job again, and it completes exactly once."""
    marks, log, slow = tmp_path / "marks.txt", tmp_path / "server.log", "tests.jobs.probe_jobs.slow_append"
    real_clock = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend())
    submit_job(real_clock, slow, str(marks), "2")
    port = free_port()
    server = serve(database_url, tmp_path, port, log)
    try:
        wait_for(lambda: marks.exists() and "started" in marks.read_text(), timeout=60,
                 what=f"the server to start the job ({log})")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        [killed] = job_rows(real_clock, slow)
        assert (killed.state, marks.read_text()) == ("running", "started\n")

        server = serve(database_url, tmp_path, port, log)
        wait_for(lambda: job_rows(real_clock, slow)[0].state == "succeeded", timeout=60,
                 what=f"the restarted server to finish the job: {log.read_text()[-2000:]}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    [job] = job_rows(real_clock, slow)
    assert marks.read_text() == "started\nstarted\ndone\n"
    assert (job.attempts, job.progress_done, job.progress_total, job.result) == (2, 20, 20, {"steps": 20})


def test_jobs_run_in_a_child_process_that_reports_progress_to_their_row(runtime, tmp_path):
    """With [jobs] processes the runner's thread hands the job to a spawned process (its own Runtime from
    the same settings): the serving process's interpreter is free while it runs."""
    marks = tmp_path / "marks.txt"
    real_clock = Runtime(settings=replace(runtime.settings, jobs=replace(FAST, processes=1)), engine=runtime.engine,
                         backend=EmbeddedBackend())
    submit_job(real_clock, "tests.jobs.probe_jobs.slow_append", str(marks), "0.3")
    submit_job(real_clock, "tests.jobs.probe_jobs.always_fails", "in a child")
    runner = Runner(real_clock, threads=1, processes=1)
    runner.start()
    try:
        wait_for(lambda: {j.state for j in job_rows(real_clock)} <= {"succeeded", "queued"}
                 and any(j.attempts for j in job_rows(real_clock, "tests.jobs.probe_jobs.always_fails")),
                 timeout=90, what="both jobs to run once")
    finally:
        runner.stop()

    [slow] = job_rows(real_clock, "tests.jobs.probe_jobs.slow_append")
    [failing] = job_rows(real_clock, "tests.jobs.probe_jobs.always_fails")
    assert (slow.state, slow.progress_done, slow.progress_total, slow.result) == ("succeeded", 3, 3, {"steps": 3})
    assert marks.read_text() == "started\ndone\n"
    assert int(Path(f"{marks}.pid").read_text()) != os.getpid()  # it ran in another process
    assert (failing.state, failing.attempts) == ("queued", 1) and "RuntimeError: in a child" in failing.error


@pytest.mark.redis
def test_only_a_job_that_was_inserted_is_handed_to_rq(rq_runtime, queue):
    """A coalesced request (a run with that key already waits) hands nothing to rq: no empty work horse."""
    for _ in range(3):
        submit_job(rq_runtime, "labelhub.jobs.aggregate_due", key="same-work")
    submit_job(rq_runtime, "labelhub.jobs.aggregate_due")

    [waiting, unkeyed] = job_rows(rq_runtime)
    assert sorted(queue.get_job_ids()) == sorted([f"labelhub-job-{waiting.public_id}",
                                                  f"labelhub-job-{unkeyed.public_id}"])
