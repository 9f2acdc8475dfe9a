"""Enumerations shared by models and services; values are MTurk's spellings where MTurk has one."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class Marketplace(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"


class HITStatus(StrEnum):
    ASSIGNABLE = "Assignable"
    UNASSIGNABLE = "Unassignable"
    REVIEWABLE = "Reviewable"
    REVIEWING = "Reviewing"
    DISPOSED = "Disposed"


class AssignmentStatus(StrEnum):
    ACCEPTED = "Accepted"
    SUBMITTED = "Submitted"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    RETURNED = "Returned"
    ABANDONED = "Abandoned"


# The answers a consensus reads; every answer a worker gave (a rejected one too).
COUNTED_STATUSES = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
ANSWERED_STATUSES = (*COUNTED_STATUSES, AssignmentStatus.REJECTED)


class Comparator(StrEnum):
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL_TO = "LessThanOrEqualTo"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL_TO = "GreaterThanOrEqualTo"
    EQUAL_TO = "EqualTo"
    NOT_EQUAL_TO = "NotEqualTo"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    IN = "In"
    NOT_IN = "NotIn"


class GuardedAction(StrEnum):
    """What an unmet requirement forbids; each level also forbids the ones after it."""

    ACCEPT = "Accept"
    PREVIEW_AND_ACCEPT = "PreviewAndAccept"
    DISCOVER_PREVIEW_AND_ACCEPT = "DiscoverPreviewAndAccept"


class QualificationStatus(StrEnum):
    GRANTED = "Granted"
    REVOKED = "Revoked"


class QualificationTypeStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class RequestStatus(StrEnum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


def enum_column(kind: type[StrEnum]) -> Enum:
    """Store an enum as its value in a plain string column (portable, readable, easy to migrate)."""
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)
