"""Validated JSON bodies -> the services' commands. Shape was checked by the schema; the commands check
the rules. Documents the pages share (HIT types, batches) are read by the services themselves
(``commands.hit_type_spec_from``, ``batches.batch_from_settings``)."""

from __future__ import annotations

from typing import Any

from labelhub.money import parse_amount
from labelhub.services.commands import (
    AnswerKey,
    CreateHIT,
    NotifyWorkers,
    QualificationTypeSpec,
    QualificationTypeUpdate,
    SendBonus,
    hit_type_spec_from,
)


def create_hit(body: dict[str, Any]) -> CreateHIT:
    """``hit_type_id`` names an existing HIT type; otherwise the body carries the type's fields."""
    hit_type = None if "hit_type_id" in body else hit_type_spec_from(body)
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


