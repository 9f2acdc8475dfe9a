"""rq job entry points: ids in, nothing out, idempotent, each one thin call into a service.

Jobs take their Runtime from ``worker_runtime()``: the one ``run_worker`` installed at start-up, or
one built from the settings on first use. Tests and embedding processes call ``install_runtime``.
"""

from __future__ import annotations

import logging

from labelhub.jobs.context import install_runtime, worker_runtime
from labelhub.jobs.worker import run_worker
from labelhub.services import sweeps

__all__ = ["abandon_overdue", "auto_approve_due", "expire_due_hits", "install_runtime", "run_sweeps",
           "run_worker", "worker_runtime"]

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


def run_sweeps() -> None:
    """All three sweeps, in the order the scheduler enqueues them (for the system cron or by hand)."""
    log.info("sweeps done: %s", sweeps.run_all(worker_runtime()))
