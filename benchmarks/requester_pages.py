"""Server time of the requester's pages on PostgreSQL: the batch list, and a batch's page, review queue
and quality dashboard at 1k, 10k and 100k HITs in a batch, and the worker pages, for a requester owning
1M HITs; goal p50 <= 50 ms and p99 <= 300 ms, beside Label Studio's median for a 100-task page of a
100k-task project (118-197 ms).

One requester's HITs are seeded in bulk (COPY) into a throwaway schema: the measured batches, the rest
spread over other batches (older ones finished, the newest running), and HITs made without a batch
over a few HIT types. HITs carry the counters and statuses their assignments would have left, and the
batches' HITs also get those assignment rows (by WORKERS workers, 80% agreeing with the consensus)
and worker scores (one worker in ten at 50% accuracy), which the review queue, the dashboard and the
worker pages read. 2% of the HITs are gold, and every answered non-gold HIT has a
consensus label. Each page is then requested in-process through the Flask app's test client, signed in
as that requester: warm-up requests first, then ``--requests`` timed ones (time.perf_counter around
``client.get``), with the SQL statements of each request counted and timed. For a page that misses the
goal, its heaviest statements are listed and the three slowest shown with EXPLAIN ANALYZE.

    python benchmarks/requester_pages.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_d
    python benchmarks/requester_pages.py --hits 20000 --sizes 1000,10000 --requests 50    # a quick run
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import Engine, event, insert, text  # noqa: E402

import annotators  # noqa: E402
from benchmarks.scratch import drop_database, engine_for, fresh_database, load_rows  # noqa: E402
from labelhub import create_app, ids  # noqa: E402
from labelhub.models import Batch, HITType, Marketplace, Requester, Worker  # noqa: E402
from labelhub.queueing import InlineBackend  # noqa: E402
from labelhub.runtime import Runtime  # noqa: E402
from labelhub.services import requester_pages  # noqa: E402
from labelhub.services.actors import Actor  # noqa: E402
from labelhub.services.common import encode_cursor  # noqa: E402
from labelhub.settings import DatabaseSettings, Settings, StorageSettings  # noqa: E402
from labelhub.web import requester_monitor  # noqa: E402

SCHEMA = "labelhub_requester_pages_bench"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_d"
LABELS = ("positive", "negative", "neutral")
PER_HIT = 3
WORKERS = 400  # who answered the measured batches' HITs
GOLD_EVERY = 50  # 2% gold HITs
CHUNK_HITS = 50_000
HIT_TYPES = 5  # HIT types of the HITs made without a batch
GOAL_P50_MS, GOAL_P99_MS = 50.0, 300.0
# Label Studio, measured: 118-197 ms median for a 100-task page of a project of 100k tasks.
LABEL_STUDIO_MS = 118.0
NOW = datetime.now(UTC).replace(microsecond=0)
ENDPOINTS = ("requester_monitor.batches", "requester_monitor.batch", "requester_monitor.hit_type",
             "requester_review.queue", "requester_quality.dashboard", "requester_workers.workers",
             "requester_workers.worker")


# --- seeding ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """A batch to seed: its size, how far along it is, and whether it is measured."""

    hits: int
    done: float  # the share of its HITs fully answered
    measured: bool
    running: bool  # unexpired, taking workers
    id: int = 0
    public_id: str = ""
    created_at: datetime = NOW


def plan_batches(total: int, sizes: list[int], others: int, batchless: int, draw: random.Random) -> list[Plan]:
    """The batches in creation order: ``others`` batches sharing what the measured ones and the HITs
    without a batch leave of ``total``, sizes varying +-50%; the biggest measured batch among the
    oldest, the others spread out, the newest tenth running."""
    rest = total - sum(sizes) - batchless
    if rest < 0 or (rest and not others):
        raise SystemExit(f"--hits {total:,} cannot hold batches of {sizes} and {batchless:,} HITs without a batch")
    weights = [draw.uniform(0.5, 1.5) for _ in range(others)]
    other_sizes = [int(rest * w / sum(weights)) for w in weights]
    if other_sizes:
        other_sizes[-1] += rest - sum(other_sizes)
    plans = [Plan(size, 1.0, False, False) for size in other_sizes]
    for rank, size in enumerate(sorted(sizes, reverse=True)):
        position = len(plans) * (1 + 4 * rank) // (4 * len(sizes) + 1) if plans else 0
        plans.insert(position, Plan(size, 0.6, True, True))
    running_from = len(plans) - max(1, len(plans) // 10)
    for number, plan in enumerate(plans):
        plan.created_at = NOW - timedelta(hours=6 * (len(plans) - number))
        if number >= running_from and not plan.measured:
            plan.running, plan.done = True, draw.uniform(0.2, 0.9)
    return plans


HIT_COLUMNS = ["id", "public_id", "requester_id", "marketplace", "hit_type_id", "batch_id", "question", "data",
               "max_assignments", "fee_per_assignment_micros", "status", "review_status", "created_at",
               "expires_at", "is_gold", "pending_count", "submitted_count", "approved_count", "rejected_count"]
CONSENSUS_COLUMNS = ["id", "hit_id", "batch_id", "value", "confidence", "answers", "updated_at"]
ASSIGNMENT_COLUMNS = ["id", "public_id", "hit_id", "worker_id", "status", "accepted_at", "deadline", "submitted_at",
                      "auto_approval_at", "approved_at", "rejected_at", "answer"]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class Seeder:
    engine: Engine
    requester: int
    draw: random.Random
    next_hit: int = 1
    next_label: int = 1
    next_assignment: int = 1
    workers: list[int] = field(default_factory=list)
    answered_batches: set[int] = field(default_factory=set)  # batches whose assignment rows are written
    hits: list[list[object]] = field(default_factory=list)
    labels: list[list[object]] = field(default_factory=list)
    assignments: list[list[object]] = field(default_factory=list)

    def hit(self, hit_type: int, batch: int | None, number: int, created: datetime, done: bool,
            running: bool) -> None:
        """One HIT of PER_HIT slots: answered (approved, a few rejected or awaiting review) or open
        (some slots taken or submitted), with a consensus label when answered and not gold, and in a
        batch its assignment rows."""
        draw = self.draw
        gold = batch is not None and number % GOLD_EVERY == 0
        if done:
            rejected = 1 if draw.random() < 0.1 else 0
            submitted = PER_HIT - rejected if running and draw.random() < 0.3 else 0
            pending, approved = 0, PER_HIT - rejected - submitted
            status = "Reviewable"
        else:
            pending = draw.choice((0, 0, 1))
            submitted = draw.randint(0, PER_HIT - 1 - pending)
            approved, rejected = 0, 0
            status = "Assignable" if running else "Reviewable"
        expires = NOW + timedelta(days=3) if running else created + timedelta(days=7)
        row = {"text": f"Review {number}: the delivery came {draw.choice(('early', 'late', 'on time'))} and the "
                       f"box was {draw.choice(('intact', 'dented', 'open'))}.", "row": number}
        truth = draw.choice(LABELS)
        self.hits.append([self.next_hit, ids.new_id(), self.requester, "production", hit_type, batch,
                          f"<p>{row['text']}</p>", json.dumps(row), PER_HIT, 4_000, status, "NotReviewed",
                          created.isoformat(), expires.isoformat(), "t" if gold else "f", pending, submitted,
                          approved, rejected])
        if batch is not None and done and not gold:
            self.labels.append([self.next_label, self.next_hit, batch, json.dumps(truth),
                                round(draw.uniform(0.5, 1.0), 4), submitted + approved + rejected,
                                created.isoformat()])
            self.next_label += 1
        if batch in self.answered_batches:
            statuses = ["Accepted"] * pending + ["Submitted"] * submitted + ["Approved"] * approved + \
                       ["Rejected"] * rejected
            for slot, state in enumerate(statuses):
                self.answer(number, slot, state, created, truth)
        self.next_hit += 1
        if len(self.hits) >= CHUNK_HITS:
            self.flush()

    def answer(self, number: int, slot: int, state: str, created: datetime, truth: str) -> None:
        """One assignment of the HIT being written: its worker, times and label (80% the consensus)."""
        draw = self.draw
        accepted = created + timedelta(minutes=slot)
        submitted = None if state == "Accepted" else accepted + timedelta(seconds=draw.randint(8, 90))
        label = truth if draw.random() < 0.8 else draw.choice(LABELS)
        decided = submitted + timedelta(hours=1) if submitted else None
        self.assignments.append([
            self.next_assignment, ids.new_id(), self.next_hit, self.workers[(number * PER_HIT + slot * 7) % WORKERS],
            state, _iso(accepted), _iso(accepted + timedelta(minutes=10)), _iso(submitted),
            _iso(submitted + timedelta(days=3)) if submitted else None,
            _iso(decided) if state == "Approved" else None, _iso(decided) if state == "Rejected" else None,
            None if submitted is None else json.dumps({"label": label})])
        self.next_assignment += 1

    def flush(self) -> None:
        if self.hits:
            load_rows(self.engine, "hits", HIT_COLUMNS, self.hits)
        if self.labels:
            load_rows(self.engine, "consensus_labels", CONSENSUS_COLUMNS, self.labels)
        if self.assignments:
            load_rows(self.engine, "assignments", ASSIGNMENT_COLUMNS, self.assignments)
        self.hits, self.labels, self.assignments = [], [], []


def seed(engine: Engine, plans: list[Plan], batchless: int, draw: random.Random) -> tuple[Actor, list[str]]:
    """The requester, its HIT types, batches and HITs; returns the requester and its batchless HIT types."""
    config = annotators.get("text_classification").parse_config({"labels": list(LABELS), "text_field": "text"})
    start = plans[0].created_at if plans else NOW
    with engine.begin() as conn:
        public_id = ids.new_requester_id()
        requester = conn.execute(insert(Requester).values(public_id=public_id, name="bench-lab", created_at=start)
                                 .returning(Requester.id)).scalar_one()
        types = []
        for number in range(HIT_TYPES + 1):  # the first one is the batches'
            types.append(conn.execute(insert(HITType).values(
                public_id=ids.new_id(), requester_id=requester, marketplace="production", fingerprint=f"bench-{number}",
                title=f"Tone of a sentence ({number})", description="Is it positive, negative or neutral?",
                keywords="text, tone", reward_micros=20_000, assignment_duration_seconds=600,
                auto_approval_delay_seconds=259_200, created_at=start).returning(HITType.id, HITType.public_id)).one())
        for plan in plans:
            plan.public_id = ids.new_id()
            plan.id = conn.execute(insert(Batch).values(
                public_id=plan.public_id, requester_id=requester, marketplace="production",
                name=f"Tone {plan.hits:,}{' (measured)' if plan.measured else ''}", template_kind="text_classification",
                template={"question": "<p>${text}</p>", "config": config}, hit_type_id=types[0][0],
                created_at=plan.created_at, quality={"method": "ds"}, aggregation_method="ds",
                aggregated_at=plan.created_at).returning(Batch.id)).scalar_one()
        conn.execute(insert(Worker), [{"public_id": ids.new_worker_id(), "name": f"bench-worker-{n}",
                                       "password_hash": "-", "created_at": start} for n in range(WORKERS)])
        workers = list(conn.execute(text("SELECT id FROM workers ORDER BY id")).scalars())
    seeder = Seeder(engine, requester, draw, workers=workers, answered_batches={plan.id for plan in plans})
    for plan in plans:
        answered = int(plan.hits * plan.done)
        for number in range(plan.hits):
            seeder.hit(types[0][0], plan.id, number, plan.created_at + timedelta(seconds=number // 100),
                       number < answered, plan.running)
    for number in range(batchless):  # over the last day, on HIT types round robin; the newest fifth open
        created = NOW - timedelta(days=1) + timedelta(seconds=number * 86_400 // max(batchless, 1))
        seeder.hit(types[1 + number % HIT_TYPES][0], None, number, created, number < batchless * 0.8,
                   running=number >= batchless * 0.5)
    seeder.flush()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO worker_scores (batch_id, worker_id, n_answers, expected_correct, gold_answers, gold_correct, "
            "run_length, run_disagreements, median_seconds, updated_at) "
            "SELECT h.batch_id, a.worker_id, count(*), "
            "CASE WHEN a.worker_id % 10 = 0 THEN 0.5 ELSE 0.85 END * count(*), 0, 0, 0, 0, 40, max(a.submitted_at) "
            "FROM assignments a JOIN hits h ON h.id = a.hit_id WHERE a.submitted_at IS NOT NULL "
            "GROUP BY h.batch_id, a.worker_id"))
        for table in ("hits", "consensus_labels", "assignments"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return Actor("requester", requester, public_id, Marketplace.PRODUCTION), [t[1] for t in types[1:]]


# --- measuring -------------------------------------------------------------------------------------------


@dataclass
class Statements:
    """The SQL statements of the request under way: text, parameters and milliseconds each."""

    current: list[tuple[str, Any, float]] = field(default_factory=list)
    _started: float = 0.0

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self._started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.current.append((statement, parameters, 1000 * (time.perf_counter() - self._started)))

    def take(self) -> list[tuple[str, Any, float]]:
        taken, self.current = self.current, []
        return taken


@dataclass
class Result:
    page: str
    scope: str
    url: str
    ms: list[float]
    cpu_ms: list[float]  # this process's CPU time over the request (the app's Python, the driver)
    statements: list[list[tuple[str, Any, float]]]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    @property
    def meets_goal(self) -> bool:
        return self.quantile(0.5) <= GOAL_P50_MS and self.quantile(0.99) <= GOAL_P99_MS

    def heaviest(self) -> list[tuple[str, Any, float, float]]:
        """The request's statements by the time they take (by position, median over requests), slowest
        first: text, the parameters of its last run, median ms, share of the median request."""
        by_position: dict[int, list[float]] = {}
        for request in self.statements:
            for position, (_, _, ms) in enumerate(request):
                by_position.setdefault(position, []).append(ms)
        found = []
        for position, times in by_position.items():
            statement, parameters, _ = self.statements[-1][position]
            ms = statistics.median(times)
            found.append((statement, parameters, ms, ms / self.quantile(0.5)))
        return sorted(found, key=lambda one: -one[2])


def measure(client: Any, statements: Statements, page: str, scope: str, url: str, requests: int,
            warmup: int) -> Result:
    result = Result(page, scope, url, [], [], [])
    for number in range(warmup + requests):
        statements.take()
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        ms, cpu = 1000 * (time.perf_counter() - started), 1000 * (time.process_time() - cpu)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
        if number >= warmup:
            result.ms.append(ms)
            result.cpu_ms.append(cpu)
            result.statements.append(statements.take())
    return result


def later_batch_list_cursor(rt: Runtime, actor: Actor, batch_id: int) -> str | None:
    """The cursor of the batch list's page that shows this batch (None: the first page)."""
    cursor = None
    while True:
        overview = requester_pages.batches_overview(rt, actor, batches_cursor=cursor, limit=requester_monitor.PAGE_SIZE)
        if any(row.batch.id == batch_id for row in overview.batches.items) or overview.batches.next_cursor is None:
            return cursor
        cursor = overview.batches.next_cursor


