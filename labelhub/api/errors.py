"""The REST API's error translation: one table from domain errors to HTTP statuses, and JSON bodies
(``{"error": {"code", "message", "fields"?}}``) for HTTP errors and unexpected failures under /api/v1.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from labelhub.db import DatabaseBusyError
from labelhub.errors import (
    DomainError,
    InvalidInputError,
)
from labelhub.http_status import BUSY_MESSAGE, BUSY_STATUS, busy_headers, status_of

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              500: "internal_error"}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    return response


def domain_error(exc: DomainError) -> Response:
    status = status_of(exc)
    fields = exc.fields if isinstance(exc, InvalidInputError) else None
    response = error_response(status, exc.code, exc.message, fields)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="labelhub"'
    return response


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = error_response(status, HTTP_CODES.get(status, "http_error"), exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def busy_error(exc: DatabaseBusyError) -> Response:
    """Locks held elsewhere for longer than a request waits: 503 and when to try again, not a failure."""
    current_app.logger.warning("Database busy on %s %s: %s", request.method, request.path, exc.orig)
    response = error_response(BUSY_STATUS, "busy", BUSY_MESSAGE)
    response.headers.update(busy_headers())
    return response


def unexpected_error(exc: Exception) -> Response:
    """Log the failure; the client gets a generic message, never a stack trace."""
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "The server failed to handle this request.")


def register(bp: Blueprint) -> None:
    """Errors raised in the API's views go to the blueprint's handlers. Routing errors (404, 405) are
    raised before any blueprint is chosen, so app-wide handlers for those two codes answer in JSON under
    the API's prefix and hand every other path to the app's generic HTTPException handler (the HTML
    pages'), or to Flask's default page when there is none."""
    prefix: list[str] = []
    bp.record_once(lambda state: prefix.append(state.url_prefix or ""))
    bp.register_error_handler(DomainError, domain_error)
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(DatabaseBusyError, busy_error)
    bp.register_error_handler(Exception, unexpected_error)

    def routing_error(exc: HTTPException) -> Any:
        if request.path == prefix[0] or request.path.startswith(prefix[0] + "/"):
            return http_error(exc)
        generic = current_app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)
        return generic(exc) if generic is not None else exc

    bp.app_errorhandler(404)(routing_error)
    bp.app_errorhandler(405)(routing_error)
