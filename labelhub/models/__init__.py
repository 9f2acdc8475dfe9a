"""ORM models; importing this package registers every table on ``Base.metadata`` (for Alembic)."""

from labelhub.models.accounts import AccessKey, ApiToken, Requester, Worker
from labelhub.models.enums import (
    AssignmentStatus,
    Comparator,
    GuardedAction,
    HITStatus,
    Marketplace,
    QualificationStatus,
    QualificationTypeStatus,
    RequestStatus,
)
from labelhub.models.events import Event, RequestToken
from labelhub.models.hits import HIT, Assignment, Batch, HITType, QualificationRequirement
from labelhub.models.payments import Bonus, LedgerAccount, LedgerEntry, LedgerTransaction
from labelhub.models.qualifications import Qualification, QualificationRequest, QualificationType
from labelhub.models.workers import WorkerBlock, WorkerMessage

__all__ = [
    "HIT", "AccessKey", "ApiToken", "Assignment", "AssignmentStatus", "Batch", "Bonus", "Comparator",
    "Event", "GuardedAction", "HITStatus", "HITType", "LedgerAccount", "LedgerEntry", "LedgerTransaction",
    "Marketplace", "Qualification", "QualificationRequest", "QualificationRequirement",
    "QualificationStatus", "QualificationType", "QualificationTypeStatus", "RequestStatus",
    "RequestToken", "Requester", "Worker", "WorkerBlock", "WorkerMessage",
]
