"""Writing a batch's HITs: in bulk, and a large batch's in chunks by a job, so that no write transaction
holds SQLite's single write lock (on PostgreSQL, the requester's balance row) for long.

Each chunk is one multi-row INSERT per table (HITs, their holds, their events), and the Python work on
it (the template filled in, public ids, fees) is done before its transaction begins.

A batch of at most CHUNK_ROWS rows is written in its creator's one transaction. A larger one is created
``building`` with its rows kept in a BatchBuild, and the job ``labelhub.jobs.build_batch``

1. writes its HITs CHUNK_ROWS at a time, each chunk one transaction that also holds the chunk's cost;
   the HITs are stored Disposed, which every worker query, HIT list and sweep leaves out;
2. once every row is a HIT, makes them Assignable a chunk at a time with their HITCreated events (so
   webhooks announce only HITs workers can take), then marks the batch ready.

Its progress is in rows (each counts half when its HIT is written, in full when it is visible).

Nothing half-written: if step 1 fails (the requester spent the funds meanwhile, say), the batch is marked
failed, its HITs and their holds are deleted a chunk at a time, then the batch, and the job fails with the
reason. A job whose process dies is run again and goes on from the last chunk it committed.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.db import DatabaseBusyError
from labelhub.errors import DomainError, InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Batch, BatchBuild, BatchState, HITStatus, HITType, Job, Requester
from labelhub.runtime import Runtime
from labelhub.services import job_queue, ledger
from labelhub.services.actors import Actor
from labelhub.services.commands import CreateHIT
from labelhub.services.common import record_event, record_hit_events
from labelhub.services.gold import canonical_gold_answer
from labelhub.settings import MoneySettings

T = TypeVar("T")

GOLD_COLUMN = "_gold"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Rows per write transaction: on SQLite a chunk of 1,000 holds the write lock for 20-50 ms (median, quiet
# machine; benchmarks/batch_create.py), the few longest being the interpreter's garbage collection.
CHUNK_ROWS = 1_000
BUILD_JOB = "labelhub.jobs.build_batch"
BUSY_RETRIES = 3  # a chunk that finds the database busy is tried again this many times in all


def fill(template: str, row: dict[str, Any]) -> str:
    """The template with each ${column} replaced by the row's value, HTML-escaped."""
    return PLACEHOLDER.sub(lambda m: html.escape(str(row[m.group(1)])), template)


@dataclass(frozen=True)
class PlannedHIT:
    question: str
    data: dict[str, Any]
    gold_answer: dict[str, Any] | None
    max_assignments: int


@dataclass(frozen=True, kw_only=True)
class HITRows:
    """How the rows of ``batch`` become HITs: its question template filled in, a row with a ``_gold``
    member a gold HIT with that known answer and ``gold_assignments`` assignments."""

    batch: Batch
    lifetime_seconds: int
    max_assignments: int
    gold_assignments: int
    answer_schema: dict[str, Any] | None

    def plan(self, rows: Iterable[dict[str, Any]], *, start: int = 0) -> Iterator[PlannedHIT]:
        """The HITs of ``rows`` (numbered from ``start`` + 1); InvalidInputError names a row that breaks
        a rule (a question too long once filled in, a gold answer the task type refuses)."""
        template = self.batch.template["question"]
        for number, raw in enumerate(rows, start=start + 1):
            row = {key: value for key, value in raw.items() if key != GOLD_COLUMN}
            known = None if GOLD_COLUMN not in raw else canonical_gold_answer(
                self.batch, raw[GOLD_COLUMN], row, where=f"rows[{number}].{GOLD_COLUMN}")
            slots = self.max_assignments if known is None else self.gold_assignments
            question = fill(template, row)
            try:  # one HIT's rules; the answer schema, the same for every row, was checked once
                CreateHIT(question=question, lifetime_seconds=self.lifetime_seconds, max_assignments=slots,
                          hit_type_id="(the batch's)", data=row)
            except InvalidInputError as exc:
                named = {f"rows[{number}].{name}": problem for name, problem in exc.fields.items()}
                raise InvalidInputError(named, entity="batch") from None
            yield PlannedHIT(question, row, known, slots)

    def hit_values(self, hit_type: HITType, planned: Iterable[PlannedHIT], *, money: MoneySettings,
                   visible: bool) -> list[dict[str, Any]]:
        """The HITs table's rows for ``planned``; a hidden HIT is stored Disposed until the batch is complete."""
        batch, fees = self.batch, dict[int, int]()
        expires_at = batch.created_at + timedelta(seconds=self.lifetime_seconds)
        status = HITStatus.ASSIGNABLE if visible else HITStatus.DISPOSED
        values = []
        for hit in planned:
            fee = fees.get(hit.max_assignments)
            if fee is None:
                fee = fees[hit.max_assignments] = ledger.reward_fee(money, hit_type.reward_micros, hit.max_assignments)
            values.append({
                "public_id": ids.new_id(), "requester_id": batch.requester_id, "marketplace": batch.marketplace,
                "hit_type_id": hit_type.id, "batch_id": batch.id, "question": hit.question, "data": hit.data,
                "answer_schema": self.answer_schema, "max_assignments": hit.max_assignments,
                "fee_per_assignment_micros": fee, "status": status, "created_at": batch.created_at,
                "expires_at": expires_at, "is_gold": hit.gold_answer is not None, "gold_answer": hit.gold_answer})
        return values

    @classmethod
    def of_build(cls, batch: Batch, build: BatchBuild) -> HITRows:
        return cls(batch=batch, lifetime_seconds=build.lifetime_seconds, max_assignments=build.max_assignments,
                   gold_assignments=build.gold_assignments, answer_schema=build.answer_schema)


