"""The HTTP status of each domain error, and of a busy database, shared by the adapters that answer over
HTTP with their own bodies (the REST API's JSON, the HTML pages, the MTurk API and its worker-side pages)."""

from __future__ import annotations

from labelhub.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)

HTTP_STATUS: dict[type[DomainError], int] = {
    InvalidInputError: 400,
    AuthenticationError: 401,
    InsufficientFundsError: 402,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    InvalidStateError: 409,
    ConflictError: 409,
}


# A busy database (labelhub.db.DatabaseBusyError): nothing was written and the same request can succeed a
# moment later, so every adapter answers 503 with Retry-After (which boto3 and browsers' users retry).
BUSY_STATUS = 503
RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "The service is busy right now; nothing was changed. Please try again in a few seconds."


def busy_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def status_of(exc: DomainError) -> int:
    """The status of the error's class (or the nearest listed base class); 409 for any other."""
    return next((status for kind, status in HTTP_STATUS.items() if isinstance(exc, kind)), 409)
