"""Creating a large batch: rows per second, the longest write transaction, and what another requester's
writes see meanwhile, for the path in labelhub/services/batch_builds.py and the old one it replaced.

The database is a SQLite file, as ``labelhub run`` uses (or PostgreSQL with ``--database``). While a
batch of text-classification rows is created (``batches.create_batch``, then for a batch over
CHUNK_ROWS rows the body of its build job, run here), another requester creates one HIT every 50 ms
through ``hits.create_hit`` in a thread: its latencies and failures are "what another tenant saw".
Every write transaction of the creating thread is timed from its BEGIN to its COMMIT (on SQLite it
holds the database's single write lock all that time).

The reference is the old path, kept below as ``per_row_create_batch``: one transaction, one ORM HIT
per row, each flushed, its hold re-reading the requester's whole balance, and its own event. It grows
with the square of the rows, so it runs only for ``--reference-rows`` (8,000 by default).

    python benchmarks/batch_create.py                                  # 8,000 and 100,000 rows
    python benchmarks/batch_create.py --rows 20000 --reference-rows 2000,4000,8000
    python benchmarks/batch_create.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import Engine, event  # noqa: E402

from benchmarks.scratch import drop_database, fresh_database  # noqa: E402
from labelhub import ids  # noqa: E402
from labelhub.db import DatabaseBusyError  # noqa: E402
from labelhub.models import Batch, BatchState, Marketplace  # noqa: E402
from labelhub.money import parse_amount  # noqa: E402
from labelhub.queueing import InlineBackend  # noqa: E402
from labelhub.runtime import Runtime  # noqa: E402
from labelhub.services import accounts, batch_builds, batches, hits, payments  # noqa: E402
from labelhub.services.actors import Actor  # noqa: E402
from labelhub.services.batch_quality import QualitySettings  # noqa: E402
from labelhub.services.commands import CreateHIT, HITTypeSpec  # noqa: E402
from labelhub.services.common import record_event  # noqa: E402
from labelhub.settings import DatabaseSettings, Settings, StorageSettings  # noqa: E402

SCHEMA = "labelhub_batch_create_bench"
LABELS = ["positive", "negative", "neutral"]
SPEC = HITTypeSpec(title="Sentiment", description="Pick the sentiment of the text", reward_micros=parse_amount("0.02"),
                   assignment_duration_seconds=600)
PROBE_EVERY = 0.05


class QuietBackend(InlineBackend):
    """Runs nothing after commits: the build job's body is called here, and the HITCreated events wait."""

    def committed(self, rt: Runtime, *, jobs: Any, events: bool) -> None:
        pass


def per_row_create_batch(rt: Runtime, actor: Actor, cmd: batches.CreateBatch) -> Batch:
    """``batches.create_batch`` as it was before issue 11, item 6 (commit f6eb3be), in one transaction."""
    config = batches.checked_task_type_config(cmd)
    settings = cmd.quality or QualitySettings(method=rt.settings.quality.method)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit_type = hits.hit_type_for(db, actor, cmd.hit_type, now)
        batch = Batch(public_id=ids.new_id(), requester_id=actor.id, marketplace=actor.marketplace, name=cmd.name,
                      template_kind=cmd.template_kind, template={"question": cmd.question_template, "config": config},
                      hit_type_id=hit_type.id, created_at=now, quality=settings.to_json())
        db.add(batch)
        db.flush()
        for row in cmd.rows:
            hits.insert_hit(db, rt, actor, CreateHIT(
                question=cmd.question_for(row), lifetime_seconds=cmd.lifetime_seconds,
                max_assignments=cmd.max_assignments, hit_type_id=hit_type.public_id, data=row,
                answer_schema=cmd.answer_schema, batch_id=batch.id), now=now)
        record_event(db, actor, "BatchCreated", entity="batch", entity_id=batch.public_id, now=now,
                     hits=len(cmd.rows), gold_hits=0)
    return batch


def new_create_batch(rt: Runtime, actor: Actor, cmd: batches.CreateBatch) -> Batch:
    """Today's path: the request's transaction, then (over CHUNK_ROWS rows) what the build job does."""
    batch = batches.create_batch(rt, actor, cmd)
    if batch.state is BatchState.BUILDING:
        batch_builds.build(rt, batch.public_id)
    return batch


@dataclass
class Transactions:
    """The write transactions of one thread, BEGIN to COMMIT (or ROLLBACK)."""

    thread: int
    seconds: list[float] = field(default_factory=list)
    _open: dict[int, float] = field(default_factory=dict)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, conn: Any) -> None:
        if threading.get_ident() == self.thread:
            self._open[id(conn)] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        started = self._open.pop(id(conn), None)
        if started is not None:
            self.seconds.append(time.perf_counter() - started)


