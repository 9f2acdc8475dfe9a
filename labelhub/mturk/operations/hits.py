"""HIT operations: HIT types, create, get, list, expire/extend, review status, change type, delete."""

from __future__ import annotations

from typing import Any

from labelhub.errors import InvalidInputError
from labelhub.models import Comparator, GuardedAction, HITStatus
from labelhub.mturk import layouts, pages, shapes
from labelhub.mturk.errors import TurkError
from labelhub.mturk.operations import review_policies
from labelhub.mturk.params import Params, given
from labelhub.question_xml import questions
from labelhub.runtime import Runtime
from labelhub.services import hits
from labelhub.services.actors import Actor
from labelhub.services.commands import CreateHIT, HITTypeSpec, Locale, RequirementSpec

COMPARATORS = tuple(c.value for c in Comparator)
GUARDED_ACTIONS = tuple(a.value for a in GuardedAction)
REVIEWABLE_STATUSES = (HITStatus.REVIEWABLE.value, HITStatus.REVIEWING.value)


def _locale(p: Params) -> Locale:
    try:
        return Locale(p.required_string("Country"), p.string("Subdivision"))
    except InvalidInputError as exc:
        raise p.rename(exc) from None


def _requirement(p: Params) -> RequirementSpec:
    type_id = p.entity_id("QualificationTypeId")
    comparator = p.enum("Comparator", COMPARATORS, required=True)
    locales = tuple(_locale(loc) for loc in p.structures("LocaleValues"))
    guarded = p.enum("ActionsGuarded", GUARDED_ACTIONS)
    required_to_preview = p.boolean("RequiredToPreview")
    if guarded is not None and required_to_preview is not None:
        raise p.refuse("RequiredToPreview", "is deprecated and cannot be combined with ActionsGuarded")
    # RequiredToPreview=true is the deprecated spelling of PreviewAndAccept (mturk_api.md §4.2).
    action = GuardedAction.PREVIEW_AND_ACCEPT.value if required_to_preview else guarded
    try:
        return RequirementSpec(qualification_type_id=type_id, comparator=Comparator(comparator),
                               integer_values=tuple(p.items("IntegerValues")), locale_values=locales,
                               **given(actions_guarded=GuardedAction(action) if action else None))
    except InvalidInputError as exc:
        raise p.rename(exc) from None


def _hit_type_spec(p: Params) -> HITTypeSpec:
    return HITTypeSpec(
        title=p.required_string("Title"), description=p.required_string("Description"),
        reward_micros=p.money("Reward"),
        assignment_duration_seconds=p.required_integer("AssignmentDurationInSeconds"),
        requirements=tuple(_requirement(r) for r in p.structures("QualificationRequirements")),
        **given(auto_approval_delay_seconds=p.integer("AutoApprovalDelayInSeconds"),
                keywords=p.string("Keywords", allow_empty=True)))


def _create(rt: Runtime, actor: Actor, p: Params, **hit_type: Any) -> dict[str, Any]:
    """CreateHIT and CreateHITWithHITType: one command, the Question checked once the command exists."""
    options = given(max_assignments=p.integer("MaxAssignments"),
                    requester_annotation=p.string("RequesterAnnotation", allow_empty=True),
                    unique_request_token=p.string("UniqueRequestToken"))
    cmd = CreateHIT(question=layouts.question_from(p),
                    lifetime_seconds=p.required_integer("LifetimeInSeconds"), **hit_type, **options)
    questions.validate_question(cmd.question)
    created = hits.create_hit(rt, actor, cmd, review_policies=review_policies.policies(p))
    if created.replayed:  # MTurk answers a repeated UniqueRequestToken with an error naming the HIT
        raise TurkError("AWS.MechanicalTurk.HitAlreadyExists",
                        f"The HIT with ID {created.value.public_id} already exists: it was created by an "
                        f"earlier request with UniqueRequestToken {cmd.unique_request_token}.")
    return {"HIT": shapes.hit(created.value)}


def create_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return _create(rt, actor, p, hit_type=_hit_type_spec(p))


def create_hit_with_hit_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return _create(rt, actor, p, hit_type_id=p.entity_id("HITTypeId"))


def create_hit_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return {"HITTypeId": hits.create_hit_type(rt, actor, _hit_type_spec(p)).public_id}


def get_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return {"HIT": shapes.hit(hits.get_hit(rt, actor, p.entity_id("HITId")))}


def list_hits(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    return pages.paged(p, "ListHITs", "HITs",
                       lambda cursor, limit: hits.list_hits(rt, actor, cursor=cursor, limit=limit),
                       shapes.hit)


def list_reviewable_hits(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    status = p.enum("Status", REVIEWABLE_STATUSES)
    options = given(status=HITStatus(status) if status else None,
                    hit_type_id=p.optional_entity_id("HITTypeId"))
    return pages.paged(p, "ListReviewableHITs", "HITs", lambda cursor, limit: hits.list_reviewable_hits(
        rt, actor, cursor=cursor, limit=limit, **options), shapes.hit)


def list_hits_for_qualification_type(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    type_id = p.entity_id("QualificationTypeId")
    return pages.paged(p, "ListHITsForQualificationType", "HITs", lambda cursor, limit:
                       hits.list_hits_for_qualification_type(rt, actor, type_id, cursor=cursor, limit=limit),
                       shapes.hit)


def update_expiration_for_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hits.update_expiration(rt, actor, p.entity_id("HITId"), p.timestamp("ExpireAt"))
    return {}


def update_hit_review_status(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hits.update_review_status(rt, actor, p.entity_id("HITId"), **given(revert=p.boolean("Revert")))
    return {}


def update_hit_type_of_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hits.change_hit_type(rt, actor, p.entity_id("HITId"), p.entity_id("HITTypeId"))
    return {}


def delete_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    hits.delete_hit(rt, actor, p.entity_id("HITId"))
    return {}


def create_additional_assignments_for_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    token = p.string("UniqueRequestToken")
    created = hits.create_additional_assignments(rt, actor, p.entity_id("HITId"),
                                                 p.required_integer("NumberOfAdditionalAssignments"),
                                                 unique_request_token=token)
    if created.replayed:
        raise TurkError("AWS.MechanicalTurk.DuplicateRequest",
                        f"The request with UniqueRequestToken {token} was already processed for HIT "
                        f"{created.value.public_id}; no assignments were added.")
    return {}
