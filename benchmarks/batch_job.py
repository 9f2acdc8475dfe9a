"""The batch aggregation job end to end (read the answers, aggregate, store consensus, evidence and
the qualification feed) on a large batch, beside the estimator alone on the same answers.

The batch and its HITs are made through the services (so the ledger holds their cost); the workers'
submitted assignments are then written in bulk, since submitting 100,000 answers one by one would
aggregate the batch 100,000 times. Seeded; nothing of the real data sets is read.

    python benchmarks/batch_job.py                                   # SQLite in a temporary folder
    python benchmarks/batch_job.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import insert, text, update  # noqa: E402

from benchmarks.scratch import drop_database, fresh_database  # noqa: E402
from labelhub import ids  # noqa: E402
from labelhub.models import HIT, Assignment, AssignmentStatus, Marketplace, Worker  # noqa: E402
from labelhub.money import parse_amount  # noqa: E402
from labelhub.queueing import InlineBackend  # noqa: E402
from labelhub.runtime import Runtime  # noqa: E402
from labelhub.services import accounts, batches, consensus, payments, qualifications  # noqa: E402
from labelhub.services.batch_quality import QualitySettings  # noqa: E402
from labelhub.services.commands import HITTypeSpec, QualificationTypeSpec  # noqa: E402
from labelhub.settings import DatabaseSettings, Settings, StorageSettings  # noqa: E402

SCHEMA = "labelhub_batch_bench"
LABELS = ("a", "b", "c", "d", "e")


def _runtime(url: str | None, folder: Path) -> Runtime:
    settings = replace(Settings(), storage=StorageSettings(instance_path=str(folder)),
                       database=DatabaseSettings(url=url or f"sqlite:///{folder / 'bench.sqlite'}"))
    engine = fresh_database(settings.database.url, SCHEMA)
    return Runtime(settings=settings, engine=engine, backend=InlineBackend())


def _seed(rt: Runtime, hits: int, per_hit: int, workers: int, seed: int) -> tuple[str, np.ndarray]:
    """A batch of ``hits`` HITs and ``per_hit`` submitted answers each; returns the batch id and each
    worker's true accuracy."""
    creds = accounts.create_requester(rt, "bench-lab")
    payments.deposit(rt, creds.requester_id, parse_amount("1000000.00"))
    actor = accounts.requester_actor(rt, creds.requester_id, Marketplace.PRODUCTION)
    feed = qualifications.create_type(rt, actor, QualificationTypeSpec(name="Accuracy", description="0-100"))
    spec = HITTypeSpec(title="Classify", description="Pick a label", reward_micros=parse_amount("0.01"),
                       assignment_duration_seconds=600)
    batch = batches.create_batch(rt, actor, batches.CreateBatch(
        name="bench", template_kind="text_classification", question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": f"item {i}"} for i in range(hits)), lifetime_seconds=86_400, max_assignments=per_hit,
        template_config={"labels": list(LABELS), "text_field": "text"},
        quality=QualitySettings.parse({"method": "ds", "qualification_type_id": feed.public_id})))
    rng = np.random.default_rng(seed)
    skill = rng.uniform(0.4, 0.95, workers)
    now = rt.clock()
    with rt.sessions.begin() as db:
        db.execute(insert(Worker), [{"public_id": ids.new_worker_id(), "name": f"bench-worker-{i}",
                                     "password_hash": "-", "created_at": now} for i in range(workers)])
        worker_ids = [row[0] for row in db.execute(text("SELECT id FROM workers ORDER BY id"))]
        hit_ids = [row[0] for row in db.execute(text("SELECT id FROM hits ORDER BY id"))]
        truth = rng.integers(0, len(LABELS), len(hit_ids))
        rows = []
        for position, hit_id in enumerate(hit_ids):
            for worker in rng.choice(workers, per_hit, replace=False):
                right = rng.random() < skill[worker]
                label = truth[position] if right else (truth[position] + rng.integers(1, len(LABELS))) % len(LABELS)
                rows.append({"public_id": ids.new_id(), "hit_id": hit_id, "worker_id": worker_ids[worker],
                             "status": AssignmentStatus.SUBMITTED, "accepted_at": now, "deadline": now,
                             "submitted_at": now, "answer": {"label": LABELS[label]},
                             "signals": {"time_on_page_ms": int(rng.integers(2000, 20000))}})
        db.execute(insert(Assignment), rows)
        db.execute(update(HIT).values(submitted_count=per_hit))
    return batch.public_id, skill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=20_000)
    parser.add_argument("--per-hit", type=int, default=5)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--database", help="a database URL (PostgreSQL: a throwaway schema is used)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-") as folder:
        rt = _runtime(args.database, Path(folder))
        started = time.perf_counter()
        batch_id, _ = _seed(rt, args.hits, args.per_hit, args.workers, seed=2026)
        seeded = time.perf_counter() - started
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            outcome = consensus.aggregate_batch(rt, batch_id, force=True)
            runs.append(time.perf_counter() - started)
        snapshot = consensus._snapshot(rt, batch_id, force=True)  # the estimator alone, on the same answers
        started = time.perf_counter()
        consensus._compute(snapshot)
        compute = time.perf_counter() - started
        rt.engine.dispose()
        drop_database(rt.settings.database.url, SCHEMA)
    answers = args.hits * args.per_hit
    print(f"{rt.engine.dialect.name}: {args.hits:,} HITs x {args.per_hit} = {answers:,} answers by "
          f"{args.workers:,} workers (seeded in {seeded:.1f} s)\n")
    print("| step | seconds | answers per second |")
    print("|---|---:|---:|")
    print(f"| whole job, first run (inserts {outcome.hits:,} consensus rows) | {runs[0]:.2f} "
          f"| {answers / runs[0]:,.0f} |")
    print(f"| whole job, second run (updates them) | {runs[1]:.2f} | {answers / runs[1]:,.0f} |")
    print(f"| of which: estimator and worker evidence (no database) | {compute:.2f} | {answers / compute:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
