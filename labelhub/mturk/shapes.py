"""Output shapes: LabelHub's models and service views as MTurk's PascalCase structures.

Timestamps are epoch seconds with millisecond precision and money is a "0.50" string, as botocore
reads them. Every structure is emitted whole (``QualificationRequirements: []`` rather than nothing),
because client code indexes responses with ``[]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labelhub.models import (
    HIT,
    Assignment,
    Qualification,
    QualificationRequest,
    QualificationRequirement,
    ReviewAction,
    ReviewPolicy,
    ReviewResult,
)
from labelhub.money import format_amount
from labelhub.question_xml.questions import answer_key_xml, answers_xml
from labelhub.services.ledger import Balance
from labelhub.services.payments import BonusView
from labelhub.services.qualifications import TypeView
from labelhub.services.workers import BlockView, NotifyFailure


def timestamp(value: datetime) -> float:
    return round(value.timestamp(), 3)


def _optional(out: dict[str, Any], **members: Any) -> dict[str, Any]:
    """Add the members that have a value (MTurk leaves unset optional members out)."""
    out.update({name: value for name, value in members.items() if value not in (None, "")})
    return out


def _time(value: datetime | None) -> float | None:
    return None if value is None else timestamp(value)


def requirement(r: QualificationRequirement) -> dict[str, Any]:
    out: dict[str, Any] = {"QualificationTypeId": r.qualification_type_id, "Comparator": r.comparator.value,
                           "ActionsGuarded": r.actions_guarded.value}
    if r.integer_values:
        out["IntegerValues"] = list(r.integer_values)
    if r.locale_values:
        out["LocaleValues"] = [_optional({"Country": loc["country"]}, Subdivision=loc.get("subdivision"))
                               for loc in r.locale_values]
    return out


def hit(h: HIT) -> dict[str, Any]:
    hit_type = h.hit_type
    out = {
        "HITId": h.public_id, "HITTypeId": hit_type.public_id, "HITGroupId": hit_type.public_id,
        "CreationTime": timestamp(h.created_at), "Title": hit_type.title, "Description": hit_type.description,
        "Question": h.question, "HITStatus": h.status.value, "MaxAssignments": h.max_assignments,
        "Reward": format_amount(hit_type.reward_micros),
        "AutoApprovalDelayInSeconds": hit_type.auto_approval_delay_seconds,
        "Expiration": timestamp(h.expires_at),
        "AssignmentDurationInSeconds": hit_type.assignment_duration_seconds,
        "QualificationRequirements": [requirement(r) for r in hit_type.requirements],
        "HITReviewStatus": h.review_status, "NumberOfAssignmentsPending": h.pending_count,
        "NumberOfAssignmentsAvailable": h.available_count,
        "NumberOfAssignmentsCompleted": h.approved_count + h.rejected_count,
    }
    return _optional(out, Keywords=hit_type.keywords, RequesterAnnotation=h.requester_annotation)


def assignment(a: Assignment, worker_id: str) -> dict[str, Any]:
    out = {"AssignmentId": a.public_id, "WorkerId": worker_id, "HITId": a.hit.public_id,
           "AssignmentStatus": a.status.value, "AcceptTime": timestamp(a.accepted_at),
           "Deadline": timestamp(a.deadline)}
    return _optional(out, AutoApprovalTime=_time(a.auto_approval_at), SubmitTime=_time(a.submitted_at),
                     ApprovalTime=_time(a.approved_at), RejectionTime=_time(a.rejected_at),
                     Answer=None if a.answer is None else answers_xml(a.answer, a.hit.question),
                     RequesterFeedback=a.requester_feedback)


def qualification_type(view: TypeView) -> dict[str, Any]:
    out = {"QualificationTypeId": view.public_id, "Name": view.name, "Description": view.description,
           "Keywords": view.keywords, "QualificationTypeStatus": view.status.value,
           "IsRequestable": view.is_requestable, "AutoGranted": view.auto_granted}
    return _optional(out, CreationTime=_time(view.created_at), Test=view.test,
                     TestDurationInSeconds=view.test_duration_seconds,
                     AnswerKey=answer_key_xml(view.answer_key) if view.answer_key else None,
                     RetryDelayInSeconds=view.retry_delay_seconds,
                     AutoGrantedValue=view.auto_granted_value if view.auto_granted else None)


def qualification(q: Qualification, worker_id: str) -> dict[str, Any]:
    return {"QualificationTypeId": q.qualification_type.public_id, "WorkerId": worker_id,
            "GrantTime": timestamp(q.granted_at), "IntegerValue": q.integer_value, "Status": q.status.value}


def qualification_request(r: QualificationRequest, worker_id: str) -> dict[str, Any]:
    qtype = r.qualification_type
    out = {"QualificationRequestId": r.public_id, "QualificationTypeId": qtype.public_id,
           "WorkerId": worker_id, "SubmitTime": timestamp(r.submitted_at)}
    return _optional(out, Test=qtype.test,
                     Answer=None if r.answers is None else answers_xml(r.answers, qtype.test))


def bonus_payment(view: BonusView) -> dict[str, Any]:
    return {"WorkerId": view.worker_id, "BonusAmount": format_amount(view.bonus.amount_micros),
            "AssignmentId": view.assignment_id, "Reason": view.bonus.reason,
            "GrantTime": timestamp(view.bonus.created_at)}


def worker_block(view: BlockView) -> dict[str, Any]:
    return {"WorkerId": view.worker_id, "Reason": view.reason}


def notify_failure(failure: NotifyFailure) -> dict[str, Any]:
    return {"NotifyWorkersFailureCode": failure.code, "NotifyWorkersFailureMessage": failure.message,
            "WorkerId": failure.worker_id}


def balance(b: Balance) -> dict[str, Any]:
    return {"AvailableBalance": format_amount(b.available_micros),
            "OnHoldBalance": format_amount(b.on_hold_micros)}


def _policy_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def review_policy(policy: ReviewPolicy) -> dict[str, Any]:
    """The policy with its effective parameters (defaults included), AnswerKey as MapEntries."""
    parameters = [{"Key": key, "MapEntries": [{"Key": q, "Values": list(v)} for q, v in value.items()]}
                  if isinstance(value, dict) else {"Key": key, "Values": _policy_values(value)}
                  for key, value in policy.parameters.items()]
    return {"PolicyName": policy.name, "Parameters": parameters}


def review_result(r: ReviewResult) -> dict[str, Any]:
    out = {"ActionId": r.action.public_id, "SubjectId": r.subject_id, "SubjectType": r.subject_type,
           "Key": r.key, "Value": r.value}
    return _optional(out, QuestionId=r.question_id)


def review_action(a: ReviewAction) -> dict[str, Any]:
    out = {"ActionId": a.public_id, "ActionName": a.name, "TargetId": a.target_id,
           "TargetType": a.target_type, "Status": a.status.value}
    return _optional(out, CompleteTime=_time(a.completed_at), Result=a.result, ErrorCode=a.error_code)
