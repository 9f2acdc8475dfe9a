"""Assignment operations: list and get submitted work (answers as QuestionFormAnswers), approve, reject."""

from __future__ import annotations

from typing import Any

from labelhub.models import ANSWERED_STATUSES, Assignment, AssignmentStatus
from labelhub.mturk import pages, shapes
from labelhub.mturk.errors import TurkError
from labelhub.mturk.params import Params, given
from labelhub.runtime import Runtime
from labelhub.services import assignments
from labelhub.services.actors import Actor
from labelhub.services.common import Page

LISTED_STATUSES = tuple(s.value for s in ANSWERED_STATUSES)


def list_assignments_for_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hit_id = p.entity_id("HITId")
    statuses = tuple(AssignmentStatus(s) for s in p.enum_list("AssignmentStatuses", LISTED_STATUSES))

    def fetch(cursor: str | None, limit: int) -> Page[Assignment]:
        return assignments.list_for_hit(rt, actor, hit_id, cursor=cursor, limit=limit,
                                        **given(statuses=statuses or None))

    return pages.paged(p, "ListAssignmentsForHIT", "Assignments", fetch,
                       lambda a: shapes.assignment(a, a.worker.public_id))


def get_assignment(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    found = assignments.get_assignment(rt, actor, p.entity_id("AssignmentId"))
    return {"Assignment": shapes.assignment(found, found.worker.public_id), "HIT": shapes.hit(found.hit)}


def approve_assignment(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    assignments.approve(rt, actor, p.entity_id("AssignmentId"),
                        **given(feedback=p.string("RequesterFeedback", allow_empty=True),
                                override_rejection=p.boolean("OverrideRejection")))
    return {}


def reject_assignment(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    assignments.reject(rt, actor, p.entity_id("AssignmentId"),
                       feedback=p.required_string("RequesterFeedback", allow_empty=True))
    return {}


def get_file_upload_url(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    p.entity_id("AssignmentId")
    p.required_string("QuestionIdentifier")
    raise TurkError("AWS.MechanicalTurk.OperationDeprecated",
                    "GetFileUploadURL is deprecated: FileUploadAnswer was removed from QuestionForm on "
                    "2017-12-12, so there are no uploaded files to download.")
