"""Submit latency in a small and a large batch while the background work runs, and the lag from a
submission to the consensus that includes it.

For each batch size (1,000 and 100,000 answers already submitted) and each way of running the
background work, a fresh text-classification batch (method ``ds``, a qualification type fed) is
seeded in bulk and aggregated once, so it is warm; then workers accept and submit answers one after
another through the real services (``assignments.accept`` + ``assignments.submit``), and only the
``submit`` call is timed. The modes:

- ``baseline``: nobody runs the background work (the events wait); the cost of the submit itself.
- ``embedded``: a ``Runtime`` with ``EmbeddedBackend`` whose ``Runner`` threads run in this process,
  as in a serving process (``[jobs] runner = "embedded"``).
- ``redis``: ``RqBackend`` on a private Redis database and queue, and a real ``labelhub jobs worker``
  subprocess (rq work horses and the forwarder), configured by LABELHUB_* variables.

The lag of a submission is read afterwards from the jobs table: the first successful
``aggregate_batch`` run of the batch whose snapshot held that many answers (submissions are
sequential, so a run that read N answers includes the N-th) finished at ``finished_at``; the lag is
that minus the moment ``submit`` returned. "Lone" lags are the same for a few submissions made on an
idle system, one at a time, each after the previous one is in the consensus.

    python benchmarks/submit_cost.py                      # PostgreSQL database bench_submit (recreated)
    python benchmarks/submit_cost.py --quick              # a smoke run: 1,000 and 10,000 answers
    python benchmarks/submit_cost.py --database-url sqlite --modes embedded
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_ROOT))

from redis import Redis  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tqdm import tqdm  # noqa: E402

from labelhub import ids, migrations  # noqa: E402
from labelhub.db import make_engine  # noqa: E402
from labelhub.jobs import install_runtime  # noqa: E402
from labelhub.jobs.runner import drain  # noqa: E402
from labelhub.models import (  # noqa: E402
    COUNTED_STATUSES,
    HIT,
    Assignment,
    AssignmentStatus,
    ConsensusLabel,
    Event,
    HITStatus,
    Job,
    JobState,
    LedgerEntry,
    LedgerTransaction,
    Marketplace,
    Worker,
)
from labelhub.money import parse_amount  # noqa: E402
from labelhub.queueing import EmbeddedBackend, InlineBackend, RqBackend  # noqa: E402
from labelhub.runtime import Runtime  # noqa: E402
from labelhub.services import accounts, assignments, batches, consensus, ledger, payments, qualifications  # noqa: E402
from labelhub.services.actors import Actor  # noqa: E402
from labelhub.services.batch_quality import AGGREGATE_JOB, QualitySettings  # noqa: E402
from labelhub.services.commands import HITTypeSpec, QualificationTypeSpec  # noqa: E402
from labelhub.settings import DatabaseSettings, JobsSettings, RedisSettings, Settings, StorageSettings  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_submit"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
MODES = ("baseline", "embedded", "redis")
LABELS = ("a", "b", "c", "d", "e")
SERVICE_HITS = 200  # HITs made through batches.create_batch; the rest are cloned from them in bulk
SUBMITTERS = 20  # workers with no seeded answers who make the timed submissions
CHUNK = 5_000
WAIT_TIMEOUT = 600.0  # seconds to wait for a consensus or for the background work to go idle


# --- the database ----------------------------------------------------------------------------------

def prepare_database(url: str, folder: Path) -> str:
    """A fresh, empty database for this run: PostgreSQL's is dropped and created again (only one named
    bench*, so the test suite's is never touched); ``sqlite`` means a file in the temporary folder."""
    if url == "sqlite":
        return f"sqlite:///{folder / 'bench_submit.sqlite'}"
    parsed = make_url(url)
    name = parsed.database or ""
    if not Path(name).name.startswith("bench"):
        raise SystemExit(f"refusing to drop and recreate {name!r}: give a database whose name starts with 'bench'")
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        return url
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return  # a file in the temporary folder, or one the user named: left for inspection
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def analyze(url: str) -> None:
    """Fresh planner statistics after the bulk inserts (else autovacuum does it mid-measurement)."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT") if not url.startswith("sqlite") else make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def database_version(rt: Runtime) -> str:
    with rt.engine.connect() as conn:
        if rt.engine.dialect.name == "postgresql":
            return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar()).split()[0]
        return "SQLite " + str(conn.execute(text("select sqlite_version()")).scalar())


# --- seeding ----------------------------------------------------------------------------------------

@dataclass
class Seeded:
    """A warm batch: its HITs (shuffled, non-gold), and workers who have answered none of them."""

    label: str
    answers: int
    public_id: str
    batch_id: int
    hits: list[str]
    submitters: list[Actor]
    seed_seconds: float = 0.0
    warm_seconds: float = 0.0


def settings_for(url: str, folder: Path, *, runner: str = "embedded", redis_url: str = "", queue: str = "labelhub",
                 poll_ms: int | None = None, threads: int | None = None) -> Settings:
    jobs = JobsSettings()
    jobs = replace(jobs, runner=runner, poll_interval_ms=poll_ms or jobs.poll_interval_ms,
                   threads=threads or jobs.threads)
    return replace(Settings(), storage=StorageSettings(instance_path=str(folder)),
                   database=DatabaseSettings(url=url), redis=RedisSettings(url=redis_url, queue=queue), jobs=jobs)


def seed_batch(rt: Runtime, label: str, answers: int, *, per_hit: int, spare_slots: int, rng: np.random.Generator,
               bar: tqdm) -> Seeded:
    """A batch of answers // per_hit HITs with ``per_hit`` submitted answers each and ``spare_slots``
    open slots each. The requester, deposit, qualification type, batch and its first HITs go
    through the services; the other HITs (with the hold the ledger would make for them), the workers
    and the answers are bulk inserts. Seeded: workers of known skill answer items of known truth."""
    started = time.perf_counter()
    hits = max(1, answers // per_hit)
    creds = accounts.create_requester(rt, f"bench-{label}")
    payments.deposit(rt, creds.requester_id, parse_amount("1000000.00"))
    actor = accounts.requester_actor(rt, creds.requester_id, Marketplace.PRODUCTION)
    feed = qualifications.create_type(rt, actor, QualificationTypeSpec(name=f"Accuracy {label}", description="0-100"))
    spec = HITTypeSpec(title=f"Classify ({label})", description="Pick a label", reward_micros=parse_amount("0.01"),
                       assignment_duration_seconds=3600)
    rows = tuple({"text": f"item {i}"} for i in range(hits))
    command = batches.CreateBatch(
        name=f"bench {label}", template_kind="text_classification", question_template="<p>${text}</p>",
        hit_type=spec, rows=rows[:SERVICE_HITS], lifetime_seconds=7 * 86_400, max_assignments=per_hit + spare_slots,
        template_config={"labels": list(LABELS), "text_field": "text"},
        quality=QualitySettings.parse({"method": "ds", "qualification_type_id": feed.public_id}))
    batch = batches.create_batch(rt, actor, command)
    bar.update(min(hits, SERVICE_HITS) * (1 + per_hit))
    with rt.sessions.begin() as db:
        template = db.scalars(select(HIT).where(HIT.batch_id == batch.id).order_by(HIT.id).limit(1)).one()
        _bulk_hits(db, rt.clock(), template, command, rows[SERVICE_HITS:], bar)
        crowd, submitters = _bulk_workers(db, rt.clock(), label, max(50, min(500, answers // 200)))
        hit_rows = db.execute(select(HIT.id, HIT.public_id).where(HIT.batch_id == batch.id).order_by(HIT.id)).all()
        _bulk_answers(db, rt.clock(), template, [hit_id for hit_id, _ in hit_rows], crowd, per_hit, rng, bar)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    outcome = consensus.aggregate_batch(rt, batch.public_id, force=True)  # warm: consensus rows exist
    if outcome.answers != len(hit_rows) * per_hit or outcome.error:
        raise AssertionError(f"the warm-up aggregation went wrong: {outcome}")
    order = [public_id for _, public_id in hit_rows]
    rng.shuffle(order)
    return Seeded(label, len(hit_rows) * per_hit, batch.public_id, batch.id, order, submitters, seeded,
                  time.perf_counter() - started)


def _bulk_hits(db: Session, now: datetime, template: HIT, command: batches.CreateBatch, rows: tuple[dict, ...],
               bar: tqdm) -> None:
    """More HITs like ``template`` (made by the service), each with the hold ``insert_hit`` makes."""
    hold = ledger.slot_cost(template) * template.liable_slots(now)
    owner = f"requester:{template.requester_id}"
    available = ledger.account(db, template.marketplace, owner, ledger.AVAILABLE)
    on_hold = ledger.account(db, template.marketplace, owner, ledger.ON_HOLD)
    if ledger.balance_of(db, on_hold, hit_id=template.id) != hold:
        raise AssertionError("the bulk holds would differ from the ledger's")
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        hit_ids = db.execute(insert(HIT).returning(HIT.id, sort_by_parameter_order=True), [{
            "public_id": ids.new_id(), "requester_id": template.requester_id, "marketplace": template.marketplace,
            "hit_type_id": template.hit_type_id, "batch_id": template.batch_id, "question": command.question_for(row),
            "data": row, "max_assignments": template.max_assignments,
            "fee_per_assignment_micros": template.fee_per_assignment_micros, "status": HITStatus.ASSIGNABLE,
            "created_at": now, "expires_at": template.expires_at, "is_gold": False} for row in chunk]).scalars().all()
        txn_ids = db.execute(insert(LedgerTransaction).returning(LedgerTransaction.id, sort_by_parameter_order=True),
                             [{"marketplace": template.marketplace, "kind": "reserve", "memo": "", "created_at": now}
                              for _ in hit_ids]).scalars().all()
        db.execute(insert(LedgerEntry), [
            {"transaction_id": txn, "account_id": account.id, "amount_micros": amount, "hit_id": hit_id}
            for hit_id, txn in zip(hit_ids, txn_ids, strict=True)
            for account, amount in ((available, -hold), (on_hold, hold))])
        bar.update(len(chunk))
    if ledger.balance_of(db, available) < 0:
        raise AssertionError("the deposit does not cover the bulk holds")


def _bulk_workers(db: Session, now: datetime, label: str, crowd: int) -> tuple[list[int], list[Actor]]:
    """``crowd`` workers who answered the seeded items (ids), and the submitters, who answered none."""
    names = [f"bench-{label}-w{i}" for i in range(crowd + SUBMITTERS)]
    db.execute(insert(Worker), [{"public_id": ids.new_worker_id(), "name": name, "password_hash": "-",
                                 "created_at": now} for name in names])
    people = {name: (worker_id, public_id) for name, worker_id, public_id in db.execute(
        select(Worker.name, Worker.id, Worker.public_id).where(Worker.name.in_(names))).tuples()}
    return ([people[name][0] for name in names[:crowd]],
            [Actor("worker", *people[name], Marketplace.PRODUCTION) for name in names[crowd:]])


def _bulk_answers(db: Session, now: datetime, template: HIT, hit_ids: list[int], crowd: list[int], per_hit: int,
                  rng: np.random.Generator, bar: tqdm) -> None:
    """``per_hit`` submitted answers on every HIT by distinct workers of the crowd, each right with
    the probability of that worker's skill; the HITs' counters to match."""
    skill = rng.uniform(0.4, 0.95, len(crowd))
    truth = rng.integers(0, len(LABELS), len(hit_ids))
    delay = timedelta(seconds=template.hit_type.auto_approval_delay_seconds)
    accepted = now - timedelta(minutes=5)
    pending: list[dict] = []
    for position, hit_id in enumerate(hit_ids):
        for worker in rng.choice(len(crowd), per_hit, replace=False):
            right = rng.random() < skill[worker]
            given = truth[position] if right else (truth[position] + rng.integers(1, len(LABELS))) % len(LABELS)
            pending.append({"public_id": ids.new_id(), "hit_id": hit_id, "worker_id": crowd[worker],
                            "status": AssignmentStatus.SUBMITTED, "accepted_at": accepted,
                            "deadline": accepted + timedelta(hours=1), "submitted_at": now,
                            "auto_approval_at": now + delay, "answer": {"label": LABELS[given]},
                            "signals": {"time_on_page_ms": int(rng.integers(2000, 20000))}})
        if len(pending) >= CHUNK or position == len(hit_ids) - 1:
            db.execute(insert(Assignment), pending)
            bar.update(len(pending))
            pending = []
    db.execute(update(HIT).where(HIT.batch_id == template.batch_id).values(submitted_count=per_hit))


# --- the background work per mode ------------------------------------------------------------------

def free_redis_db(base: str, wanted: int | None) -> int:
    """A Redis database with no keys (ours for the run, flushed at the end); ``wanted`` if given."""
    for number in ([wanted] if wanted is not None else range(2, 14)):
        client = Redis.from_url(f"{base}/{number}")
        try:
            if client.dbsize() == 0:
                return number
        finally:
            client.close()
    raise SystemExit(f"no empty Redis database among {'db ' + str(wanted) if wanted is not None else 'db 2-13'} "
                     f"on {base}: give --redis-db")


@dataclass
class Background:
    """Who runs the jobs during one measurement: nothing, threads here, or a worker subprocess."""

    mode: str
    rt: Runtime
    home: Runtime  # the Runtime jobs run in this process use once this mode is over
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def stop(self) -> tuple[int, int] | None:
        """Stop the background work; for the rq worker, return how many rq jobs it ran and how many of
        them named no row of the jobs table (read from its log)."""
        counts = None
        if self.mode == "embedded":
            self.rt.backend.stop()
            install_runtime(self.home)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # rq: warm shutdown; the forwarder stops with it
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only the worker and its children
                self.process.wait(timeout=10)
        if self.log_path is not None and self.log_path.exists():
            ran = re.findall(r"Job OK \(labelhub-job-([0-9A-Z]+)\)", self.log_path.read_text())
            with self.rt.sessions() as db:
                known = set(db.scalars(select(Job.public_id).where(Job.public_id.in_(set(ran)))))
            counts = len(ran), sum(public_id not in known for public_id in ran)
        if self.rt.redis is not None:
            self.rt.redis.close()
        self.rt.engine.dispose()
        return counts

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log_path.read_text()[-3000:] if self.log_path and self.log_path.exists() else ""
            raise RuntimeError(f"the jobs worker exited with {self.process.returncode}:\n{tail}")


def start_background(mode: str, url: str, folder: Path, args: argparse.Namespace, redis_url: str,
                     queue: str, home: Runtime) -> Background:
    if mode == "redis":
        settings = settings_for(url, folder, redis_url=redis_url, queue=queue, poll_ms=args.poll_ms)
        redis = Redis.from_url(redis_url)
        rt = Runtime(settings=settings, engine=make_engine(url), backend=RqBackend(redis, queue=queue), redis=redis)
        env = dict(os.environ, LABELHUB_DATABASE_URL=url, LABELHUB_REDIS_URL=redis_url, LABELHUB_REDIS_QUEUE=queue,
                   LABELHUB_STORAGE_INSTANCE_PATH=str(folder), LABELHUB_CONFIG=str(folder / "no-config.toml"),
                   LABELHUB_JOBS_POLL_INTERVAL_MS=str(settings.jobs.poll_interval_ms),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
        command = shutil.which("labelhub", path=str(Path(sys.executable).parent)) or "labelhub"
        log_path = folder / f"worker-{time.monotonic_ns()}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen([command, "jobs", "worker"], env=env, cwd=folder, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        return Background(mode, rt, home, process, log_path)
    runner = "embedded" if mode == "embedded" else "external"
    settings = settings_for(url, folder, runner=runner, poll_ms=args.poll_ms, threads=args.threads)
    rt = Runtime(settings=settings, engine=make_engine(url), backend=EmbeddedBackend())
    if mode == "embedded":
        install_runtime(rt)  # as create_app does: jobs run here use this database
        rt.backend.start(rt)  # as a serving process does: the Runner's threads start now
    return Background(mode, rt, home)


# --- measuring --------------------------------------------------------------------------------------

@dataclass
class Result:
    mode: str
    seeded: Seeded
    latencies: list[float] = field(default_factory=list)  # seconds, submit calls under load
    lags: list[float | None] = field(default_factory=list)  # seconds, submit return -> consensus
    lone_lags: list[float | None] = field(default_factory=list)
    runs: int = 0  # aggregation runs that read new answers during the timed submissions
    run_seconds: list[float] = field(default_factory=list)
    failed_jobs: int = 0
    round_p50s: list[float] = field(default_factory=list)  # milliseconds, each round's median
    rq_jobs: tuple[int, int] | None = None  # rq jobs the worker ran in this mode, of them for no jobs-table row
    load_before: float = 0.0
    load_after: float = 0.0


class Submitter:
    """Picks a HIT with a free slot and a submitter who has not worked on it; accept, then a timed submit."""

    def __init__(self, seeded: Seeded, rng: np.random.Generator) -> None:
        self.seeded, self.rng = seeded, rng
        self.next_hit = 0
        self.turn = 0
        self.last_hit = ""
        self.done: dict[str, set[int]] = {}

    def once(self, rt: Runtime) -> tuple[float, datetime]:
        hit = self.last_hit = self.seeded.hits[self.next_hit % len(self.seeded.hits)]
        self.next_hit += 1
        taken = self.done.setdefault(hit, set())
        worker = next(w for w in (self.seeded.submitters[(self.turn + k) % len(self.seeded.submitters)]
                                  for k in range(len(self.seeded.submitters))) if w.id not in taken)
        self.turn += 1
        taken.add(worker.id)
        assignment = assignments.accept(rt, worker, hit)
        answer = {"label": LABELS[int(self.rng.integers(0, len(LABELS)))]}
        signals = {"time_on_page_ms": int(self.rng.integers(2000, 20000))}
        started = time.perf_counter()
        assignments.submit(rt, worker, assignment.public_id, answer, signals)
        elapsed = time.perf_counter() - started
        return elapsed, datetime.now(UTC)


def check_consensus(rt: Runtime, hit_public_id: str) -> None:
    """The job-table reading says the HIT's latest answer is in the consensus: so must its consensus row."""
    with rt.sessions() as db:
        hit = db.scalars(select(HIT).where(HIT.public_id == hit_public_id)).one()
        stored = db.scalar(select(ConsensusLabel.answers).where(ConsensusLabel.hit_id == hit.id))
    if stored != hit.submitted_count + hit.approved_count:
        raise AssertionError(f"HIT {hit_public_id}: consensus of {stored} answers, "
                             f"{hit.submitted_count + hit.approved_count} submitted")


