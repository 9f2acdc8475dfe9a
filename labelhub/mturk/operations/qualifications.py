"""Qualification operations: types (tests as QuestionForm, AnswerKey XML), grants, scores, requests."""

from __future__ import annotations

from typing import Any

from labelhub.models import Qualification, QualificationRequest, QualificationStatus, QualificationTypeStatus
from labelhub.mturk import pages, shapes
from labelhub.mturk.params import Params, given
from labelhub.question_xml import questions
from labelhub.runtime import Runtime
from labelhub.services import qualifications
from labelhub.services.actors import Actor
from labelhub.services.commands import AnswerKey, QualificationTypeSpec, QualificationTypeUpdate
from labelhub.services.common import Page
from labelhub.services.qualifications import TypeView

TYPE_STATUSES = tuple(s.value for s in QualificationTypeStatus)
QUALIFICATION_STATUSES = tuple(s.value for s in QualificationStatus)


def _answer_key(p: Params) -> AnswerKey | None:
    text = p.string("AnswerKey")
    return questions.parse_answer_key(text) if text is not None else None


def _type_status(p: Params, *, required: bool) -> bool | None:
    status = p.enum("QualificationTypeStatus", TYPE_STATUSES, required=required)
    return None if status is None else status == QualificationTypeStatus.ACTIVE.value


def _test_options(p: Params) -> dict[str, Any]:
    return given(test=p.string("Test"), answer_key=_answer_key(p),
                 test_duration_seconds=p.integer("TestDurationInSeconds"),
                 retry_delay_seconds=p.integer("RetryDelayInSeconds"), auto_granted=p.boolean("AutoGranted"),
                 auto_granted_value=p.integer("AutoGrantedValue"))


def _check_test(test: str | None) -> None:
    if test is not None:
        questions.validate_test(test)


def create_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    spec = QualificationTypeSpec(name=p.required_string("Name"), description=p.required_string("Description"),
                                 active=_type_status(p, required=True),
                                 **given(keywords=p.string("Keywords", allow_empty=True)), **_test_options(p))
    _check_test(spec.test)
    created = qualifications.create_type(rt, actor, spec)
    return {"QualificationType": shapes.qualification_type(TypeView.of(created))}


def update_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    type_id = p.entity_id("QualificationTypeId")
    change = QualificationTypeUpdate(**given(description=p.string("Description"),
                                             active=_type_status(p, required=False)), **_test_options(p))
    _check_test(change.test)
    updated = qualifications.update_type(rt, actor, type_id, change)
    return {"QualificationType": shapes.qualification_type(TypeView.of(updated))}


def get_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    view = qualifications.get_type(rt, actor, p.entity_id("QualificationTypeId"))
    return {"QualificationType": shapes.qualification_type(view)}


def delete_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    qualifications.delete_type(rt, actor, p.entity_id("QualificationTypeId"))
    return {}


def list_qualification_types(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    options = given(query=p.string("Query", allow_empty=True),
                    must_be_requestable=p.boolean("MustBeRequestable", required=True),
                    must_be_owned_by_caller=p.boolean("MustBeOwnedByCaller"))
    return pages.paged(p, "ListQualificationTypes", "QualificationTypes", lambda cursor, limit:
                       qualifications.list_types(rt, actor, cursor=cursor, limit=limit, **options),
                       shapes.qualification_type)


def associate_qualification_with_worker(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    p.boolean("SendNotification")  # accepted and checked; LabelHub has no notification to send yet
    qualifications.grant(rt, actor, p.entity_id("QualificationTypeId"), p.worker_id(),
                         **given(value=p.integer("IntegerValue")))
    return {}


def disassociate_qualification_from_worker(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    qualifications.revoke(rt, actor, p.entity_id("QualificationTypeId"), p.worker_id(),
                          p.string("Reason", allow_empty=True))
    return {}


def get_qualification_score(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    worker_id = p.worker_id()
    found = qualifications.get_score(rt, actor, p.entity_id("QualificationTypeId"), worker_id)
    return {"Qualification": shapes.qualification(found, worker_id)}


def list_workers_with_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    type_id = p.entity_id("QualificationTypeId")
    status = p.enum("Status", QUALIFICATION_STATUSES)

    def fetch(cursor: str | None, limit: int) -> Page[Qualification]:
        return qualifications.list_workers(rt, actor, type_id, cursor=cursor, limit=limit,
                                           **given(status=QualificationStatus(status) if status else None))

    return pages.paged(p, "ListWorkersWithQualificationType", "Qualifications", fetch,
                       lambda q: shapes.qualification(q, q.worker.public_id))


def list_qualification_requests(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    type_id = p.optional_entity_id("QualificationTypeId")

    def fetch(cursor: str | None, limit: int) -> Page[QualificationRequest]:
        return qualifications.list_requests(rt, actor, type_id, cursor=cursor, limit=limit)

    return pages.paged(p, "ListQualificationRequests", "QualificationRequests", fetch,
                       lambda r: shapes.qualification_request(r, r.worker.public_id))


def accept_qualification_request(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    qualifications.accept_request(rt, actor, p.required_string("QualificationRequestId"),
                                  **given(value=p.integer("IntegerValue")))
    return {}


def reject_qualification_request(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    qualifications.reject_request(rt, actor, p.required_string("QualificationRequestId"),
                                  p.string("Reason", allow_empty=True))
    return {}