def write_hits(db: Session, actor: Actor, batch: Batch, hit_type: HITType, values: Sequence[dict[str, Any]], *,
               now: datetime) -> None:
    """Insert the HITs and hold their cost (InsufficientFundsError); visible ones get their HITCreated
    events. Three multi-row INSERTs whatever the number of HITs."""
    # A plain executemany, then the new ids by index: an INSERT ... RETURNING of many rows is one long
    # statement, which psycopg parses with a regular expression (half the time of a chunk).
    before = db.scalar(select(func.max(HIT.id)).where(HIT.batch_id == batch.id)) or 0
    db.execute(insert(HIT), values)
    inserted = dict(db.execute(select(HIT.public_id, HIT.id).where(HIT.batch_id == batch.id, HIT.id > before))
                    .tuples().all())
    hit_ids = [inserted[hit["public_id"]] for hit in values]
    ledger.hold_new_hits(db, batch.marketplace, batch.requester_id, [
        (hit_id, (hit_type.reward_micros + hit["fee_per_assignment_micros"]) * hit["max_assignments"])
        for hit_id, hit in zip(hit_ids, values, strict=True)],
        now=now, what=f"batch {batch.name} ({len(values):,} HITs: reward, fee and assignments)")
    if values and values[0]["status"] is HITStatus.ASSIGNABLE:
        record_hit_events(db, actor, "HITCreated", (
            (hit_id, hit["public_id"], {"max_assignments": hit["max_assignments"], "hit_type": hit_type.public_id})
            for hit_id, hit in zip(hit_ids, values, strict=True)), now=now)


def stage(db: Session, rt: Runtime, batch: Batch, hit_type: HITType, rows: HITRows,
          raw_rows: Sequence[dict[str, Any]], *, gold_rows: int, now: datetime) -> None:
    """Keep a large batch's rows for its build job and queue the job, which runs once the caller
    commits. The requester's funds must cover all of it now (InsufficientFundsError); each chunk
    holds its own cost as it is written."""
    money, reward = rt.settings.money, hit_type.reward_micros
    cost = sum(hits * slots * (reward + ledger.reward_fee(money, reward, slots)) for hits, slots in (
        (len(raw_rows) - gold_rows, rows.max_assignments), (gold_rows, rows.gold_assignments)))
    ledger.check_available(db, batch.marketplace, batch.requester_id, cost,
                           f"batch {batch.name} ({len(raw_rows):,} HITs: reward, fee and assignments)")
    db.add(BatchBuild(batch_id=batch.id, rows=list(raw_rows), max_assignments=rows.max_assignments,
                      gold_assignments=rows.gold_assignments, lifetime_seconds=rows.lifetime_seconds,
                      answer_schema=rows.answer_schema, rows_written=0))
    job_queue.submit(db, BUILD_JOB, batch.public_id, target=f"batch:{batch.public_id}",
                     owner=(batch.requester_id, batch.marketplace), now=now, attempts=1)


