"""Large batches against the real database: written by a job in short transactions while other
requesters keep working, invisible until complete, undone when a chunk fails, and resumed when the
process writing them dies.

The job is run by hand here (a Runtime whose backend runs nothing after commits, as a serving process
whose runner has not picked the job up yet), so a test can act before, during and after the build.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, func, select

from labelhub import jobs
from labelhub.db import LOCK_WAIT_SECONDS, DatabaseBusyError
from labelhub.errors import InsufficientFundsError
from labelhub.jobs import runner
from labelhub.models import (
    HIT,
    Batch,
    BatchBuild,
    BatchState,
    Event,
    HITStatus,
    Job,
    JobState,
    LedgerEntry,
    LedgerTransaction,
)
from labelhub.money import parse_amount
from labelhub.queueing import EmbeddedBackend
from labelhub.runtime import Runtime
from labelhub.services import batch_builds, batches, hits, job_queue, payments, workers
from labelhub.services.batches import CreateBatch
from labelhub.services.commands import CreateHIT, HITTypeSpec
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]
REWARD = parse_amount("0.01")
SLOT = REWARD + parse_amount("0.01")  # reward and the minimum fee, per assignment
SPEC = HITTypeSpec(title="Sentiment", description="Pick the sentiment", reward_micros=REWARD,
                   assignment_duration_seconds=600)


@pytest.fixture
def quiet(runtime: Runtime) -> Runtime:
    """The test's database and clock, with nothing run after commits: jobs wait until run by hand."""
    rt = Runtime(settings=runtime.settings, engine=runtime.engine, backend=EmbeddedBackend(), clock=runtime.clock)
    jobs.install_runtime(rt)
    return rt


def _command(rows: int, **overrides) -> CreateBatch:
    values = {"name": "Reviews", "template_kind": "text_classification", "question_template": "<p>${text}</p>",
              "hit_type": SPEC, "rows": tuple({"text": f"review {n}"} for n in range(1, rows + 1)),
              "lifetime_seconds": 86_400, "max_assignments": 1,
              "template_config": {"labels": ["positive", "negative"], "text_field": "text"}}
    return CreateBatch(**(values | overrides))


def _count(rt: Runtime, *columns_and_filters) -> int:
    model, *where = columns_and_filters
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def _build_job(rt: Runtime, batch: Batch) -> Job:
    with rt.sessions() as db:
        return db.scalars(select(Job).where(Job.target == f"batch:{batch.public_id}")).one()


def _nothing_visible(rt: Runtime, requester, worker, batch: Batch) -> None:
    """No worker, HIT list or batch summary shows any HIT of the batch."""
    assert workers.available_hits(rt, worker.actor).items == []
    assert hits.list_hits(rt, requester.actor).items == []
    assert batches.batch_progress(rt, requester.actor, batch.public_id).hits == 0


@dataclass
class WriteTransactions:
    """The durations of one thread's transactions, BEGIN to COMMIT or ROLLBACK."""

    thread: int | None = None
    seconds: list[float] = field(default_factory=list)
    _started: dict[int, float] = field(default_factory=dict)

    def _begin(self, conn) -> None:
        if threading.get_ident() == self.thread:
            self._started[id(conn)] = time.perf_counter()

    def _end(self, conn) -> None:
        started = self._started.pop(id(conn), None)
        if started is not None:
            self.seconds.append(time.perf_counter() - started)

    @contextmanager
    def watching(self, engine: Engine) -> Iterator[WriteTransactions]:
        hooks = (("begin", self._begin), ("commit", self._end), ("rollback", self._end))
        for name, hook in hooks:
            event.listen(engine, name, hook)
        try:
            yield self
        finally:
            for name, hook in hooks:
                event.remove(engine, name, hook)


