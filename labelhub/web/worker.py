"""The worker's marketplace: find HIT groups, preview a HIT, accept it, work on it against the clock,
return it or submit it, and go straight on to the next HIT of the same batch.

Each view reads its input, makes one service call (the same ones as the worker REST endpoints), and
renders the result; the services decide who may see and do what.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError
from labelhub.models import AssignmentStatus
from labelhub.money import format_amount
from labelhub.runtime import Runtime
from labelhub.services import assignments, worker_pages
from labelhub.web import csrf, errors, forms, security, tasks
from labelhub.web.auth import login_required, signed_in

bp = Blueprint("worker", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)


def _rt() -> Runtime:
    return runtime_of(current_app)


@bp.get("/hits")
@login_required
def hits():
    query = forms.marketplace_query(request.args)
    found = worker_pages.marketplace(_rt(), signed_in(), query)
    return render_template("web/hits.html", groups=found, query=query, args=request.args)


def _task_page(view: worker_pages.TaskView, *, problems: dict[str, str] | None = None,
               status: int = 200, answer: str = "") -> tuple[str, int, dict[str, str]]:
    """The preview or work page; the annotator's partial gets ``config``, ``item`` and ``assignment_id``."""
    task = tasks.present(view)
    assignment = view.assignment
    deadline = assignment.deadline if assignment else None
    body = render_template(
        "web/task.html", view=view, task=task, problems=problems or {}, answer=answer,
        config=task.config, item=view.hit.data or {},
        assignment_id=assignment.public_id if assignment else None,
        deadline_ms=int(deadline.timestamp() * 1000) if deadline else None,
        expired=deadline is not None and _rt().clock() > deadline,
        prefetch=tasks.prefetch_urls(task, view.next_item))
    return body, status, {"Content-Security-Policy": tasks.page_policy(task)}


@bp.get("/hits/<hit_id>")
@login_required
def preview(hit_id: str):
    return _task_page(worker_pages.preview_view(_rt(), signed_in(), hit_id))


@bp.get("/hits/<hit_id>/frame")
@login_required
def preview_frame(hit_id: str):
    return tasks.preview_frame(worker_pages.preview_view(_rt(), signed_in(), hit_id))


@bp.post("/hits/<hit_id>/accept")
@login_required
def accept(hit_id: str):
    accepted = assignments.accept(_rt(), signed_in(), hit_id)
    return redirect(url_for(".work", assignment_id=accepted.public_id), 303)


@bp.post("/hits/<hit_id>/next")
@login_required
def accept_next(hit_id: str):
    """The first HIT of this HIT's group that is still free ("Accept & work" in the list)."""
    accepted = worker_pages.accept_next(_rt(), signed_in(), hit_id)
    if accepted is None:
        flash("No HIT of that group is free any more. Here are the others.", "info")
        return redirect(url_for(".hits"), 303)
    return redirect(url_for(".work", assignment_id=accepted.public_id), 303)


@bp.get("/assignments/<assignment_id>")
@login_required
def work(assignment_id: str):
    view = worker_pages.work_view(_rt(), signed_in(), assignment_id)
    if view.assignment is not None and view.assignment.status is not AssignmentStatus.ACCEPTED:
        return render_template("web/assignment_done.html", view=view)
    return _task_page(view)


@bp.post("/assignments/<assignment_id>/submit")
@login_required
def submit(assignment_id: str):
    try:
        answer = forms.json_object(request.form, "answer", required=True)
        signals = forms.json_object(request.form, "signals", required=False)
        done = assignments.submit(_rt(), signed_in(), assignment_id, answer, signals)
    except InvalidInputError as exc:
        view = worker_pages.work_view(_rt(), signed_in(), assignment_id)
        return _task_page(view, problems=exc.fields, status=422, answer=request.form.get("answer", ""))
    if request.form.get("next") == "1":
        try:
            following = worker_pages.accept_next(_rt(), signed_in(), done.hit.public_id)
        except DomainError as exc:  # the answer is in; only the next HIT is refused (a block, a requirement)
            flash(f"Submitted. The next HIT could not be taken: {exc.message}", "info")
            return redirect(url_for(".hits"), 303)
        if following is not None:
            return redirect(url_for(".work", assignment_id=following.public_id), 303)
        flash("Submitted. That was the last HIT of this batch you can take.", "success")
    else:
        reward = format_amount(done.hit.hit_type.reward_micros)
        flash(f"Submitted: {reward} pending the requester's approval.", "success")
    return redirect(url_for(".hits"), 303)


@bp.post("/assignments/<assignment_id>/return")
@login_required
def give_back(assignment_id: str):
    returned = assignments.return_assignment(_rt(), signed_in(), assignment_id)
    flash(f"You returned “{returned.hit.hit_type.title}”: it is free for another worker.", "info")
    return redirect(url_for(".hits"), 303)
