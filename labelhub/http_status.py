"""The HTTP status of each domain error, shared by the adapters that answer over HTTP with their own
bodies (the REST API's JSON, the HTML pages, the MTurk worker-side pages)."""

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


def status_of(exc: DomainError) -> int:
    """The status of the error's class (or the nearest listed base class); 409 for any other."""
    return next((status for kind, status in HTTP_STATUS.items() if isinstance(exc, kind)), 409)