def build_job(rt: Runtime, actor: Actor, batch_public_id: str) -> Job:
    """The job ``create_batch`` queued to build the batch (its state, progress and error)."""
    with rt.sessions() as db:
        job = db.scalars(select(Job).where(Job.requester_id == actor.id, Job.kind == BUILD_JOB,
                                           Job.target == f"batch:{batch_public_id}")
                         .order_by(Job.id.desc()).limit(1)).one_or_none()
    if job is None:
        raise NotFoundError(f"Batch {batch_public_id} has no build job", entity="job")
    return job


@dataclass(frozen=True)
class _Build:
    """What a build job run works with, read once (the rows can be megabytes)."""

    actor: Actor
    batch: Batch
    hit_type: HITType
    build: BatchBuild | None


def build(rt: Runtime, batch_public_id: str) -> dict[str, Any]:
    """The build job: write the batch's HITs a chunk at a time, then make them visible, then mark the
    batch ready (see the module's doc). Idempotent: a batch already ready is left as it is."""
    found = _load(rt, batch_public_id)
    if found.batch.state is BatchState.FAILED:  # a run that died while removing it
        _remove(rt, found.batch)
        raise InvalidStateError(f"Batch {batch_public_id} could not be created: "
                                f"{found.build.error if found.build else 'its build failed'}", entity="batch")
    if found.batch.state is BatchState.BUILDING and found.build is not None:
        total = len(found.build.rows)
        try:
            _write_all(rt, found, found.build)
        except Exception as exc:
            _fail(rt, found.batch, exc)
            raise
        _publish_all(rt, found, total)
        _finish(rt, found)
        job_queue.report_progress(rt, total, total, force=True)
    return _summary(rt, found.batch)


def _load(rt: Runtime, batch_public_id: str) -> _Build:
    with rt.sessions() as db:
        batch = db.scalars(select(Batch).where(Batch.public_id == batch_public_id)).one_or_none()
        if batch is None:
            raise NotFoundError(f"Batch {batch_public_id} does not exist (its build failed)", entity="batch")
        requester = db.get_one(Requester, batch.requester_id)
        actor = Actor(kind="requester", id=requester.id, public_id=requester.public_id,
                      marketplace=batch.marketplace)
        return _Build(actor, batch, db.get_one(HITType, batch.hit_type_id), db.get(BatchBuild, batch.id))


def _retrying(step: Callable[[], T]) -> T:
    """One chunk's transaction, tried again after a pause while the database is busy."""
    for attempt in range(1, BUSY_RETRIES + 1):
        try:
            return step()
        except DatabaseBusyError:
            if attempt == BUSY_RETRIES:
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")


