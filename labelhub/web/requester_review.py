"""The review queue of a batch: its answers one page at a time with what to judge them by, the single
decisions (approve, reject with a reason, override a rejection) and the bulk actions, which run as
jobs whose report page the requester is sent to.

Every view makes one service call with ``signed_in_requester()``; the services decide ownership
(another requester's batch or assignment is a 404) and every rule of a decision.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError, InvalidStateError
from labelhub.runtime import Runtime
from labelhub.services import review_queue
from labelhub.services.review_bulk import ACTIONS, BulkAction, queue_bulk
from labelhub.services.review_decisions import Decision, decide
from labelhub.web import csrf, errors, security
from labelhub.web.auth import safe_next
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_review", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 20
FLAGS = ("llm_flagged", "disagrees", "low_confidence", "failed_gold")
KEYS = (("j / ↓", "next answer"), ("k / ↑", "previous answer"), ("a", "approve the answer"),
        ("r", "reject: type the reason the worker sees, then Enter"), ("o", "open the worker"),
        ("f", "fix the HIT's label"), ("?", "show or hide these keys"))


def _rt() -> Runtime:
    return runtime_of(current_app)


def _filters() -> review_queue.ReviewFilters:
    args = request.args
    below = args.get("accuracy_below", "").strip().removesuffix("%")
    try:
        share = float(below) / 100 if below else None
    except ValueError:
        raise InvalidInputError({"accuracy_below": "must be a percentage such as 70"}) from None
    if share is not None and not 0 <= share <= 1:  # also refuses nan
        raise InvalidInputError({"accuracy_below": "must be a percentage between 0 and 100"})
    return review_queue.ReviewFilters(status=args.get("status") or "submitted",
                                      **{name: args.get(name) == "on" for name in FLAGS},
                                      accuracy_below=share, worker_id=args.get("worker_id", "").strip() or None)


@bp.get("/requester/batches/<batch_id>/review")
@requester_required
def queue(batch_id: str):
    filters = _filters()
    page = review_queue.review_page(_rt(), signed_in_requester(), batch_id, filters,
                                    cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    args = request.args.copy()
    args["batch_id"] = batch_id
    here = request.full_path.rstrip("?")
    return render_template("web/requester/review.html", page=page, filters=filters, args=args, here=here,
                           actions=ACTIONS, keys=KEYS)


@bp.post("/requester/batches/<batch_id>/review/bulk")
@requester_required
def bulk(batch_id: str):
    form = request.form
    try:
        job_id = queue_bulk(_rt(), signed_in_requester(), batch_id, BulkAction(
            form.get("action", ""), form.get("worker_id", "").strip() or None, form.get("reason") or None))
    except InvalidInputError as exc:
        flash(f"Nothing was done: {exc.message}", "error")
        return redirect(safe_next(form.get("next"), url_for(".queue", batch_id=batch_id)), 303)
    return redirect(url_for("requester_jobs.job", job_id=job_id), 303)


def _decide(assignment_id: str, decision: Decision, done: str) -> BaseResponse:
    """Apply one decision and flash what happened; back to the queue (``next``), at the item the
    form names in ``focus`` (the next one after a decision, the same one after a refusal)."""
    form = request.form
    back = safe_next(form.get("next"), url_for("requester_monitor.batches"))
    focus = form.get("focus") or ""
    try:
        changed = decide(_rt(), signed_in_requester(), decision)
        flash(done if changed else "Nothing changed: the answer was already decided that way.", "success")
    except (InvalidInputError, InvalidStateError) as exc:
        flash(f"Nothing changed: {exc.message}", "error")
        focus = assignment_id
    anchor = f"#item-{focus}" if focus.isalnum() else ""
    return redirect(back.split("#", 1)[0] + anchor, 303)


@bp.post("/requester/assignments/<assignment_id>/approve")
@requester_required
def approve(assignment_id: str):
    feedback = request.form.get("feedback", "").strip() or None
    return _decide(assignment_id, Decision(assignment_id, approve=True, feedback=feedback),
                   f"Approved answer {assignment_id}: the worker is paid.")


@bp.post("/requester/assignments/<assignment_id>/reject")
@requester_required
def reject(assignment_id: str):
    reason = request.form.get("reason", "").strip()
    return _decide(assignment_id, Decision(assignment_id, approve=False, feedback=reason),
                   f"Rejected answer {assignment_id}; the worker sees your reason.")


@bp.post("/requester/assignments/<assignment_id>/override")
@requester_required
def override(assignment_id: str):
    return _decide(assignment_id, Decision(assignment_id, approve=True, override_rejection=True),
                   f"Approved answer {assignment_id}, overriding its rejection: the worker is paid.")
