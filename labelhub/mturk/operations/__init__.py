"""OPERATIONS: the X-Amz-Target operation name -> the function that runs it.

Each function takes (runtime, actor, params), calls the services, and returns the output members.
Operations not listed get UnknownOperationException.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelhub.mturk.operations import (
    assignments,
    hits,
    money,
    notifications,
    qualifications,
    review_policies,
    workers,
)
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor

Operation = Callable[[Runtime, Actor, Params], dict[str, Any]]

OPERATIONS: dict[str, Operation] = {
    "GetAccountBalance": money.get_account_balance,
    "SendBonus": money.send_bonus,
    "ListBonusPayments": money.list_bonus_payments,
    "CreateHITType": hits.create_hit_type,
    "CreateHIT": hits.create_hit,
    "CreateHITWithHITType": hits.create_hit_with_hit_type,
    "GetHIT": hits.get_hit,
    "ListHITs": hits.list_hits,
    "ListReviewableHITs": hits.list_reviewable_hits,
    "ListHITsForQualificationType": hits.list_hits_for_qualification_type,
    "UpdateExpirationForHIT": hits.update_expiration_for_hit,
    "UpdateHITReviewStatus": hits.update_hit_review_status,
    "UpdateHITTypeOfHIT": hits.update_hit_type_of_hit,
    "DeleteHIT": hits.delete_hit,
    "CreateAdditionalAssignmentsForHIT": hits.create_additional_assignments_for_hit,
    "ListAssignmentsForHIT": assignments.list_assignments_for_hit,
    "GetAssignment": assignments.get_assignment,
    "ApproveAssignment": assignments.approve_assignment,
    "RejectAssignment": assignments.reject_assignment,
    "GetFileUploadURL": assignments.get_file_upload_url,
    "CreateQualificationType": qualifications.create_qualification_type,
    "GetQualificationType": qualifications.get_qualification_type,
    "UpdateQualificationType": qualifications.update_qualification_type,
    "DeleteQualificationType": qualifications.delete_qualification_type,
    "ListQualificationTypes": qualifications.list_qualification_types,
    "AssociateQualificationWithWorker": qualifications.associate_qualification_with_worker,
    "DisassociateQualificationFromWorker": qualifications.disassociate_qualification_from_worker,
    "GetQualificationScore": qualifications.get_qualification_score,
    "ListWorkersWithQualificationType": qualifications.list_workers_with_qualification_type,
    "ListQualificationRequests": qualifications.list_qualification_requests,
    "AcceptQualificationRequest": qualifications.accept_qualification_request,
    "RejectQualificationRequest": qualifications.reject_qualification_request,
    "CreateWorkerBlock": workers.create_worker_block,
    "DeleteWorkerBlock": workers.delete_worker_block,
    "ListWorkerBlocks": workers.list_worker_blocks,
    "NotifyWorkers": workers.notify_workers,
    "UpdateNotificationSettings": notifications.update_notification_settings,
    "SendTestEventNotification": notifications.send_test_event_notification,
    "ListReviewPolicyResultsForHIT": review_policies.list_review_policy_results_for_hit,
}
