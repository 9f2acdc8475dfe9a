"""HTML error pages for the pages (the REST and MTurk APIs keep their own wire formats): what went
wrong in words a worker can act on, and where to go next."""

from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.exceptions import HTTPException

from labelhub.db import DatabaseBusyError
from labelhub.errors import (
    DomainError,
    InvalidInputError,
)
from labelhub.http_status import BUSY_MESSAGE, BUSY_STATUS, busy_headers, status_of

# Paths whose clients expect JSON (REST) or the AWS JSON protocol (MTurk), never an HTML page.
MACHINE_PREFIXES = ("/api/", "/mturk/production", "/mturk/sandbox")

TITLES = {400: "Bad request", 401: "Not signed in", 402: "Not enough funds", 403: "Forbidden",
          404: "Not found", 409: "Not possible right now", 429: "Too many requests", 503: "Busy"}

MESSAGES = {
    403: "You are not allowed to see this page.",
    404: "There is nothing at this address. The link may be old, or the item may have been removed.",
    500: "Something went wrong on our side. It has been logged; please try again in a moment.",
}


def page(status: int, title: str, message: str, *, fields: dict[str, str] | None = None):
    return render_template("web/error.html", status=status, title=title, message=message,
                           fields=fields or {}), status


def http_error(exc: HTTPException):
    if request.path.startswith(MACHINE_PREFIXES):
        return exc
    status = exc.code or 500
    return page(status, exc.name, MESSAGES.get(status) or exc.description or exc.name)


def busy_page(exc: DatabaseBusyError):
    """The database stayed locked for longer than a request waits (another account's large batch,
    say): 503 with Retry-After, on every page of the app (the REST and MTurk APIs answer their own way)."""
    current_app.logger.warning("Database busy on %s %s: %s", request.method, request.path, exc.orig)
    body, status = page(BUSY_STATUS, TITLES[BUSY_STATUS], BUSY_MESSAGE)
    return body, status, busy_headers()


def domain_error(exc: DomainError):
    """Domain errors raised while building a page; their messages are safe to show."""
    status = status_of(exc)
    return page(status, TITLES[status], exc.message,
                fields=exc.fields if isinstance(exc, InvalidInputError) else None)
