"""The review queue's bulk actions, each run as a job with a report: approve every submitted answer
that agrees with its HIT's consensus, every one of a worker, every one left; reject every submitted
answer of a worker with one reason. The request queues the job (``queue_bulk``); the job selects the
assignments (the review queue's selection) and applies the decisions
(``labelhub.services.review_decisions``), so a re-run after a crash finds the done ones unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select

from labelhub.errors import InvalidInputError
from labelhub.models import HIT, Assignment, Batch, Marketplace, Worker
from labelhub.runtime import Runtime
from labelhub.services import job_queue, review_queue
from labelhub.services.accounts import requester_actor
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import owned_batch
from labelhub.services.review_decisions import FEEDBACK_LIMIT, Decision, apply_decisions
from labelhub.services.review_queue import ReviewFilters

BULK_JOB = "labelhub.jobs.review_bulk"
ACTIONS = {
    "approve_agreeing": "approve every submitted answer that agrees with its HIT's consensus",
    "approve_worker": "approve every submitted answer of one worker",
    "approve_remaining": "approve every submitted answer left",
    "reject_worker": "reject every submitted answer of one worker",
}
WORKER_ACTIONS = ("approve_worker", "reject_worker")


@dataclass(frozen=True)
class BulkAction:
    """One bulk action: its name (ACTIONS), the worker it is about, the rejection's reason."""

    action: str
    worker_id: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if self.action not in ACTIONS:
            problems["action"] = f"must be one of: {', '.join(ACTIONS)}"
        if self.action in WORKER_ACTIONS and not self.worker_id:
            problems["worker_id"] = "is required: whose answers?"
        if self.action == "reject_worker":
            reason = (self.reason or "").strip()
            if not reason:
                problems["reason"] = "is required to reject: the worker sees it"
            elif len(reason) > FEEDBACK_LIMIT:
                problems["reason"] = f"must be at most {FEEDBACK_LIMIT:,} characters"
        if problems:
            raise InvalidInputError(problems)


def queue_bulk(rt: Runtime, actor: Actor, batch_public_id: str, bulk: BulkAction) -> str:
    """Queue a bulk action on the requester's batch as a job; returns the job's id. Raises
    NotFoundError (another requester's batch), InvalidInputError (a worker with no answer in it)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        batch = owned_batch(db, actor, batch_public_id)
        if bulk.worker_id is not None and not db.scalar(select(exists().where(
                Worker.public_id == bulk.worker_id, Assignment.worker_id == Worker.id, HIT.id == Assignment.hit_id,
                HIT.batch_id == batch.id))):
            raise InvalidInputError({"worker_id": f"{bulk.worker_id} has no answers in this batch"})
        job_id = job_queue.submit(db, BULK_JOB, actor.public_id, actor.marketplace.value, batch.public_id, bulk.action,
                                  bulk.worker_id or "", (bulk.reason or "").strip(), target=f"batch:{batch.public_id}",
                                  owner=(actor.id, actor.marketplace), now=now, attempts=2)
        assert job_id is not None  # a job without a dedup key is always queued
        return job_id


@dataclass(frozen=True)
class _Selected:
    """The decisions of a bulk action, read lazily; its length (counted when the job starts) lets the
    job's progress show a total."""

    rt: Runtime
    batch: Batch
    bulk: BulkAction
    total: int

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Decision]:
        bulk = self.bulk
        worker = bulk.worker_id if bulk.action in WORKER_ACTIONS else None
        approve = bulk.action != "reject_worker"
        for assignment_id in submitted_of(self.rt, self.batch, worker_id=worker,
                                                       agreeing=bulk.action == "approve_agreeing"):
            yield Decision(assignment_id, approve=approve, feedback=None if approve else bulk.reason)


def run_bulk(rt: Runtime, requester_public_id: str, marketplace: str, batch_public_id: str,
             bulk: BulkAction) -> dict[str, Any]:
    """The job: apply the bulk action; returns the decision report with a one-line summary."""
    actor = requester_actor(rt, requester_public_id, Marketplace(marketplace))
    with rt.sessions() as db:
        batch = owned_batch(db, actor, batch_public_id)
    worker = bulk.worker_id if bulk.action in WORKER_ACTIONS else None
    total = count_submitted(rt, batch, worker_id=worker)
    selected = _Selected(rt, batch, bulk, total)
    # Agreement is known only once read: that selection has no length, its progress no total.
    report = apply_decisions(rt, actor, batch_public_id,
                             iter(selected) if bulk.action == "approve_agreeing" else selected)
    done = "Rejected" if bulk.action == "reject_worker" else "Approved"
    who = f" ({bulk.worker_id})" if worker else ""
    summary = (f"{done} {report.applied:,} answer(s) of batch {batch.name}: {ACTIONS[bulk.action]}{who}. "
               f"{report.unchanged:,} unchanged, {len(report.refused):,} refused.")
    return report.as_result() | {"summary": summary}


def submitted_of(rt: Runtime, batch: Batch, *, worker_id: str | None = None, agreeing: bool = False,
                 chunk: int = 500) -> Iterator[str]:
    """The public ids of the batch's submitted assignments (of one worker; agreeing with the HIT's
    consensus), read a chunk per short read transaction, in queue order."""
    filters = ReviewFilters(worker_id=worker_id, disagrees=False)
    last = (0, 0)
    while True:
        with rt.sessions() as db:
            chosen = review_queue.selection(db, rt, batch, filters)
            rows = db.execute(review_queue.after(chosen, *last).limit(chunk)).all()
            verdicts = review_queue.verdicts_of(db, batch, [row.id for row in rows]) if agreeing else {}
            names = dict(db.execute(select(Assignment.id, Assignment.public_id)
                                    .where(Assignment.id.in_([row.id for row in rows]))).tuples().all())
        for row in rows:
            if not agreeing or verdicts[row.id].agrees is True:
                yield names[row.id]
        if len(rows) < chunk:
            return
        last = (rows[-1].hit_id, rows[-1].id)


def count_submitted(rt: Runtime, batch: Batch, *, worker_id: str | None = None) -> int:
    with rt.sessions() as db:
        chosen = review_queue.selection(db, rt, batch, ReviewFilters(worker_id=worker_id))
        return int(db.scalar(select(func.count()).select_from(chosen.subquery())) or 0)

