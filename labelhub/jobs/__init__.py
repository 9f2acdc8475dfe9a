"""Job entry points: ids in, a small dict of counts (or nothing) out, idempotent, each one thin call
into a service. A job is a row of the jobs table naming one of these by dotted path
(``labelhub.services.job_queue``); the runner (threads, or rq's work horses through ``run_job``)
calls it with the row's arguments.

Jobs take their Runtime from ``worker_runtime()``: the one the serving process or ``labelhub jobs
worker`` installed at start-up, or one built from the settings on first use.
"""

from __future__ import annotations

from typing import Any

from labelhub.jobs.context import install_runtime, worker_runtime
from labelhub.services import (
    accounts,
    batch_builds,
    consensus,
    exports,
    job_queue,
    llm_flags,
    notifications,
    review_policies,
    review_uploads,
    sweeps,
)
from labelhub.services import review_bulk as review_bulk_service

__all__ = ["abandon_overdue", "aggregate_batch", "aggregate_due", "apply_review_csv", "auto_approve_due", "build_batch",
           "build_export", "deliver_notification", "deliver_notifications", "expire_due_hits", "install_runtime",
           "prune_exports", "prune_jobs", "prune_sign_ins", "review_assignment", "review_bulk",
           "review_due", "review_hit", "run_job", "run_sweeps", "score_answers", "score_due", "worker_runtime"]


def run_job(job_public_id: str) -> None:
    """rq's entry point: claim the jobs-table row and run it (nothing if it is taken or done)."""
    from labelhub.jobs.runner import Heartbeat, execute

    rt = worker_runtime()
    claimed = job_queue.claim(rt, job_public_id, claimer=job_queue.runner_name("rq"))
    if claimed is None:
        return
    heartbeat = Heartbeat(rt)
    heartbeat.add(claimed.public_id)
    heartbeat.start()
    try:
        execute(rt, claimed)
    finally:
        heartbeat.stop()


def prune_sign_ins() -> dict[str, Any]:
    """Delete sign-in records older than the attempt limit's window."""
    return {"deleted": accounts.prune_sign_in_events(worker_runtime())}


def build_export(export_id: str) -> dict[str, Any]:
    """Write a requested export's file into the instance folder (once; an expired export is skipped)."""
    return exports.run_export(worker_runtime(), export_id)


def apply_review_csv(upload_id: str) -> dict[str, Any]:
    """Apply an uploaded results CSV's Approve and Reject marks to its batch; the file is deleted after."""
    return review_uploads.apply_review_csv(worker_runtime(), upload_id)


def prune_exports() -> dict[str, Any]:
    """Delete export files (and their records) older than ``[exports] retention_days``."""
    return {"deleted": exports.prune_expired(worker_runtime())}


def prune_jobs() -> dict[str, Any]:
    """Delete finished jobs older than ``[jobs] keep_finished_days``."""
    return {"deleted": job_queue.prune_finished(worker_runtime())}


def abandon_overdue() -> dict[str, Any]:
    """Accepted assignments past their deadline become Abandoned; their slots reopen."""
    return {"abandoned": sweeps.abandon_overdue(worker_runtime())}


def auto_approve_due() -> dict[str, Any]:
    """Submitted assignments whose auto-approval time has come are approved and paid."""
    return {"approved": sweeps.auto_approve_due(worker_runtime())}


def expire_due_hits() -> dict[str, Any]:
    """HITs past their lifetime are expired and the funds of their unused slots released."""
    return {"expired": sweeps.expire_due_hits(worker_runtime())}


def deliver_notification(event_doc_id: str) -> dict[str, Any]:
    """Send one webhook delivery if it is still pending and due."""
    status = notifications.deliver(worker_runtime(), event_doc_id)
    return {"status": None if status is None else str(status)}


def deliver_notifications() -> dict[str, Any]:
    """Send every webhook delivery that is due: retries, and any whose job was lost."""
    return {"delivered": notifications.deliver_due(worker_runtime())}


def review_assignment(assignment_id: str) -> None:
    """Run the HIT's assignment-level review policy on a submitted assignment."""
    review_policies.review_assignment(worker_runtime(), assignment_id)


def review_bulk(requester_id: str, marketplace: str, batch_id: str, action: str, worker_id: str,
                reason: str) -> dict[str, Any]:
    """A review queue's bulk action (approve agreeing, approve or reject a worker's, approve the rest):
    its decision report and a one-line summary."""
    bulk = review_bulk_service.BulkAction(action, worker_id or None, reason or None)
    return review_bulk_service.run_bulk(worker_runtime(), requester_id, marketplace, batch_id, bulk)


def review_hit(hit_id: str) -> None:
    """Run the HIT-level review policy of a HIT that became reviewable."""
    review_policies.review_hit(worker_runtime(), hit_id)


def review_due() -> dict[str, Any]:
    """Review policy runs that a lost or interrupted job left undone."""
    return {"runs": review_policies.review_due(worker_runtime())}


def aggregate_batch(batch_id: str) -> dict[str, Any]:
    """Recompute a batch's consensus, worker scores, qualification feed and dynamic overlap if it has
    answers the last run did not see."""
    outcome = consensus.aggregate_batch(worker_runtime(), batch_id)
    return {"ran": outcome.ran, "answers": outcome.answers, "hits": outcome.hits, "error": outcome.error}


def build_batch(batch_id: str) -> dict[str, Any]:
    """Write a large batch's HITs in chunks and make them visible once all are written; a failed build
    is undone (the batch and its HITs are removed)."""
    return batch_builds.build(worker_runtime(), batch_id)


def aggregate_due() -> dict[str, Any]:
    """Queue the aggregation of batches with answers newer than their last aggregation and none queued."""
    return {"queued": consensus.aggregate_due(worker_runtime())}


def score_answers(hit_id: str) -> dict[str, Any]:
    """Score the text answers of a HIT for LLM authorship and apply the batch's setting."""
    outcome = llm_flags.score_hit(worker_runtime(), hit_id)
    return {"scored": outcome.scored, "flagged": outcome.flagged, "newly_flagged": outcome.newly_flagged}


def score_due() -> dict[str, Any]:
    """Score text answers whose scoring job was lost."""
    return {"hits": llm_flags.score_due(worker_runtime())}


def run_sweeps() -> dict[str, Any]:
    """Every sweep at once, in the runner's order (by hand, or from the system cron)."""
    rt = worker_runtime()
    return sweeps.run_all(rt) | {"reviews": review_policies.review_due(rt),
                                 "notifications": notifications.deliver_due(rt),
                                 "llm_scores": llm_flags.score_due(rt),
                                 "aggregations_queued": consensus.aggregate_due(rt),
                                 "jobs_pruned": job_queue.prune_finished(rt),
                                 "sign_ins_pruned": accounts.prune_sign_in_events(rt),
                                 "exports_pruned": exports.prune_expired(rt)}