def counted_answers(rt: Runtime, batch_id: int) -> int:
    with rt.sessions() as db:
        return int(db.scalar(select(func.count(Assignment.id)).join(HIT, HIT.id == Assignment.hit_id).where(
            HIT.batch_id == batch_id, Assignment.status.in_(COUNTED_STATUSES))))


def aggregation_runs(rt: Runtime, seeded: Seeded, since: datetime) -> list[tuple[datetime, datetime, int]]:
    """(started, finished, answers read) of the batch's aggregation runs that read answers, by finish."""
    with rt.sessions() as db:
        rows = db.execute(select(Job.started_at, Job.finished_at, Job.result).where(
            Job.kind == AGGREGATE_JOB, Job.target == f"batch:{seeded.public_id}", Job.state == JobState.SUCCEEDED,
            Job.created_at >= since).order_by(Job.finished_at)).tuples().all()
    return [(s, f, int(r["answers"])) for s, f, r in rows if r and r.get("ran") and r.get("answers")]


def failed_aggregations(rt: Runtime, seeded: Seeded, since: datetime) -> int:
    with rt.sessions() as db:
        return int(db.scalar(select(func.count(Job.id)).where(
            Job.kind == AGGREGATE_JOB, Job.target == f"batch:{seeded.public_id}", Job.state == JobState.FAILED,
            Job.created_at >= since)))