def pages(rt: Runtime, actor: Actor, plans: list[Plan], hit_types: list[str]) -> Iterator[tuple[str, str, str]]:
    """(page, scope, url) of every page measured."""
    total = sum(plan.hits for plan in plans)
    yield "batch list, first page", f"{len(plans)} batches, {total:,} HITs", "/requester/batches"
    measured = [plan for plan in plans if plan.measured]
    if measured:
        biggest = max(measured, key=lambda plan: plan.hits)
        cursor = later_batch_list_cursor(rt, actor, biggest.id)
        if cursor:
            yield (f"batch list, the page with the {biggest.hits:,} batch", "later page via its cursor",
                   f"/requester/batches?cursor={cursor}")
    if hit_types:
        yield "HIT type page (no batch)", "HITs made without a batch", f"/requester/hit-types/{hit_types[0]}"
    middle = ("SELECT id FROM {0} WHERE batch_id = :batch ORDER BY id "
              "OFFSET (SELECT count(*) / 2 FROM {0} WHERE batch_id = :batch) LIMIT 1")
    busiest_worker = ("SELECT w.public_id FROM worker_scores s JOIN workers w ON w.id = s.worker_id "
                      "WHERE s.batch_id = :batch ORDER BY s.n_answers DESC, s.id LIMIT 1")
    with rt.engine.connect() as conn:
        busiest = {plan.id: conn.execute(text(busiest_worker), {"batch": plan.id}).scalar_one() for plan in measured}
        middles = {(plan.id, table): encode_cursor(conn.execute(text(middle.format(table)), {"batch": plan.id})
                                                   .scalar_one())
                   for plan in measured for table in ("hits", "consensus_labels")}
    for plan in sorted(measured, key=lambda plan: plan.hits):
        url, scope = f"/requester/batches/{plan.public_id}", f"{plan.hits:,} HITs"
        yield "batch page", scope, url
        yield "batch page, HITs from the middle", scope, f"{url}?hits={middles[plan.id, 'hits']}"
        yield "batch page, consensus from the middle", scope, f"{url}?consensus={middles[plan.id, 'consensus_labels']}"
        yield "batch page, status=Assignable", scope, f"{url}?status=Assignable"
        yield "batch page, answers=unanswered", scope, f"{url}?answers=unanswered"
        yield "batch page, gold=gold", scope, f"{url}?gold=gold"
        yield "review queue", scope, f"{url}/review"
        yield "review queue, disagrees with the consensus", scope, f"{url}/review?disagrees=on"
        yield "review queue, low-confidence HITs", scope, f"{url}/review?low_confidence=on"
        yield "review queue, worker accuracy below 70%", scope, f"{url}/review?accuracy_below=70"
        yield "review queue, one worker", scope, f"{url}/review?worker_id={busiest[plan.id]}"
        yield "quality dashboard", scope, f"{url}/quality"
    if measured:
        yield "worker list", f"{WORKERS} workers", "/requester/workers"
        yield "worker page", "answers in every batch", \
            f"/requester/workers/{busiest[measured[0].id]}"