@dataclass
class Tenant:
    """Another requester creating one HIT every PROBE_EVERY seconds, as long as ``running``."""

    rt: Runtime
    actor: Actor
    latencies: list[float] = field(default_factory=list)
    busy: int = 0
    failed: int = 0
    running: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        command = CreateHIT(question="<p>Another tenant's HIT</p>", lifetime_seconds=3600, max_assignments=1,
                            hit_type=SPEC)
        while self.running.is_set():
            started = time.perf_counter()
            try:
                hits.create_hit(self.rt, self.actor, command)
            except DatabaseBusyError:
                self.busy += 1
            except Exception:
                self.failed += 1
            self.latencies.append(time.perf_counter() - started)
            time.sleep(PROBE_EVERY)

    @contextmanager
    def alongside(self) -> Iterator[None]:
        self.running.set()
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self.running.clear()
            thread.join()


@dataclass(frozen=True)
class Outcome:
    path: str
    rows: int
    seconds: float
    transactions: list[float]
    tenant: Tenant

    def line(self) -> str:
        holds, waits = sorted(self.transactions), sorted(self.tenant.latencies)
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else 0.0
        cells = [self.path, f"{self.rows:,}", f"{self.seconds:.1f}", f"{self.rows / self.seconds:,.0f}",
                 f"{len(holds):,}", f"{holds[-1] * 1000:,.0f}", f"{holds[len(holds) // 2] * 1000:,.0f}",
                 f"{len(waits):,}", f"{p99 * 1000:,.0f}", f"{(waits[-1] if waits else 0) * 1000:,.0f}",
                 str(self.tenant.busy), str(self.tenant.failed)]
        return "| " + " | ".join(cells) + " |"


def _runtime(url: str | None, folder: Path) -> Runtime:
    settings = replace(Settings(), storage=StorageSettings(instance_path=str(folder)),
                       database=DatabaseSettings(url=url or f"sqlite:///{folder / 'bench.sqlite'}"))
    engine = fresh_database(settings.database.url, SCHEMA)
    return Runtime(settings=settings, engine=engine, backend=QuietBackend())


def _requester(rt: Runtime, name: str) -> Actor:
    creds = accounts.create_requester(rt, name)
    payments.deposit(rt, creds.requester_id, parse_amount("1000000.00"))
    return accounts.requester_actor(rt, creds.requester_id, Marketplace.PRODUCTION)


def measure(path: str, create: Callable[[Runtime, Actor, batches.CreateBatch], Batch], rows: int,
            database: str | None) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-") as folder:
        rt = _runtime(database, Path(folder))
        creator, other = _requester(rt, "bench-lab"), _requester(rt, "other-lab")
        command = batches.CreateBatch(
            name="bench", template_kind="text_classification", question_template="<p>${text}</p>", hit_type=SPEC,
            rows=tuple({"text": f"Review {i}: the product did what it said."} for i in range(rows)),
            lifetime_seconds=86_400, max_assignments=3, template_config={"labels": LABELS, "text_field": "text"})
        transactions, tenant = Transactions(threading.get_ident()), Tenant(rt, other)
        transactions.attach(rt.engine)
        with tenant.alongside():
            started = time.perf_counter()
            create(rt, creator, command)
            seconds = time.perf_counter() - started
        rt.engine.dispose()
        if database:
            drop_database(database, SCHEMA)
    return Outcome(path, rows, seconds, transactions.seconds, tenant)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="8000,100000", help="batch sizes for today's path (comma-separated)")
    parser.add_argument("--reference-rows", default="8000", help="batch sizes for the old path ('' for none)")
    parser.add_argument("--database", help="a PostgreSQL URL (a throwaway schema is used); default: a SQLite file")
    args = parser.parse_args(argv)
    runs = [("old: one HIT at a time", per_row_create_batch, int(n)) for n in args.reference_rows.split(",") if n]
    runs += [("new: bulk, in chunks", new_create_batch, int(n)) for n in args.rows.split(",") if n]
    print(f"{'PostgreSQL' if args.database else 'SQLite (file)'}; chunks of {batch_builds.CHUNK_ROWS:,} rows; "
          f"another requester creates a HIT every {PROBE_EVERY * 1000:.0f} ms meanwhile\n")
    print("| path | rows | seconds | rows/s | write transactions | longest (ms) | median (ms) "
          "| other tenant's HITs | their p99 (ms) | their longest (ms) | busy (503) | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path, create, rows in runs:
        print(measure(path, create, rows, args.database).line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
