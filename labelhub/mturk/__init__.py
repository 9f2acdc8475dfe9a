"""The MTurk-compatible Requester API (2017-01-17): POST /mturk/production and /mturk/sandbox, the
SNS-compatible endpoint for notification topics (/mturk/sns), the worker side of MTurk-style HITs and the
requester guide at /mturk/.

An unmodified boto3 ``mturk`` client works against these endpoints by changing ``endpoint_url`` and
the credentials. This package is an adapter: every rule lives in labelhub.services.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from werkzeug.exceptions import HTTPException

from labelhub import runtime_of
from labelhub.errors import DomainError
from labelhub.models import Marketplace
from labelhub.mturk import protocol, sns, worker_side


def _sns_endpoint() -> Response:
    return sns.handle(runtime_of(current_app))


def create_blueprint() -> Blueprint:
    bp = Blueprint("mturk", __name__, template_folder="templates", static_folder="static")
    # The API endpoints answer every error in AWS's JSON shape themselves; these cover the HTML pages.
    bp.register_error_handler(DomainError, worker_side.error_page)
    bp.register_error_handler(HTTPException, worker_side.http_error_page)
    bp.add_url_rule("/sns", "sns_endpoint", _sns_endpoint, methods=["GET", "POST"])

    @bp.post("/production")
    def production() -> Response:
        return protocol.handle(runtime_of(current_app), Marketplace.PRODUCTION)

    @bp.post("/sandbox")
    def sandbox() -> Response:
        return protocol.handle(runtime_of(current_app), Marketplace.SANDBOX)

    @bp.get("/")
    def guide() -> Response:
        return worker_side.guide_page()

    @bp.get("/work/<assignment_id>")
    def work_page(assignment_id: str) -> Response:
        return worker_side.work_page(runtime_of(current_app), assignment_id)

    @bp.post("/work/<assignment_id>/return")
    def return_assignment(assignment_id: str) -> Response:
        return worker_side.return_assignment(runtime_of(current_app), assignment_id)

    @bp.get("/frame/<assignment_id>")
    def assignment_frame(assignment_id: str) -> Response:
        return worker_side.assignment_frame(runtime_of(current_app), assignment_id)

    @bp.get("/preview/<hit_id>")
    def preview_page(hit_id: str) -> Response:
        return worker_side.preview_page(runtime_of(current_app), hit_id)

    @bp.get("/frame/preview/<hit_id>")
    def preview_frame(hit_id: str) -> Response:
        return worker_side.preview_frame(runtime_of(current_app), hit_id)

    @bp.route("/externalSubmit", methods=["GET", "POST"])
    def external_submit() -> Response:
        return worker_side.external_submit(runtime_of(current_app))

    return bp
