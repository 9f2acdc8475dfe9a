"""ORM models; importing this package registers every table on ``Base.metadata`` (for Alembic)."""

from labelhub.models.accounts import AccessKey, ApiToken, Requester, Worker
from labelhub.models.enums import (
    ANSWERED_STATUSES,
    COUNTED_STATUSES,
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
from labelhub.models.exports import Export
from labelhub.models.hits import HIT, Assignment, Batch, BatchBuild, BatchState, HITType, QualificationRequirement
from labelhub.models.jobs import FINISHED, Job, JobState
from labelhub.models.notifications import (
    DeliveryStatus,
    NotificationDelivery,
    NotificationSetting,
    ReviewAction,
    ReviewActionStatus,
    ReviewPolicy,
    ReviewPolicyLevel,
    ReviewResult,
    WebhookSecret,
)
from labelhub.models.payments import Bonus, LedgerAccount, LedgerEntry, LedgerTransaction
from labelhub.models.qualifications import Qualification, QualificationRequest, QualificationType
from labelhub.models.results import AnswerFlag, ConsensusLabel, WorkerScore
from labelhub.models.sns import SnsSubscription, SnsTopic
from labelhub.models.workers import WorkerBlock, WorkerMessage

__all__ = [
    "ANSWERED_STATUSES", "COUNTED_STATUSES", "HIT", "AccessKey", "AnswerFlag", "ApiToken", "Assignment",
    "AssignmentStatus", "Batch", "BatchBuild",
    "BatchState", "Bonus", "Comparator",
    "ConsensusLabel", "Export",
    "FINISHED", "DeliveryStatus", "Event", "GuardedAction", "HITStatus", "HITType", "Job", "JobState",
    "LedgerAccount", "LedgerEntry",
    "LedgerTransaction", "Marketplace", "NotificationDelivery", "NotificationSetting", "Qualification",
    "QualificationRequest", "QualificationRequirement", "QualificationStatus", "QualificationType",
    "QualificationTypeStatus", "RequestStatus", "RequestToken", "Requester", "ReviewAction",
    "ReviewActionStatus", "ReviewPolicy", "ReviewPolicyLevel", "ReviewResult", "SnsSubscription", "SnsTopic",
    "WebhookSecret", "Worker",
    "WorkerBlock", "WorkerMessage", "WorkerScore",
]