def gist(statement: str) -> str:
    """'SELECT ... FROM hits (aggregate)': enough to tell a page's statements apart in the table."""
    found = re.search(r"\bFROM\s+(\w+)", statement)
    kind = " (aggregate)" if "GROUP BY" in statement or re.search(r"\b(count|sum|avg)\(", statement) else ""
    return f"{statement.split(maxsplit=1)[0]} ... FROM {found.group(1) if found else '?'}{kind}"


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).scalars()
        return "\n".join(rows)


def report(results: list[Result], engine: Engine, explain_all: bool, seeded: str) -> str:
    out = io.StringIO()
    out.write(f"{seeded}\n\n| page | scope | p50 (ms) | p99 (ms) | CPU ms (p50) | SQL statements | SQL ms (p50) "
              f"| slowest statement (ms, share) | goal | Label Studio {LABEL_STUDIO_MS:.0f} ms / p50 |\n"
              "|---|---|---:|---:|---:|---:|---:|---|---|---:|\n")
    for r in results:
        p50, p99 = r.quantile(0.5), r.quantile(0.99)
        counts = statistics.median(len(request) for request in r.statements)
        sql = statistics.median(sum(ms for _, _, ms in request) for request in r.statements)
        statement, _, ms, share = r.heaviest()[0]
        out.write(f"| {r.page} | {r.scope} | {p50:.1f} | {p99:.1f} | {statistics.median(r.cpu_ms):.1f} | {counts:.0f} "
                  f"| {sql:.1f} | {gist(statement)}: {ms:.1f}, {share:.0%} | {'met' if r.meets_goal else 'MISSED'} "
                  f"| {LABEL_STUDIO_MS / p50:.1f}x |\n")
    out.write(f"\ngoal: p50 <= {GOAL_P50_MS:.0f} ms and p99 <= {GOAL_P99_MS:.0f} ms; "
              f"{sum(r.meets_goal for r in results)} of {len(results)} pages meet it.\n")
    explained: set[tuple[str, str]] = set()
    for r in results:
        if r.meets_goal and not explain_all:
            continue
        heavy = [one for one in r.heaviest() if one[3] >= 0.05]
        out.write(f"\n--- {r.page} ({r.scope}), {r.url}: p50 {r.quantile(0.5):.1f} ms; statements over 5% of it:\n")
        for number, (statement, _, ms, share) in enumerate(heavy, 1):
            out.write(f"  {number}. {gist(statement)}: {ms:.1f} ms, {share:.0%}\n")
        for statement, parameters, _, _ in heavy[:3]:
            if (r.scope, statement) in explained:
                continue
            explained.add((r.scope, statement))
            out.write(f"\n{statement}\nparameters: {parameters}\n{explain(engine, statement, parameters)}\n")
    return out.getvalue()