def wait_for(condition, what: str, background: Background, timeout: float = WAIT_TIMEOUT,
             every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        background.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def included(rt: Runtime, seeded: Seeded, since: datetime, answers: int) -> bool:
    runs = aggregation_runs(rt, seeded, since)
    return bool(runs) and runs[-1][2] >= answers


def idle(rt: Runtime) -> bool:
    """No due job waiting or running and no event waiting for dispatch."""
    now = rt.clock()
    with rt.sessions() as db:
        busy = db.scalar(select(func.count(Job.id)).where(
            (Job.state == JobState.RUNNING) | ((Job.state == JobState.QUEUED) & (Job.run_after <= now))))
        events = db.scalar(select(func.count(Event.id)).where(Event.dispatched_at.is_(None)))
    return not busy and not events


def lags_of(runs: list[tuple[datetime, datetime, int]], submitted: list[tuple[datetime, int]]) -> list[float | None]:
    """Per submission (returned at, answers once committed): seconds until the first run that read it
    finished; None if no run did."""
    lags: list[float | None] = []
    for returned, needed in submitted:
        finished = next((f for _, f, n in runs if n >= needed), None)
        lags.append(None if finished is None else max(0.0, (finished - returned).total_seconds()))
    return lags


def measure(mode: str, seeded: list[Seeded], seed_rt: Runtime, url: str, folder: Path, args: argparse.Namespace,
            redis_url: str, queue: str, rng: np.random.Generator) -> list[Result]:
    """One mode, its batches in alternating rounds (small, large, large, small, ...) so that the load
    of the machine's other jobs falls on every size alike: warm up, the timed submissions (and their
    lags), then the lone submissions. The background work (threads or worker) serves every batch."""
    load = os.getloadavg()[0]
    results = [Result(mode, batch, load_before=load) for batch in seeded]
    background = start_background(mode, url, folder, args, redis_url, queue, seed_rt)
    pickers = [Submitter(batch, rng) for batch in seeded]
    since = background.rt.clock()
    try:
        for batch, picker in zip(seeded, pickers, strict=True):
            for _ in range(args.warmup):  # untimed: the first job, the sweeps queued at start, caches
                picker.once(background.rt)
            if mode != "baseline":
                settle(background, batch, since, counted_answers(background.rt, batch.batch_id))
        shares = [len(part) for part in np.array_split(np.arange(args.submissions), args.rounds)]
        with tqdm(total=args.submissions * len(seeded), desc=f"{mode}: timed submits", unit="submit",
                  leave=False) as bar:
            for number, share in enumerate(shares):
                order = list(zip(seeded, pickers, results, strict=True))
                for batch, picker, result in order if number % 2 == 0 else order[::-1]:
                    timed_round(background, batch, picker, share, args.interval, result, bar)
        if mode != "baseline":
            for batch, picker, result in zip(seeded, pickers, results, strict=True):
                lone_submissions(background, batch, picker, args.lone, result)
                result.failed_jobs = failed_aggregations(background.rt, batch, since)
        return results
    finally:
        load = os.getloadavg()[0]
        counts = background.stop()
        for result in results:
            result.load_after, result.rq_jobs = load, counts
        if mode == "baseline":
            drain(seed_rt)  # dispatch what piled up and aggregate, so no later mode's runner does it


def settle(background: Background, seeded: Seeded, since: datetime, answers: int) -> None:
    """Wait until a run since ``since`` read ``answers`` answers and nothing is left to do."""
    rt, tag = background.rt, f"{background.mode} {seeded.answers:,}"
    wait_for(lambda: included(rt, seeded, since, answers), f"{tag}: answers in the consensus", background)
    wait_for(lambda: idle(rt), f"{tag}: background work idle", background, every=0.1)


def timed_round(background: Background, seeded: Seeded, picker: Submitter, count: int, interval: float,
                result: Result, bar: tqdm) -> None:
    """``count`` timed submissions one after another, then (with background work) the wait until the
    last is in the consensus, the lag of each, and the wait until all is quiet."""
    rt, tag = background.rt, f"{background.mode} {seeded.answers:,}"
    base = counted_answers(rt, seeded.batch_id)
    phase = rt.clock()
    submitted: list[tuple[datetime, int]] = []
    latencies = []
    bar.set_postfix_str(f"{seeded.answers:,} answers")
    for number in range(count):
        elapsed, returned = picker.once(rt)
        latencies.append(elapsed)
        submitted.append((returned, base + number + 1))
        bar.update()
        if interval:
            time.sleep(interval)
    result.latencies += latencies
    result.round_p50s.append(ms(latencies, 50))
    if background.mode == "baseline":
        return
    bar.set_postfix_str(f"{seeded.answers:,} answers: waiting for the consensus")
    settle(background, seeded, phase, base + count)
    runs = aggregation_runs(rt, seeded, phase)
    result.lags += lags_of(runs, submitted)
    timed = [(started, finished) for started, finished, read in runs if read > base]
    result.runs += len(timed)
    result.run_seconds += [(finished - started).total_seconds() for started, finished in timed]
    if not all(lag is not None for lag in result.lags):
        raise AssertionError(f"{tag}: a timed answer is missing from the consensus")


def lone_submissions(background: Background, seeded: Seeded, picker: Submitter, count: int, result: Result) -> None:
    """One submission at a time on an idle system, each waited for until it is in the consensus."""
    rt = background.rt
    since = rt.clock()
    lone: list[tuple[datetime, int]] = []
    for _ in tqdm(range(count), desc=f"{background.mode} {seeded.answers:,}: lone submissions", unit="submit",
                  leave=False):
        time.sleep(0.5)
        _, returned = picker.once(rt)
        needed = counted_answers(rt, seeded.batch_id)
        lone.append((returned, needed))
        settle(background, seeded, since, needed)
        check_consensus(rt, picker.last_hit)
    result.lone_lags = lags_of(aggregation_runs(rt, seeded, since), lone)


# --- reporting --------------------------------------------------------------------------------------

def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def seconds(values: list[float | None], q: float | None) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "—"
    value = max(known) if q is None else float(np.percentile(known, q))
    missing = len(values) - len(known)
    return f"{value:.2f}" + (f" ({missing} never)" if missing else "")


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference else "—"


def report(results: list[Result], sizes: list[int], goal: float) -> list[str]:
    small, large = min(sizes), max(sizes)
    lines = ["| mode | answers in batch | submits | submit p50 (ms) | submit p99 (ms) | p50 vs smallest | "
             "p99 vs smallest | lag p50 (s) | lag max (s) | lone lag p50 (s) | aggregation runs | run p50 (s) | "
             "load (1 min) before / after |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    rounds = []
    for mode in MODES:
        mine = {r.seeded.answers: r for r in results if r.mode == mode}
        if not mine:
            continue
        reference = min(mine.values(), key=lambda r: r.seeded.answers)
        for answers in sorted(mine):
            r = mine[answers]
            p50, p99 = ms(r.latencies, 50), ms(r.latencies, 99)
            ref50, ref99 = ms(reference.latencies, 50), ms(reference.latencies, 99)
            background = mode != "baseline"
            lines.append(
                f"| {mode} | {answers:,} | {len(r.latencies)} | {p50:.1f} | {p99:.1f} | {ratio(p50, ref50)} | "
                f"{ratio(p99, ref99)} | {seconds(r.lags, 50) if background else '—'} | "
                f"{seconds(r.lags, None) if background else '—'} | "
                f"{seconds(r.lone_lags, 50) if background else '—'} | {r.runs if background else '—'} | "
                f"{seconds(r.run_seconds, 50) if background else '—'} | {r.load_before:.2f} / {r.load_after:.2f} |")
            rounds.append(f"{mode} {answers:,}: {', '.join(f'{v:.1f}' for v in r.round_p50s)}")
            if r.failed_jobs:
                verdicts.append(f"WARNING: {mode} {answers:,}: {r.failed_jobs} aggregation job(s) failed")
        if reference.rq_jobs is not None:
            ran, phantom = reference.rq_jobs
            verdicts.append(f"{mode}: the rq worker ran {ran} rq jobs in this mode, {phantom} of them for no row of "
                            f"the jobs table (a coalesced aggregation request is sent to rq all the same)")
        low, high = mine.get(min(mine)), mine.get(max(mine))
        if low is not None and high is not None and low is not high:
            checks = []
            for name, q in (("p50", 50), ("p99", 99)):
                value = ms(high.latencies, q) / ms(low.latencies, q)
                checks.append(f"{name} {value:.2f}x ({'met' if value <= goal else 'NOT met'})")
            verdicts.append(f"{mode}: {high.seeded.answers:,} vs {low.seeded.answers:,} answers: "
                            f"{', '.join(checks)}; goal <= {goal}x")
    if small == large:
        verdicts.append("one size only: no ratio")
    return lines + ["", "submit p50 of each round (ms), in the order run:"] + [f"  {r}" for r in rounds] + [""] \
        + verdicts


# --- main -------------------------------------------------------------------------------------------

@contextmanager
def temporary_folder(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="labelhub-submit-bench-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def arguments(argv: list[str] | None) -> tuple[argparse.Namespace, list[int], list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE,
                        help=f"PostgreSQL (a database named bench*, dropped and created again; default "
                             f"{DEFAULT_DATABASE}), a sqlite:/// URL, or 'sqlite' for a temporary file")
    parser.add_argument("--sizes", default=None, help="answers already in the batch, e.g. 1000,100000")
    parser.add_argument("--modes", default=",".join(MODES), help=f"some of {','.join(MODES)}")
    parser.add_argument("--submissions", type=int, default=None, help="timed submissions per batch (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed submissions before the timed ones")
    parser.add_argument("--lone", type=int, default=None, help="submissions on an idle system for the lone lag "
                                                               "(default 3)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds the submissions are split into, the "
                                                                 "sizes alternating (default 4)")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between submissions (default: none)")
    parser.add_argument("--per-hit", type=int, default=5, help="answers per HIT already in the batch")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="Redis server, without a database number")
    parser.add_argument("--redis-db", type=int, default=None, help="Redis database (default: the first empty of 2-13)")
    parser.add_argument("--poll-ms", type=int, default=None, help="[jobs] poll_interval_ms (default: the setting's)")
    parser.add_argument("--threads", type=int, default=None, help="[jobs] threads of the embedded runner")
    parser.add_argument("--goal", type=float, default=1.2, help="largest allowed ratio of the large to the small batch")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary folder")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 and 10,000 answers, 30 submissions")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "1000,100000")).split(",")]
    args.submissions = args.submissions or (30 if args.quick else 200)
    args.lone = args.lone if args.lone is not None else (1 if args.quick else 3)
    args.rounds = max(1, min(args.rounds or (2 if args.quick else 4), args.submissions))
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    return args, sizes, modes