def test_up_to_a_chunk_of_rows_the_batch_is_complete_at_once(quiet, factory: Factory):
    requester = factory.requester(deposit="100.00")
    batch = batches.create_batch(quiet, requester.actor, _command(batch_builds.CHUNK_ROWS))
    assert batch.state is BatchState.READY
    assert _count(quiet, HIT, HIT.batch_id == batch.id, HIT.status == HITStatus.ASSIGNABLE) == batch_builds.CHUNK_ROWS
    assert _count(quiet, Job, Job.kind == batch_builds.BUILD_JOB) == 0


def test_a_large_batch_is_written_in_short_transactions_while_another_requester_works(quiet, factory: Factory):
    rows = 20 * batch_builds.CHUNK_ROWS
    creator, other = factory.requester(deposit="1000.00"), factory.requester(deposit="100.00")
    worker = factory.worker()
    batch = batches.create_batch(quiet, creator.actor, _command(rows))
    assert batch.state is BatchState.BUILDING
    _nothing_visible(quiet, creator, worker, batch)

    building = WriteTransactions()
    outcomes: list[str] = []

    def build() -> None:
        building.thread = threading.get_ident()
        batch_builds.build(quiet, batch.public_id)

    with building.watching(quiet.engine):
        job = threading.Thread(target=build)
        started = time.monotonic()
        job.start()
        other_hit = CreateHIT(question="<p>another requester's HIT</p>", lifetime_seconds=3600, hit_type=SPEC)
        while job.is_alive():
            try:
                hits.create_hit(quiet, other.actor, other_hit)
                workers.available_hits(quiet, worker.actor, limit=5)
                outcomes.append("ok")
            except DatabaseBusyError:
                outcomes.append("busy")
            time.sleep(0.02)
        job.join()
        took = time.monotonic() - started

    assert set(outcomes) <= {"ok", "busy"} and outcomes.count("ok") >= 3, outcomes
    assert len(building.seconds) >= 2 * rows // batch_builds.CHUNK_ROWS  # written, then made visible
    # Each well under what another request waits for the lock (one transaction of minutes before), and
    # a typical one a small part of the build: about 40 ms a chunk on a quiet machine.
    assert max(building.seconds) < LOCK_WAIT_SECONDS / 2, sorted(building.seconds)[-5:]
    assert statistics.median(building.seconds) < took / 10, (took, statistics.median(building.seconds))
    assert _count(quiet, HIT, HIT.batch_id == batch.id, HIT.status == HITStatus.ASSIGNABLE) == rows
    assert _count(quiet, Event, Event.action == "HITCreated") == rows + outcomes.count("ok")
    assert payments.balance(quiet, creator.actor).on_hold_micros == rows * SLOT
    assert batches.batch_progress(quiet, creator.actor, batch.public_id).hits == rows
    with quiet.sessions() as db:
        assert db.get_one(Batch, batch.id).state is BatchState.READY
        assert db.get(BatchBuild, batch.id) is None


def test_a_large_batch_the_requester_cannot_pay_for_is_refused_before_anything_is_written(quiet, factory):
    requester = factory.requester(deposit="1.00")
    with pytest.raises(InsufficientFundsError):
        batches.create_batch(quiet, requester.actor, _command(2 * batch_builds.CHUNK_ROWS))
    assert _count(quiet, Batch) == _count(quiet, HIT) == _count(quiet, Job) == 0