def make_app(url: str, folder: Path) -> tuple[Flask, Runtime]:
    settings = replace(Settings(), database=DatabaseSettings(url=url), storage=StorageSettings(str(folder)))
    rt = Runtime(settings=settings, engine=engine_for(url, SCHEMA), backend=InlineBackend())
    app = create_app(settings, runtime=rt)
    missing = [endpoint for endpoint in ENDPOINTS if endpoint not in app.view_functions]
    if missing:
        raise SystemExit(f"the app has no {', '.join(missing)} yet")
    return app, rt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE,
                        help=f"a PostgreSQL URL; a throwaway schema {SCHEMA} is used (default: {DEFAULT_DATABASE})")
    parser.add_argument("--hits", type=int, default=1_000_000, help="the requester's HITs in all")
    parser.add_argument("--sizes", default="1000,10000,100000", help="the measured batches' HITs, comma-separated")
    parser.add_argument("--batches", type=int, default=100, help="other batches, sharing the rest of the HITs")
    parser.add_argument("--batchless", type=int, default=5_000, help=f"HITs made without a batch, on {HIT_TYPES} "
                                                                     "HIT types")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page first")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE every page's slowest statement (default: only pages missing the goal)")
    parser.add_argument("--keep", action="store_true", help="keep the schema (to query it afterwards)")
    args = parser.parse_args(argv)
    if not args.database.startswith("postgresql"):
        raise SystemExit("--database must be a PostgreSQL URL")
    sizes = [int(size) for size in args.sizes.split(",") if size]
    draw = random.Random(7)
    plans = plan_batches(args.hits, sizes, args.batches, args.batchless, draw)
    engine = fresh_database(args.database, SCHEMA)
    try:
        started = time.perf_counter()
        actor, hit_types = seed(engine, plans, args.batchless, draw)
        seeded = (f"PostgreSQL; one requester with {args.hits:,} HITs: {len(plans)} batches ({sizes} measured, "
                  f"{PER_HIT} slots per HIT, 2% gold) and {args.batchless:,} HITs without a batch on {HIT_TYPES} "
                  f"HIT types; seeded in {time.perf_counter() - started:.0f} s; {args.requests} timed requests "
                  f"per page after {args.warmup} warm-up")
        print(seeded, file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="labelhub-pages-bench-") as folder:
            app, rt = make_app(args.database, Path(folder))
            statements = Statements()
            statements.attach(rt.engine)
            client = app.test_client()
            with client.session_transaction() as session:
                session["requester"] = {"id": actor.id, "public_id": actor.public_id, "name": "bench-lab"}
                session["marketplace"] = Marketplace.PRODUCTION.value
            results, load = [], os.getloadavg()[0]
            for page, scope, url in list(pages(rt, actor, plans, hit_types)):
                result = measure(client, statements, page, scope, url, args.requests, args.warmup)
                print(f"{page} ({scope}): p50 {result.quantile(0.5):.1f} ms, p99 {result.quantile(0.99):.1f} ms",
                      file=sys.stderr, flush=True)
                results.append(result)
            seeded += f"; load average {load:.1f} before the requests, {os.getloadavg()[0]:.1f} after"
            print(report(results, engine, args.explain, seeded))
            rt.engine.dispose()
    finally:
        engine.dispose()
        if not args.keep:
            drop_database(args.database, SCHEMA)
    return 0


if __name__ == "__main__":
    sys.exit(main())
