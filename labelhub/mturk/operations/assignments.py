"""Assignment operations: list and get submitted work (answers as QuestionFormAnswers), approve, reject."""

from __future__ import annotations

from typing import Any

from labelhub.models import Assignment, AssignmentStatus
from labelhub.mturk import lookups, pages, shapes
from labelhub.mturk.errors import TurkError
from labelhub.mturk.params import Params, given
from labelhub.runtime import Runtime
from labelhub.services import assignments
from labelhub.services.actors import Actor
from labelhub.services.common import Page

LISTED_STATUSES = tuple(s.value for s in assignments.REVIEWED)


def list_assignments_for_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hit_id = p.entity_id("HITId")
    statuses = tuple(AssignmentStatus(s) for s in p.enum_list("AssignmentStatuses", LISTED_STATUSES))

    def fetch(cursor: str | None, limit: int) -> Page[tuple[Assignment, str]]:
        page = assignments.list_for_hit(rt, actor, hit_id, cursor=cursor, limit=limit,
                                        **given(statuses=statuses or None))
        workers = lookups.worker_public_ids(rt, (a.worker_id for a in page.items))
        return Page([(a, workers[a.worker_id]) for a in page.items], page.next_cursor)

    return pages.paged(p, "ListAssignmentsForHIT", "Assignments", fetch,
                       lambda item: shapes.assignment(*item))


def get_assignment(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    found = assignments.get_assignment(rt, actor, p.entity_id("AssignmentId"))
    worker_id = lookups.worker_public_ids(rt, [found.worker_id])[found.worker_id]
    return {"Assignment": shapes.assignment(found, worker_id), "HIT": shapes.hit(found.hit)}


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
