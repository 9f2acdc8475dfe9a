"""Typed domain errors raised by services; each adapter maps them to its own wire format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class DomainError(Exception):
    """Base for failures a caller can act on. ``code`` is stable and safe to show.

    ``entity`` names the kind of object concerned ("hit", "assignment", ...) so adapters such as the
    MTurk layer can pick a precise error code without parsing messages.
    """

    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, entity: str | None = None, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.entity = entity
        self.context = context


class NotFoundError(DomainError):
    code = "not_found"


class PermissionDeniedError(DomainError):
    code = "permission_denied"


class AuthenticationError(DomainError):
    code = "unauthenticated"


class TooManyAttemptsError(AuthenticationError):
    """A sign-in refused without checking the password: too many recent failures for this name from this
    client address. ``retry_after_seconds`` is when the next attempt will be checked again."""

    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(f"Too many failed sign-ins for this name from your address. Try again in {minutes} "
                         f"minute{'s' if minutes > 1 else ''}.", entity="worker")
        self.retry_after_seconds = retry_after_seconds


class InvalidStateError(DomainError):
    code = "invalid_state"


class InsufficientFundsError(DomainError):
    code = "insufficient_funds"


class ConflictError(DomainError):
    """A uniqueness rule was broken (a duplicate name, a repeated idempotency token, ...)."""

    code = "conflict"


class InvalidInputError(DomainError):
    """Input that breaks a rule; ``fields`` maps each offending field to what is wrong with it."""

    code = "invalid_input"

    def __init__(self, fields: Mapping[str, str], *, entity: str | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()), entity=entity)
        self.fields = dict(fields)


class SchemaOutOfDateError(Exception):
    """The database schema is behind the code's migrations; the app refuses to serve it."""
