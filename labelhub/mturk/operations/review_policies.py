"""Review policies: CreateHIT*'s AssignmentReviewPolicy and HITReviewPolicy members, and
ListReviewPolicyResultsForHIT (results and actions per level, paginated with MaxResults/NextToken)."""

from __future__ import annotations

from typing import Any

from labelhub.errors import InvalidInputError
from labelhub.models import ReviewPolicyLevel
from labelhub.mturk import shapes
from labelhub.mturk.operations.notifications import structure
from labelhub.mturk.params import Params
from labelhub.runtime import Runtime
from labelhub.services import review_policies
from labelhub.services.actors import Actor
from labelhub.services.review_policy_specs import ReviewPolicies, ReviewPolicySpec

LEVELS = tuple(level.value for level in ReviewPolicyLevel)
SLOTS = (("AssignmentReviewPolicy", "AssignmentReviewReport", ReviewPolicyLevel.ASSIGNMENT),
         ("HITReviewPolicy", "HITReviewReport", ReviewPolicyLevel.HIT))
MAX_PARAMETERS, MAX_VALUES = 20, 100


def policies(p: Params) -> ReviewPolicies | None:
    """The policies given to CreateHIT or CreateHITWithHITType; None when there are none."""
    given = {level: _spec(p, slot, level) for slot, _, level in SLOTS}
    if not any(given.values()):
        return None
    return ReviewPolicies(assignment=given[ReviewPolicyLevel.ASSIGNMENT], hit=given[ReviewPolicyLevel.HIT])


def _spec(p: Params, slot: str, level: ReviewPolicyLevel) -> ReviewPolicySpec | None:
    policy = structure(p, slot)
    if policy is None:
        return None
    name = policy.required_string("PolicyName")
    parameters: dict[str, Any] = {}
    for entry in policy.structures("Parameters", max_items=MAX_PARAMETERS):
        key = entry.required_string("Key")
        if key in parameters:
            raise entry.refuse("Key", f"{key!r} is given twice")
        if entry.present("MapEntries") and entry.present("Values"):
            raise entry.refuse("MapEntries", "give Values or MapEntries, not both")
        parameters[key] = _map(entry) if entry.present("MapEntries") else _strings(entry)
    try:
        return ReviewPolicySpec(level=level, name=name, parameters=parameters)
    except InvalidInputError as exc:
        raise InvalidInputError({f"{slot}.{'PolicyName' if field == 'policy_name' else field}": problem
                                 for field, problem in exc.fields.items()}, entity=exc.entity) from None


def _strings(p: Params) -> list[str]:
    values = p.items("Values", max_items=MAX_VALUES)
    if not all(isinstance(value, str) for value in values):
        raise p.refuse("Values", "must be a list of strings")
    return values


def _map(p: Params) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for entry in p.structures("MapEntries", max_items=MAX_VALUES):
        key = entry.required_string("Key")
        if key in entries:
            raise entry.refuse("Key", f"{key!r} is given twice")
        entries[key] = _strings(entry)
    return entries


def list_review_policy_results_for_hit(rt: Runtime, actor: Actor, p: Params) -> dict[str, Any]:
    levels = p.enum_list("PolicyLevels", LEVELS) or LEVELS
    report = review_policies.policy_report(
        rt, actor, p.entity_id("HITId"), levels=[ReviewPolicyLevel(level) for level in levels],
        with_results=bool(p.boolean("RetrieveResults", default=True)),
        with_actions=bool(p.boolean("RetrieveActions", default=True)),
        cursor=p.string("NextToken"), limit=p.integer("MaxResults", default=100, low=1, high=100) or 100)
    out: dict[str, Any] = {"HITId": report.hit_id}
    for policy_key, report_key, level in SLOTS:
        if level.value not in levels:
            continue
        if level in report.policies:
            out[policy_key] = shapes.review_policy(report.policies[level])
        out[report_key] = {
            "ReviewResults": [shapes.review_result(r) for r in report.results if r.level is level],
            "ReviewActions": [shapes.review_action(a) for a in report.actions if a.level is level]}
    if report.next_cursor:
        out["NextToken"] = report.next_cursor
    return out