def main(argv: list[str] | None = None) -> int:
    args, sizes, modes = arguments(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    load_start = os.getloadavg()
    redis_db = free_redis_db(args.redis_url, args.redis_db) if "redis" in modes else None
    redis_url = f"{args.redis_url}/{redis_db}"
    queue = f"bench-submit-{os.getpid()}"
    with temporary_folder(args.keep) as folder:
        url = prepare_database(args.database_url, folder)
        try:
            seed_rt = Runtime(settings=settings_for(url, folder), engine=make_engine(url), backend=InlineBackend())
            migrations.upgrade(seed_rt.engine)
            install_runtime(seed_rt)  # jobs run in this process (InlineBackend, drain) use this database
            version = database_version(seed_rt)
            seeded = seed_all(seed_rt, modes, sizes, args, rng)
            analyze(url)
            results = []
            for mode in modes:
                clock = time.perf_counter()
                results += measure(mode, [seeded[mode, size] for size in sizes], seed_rt, url, folder, args,
                                   redis_url, queue, rng)
                for r in results[-len(sizes):]:
                    print(f"{mode} {r.seeded.answers:,}: p50 {ms(r.latencies, 50):.1f} ms, p99 "
                          f"{ms(r.latencies, 99):.1f} ms, p50 per round {', '.join(f'{v:.1f}' for v in r.round_p50s)}"
                          f" ({time.perf_counter() - clock:.0f} s for the mode)", file=sys.stderr)
            seed_rt.engine.dispose()
        finally:
            if redis_db is not None:
                Redis.from_url(redis_url).flushdb()  # it was empty when the run took it
            if not args.keep:
                drop_database(url)
    describe(version, args, seeded, load_start, time.perf_counter() - started)
    print("\n".join(report(results, sizes, args.goal)))
    return 0


def describe(version: str, args: argparse.Namespace, seeded: dict[tuple[str, int], Seeded],
             load_start: tuple[float, float, float], wall: float) -> None:
    settings = settings_for("", Path("."), poll_ms=args.poll_ms, threads=args.threads)
    print(f"\n{version}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    pace = f" every {args.interval} s" if args.interval else ""
    print(f"{args.submissions} timed submissions per batch ({args.warmup} untimed first) in {args.rounds} rounds, "
          f"the sizes alternating, one after another{pace}; {args.per_hit} answers per HIT, method ds, "
          f"{len(LABELS)} labels; embedded runner: {settings.jobs.threads} threads; "
          f"poll interval {settings.jobs.poll_interval_ms} ms")
    for (mode, _), s in seeded.items():
        print(f"  batch {mode} {s.answers:,}: {len(s.hits):,} HITs, seeded in {s.seed_seconds:.1f} s, "
              f"first aggregation {s.warm_seconds:.2f} s")
    end = os.getloadavg()
    print(f"load average (1, 5, 15 min): start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, "
          f"end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}; whole run {wall:.0f} s\n")


def seed_all(rt: Runtime, modes: list[str], sizes: list[int], args: argparse.Namespace,
             rng: np.random.Generator) -> dict[tuple[str, int], Seeded]:
    """One fresh batch per mode and size, with enough open slots for every submission of a run."""
    spare = 1 + math.ceil((args.warmup + args.submissions + args.lone) / max(1, min(sizes) // args.per_hit))
    total = sum((size // args.per_hit) * (1 + args.per_hit) for size in sizes) * len(modes)
    seeded: dict[tuple[str, int], Seeded] = {}
    with tqdm(total=total, desc="seeding batches (HITs and answers)", unit="row") as bar:
        for mode in modes:
            for size in sizes:
                seeded[mode, size] = seed_batch(rt, f"{mode}-{size}", size, per_hit=args.per_hit,
                                                spare_slots=spare, rng=rng, bar=bar)
    return seeded


if __name__ == "__main__":
    raise SystemExit(main())
