"""MTurk's error vocabulary: the one table that turns the services' DomainErrors into RequestError
bodies (TurkErrorCode + MTurk's message texts), plus the adapter's own protocol errors.

Every DomainError is an HTTP 400 RequestError (botocore never retries those); only real faults are
500 ServiceFault, and a busy database a 503 ServiceFault with Retry-After; botocore retries both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labelhub.errors import (
    ConflictError,
    DomainError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.http_status import BUSY_STATUS, RETRY_AFTER_SECONDS

REQUEST_ERROR, SERVICE_FAULT = "RequestError", "ServiceFault"
PARAMETER_OUT_OF_RANGE = "AWS.ParameterOutOfRange"


class ProtocolError(Exception):
    """A failure before an operation runs (authentication, unknown target), in AWS's generic shape."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type, self.message = error_type, message


class TurkError(Exception):
    """A RequestError the adapter itself raises (a deprecated operation, a replayed token, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, kw_only=True)
class WireError:
    """What goes on the wire: ``{"__type": error_type, "Message": message, "TurkErrorCode": code}``."""

    status: int
    error_type: str
    message: str
    code: str | None = None
    retry_after: int | None = None  # seconds, sent as the Retry-After header


# The services' snake_case field names as MTurk's parameters; names not listed pass through unchanged
# (the adapter's own validation already uses the wire names).
FIELD_NAMES = {
    "title": "Title", "description": "Description", "keywords": "Keywords", "reward": "Reward",
    "assignment_duration_seconds": "AssignmentDurationInSeconds",
    "auto_approval_delay_seconds": "AutoApprovalDelayInSeconds",
    "qualification_requirements": "QualificationRequirements", "question": "Question",
    "lifetime_seconds": "LifetimeInSeconds", "max_assignments": "MaxAssignments",
    "requester_annotation": "RequesterAnnotation", "unique_request_token": "UniqueRequestToken",
    "hit_type": "HITTypeId", "name": "Name", "test": "Test", "answer_key": "AnswerKey",
    "test_duration_seconds": "TestDurationInSeconds", "retry_delay_seconds": "RetryDelayInSeconds",
    "auto_granted": "AutoGranted", "amount": "BonusAmount", "reason": "Reason", "worker_id": "WorkerId",
    "subject": "Subject", "message": "MessageText", "worker_ids": "WorkerIds", "cursor": "NextToken",
    "limit": "MaxResults", "number_of_additional_assignments": "NumberOfAdditionalAssignments",
    "requester_feedback": "RequesterFeedback", "integer_value": "IntegerValue",
    "statuses": "AssignmentStatuses", "status": "Status", "hit_id": "HITId", "country": "Country",
    "subdivision": "Subdivision", "comparator": "Comparator", "integer_values": "IntegerValues",
    "locale_values": "LocaleValues", "values": "IntegerValues/LocaleValues",
}

# (error class, entity) -> TurkErrorCode; entity None matches any entity of that class.
TURK_CODES: dict[tuple[type[DomainError], str | None], str] = {
    (NotFoundError, "hit"): "AWS.MechanicalTurk.HITDoesNotExist",
    (NotFoundError, "hit_type"): "AWS.MechanicalTurk.HITTypeDoesNotExist",
    (NotFoundError, "assignment"): "AWS.MechanicalTurk.AssignmentDoesNotExist",
    (NotFoundError, "worker"): "AWS.MechanicalTurk.WorkerDoesNotExist",
    (NotFoundError, "qualification_type"): "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
    (NotFoundError, "qualification"): "AWS.MechanicalTurk.QualificationDoesNotExist",
    (NotFoundError, "qualification_request"): "AWS.MechanicalTurk.QualificationRequestDoesNotExist",
    (NotFoundError, None): "AWS.MechanicalTurk.DoesNotExist",
    (InvalidStateError, "assignment"): "AWS.MechanicalTurk.InvalidAssignmentState",
    (InvalidStateError, "hit"): "AWS.MechanicalTurk.InvalidHITState",
    (InvalidStateError, "qualification"): "AWS.MechanicalTurk.InvalidQualificationState",
    (InvalidStateError, "qualification_request"): "AWS.MechanicalTurk.InvalidQualificationRequestState",
    (InvalidStateError, None): "AWS.MechanicalTurk.InvalidState",
    (PermissionDeniedError, None): "AWS.MechanicalTurk.PermissionDenied",
    (ConflictError, "qualification_type"): "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
    (ConflictError, None): "AWS.MechanicalTurk.AlreadyExists",
    (InsufficientFundsError, None): "AWS.MechanicalTurk.InsufficientFunds",
    (InvalidInputError, None): PARAMETER_OUT_OF_RANGE,
}

INSUFFICIENT_FUNDS = "This Requester has insufficient funds in their account to complete this transaction."


def wire_field(name: str) -> str:
    return FIELD_NAMES.get(name, name)


def _invalid_input(exc: InvalidInputError) -> str:
    problems = "; ".join(f"{wire_field(field)}: {problem}" for field, problem in exc.fields.items())
    return f"Invalid parameter value. {problems}"


def _invalid_state(exc: DomainError) -> str:
    allowed = exc.context.get("allowed")
    if exc.entity == "assignment" and allowed:  # MTurk's text, which clients grep for
        return f"This operation can be called with a status of: {allowed}"
    return exc.message


MESSAGES: dict[type[DomainError], Callable] = {
    InvalidInputError: _invalid_input,
    InvalidStateError: _invalid_state,
    InsufficientFundsError: lambda exc: f"{INSUFFICIENT_FUNDS} {exc.message}",
}


def turk_code(exc: DomainError) -> str:
    if isinstance(exc, InvalidStateError) and exc.context.get("reason"):
        return f"AWS.MechanicalTurk.{exc.context['reason']}"
    for kind in type(exc).__mro__:
        for key in ((kind, exc.entity), (kind, None)):
            if key in TURK_CODES:
                return TURK_CODES[key]
    return "AWS.MechanicalTurk.RequestError"


def from_domain(exc: DomainError, stamp_ms: int) -> WireError:
    """The RequestError for a service's typed error; MTurk ends every message with ``(<epoch ms>)``."""
    render = next((MESSAGES[kind] for kind in type(exc).__mro__ if kind in MESSAGES), None)
    message = render(exc) if render else exc.message
    return WireError(status=400, error_type=REQUEST_ERROR, message=f"{message} ({stamp_ms})",
                     code=turk_code(exc))


def from_turk(exc: TurkError, stamp_ms: int) -> WireError:
    return WireError(status=400, error_type=REQUEST_ERROR, message=f"{exc.message} ({stamp_ms})",
                     code=exc.code)


def from_protocol(exc: ProtocolError) -> WireError:
    return WireError(status=400, error_type=exc.error_type, message=exc.message)


def service_fault(stamp_ms: int) -> WireError:
    return WireError(status=500, error_type=SERVICE_FAULT, code="AWS.MechanicalTurk.ServiceFault",
                     message=f"We encountered an internal error. Please try again. ({stamp_ms})")


def busy(stamp_ms: int) -> WireError:
    """A busy database (labelhub.db.DatabaseBusyError): nothing was done; botocore retries a 503."""
    return WireError(status=BUSY_STATUS, error_type=SERVICE_FAULT, code="AWS.ServiceUnavailable",
                     message=f"The service is busy right now. Please try your call again. ({stamp_ms})",
                     retry_after=RETRY_AFTER_SECONDS)
