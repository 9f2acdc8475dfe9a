"""The worker's own pages: the dashboard (earnings, record, qualifications, messages, assignments with
the requester's feedback, bonuses received) and
the qualification tests (list the requestable types, take a test, see the score)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError, InvalidStateError
from labelhub.models import QualificationRequest
from labelhub.question_xml import rendering
from labelhub.services import qualifications, worker_pages
from labelhub.web import csrf, errors, forms, security
from labelhub.web.auth import login_required, signed_in

bp = Blueprint("account", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)
# The system qualifications shown on the dashboard, in words (MTurk's names are for requesters' scripts).
RECORD_LABELS = {"Worker_NumberHITsApproved": "Approved assignments",
                 "Worker_PercentAssignmentsApproved": "Approved, % of reviewed",
                 "Worker_PercentAssignmentsSubmitted": "Submitted, % of accepted",
                 "Worker_PercentAssignmentsReturned": "Returned, % of accepted",
                 "Worker_PercentAssignmentsAbandoned": "Abandoned, % of accepted",
                 "Worker_PercentAssignmentsRejected": "Rejected, % of submitted"}


@bp.get("/dashboard")
@login_required
def dashboard():
    args = request.args
    board = worker_pages.dashboard(
        runtime_of(current_app), signed_in(), assignments_cursor=args.get("assignments"),
        messages_cursor=args.get("messages"), qualifications_cursor=args.get("qualifications"),
        bonuses_cursor=args.get("bonuses"))
    return render_template("web/dashboard.html", board=board, args=args, record_labels=RECORD_LABELS)


@bp.get("/qualifications")
@login_required
def qualification_list():
    found = worker_pages.qualification_list(runtime_of(current_app), signed_in(),
                                            search=request.args.get("q", "").strip() or None,
                                            cursor=request.args.get("cursor"))
    return render_template("web/qualifications.html", found=found, q=request.args.get("q", ""))


def _test_page(view: worker_pages.QualificationView, *, status: int = 200,
               problems: dict[str, str] | None = None, refusal: str | None = None,
               retry_at: datetime | None = None, result: QualificationRequest | None = None):
    question = rendering.read_question(view.qtype.test) if view.qtype.test else None
    return render_template("web/qualification.html", view=view, question=question, problems=problems or {},
                           refusal=refusal, retry_at=retry_at, result=result,
                           answers=request.form.get("answers", "")), status


@bp.get("/qualifications/<type_id>")
@login_required
def qualification(type_id: str):
    return _test_page(worker_pages.qualification_view(runtime_of(current_app), signed_in(), type_id))


@bp.post("/qualifications/<type_id>")
@login_required
def request_qualification(type_id: str):
    rt, actor = runtime_of(current_app), signed_in()
    view = worker_pages.qualification_view(rt, actor, type_id)
    try:
        question = rendering.read_question(view.qtype.test) if view.qtype.test else None
        answers = forms.test_answers(question, request.form) if view.qtype.test else None
        made = qualifications.request(rt, actor, type_id, answers)
    except InvalidInputError as exc:
        return _test_page(view, status=422, problems=exc.fields)
    except InvalidStateError as exc:
        retry_at = exc.context.get("retry_at")
        return _test_page(view, status=409, refusal=exc.message,
                          retry_at=datetime.fromisoformat(retry_at) if isinstance(retry_at, str) else None)
    return _test_page(worker_pages.qualification_view(rt, actor, type_id), result=made)
