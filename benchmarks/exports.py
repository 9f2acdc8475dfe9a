"""Export speed and memory: answer records of a batch (one per assignment) to JSONL and Parquet, at
10k, 100k and 1M answer rows (2k, 20k and 200k HITs x 5), beside Label Studio's published figure; and
the answers read but not written, to show which part of the time is reading.

The batches are seeded in bulk (PostgreSQL: COPY; SQLite: executemany) into a throwaway schema (or
file), with consensus labels and worker scores as an aggregation would leave them. Each export then
runs in a fresh child process, timed from the call of the service (``export_to_file``: read the
answers as columns, on PostgreSQL out of one COPY parsed by pyarrow a block at a time, and hand each
table to the writer) to the renamed file, with
the child's peak RSS (its whole process: interpreter and libraries included).

    python benchmarks/exports.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/exports.py --sizes 10000,100000 --formats jsonl       # SQLite in a temporary folder
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import Engine, insert, text  # noqa: E402

import annotators  # noqa: E402
from benchmarks.scratch import drop_database, engine_for, fresh_database, load_rows  # noqa: E402
from labelhub import ids  # noqa: E402
from labelhub.models import (  # noqa: E402
    Batch,
    HITType,
    Requester,
    Worker,
    WorkerScore,
)
from labelhub.queueing import InlineBackend  # noqa: E402
from labelhub.runtime import Runtime  # noqa: E402
from labelhub.settings import DatabaseSettings, Settings, StorageSettings  # noqa: E402

SCHEMA = "labelhub_export_bench"
LABELS = ("positive", "negative", "neutral", "mixed", "off-topic")
PER_HIT = 5
WORKERS = 2_000
# Label Studio's published figure: 100,000 tasks exported as JSON in 122 s, the server peaking at 785 MB.
LABEL_STUDIO = {"rows": 100_000, "seconds": 122.0, "peak_mib": 785.0}
START = datetime(2026, 9, 1, tzinfo=UTC)
RECORDS_ONLY = "read"  # a --formats entry: the answers read into tables but not written (where the time goes)


# --- seeding ---------------------------------------------------------------------------------------------


def _stamp(moment: datetime, sqlite: bool) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ") if sqlite else moment.isoformat()


def seed_people(engine: Engine) -> tuple[int, int, list[int]]:
    """A requester, its HIT type and the workers; returns (requester id, HIT type id, worker ids)."""
    with engine.begin() as conn:
        requester = conn.execute(insert(Requester).values(public_id=ids.new_requester_id(), name="bench-lab",
                                                          created_at=START).returning(Requester.id)).scalar_one()
        hit_type = conn.execute(insert(HITType).values(
            public_id=ids.new_id(), requester_id=requester, marketplace="production", fingerprint="bench",
            title="Tone of a sentence", description="Is it positive, negative, neutral, mixed or off-topic?",
            keywords="text, tone", reward_micros=20_000, assignment_duration_seconds=600,
            auto_approval_delay_seconds=259_200, created_at=START).returning(HITType.id)).scalar_one()
        conn.execute(insert(Worker), [{"public_id": ids.new_worker_id(), "name": f"bench-worker-{n}",
                                       "password_hash": "-", "created_at": START} for n in range(WORKERS)])
        workers = list(conn.execute(text("SELECT id FROM workers ORDER BY id")).scalars())
    return requester, hit_type, workers


HIT_COLUMNS = ["id", "public_id", "requester_id", "marketplace", "hit_type_id", "batch_id", "question", "data",
               "max_assignments", "fee_per_assignment_micros", "status", "review_status", "created_at",
               "expires_at", "is_gold", "pending_count", "submitted_count", "approved_count", "rejected_count"]
ASSIGNMENT_COLUMNS = ["id", "public_id", "hit_id", "worker_id", "status", "accepted_at", "deadline", "submitted_at",
                      "auto_approval_at", "approved_at", "answer"]
CHUNK_HITS = 20_000


def _rows(draw: random.Random, sqlite: bool, people: tuple[int, int, list[int]], batch: int, numbers: range,
          first_hit: int, first_assignment: int) -> tuple[list[list[object]], ...]:
    """The rows of HITs ``numbers`` of a batch: the HITs, their 5 assignments each, their consensus."""
    requester, hit_type, workers = people
    hits, assignments, consensus = [], [], []
    for n in numbers:
        hit_id = first_hit + n
        created = START + timedelta(seconds=n)
        row = {"text": f"Sentence {n}: the delivery came {draw.choice(('early', 'late', 'on time'))} and the "
                       f"box was {draw.choice(('intact', 'dented', 'open'))}.",
               "source": draw.choice(("email", "chat", "review")), "row": n}
        hits.append([hit_id, ids.new_id(), requester, "production", hit_type, batch, "<p>q</p>", json.dumps(row),
                     PER_HIT, 4_000, "Reviewable", "NotReviewed", _stamp(created, sqlite),
                     _stamp(created + timedelta(days=7), sqlite), 0 if sqlite else "f", 0, 1, 4, 0])
        truth = draw.randrange(len(LABELS))
        consensus.append([hit_id, batch, json.dumps(LABELS[truth]), round(draw.uniform(0.5, 1.0), 4), PER_HIT,
                          _stamp(START, sqlite)])
        for k in range(PER_HIT):
            label = truth if draw.random() < 0.8 else draw.randrange(len(LABELS))
            accepted = created + timedelta(minutes=k)
            submitted = accepted + timedelta(seconds=draw.randint(8, 90))
            approved = k != 0
            assignments.append([
                first_assignment + n * PER_HIT + k, ids.new_id(), hit_id, workers[(n * PER_HIT + k * 7) % WORKERS],
                "Approved" if approved else "Submitted", _stamp(accepted, sqlite),
                _stamp(accepted + timedelta(minutes=10), sqlite), _stamp(submitted, sqlite),
                _stamp(submitted + timedelta(days=3), sqlite),
                _stamp(submitted + timedelta(hours=1), sqlite) if approved else None,
                json.dumps({"label": LABELS[label]})])
    return hits, assignments, consensus


def seed_batch(engine: Engine, people: tuple[int, int, list[int]], answers: int,
               first_hit: int, first_assignment: int, seed: int) -> str:
    """A text-classification batch with ``answers`` / 5 HITs, 5 answers each (80% approved), and the
    consensus labels and worker scores of an aggregation; returns the batch's public id."""
    requester, hit_type, workers = people
    config = annotators.get("text_classification").parse_config({"labels": list(LABELS), "text_field": "text"})
    public_id = ids.new_id()
    with engine.begin() as conn:
        batch = conn.execute(insert(Batch).values(
            public_id=public_id, requester_id=requester, marketplace="production", name=f"Tone {answers:,}",
            template_kind="text_classification", template={"question": "<p>${text}</p>", "config": config},
            hit_type_id=hit_type, created_at=START, quality={"method": "ds"}, aggregation_method="ds",
            aggregated_at=START).returning(Batch.id)).scalar_one()
    draw = random.Random(seed)
    hit_count = answers // PER_HIT
    for chunk in range(0, hit_count, CHUNK_HITS):
        hits, assignments, consensus = _rows(draw, engine.dialect.name == "sqlite", people, batch, range(
            chunk, min(chunk + CHUNK_HITS, hit_count)), first_hit, first_assignment)
        load_rows(engine, "hits", HIT_COLUMNS, hits)
        load_rows(engine, "assignments", ASSIGNMENT_COLUMNS, assignments)
        load_rows(engine, "consensus_labels", ["hit_id", "batch_id", "value", "confidence", "answers", "updated_at"],
                  consensus)
    with engine.begin() as conn:
        conn.execute(insert(WorkerScore), [{
            "batch_id": batch, "worker_id": worker, "n_answers": answers // WORKERS,
            "expected_correct": 0.8 * (answers // WORKERS), "gold_answers": 0, "gold_correct": 0,
            "run_length": 0, "run_disagreements": 0, "updated_at": START} for worker in workers])
    return public_id


def fix_sequences(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("hits", "assignments", "consensus_labels"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))


# --- one export, in a child process -----------------------------------------------------------------------


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(url: str, batch_id: str, fmt: str, folder: Path) -> dict[str, float]:
    from labelhub.models import Marketplace
    from labelhub.services import exports
    from labelhub.services.actors import system_actor
    from labelhub.services.export_commands import ExportRequest
    from labelhub.services.export_reading import reading

    settings = replace(Settings(), database=DatabaseSettings(url=url), storage=StorageSettings(str(folder)))
    rt = Runtime(settings=settings, engine=engine_for(url, SCHEMA), backend=InlineBackend())
    actor = system_actor(Marketplace.PRODUCTION)
    baseline = rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    if fmt == RECORDS_ONLY:  # the service's part alone: read the answers into tables of the export's layout
        with reading(rt, actor, batch_id, ExportRequest("jsonl", answers=True)) as stream:
            rows, size = sum(table.num_rows for table in stream.tables()), 0
    else:
        summary = exports.export_to_file(rt, actor, batch_id, ExportRequest(fmt, answers=True),
                                         folder / f"answers.{fmt}")
        rows, size = summary.records, sum(path.stat().st_size for path in summary.paths)
        for path in summary.paths:
            path.unlink()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mib": peak, "baseline_mib": baseline, "bytes": size}


def run_child(url: str, batch_id: str, fmt: str, folder: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", batch_id, "--format", fmt, "--database", url,
                           "--folder", str(folder)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the export child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the report ------------------------------------------------------------------------------------------


def report(results: list[tuple[int, str, dict[str, float]]], dialect: str, seeded: dict[int, float]) -> str:
    out = io.StringIO()
    ls_rate = LABEL_STUDIO["rows"] / LABEL_STUDIO["seconds"]
    out.write(f"{dialect}: answer records (one per assignment) of batches of 5 answers per HIT; "
              f"{WORKERS:,} workers\n\n")
    out.write("| answer rows | format | seconds | rows/s | µs/row | CPU µs/row | peak RSS (MiB) | RSS before (MiB) "
              "| file (MiB) | speed vs Label Studio |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    for rows, fmt, r in results:
        shown = "read, not written" if fmt == RECORDS_ONLY else fmt
        rate = r["rows"] / r["seconds"]
        out.write(f"| {rows:,} | {shown} | {r['seconds']:.2f} | {rate:,.0f} | {1e6 * r['seconds'] / r['rows']:.1f} "
                  f"| {1e6 * r['cpu'] / r['rows']:.1f} | {r['peak_mib']:.0f} | {r['baseline_mib']:.0f} "
                  f"| {r['bytes'] / 2**20:.1f} | {rate / ls_rate:.0f}x |\n")
    out.write(f"\nLabel Studio: {LABEL_STUDIO['rows']:,} tasks as JSON in {LABEL_STUDIO['seconds']:.0f} s "
              f"({ls_rate:,.0f} tasks/s), server peak {LABEL_STUDIO['peak_mib']:.0f} MB.\n")
    biggest = max(rows for rows, _, _ in results)
    for fmt in dict.fromkeys(f for _, f, _ in results if f != RECORDS_ONLY):
        mine = {rows: r for rows, f, r in results if f == fmt}
        if biggest in mine:
            r = mine[biggest]
            goal = "met" if r["seconds"] <= 10 and r["peak_mib"] < 500 else "not met"
            out.write(f"{fmt}, {biggest:,} rows: {r['seconds']:.1f} s, peak {r['peak_mib']:.0f} MiB "
                      f"(goal <= 10 s and < 500 MiB for 1M rows: {goal})\n")
        if len(mine) > 1:
            per_row = ", ".join(f"{rows:,}: {1e6 * r['seconds'] / r['rows']:.2f}" for rows, r in sorted(mine.items()))
            out.write(f"{fmt} µs per row by size (flat = linear): {per_row}\n")
    out.write("seeding: " + ", ".join(f"{rows:,} rows in {s:.1f} s" for rows, s in seeded.items()) + "\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a database URL (PostgreSQL: a throwaway schema is used); "
                                           "default: SQLite in a temporary folder")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="answer rows per batch, comma-separated")
    parser.add_argument("--formats", default=f"jsonl,parquet,{RECORDS_ONLY}",
                        help=f"export formats; {RECORDS_ONLY}: read the answers into tables without writing them")
    parser.add_argument("--child", metavar="BATCH_ID", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.database, args.child, args.format, Path(args.folder))))
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="labelhub-export-bench-") as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = fresh_database(url, SCHEMA)
        try:
            people = seed_people(engine)
            batches, seeded, first_hit, first_assignment = {}, {}, 1, 1
            for number, size in enumerate(sizes):
                started = time.perf_counter()
                batches[size] = seed_batch(engine, people, size, first_hit, first_assignment, seed=number)
                seeded[size] = time.perf_counter() - started
                first_hit, first_assignment = first_hit + size // PER_HIT, first_assignment + size
                print(f"seeded {size:,} answer rows in {seeded[size]:.1f} s", file=sys.stderr)
            fix_sequences(engine)
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            results = []
            for size in sizes:
                for fmt in formats:
                    result = run_child(url, batches[size], fmt, Path(folder))
                    print(f"{size:,} rows to {fmt}: {result['seconds']:.2f} s, peak {result['peak_mib']:.0f} MiB",
                          file=sys.stderr)
                    results.append((size, fmt, result))
            print(report(results, engine.dialect.name, seeded))
        finally:
            engine.dispose()
            drop_database(url, SCHEMA)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