def _write_all(rt: Runtime, found: _Build, build: BatchBuild) -> None:
    rows, total, written = HITRows.of_build(found.batch, build), len(build.rows), build.rows_written
    while written < total:
        end = min(written + CHUNK_ROWS, total)
        values = rows.hit_values(found.hit_type, rows.plan(build.rows[written:end], start=written),
                                 money=rt.settings.money, visible=False)
        written = _retrying(partial(_write_chunk, rt, found, values, start=written, end=end))
        job_queue.report_progress(rt, written // 2, total)  # half of a row's work: its hidden HIT


def _write_chunk(rt: Runtime, found: _Build, values: list[dict[str, Any]], *, start: int, end: int) -> int:
    """Write rows [start, end) unless another run of the job wrote them first; returns the rows written."""
    with rt.sessions.begin() as db:
        written = db.scalar(select(BatchBuild.rows_written).where(BatchBuild.batch_id == found.batch.id)
                            .with_for_update(key_share=True))
        if written is None:
            raise InvalidStateError(f"Batch {found.batch.public_id} is no longer being built", entity="batch")
        if written != start:
            return written
        write_hits(db, found.actor, found.batch, found.hit_type, values, now=rt.clock())
        db.execute(update(BatchBuild).where(BatchBuild.batch_id == found.batch.id).values(rows_written=end))
    return end


def _publish_all(rt: Runtime, found: _Build, total: int) -> None:
    after, published = 0, 0
    while (chunk := _retrying(partial(_publish_chunk, rt, found, after=after))) is not None:
        after, published = chunk[0], published + chunk[1]
        job_queue.report_progress(rt, (total + published) // 2, total)


def _publish_chunk(rt: Runtime, found: _Build, *, after: int) -> tuple[int, int] | None:
    """Make the next chunk of hidden HITs Assignable, with their events. Returns the last HIT id and
    how many it made visible; None when none was left."""
    with rt.sessions.begin() as db:
        hidden = db.execute(select(HIT.id, HIT.public_id, HIT.max_assignments).where(
            HIT.batch_id == found.batch.id, HIT.id > after, HIT.status == HITStatus.DISPOSED)
            .order_by(HIT.id).limit(CHUNK_ROWS)).all()
        if not hidden:
            return None
        db.execute(update(HIT).where(HIT.batch_id == found.batch.id, HIT.id > after, HIT.id <= hidden[-1].id)
                   .values(status=HITStatus.ASSIGNABLE).execution_options(synchronize_session=False))
        record_hit_events(db, found.actor, "HITCreated", (
            (row.id, row.public_id, {"max_assignments": row.max_assignments, "hit_type": found.hit_type.public_id})
            for row in hidden), now=rt.clock())
    return hidden[-1].id, len(hidden)


def _finish(rt: Runtime, found: _Build) -> None:
    def step() -> None:
        with rt.sessions.begin() as db:
            batch = db.scalars(select(Batch).where(Batch.id == found.batch.id).with_for_update(key_share=True)).one()
            if batch.state is not BatchState.BUILDING:
                return
            hits, golds = _counts(db, batch)
            batch.state = BatchState.READY
            db.execute(delete(BatchBuild).where(BatchBuild.batch_id == batch.id))
            record_event(db, found.actor, "BatchCreated", entity="batch", entity_id=batch.public_id, now=rt.clock(),
                         hits=hits, gold_hits=golds)

    _retrying(step)


def _counts(db: Session, batch: Batch) -> tuple[int, int]:
    hits, golds = db.execute(select(func.count(HIT.id), func.count(HIT.id).filter(HIT.is_gold))
                             .where(HIT.batch_id == batch.id)).one()
    return int(hits), int(golds)


def _summary(rt: Runtime, batch: Batch) -> dict[str, Any]:
    with rt.sessions() as db:
        hits, golds = _counts(db, batch)
    return {"batch_id": batch.public_id, "hits": hits, "gold_hits": golds}


def _fail(rt: Runtime, batch: Batch, exc: Exception) -> None:
    """Mark the batch failed (with the reason its job re-raises if it dies before the end), then remove it."""
    reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"

    def mark() -> None:
        with rt.sessions.begin() as db:
            db.execute(update(Batch).where(Batch.id == batch.id).values(state=BatchState.FAILED))
            db.execute(update(BatchBuild).where(BatchBuild.batch_id == batch.id).values(error=reason[:4000]))

    _retrying(mark)
    _remove(rt, batch)


def _remove(rt: Runtime, batch: Batch) -> None:
    """Delete a failed batch's HITs and their holds a chunk at a time, then the batch."""
    while _retrying(partial(_remove_chunk, rt, batch)):
        pass

    def last() -> None:
        with rt.sessions.begin() as db:
            db.execute(delete(BatchBuild).where(BatchBuild.batch_id == batch.id))
            db.execute(delete(Batch).where(Batch.id == batch.id))

    _retrying(last)


def _remove_chunk(rt: Runtime, batch: Batch) -> bool:
    """Delete the next chunk of the batch's (never published) HITs; False when none was left."""
    with rt.sessions.begin() as db:
        last = db.scalar(select(HIT.id).where(HIT.batch_id == batch.id).order_by(HIT.id)
                         .offset(CHUNK_ROWS - 1).limit(1)) \
            or db.scalar(select(func.max(HIT.id)).where(HIT.batch_id == batch.id))
        if last is None:
            return False
        chunk = (HIT.batch_id == batch.id, HIT.id <= last)
        ledger.forget_holds(db, select(HIT.id).where(*chunk))
        db.execute(delete(HIT).where(*chunk).execution_options(synchronize_session=False))
    return True
