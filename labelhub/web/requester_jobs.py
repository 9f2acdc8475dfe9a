"""The requester's background jobs in the browser (the list, one job's progress and report) and the
upload of a reviewed MTurk results CSV, which is applied as one of those jobs.

Every view makes one service call with ``signed_in_requester()``; the services decide ownership
(another requester's job or batch is a 404).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError
from labelhub.runtime import Runtime
from labelhub.services import job_reports, review_uploads
from labelhub.web import csrf, errors, security
from labelhub.web.auth import safe_next
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_jobs", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 25
REFUSED_PAGE_SIZE = 50
REFRESH_SECONDS = 2
# How the pages name a job, by the last part of its kind; other kinds read as their words.
JOB_NAMES = {"apply_review_csv": "Reviewed results CSV", "review_bulk": "Bulk review", "build_export": "Export",
             "aggregate_batch": "Aggregation", "build_batch": "Batch build", "score_answers": "LLM scoring",
             "review_hit": "Review policy", "review_assignment": "Review policy"}


def _rt() -> Runtime:
    return runtime_of(current_app)


@bp.app_template_filter("job_name")
def job_name(kind: str) -> str:
    short = kind.rsplit(".", 1)[-1]
    return JOB_NAMES.get(short) or short.replace("_", " ").capitalize()


@bp.app_template_filter("job_batch")
def job_batch(target: str | None) -> str | None:
    return job_reports.target_batch(target)


@bp.get("/requester/jobs")
@requester_required
def jobs():
    found = job_reports.jobs_page(_rt(), signed_in_requester(), cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    return render_template("web/requester/jobs.html", jobs=found, args=request.args)


@bp.get("/requester/jobs/<job_id>")
@requester_required
def job(job_id: str):
    report = job_reports.job_report(_rt(), signed_in_requester(), job_id, refused_cursor=request.args.get("refused"),
                                    limit=REFUSED_PAGE_SIZE)
    args = request.args.copy()
    args["job_id"] = job_id
    return render_template("web/requester/job.html", report=report, args=args, refresh=REFRESH_SECONDS)


def _back(batch_id: str) -> str:
    """Where a refused upload returns: the form's page (the batch page or the review queue)."""
    return safe_next(request.form.get("next"), url_for("requester_monitor.batch", batch_id=batch_id,
                                                        _anchor="review-csv"))


@bp.post("/requester/batches/<batch_id>/review-csv")
@requester_required
def upload_review_csv(batch_id: str):
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInputError({"file": "choose the results CSV to upload"})
        job_id = review_uploads.upload_review_csv(_rt(), signed_in_requester(), batch_id, data=upload.read(),
                                                  file_name=upload.filename)
    except InvalidInputError as exc:
        flash(f"The results CSV was not applied: {_problem(exc)}", "error")
        return redirect(_back(batch_id), 303)
    return redirect(url_for(".job", job_id=job_id), 303)


def _problem(exc: InvalidInputError) -> str:
    return "; ".join(exc.fields.values()) or exc.message


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> BaseResponse | tuple[str, int]:
    """A file over the request limit is refused before the form is read: say so on the batch page."""
    if request.endpoint != "requester_jobs.upload_review_csv" or not request.view_args:
        return errors.http_error(exc)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or review_uploads.MAX_BYTES
    size = f"{limit / 2**20:.0f} MiB" if limit >= 2**20 else f"{limit / 1024:.0f} KiB"
    flash(f"The results CSV was not applied: the file is over the {size} limit; keep only the AssignmentId, "
          "Approve and Reject columns to make it smaller", "error")
    return redirect(url_for("requester_monitor.batch", batch_id=request.view_args["batch_id"],
                            _anchor="review-csv"), 303)
