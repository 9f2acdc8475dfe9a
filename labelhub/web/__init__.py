"""The HTML side of LabelHub: the public front page, the worker pages (sign-in, marketplace, task
pages, dashboard, qualification tests), the requester workspace (sign-in, account, credentials, new
batch, batches), the images, and the HTML error pages.

``register(app)`` is called by ``create_app``; it adds the blueprints, the annotators' templates and
static files, the error pages for paths outside the machine APIs, and the security headers every
HTML response carries.
"""

from __future__ import annotations

import secrets
from importlib import resources

from flask import Blueprint, Flask, send_from_directory
from jinja2 import ChoiceLoader, PackageLoader
from werkzeug.exceptions import HTTPException

from labelhub.db import DatabaseBusyError
from labelhub.money import format_amount
from labelhub.web import (
    account,
    auth,
    errors,
    images,
    pages,
    requester_account,
    requester_auth,
    requester_jobs,
    requester_labels,
    requester_monitor,
    requester_new,
    requester_qualifications,
    requester_quality,
    requester_review,
    requester_session,
    requester_workers,
    security,
    tasks,
    worker,
)


def _annotator_assets() -> Blueprint:
    """The annotators' ES modules and stylesheet at /static/annotators/<path> (the path an annotator's
    ``script`` names after "annotators/"), so modules can import each other by relative URL."""
    folder = resources.files("annotators") / "static" / "annotators"
    bp = Blueprint("annotator_assets", __name__)

    @bp.get("/static/annotators/<path:filename>")
    def asset(filename: str):
        return send_from_directory(str(folder), filename, max_age=3600)

    return bp


def duration(seconds: int) -> str:
    """3600 -> '1 hour', 5400 -> '1 hour 30 minutes', 45 -> '45 seconds'."""
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    if not days + hours + minutes:
        parts = [(secs, "second")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 seconds"


def request_token() -> str:
    """A fresh token for a form whose action must happen once however often it is posted (a bonus: the
    service keeps the token as MTurk's UniqueRequestToken)."""
    return secrets.token_urlsafe(16)


def register(app: Flask) -> None:
    for blueprint in (pages.bp, images.bp, auth.bp, worker.bp, account.bp, requester_auth.bp, requester_account.bp,
                      requester_new.bp, requester_monitor.bp, requester_review.bp, requester_labels.bp,
                      requester_jobs.bp, requester_quality.bp, requester_workers.bp, requester_qualifications.bp,
                      _annotator_assets()):
        app.register_blueprint(blueprint)
    # Annotator partials are named "annotators/<kind>.html" and live in the annotators package.
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("annotators", "templates")])
    app.jinja_env.globals.update(money=format_amount, image_url=tasks.image_url, asset_url=tasks.asset_url,
                                 duration=duration, request_token=request_token)
    # Registered for the HTTPException class (not per code): a blueprint's own handlers, or code-specific
    # ones of another adapter, take precedence over these pages.
    app.context_processor(requester_session.page_globals)
    app.register_error_handler(HTTPException, errors.http_error)
    app.register_error_handler(DatabaseBusyError, errors.busy_page)
    app.after_request(security.secure_headers)
