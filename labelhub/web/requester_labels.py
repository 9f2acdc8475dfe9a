"""Fixed labels of HITs ("fix and accept"): the HIT drawn with its task type's own editable form, as a
worker sees it, beside its consensus and its current fixed label; saving the form fixes the label,
and a second form clears the fix. The rules (ownership, validation, re-aggregation) are in
``labelhub.services.label_fixes``.

``next`` (a path on this site, never another origin) is where a save or a clear returns to, so the
review queue and the batch page can send the requester here and get them back; without it, or with
anything else, they come back to the fix page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from labelhub import runtime_of
from labelhub.errors import DomainError, InvalidInputError
from labelhub.runtime import Runtime
from labelhub.services import label_fixes
from labelhub.services.worker_pages import TaskView
from labelhub.web import csrf, errors, forms, security, tasks
from labelhub.web.auth import safe_next
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_labels", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)


def _rt() -> Runtime:
    return runtime_of(current_app)


def _back(hit_id: str) -> str:
    return safe_next(request.values.get("next"), url_for(".fix", hit_id=hit_id))


def _fix_page(view: label_fixes.LabelView, *, problems: dict[str, str] | None = None, status: int = 200):
    """The page; the annotator's partial gets ``config`` (public), ``item`` and ``assignment_id``."""
    hit, batch = view.hit, view.batch
    task = tasks.present(TaskView(hit, "", batch.template_kind, view.config, None, None, False))
    next_path = safe_next(request.values.get("next"), "")
    return render_template("web/requester/fix_label.html", view=view, task=task, config=task.config,
                           item=hit.data or {}, assignment_id=None, problems=problems or {},
                           next_path=next_path), status


@bp.get("/requester/hits/<hit_id>/fix")
@requester_required
def fix(hit_id: str):
    return _fix_page(label_fixes.label_view(_rt(), signed_in_requester(), hit_id))


@bp.post("/requester/hits/<hit_id>/label")
@requester_required
def save(hit_id: str):
    rt, actor = _rt(), signed_in_requester()
    try:
        answer = forms.json_object(request.form, "answer", required=True)
        label_fixes.fix_label(rt, actor, hit_id, answer)
    except InvalidInputError as exc:
        return _fix_page(label_fixes.label_view(rt, actor, hit_id), problems=exc.fields, status=422)
    flash(f"Fixed the label of HIT {hit_id}: it is used in exports and worker accuracy from now on.", "success")
    return redirect(_back(hit_id), 303)


@bp.post("/requester/hits/<hit_id>/label/clear")
@requester_required
def clear(hit_id: str):
    label_fixes.clear_fix(_rt(), signed_in_requester(), hit_id)
    flash(f"Cleared the fixed label of HIT {hit_id}: its consensus is its label again.", "success")
    return redirect(_back(hit_id), 303)
