"""A batch's quality dashboard: agreement, the worker-by-worker agreement matrix, confusion matrices,
the accuracy, confidence and work-time distributions, answers spent by dynamic overlap, the LLM share
and, for pairwise batches, the ranking.

The page shows stored figures only; every plot is its own SVG request. The services decide ownership
(another requester's batch is a 404).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from labelhub import runtime_of
from labelhub.errors import DomainError
from labelhub.services import quality_dashboard
from labelhub.web import csrf, errors, security
from labelhub.web.requester_session import requester_required, signed_in_requester

bp = Blueprint("requester_quality", __name__)
csrf.protect(bp)
bp.register_error_handler(DomainError, errors.domain_error)
security.private_pages(bp)

PAGE_SIZE = 20


@bp.get("/requester/batches/<batch_id>/quality")
@requester_required
def dashboard(batch_id: str):
    page = quality_dashboard.dashboard(runtime_of(current_app), signed_in_requester(), batch_id,
                                       workers_cursor=request.args.get("workers"), limit=PAGE_SIZE)
    args = request.args.copy()
    args["batch_id"] = batch_id
    return render_template("web/requester/quality.html", page=page, args=args,
                           worker_id=request.args.get("worker") or None,
                           min_shared=quality_dashboard.MIN_SHARED_TASKS, max_workers=quality_dashboard.MAX_WORKERS,
                           matrix_hits=quality_dashboard.MATRIX_HITS)


@bp.get("/requester/batches/<batch_id>/quality/<any(agreement, confusion, accuracy, confidence, worktime, overlap, "
        "llm, ranking):name>.svg")
@requester_required
def plot(batch_id: str, name: str):
    svg = quality_dashboard.quality_plot(runtime_of(current_app), signed_in_requester(), batch_id, name,
                                         worker_id=request.args.get("worker_id") or None)
    return Response(svg, mimetype="image/svg+xml")
