"""Validated JSON bodies -> the services' commands. Shape was checked by the schema; the commands check
the rules, and their errors are re-keyed here to the body's field paths."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

from labelhub.errors import InvalidInputError
from labelhub.models import Comparator, GuardedAction
from labelhub.money import parse_amount
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.batches import CreateBatch
from labelhub.services.commands import (
    AnswerKey,
    CreateHIT,
    HITTypeSpec,
    Locale,
    NotifyWorkers,
    QualificationTypeSpec,
    QualificationTypeUpdate,
    RequirementSpec,
    SendBonus,
)

T = TypeVar("T")


def nested(prefix: str, build: Callable[[], T]) -> T:
    """Run ``build``; field names in its InvalidInputError are prefixed with where the value sits."""
    try:
        return build()
    except InvalidInputError as exc:
        raise InvalidInputError({f"{prefix}.{name}": problem
                                 for name, problem in exc.fields.items()}) from None


def locale(raw: dict[str, Any]) -> Locale:
    return Locale(raw["country"], raw.get("subdivision"))


def requirement(raw: dict[str, Any], where: str) -> RequirementSpec:
    locales = tuple(nested(f"{where}.locale_values[{i}]", lambda v=v: locale(v))
                    for i, v in enumerate(raw.get("locale_values", ())))
    guarded = GuardedAction(raw.get("actions_guarded", GuardedAction.ACCEPT.value))
    return nested(where, lambda: RequirementSpec(
        qualification_type_id=raw["qualification_type_id"], comparator=Comparator(raw["comparator"]),
        integer_values=tuple(raw.get("integer_values", ())), locale_values=locales, actions_guarded=guarded))


def hit_type_spec(body: dict[str, Any]) -> HITTypeSpec:
    requirements = tuple(requirement(r, f"qualification_requirements[{i}]")
                         for i, r in enumerate(body.get("qualification_requirements", ())))
    return HITTypeSpec(title=body["title"], description=body["description"],
                       reward_micros=parse_amount(body["reward"]),
                       assignment_duration_seconds=body["assignment_duration_seconds"],
                       auto_approval_delay_seconds=body["auto_approval_delay_seconds"],
                       keywords=body.get("keywords", ""), requirements=requirements)


def create_hit(body: dict[str, Any]) -> CreateHIT:
    """``hit_type_id`` names an existing HIT type; otherwise the body carries the type's fields."""
    hit_type = None if "hit_type_id" in body else hit_type_spec(body)
    return CreateHIT(
        question=body["question"], lifetime_seconds=body["lifetime_seconds"],
        max_assignments=body["max_assignments"], hit_type=hit_type, hit_type_id=body.get("hit_type_id"),
        requester_annotation=body.get("requester_annotation"),
        unique_request_token=body.get("unique_request_token"), answer_schema=body.get("answer_schema"))


def send_bonus(body: dict[str, Any]) -> SendBonus:
    return SendBonus(worker_id=body["worker_id"], assignment_id=body["assignment_id"],
                     amount_micros=parse_amount(body["amount"]), reason=body["reason"],
                     unique_request_token=body.get("unique_request_token"))


def answer_key(raw: dict[str, Any] | None) -> AnswerKey | None:
    if raw is None:
        return None
    return AnswerKey(points=raw["points"], percentage_of=raw.get("percentage_of"))


def qualification_type_spec(body: dict[str, Any]) -> QualificationTypeSpec:
    return QualificationTypeSpec(
        name=body["name"], description=body["description"], keywords=body.get("keywords", ""),
        active=body.get("active", True), test=body.get("test"), answer_key=answer_key(body.get("answer_key")),
        test_duration_seconds=body.get("test_duration_seconds"),
        retry_delay_seconds=body.get("retry_delay_seconds"),
        auto_granted=body.get("auto_granted", False), auto_granted_value=body.get("auto_granted_value", 1))


def qualification_type_update(body: dict[str, Any]) -> QualificationTypeUpdate:
    changes = {k: v for k, v in body.items() if k != "answer_key"}
    return QualificationTypeUpdate(**changes, answer_key=answer_key(body.get("answer_key")))


def notify(body: dict[str, Any]) -> NotifyWorkers:
    return NotifyWorkers(subject=body["subject"], message=body["message"],
                         worker_ids=tuple(body["worker_ids"]))


def create_batch(body: dict[str, Any]) -> CreateBatch:
    """A batch of a registered task type (the schema's enum); InvalidInputError names the body's fields."""
    quality = QualitySettings.parse(body["quality"]) if "quality" in body else None
    template = body.get("question_template") or f"<p>{html.escape(body['title'])}</p>"
    return CreateBatch(name=body["name"], template_kind=body["task_type"], question_template=template,
                       hit_type=hit_type_spec(body), rows=tuple(body["rows"]),
                       lifetime_seconds=body["lifetime_seconds"], max_assignments=body.get("max_assignments"),
                       template_config=body["config"], quality=quality,
                       gold_assignments=body.get("gold_assignments"))
