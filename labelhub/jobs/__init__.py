"""rq job entry points: ids in, nothing out, idempotent, each one thin call into a service.

Jobs take their Runtime from ``worker_runtime()``: the one ``run_worker`` installed at start-up, or
one built from the settings on first use. Tests and embedding processes call ``install_runtime``.
"""

from __future__ import annotations

import logging

from labelhub.jobs.context import install_runtime, worker_runtime
from labelhub.jobs.worker import run_worker
from labelhub.services import consensus, llm_flags, notifications, review_policies, sweeps

__all__ = ["abandon_overdue", "aggregate_batch", "aggregate_due", "auto_approve_due", "deliver_notification",
           "deliver_notifications", "expire_due_hits", "install_runtime", "review_assignment", "review_due", "review_hit",
           "run_sweeps", "run_worker", "score_answers", "score_due", "worker_runtime"]

log = logging.getLogger(__name__)


def abandon_overdue() -> None:
    """Accepted assignments past their deadline become Abandoned; their slots reopen."""
    log.info("abandoned %d overdue assignments", sweeps.abandon_overdue(worker_runtime()))


def auto_approve_due() -> None:
    """Submitted assignments whose auto-approval time has come are approved and paid."""
    log.info("auto-approved %d assignments", sweeps.auto_approve_due(worker_runtime()))


def expire_due_hits() -> None:
    """HITs past their lifetime are expired and the funds of their unused slots released."""
    log.info("expired %d HITs", sweeps.expire_due_hits(worker_runtime()))


def deliver_notification(event_doc_id: str) -> None:
    """Send one webhook delivery if it is still pending and due."""
    log.info("notification %s: %s", event_doc_id, notifications.deliver(worker_runtime(), event_doc_id))


def deliver_notifications() -> None:
    """Send every webhook delivery that is due: retries, and any whose job was lost."""
    log.info("delivered %d notifications", notifications.deliver_due(worker_runtime()))


def review_assignment(assignment_id: str) -> None:
    """Run the HIT's assignment-level review policy on a submitted assignment."""
    review_policies.review_assignment(worker_runtime(), assignment_id)


def review_hit(hit_id: str) -> None:
    """Run the HIT-level review policy of a HIT that became reviewable."""
    review_policies.review_hit(worker_runtime(), hit_id)


def review_due() -> None:
    """Review policy runs that a lost or interrupted job left undone."""
    log.info("made %d review policy runs", review_policies.review_due(worker_runtime()))


def aggregate_batch(batch_id: str) -> None:
    """Recompute a batch's consensus, worker scores, qualification feed and dynamic overlap if it has
    answers the last run did not see."""
    log.info("aggregation: %s", consensus.aggregate_batch(worker_runtime(), batch_id))


def aggregate_due() -> None:
    """Aggregate the batches whose job was lost or whose answers arrived during their last run."""
    log.info("aggregated %d batches", consensus.aggregate_due(worker_runtime()))


def score_answers(hit_id: str) -> None:
    """Score the text answers of a HIT for LLM authorship and apply the batch's setting."""
    log.info("LLM flags: %s", llm_flags.score_hit(worker_runtime(), hit_id))


def score_due() -> None:
    """Score text answers whose scoring job was lost."""
    log.info("scored the answers of %d HITs", llm_flags.score_due(worker_runtime()))


def run_sweeps() -> None:
    """Every sweep, in the order the scheduler enqueues them (for the system cron or by hand)."""
    rt = worker_runtime()
    done = sweeps.run_all(rt) | {"reviews": review_policies.review_due(rt),
                                 "notifications": notifications.deliver_due(rt),
                                 "llm_scores": llm_flags.score_due(rt),
                                 "aggregations": consensus.aggregate_due(rt)}
    log.info("sweeps done: %s", done)
