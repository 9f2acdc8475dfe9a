"""Read models of the requester's job pages: their jobs, newest first, and one job with its report.

A job's report is its stored result. The review jobs (the review queue's bulk actions, the results CSV
upload) return ``review_decisions.DecisionReport.as_result()``: counts of decisions applied, unchanged
and refused, and the refused ones with their reasons, shown a page at a time here. Any other result
(an export's, an aggregation's) is shown as it is, member by member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelhub.models import FINISHED, Job
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.actors import Actor
from labelhub.services.common import Page, check_page_size, decode_cursor, encode_cursor

DECISION_COUNTS = ("applied", "unchanged", "refused_count")
# Members of a decision report that the page shows in its own way (the counts, the refusals, the
# summary line of an uploaded file), not in the list of other members.
REPORT_MEMBERS = frozenset({*DECISION_COUNTS, "refused", "refused_truncated", "untouched", "rows", "file_name"})


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str


@dataclass(frozen=True)
class JobReport:
    """A job and what its result says: ``counts`` (applied, unchanged, refused, untouched) for a
    decision report, else empty; one page of the refused decisions and how many the result lists;
    the summary line; every other member of the result; the batch it worked on (from the target)."""

    job: Job
    counts: dict[str, int]
    refused: Page[Refusal]
    refused_listed: int  # the result lists at most review_decisions.MAX_REFUSALS_KEPT
    summary: str | None
    details: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.job.state in FINISHED

    @property
    def batch_id(self) -> str | None:
        return target_batch(self.job.target)

    @property
    def error(self) -> str | None:
        return self.job.error_message


def target_batch(target: str | None) -> str | None:
    """The batch's public id in a job's target (``batch:<id>``); None for a job on anything else."""
    kind, _, public_id = (target or "").partition(":")
    return public_id if kind == "batch" and public_id else None


def jobs_page(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 25) -> Page[Job]:
    """The requester's jobs, newest first. Raises InvalidInputError (a cursor this server did not issue)."""
    return job_queue.list_jobs(rt, actor, cursor=cursor, limit=limit, newest_first=True)


def job_report(rt: Runtime, actor: Actor, job_public_id: str, *, refused_cursor: str | None = None,
               limit: int = 50) -> JobReport:
    """One of the requester's jobs with its report; the refused decisions ``limit`` at a time from
    ``refused_cursor``. Raises NotFoundError (also for another requester's job), InvalidInputError
    (a bad cursor or limit)."""
    job = job_queue.get_job(rt, actor, job_public_id)
    result = dict(job.result or {})
    summary = result.pop("summary", None)
    summary = summary if isinstance(summary, str) else None
    if not all(isinstance(result.get(name), int) for name in DECISION_COUNTS):
        return JobReport(job, {}, Page([], None), 0, summary, result)
    counts = {name.removesuffix("_count"): result[name] for name in DECISION_COUNTS}
    if isinstance(result.get("untouched"), int):
        counts["untouched"] = result["untouched"]
    refusals = [Refusal(str(item.get("ref", "")), str(item.get("reason", "")))
                for item in result.get("refused") or [] if isinstance(item, dict)]
    details = {name: value for name, value in result.items() if name not in REPORT_MEMBERS}
    return JobReport(job, counts, _page_of(refusals, refused_cursor, limit), len(refusals), summary, details)


def _page_of(items: list[Refusal], cursor: str | None, limit: int) -> Page[Refusal]:
    """Offset pages of a list held in a job's result (the cursor is the position to start from)."""
    start = decode_cursor(cursor)
    end = start + check_page_size(limit)
    return Page(items[start:end], encode_cursor(end) if end < len(items) else None)