def test_a_build_that_fails_mid_way_is_undone_and_its_job_fails(quiet, factory: Factory):
    rows = 2 * batch_builds.CHUNK_ROWS + 500
    requester, worker = factory.requester(deposit=None), factory.worker()
    payments.deposit(quiet, requester.credentials.requester_id, rows * SLOT)
    batch = batches.create_batch(quiet, requester.actor, _command(rows))
    # The requester spends what the second chunk needs before the job runs: its first chunk is written.
    spend = CreateHIT(question="<p>meanwhile</p>", lifetime_seconds=3600, hit_type=SPEC,
                      max_assignments=rows - batch_builds.CHUNK_ROWS)
    meanwhile = hits.create_hit(quiet, requester.actor, spend).value

    assert runner.drain(quiet) == 1

    job = _build_job(quiet, batch)
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    assert "Insufficient funds" in job.error
    assert _count(quiet, Batch) == _count(quiet, BatchBuild) == 0
    assert _count(quiet, HIT) == 1
    assert _count(quiet, LedgerEntry, LedgerEntry.hit_id.is_not(None), LedgerEntry.hit_id != meanwhile.id) == 0
    assert _count(quiet, LedgerTransaction, LedgerTransaction.memo.like("batch Reviews%")) == 0
    assert payments.balance(quiet, requester.actor) == payments.ledger.Balance(
        rows * SLOT - meanwhile.max_assignments * SLOT, meanwhile.max_assignments * SLOT)
    assert _count(quiet, Event, Event.entity_id == batch.public_id) == 0
    assert batches.list_batches(quiet, requester.actor).items == []
    assert [listing.hit.public_id for listing in workers.available_hits(quiet, worker.actor).items] == \
        [meanwhile.public_id]


def _rows_written(engine: Engine, batch: Batch) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(BatchBuild.rows_written).where(BatchBuild.batch_id == batch.id)) or 0


def test_a_build_whose_process_is_killed_is_hidden_then_resumed_by_its_job(quiet, factory, database_url, clock,
                                                                           tmp_path):
    rows = 10 * batch_builds.CHUNK_ROWS
    requester, worker = factory.requester(deposit="1000.00"), factory.worker()
    batch = batches.create_batch(quiet, requester.actor, _command(rows))
    env = os.environ | {"LABELHUB_DATABASE_URL": database_url, "LABELHUB_STORAGE_INSTANCE_PATH": str(tmp_path),
                        "LABELHUB_JOBS_PROCESSES": "0"}
    child = subprocess.Popen([sys.executable, "-c", "from labelhub.jobs import runner, worker_runtime; "
                              "runner.drain(worker_runtime())"], cwd=ROOT, env=env)
    # A plain engine reads without queueing for SQLite's write lock (the app's BEGIN IMMEDIATE would).
    watcher = create_engine(database_url)
    try:
        deadline = time.monotonic() + 60
        while _rows_written(watcher, batch) < 2 * batch_builds.CHUNK_ROWS and child.poll() is None:
            assert time.monotonic() < deadline, "the job process wrote nothing"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        watcher.dispose()
    written = _rows_written(quiet.engine, batch)
    assert 2 * batch_builds.CHUNK_ROWS <= written < rows, "the process finished before it could be killed"
    assert _count(quiet, HIT, HIT.batch_id == batch.id) == written
    assert _build_job(quiet, batch).state == JobState.RUNNING
    _nothing_visible(quiet, requester, worker, batch)

    clock.advance(seconds=quiet.settings.jobs.stale_after_seconds + 600)  # its runner stopped reporting
    assert job_queue.recover_stale(quiet) == 1
    claimed = job_queue.claim_next(quiet, claimer="test")
    assert claimed is not None and claimed.attempt == 2
    assert runner.execute(quiet, claimed)

    job = _build_job(quiet, batch)
    assert (job.state, job.result) == (JobState.SUCCEEDED, {"batch_id": batch.public_id, "hits": rows, "gold_hits": 0})
    assert _count(quiet, HIT, HIT.batch_id == batch.id, HIT.status == HITStatus.ASSIGNABLE) == rows
    with quiet.sessions() as db:  # each row once: the resumed run went on where the killed one stopped
        assert db.scalar(select(func.count(func.distinct(HIT.question))).where(HIT.batch_id == batch.id)) == rows
    assert payments.balance(quiet, requester.actor).on_hold_micros == rows * SLOT
    assert _count(quiet, Event, Event.action == "HITCreated") == rows
    assert len(workers.available_hits(quiet, worker.actor, limit=5).items) == 5
