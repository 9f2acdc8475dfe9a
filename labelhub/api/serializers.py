"""Domain objects -> the REST API's JSON: snake_case, money as "0.50" strings, ISO 8601 UTC timestamps,
public ids only (integer primary keys never leave the server). Shapes: labelhub.api.responses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from labelhub.models import (
    HIT,
    Assignment,
    Event,
    Job,
    QualificationRequest,
    QualificationRequirement,
    WorkerMessage,
)
from labelhub.models import Qualification as QualificationModel
from labelhub.money import format_amount
from labelhub.services.batch_results import BatchSummary, ConsensusView, WorkerScoreView
from labelhub.services.common import Page
from labelhub.services.ledger import Balance
from labelhub.services.llm_flags import FlagView
from labelhub.services.payments import BonusView, Earnings
from labelhub.services.qualifications import TypeView
from labelhub.services.worker_pages import HITTask
from labelhub.services.workers import BlockView, HITListing, NotifyFailure

T = TypeVar("T")
MONEY_KEYS = frozenset({"amount"})


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page(found: Page[T], item: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [item(x) for x in found.items], "next_cursor": found.next_cursor}


def requirement(req: QualificationRequirement) -> dict[str, Any]:
    return {"qualification_type_id": req.qualification_type_id, "comparator": req.comparator.value,
            "integer_values": list(req.integer_values or []),
            "locale_values": [{"country": loc["country"], "subdivision": loc.get("subdivision")}
                              for loc in req.locale_values or []],
            "actions_guarded": req.actions_guarded.value}


def _hit_summary(hit: HIT) -> dict[str, Any]:
    hit_type = hit.hit_type
    return {"hit_id": hit.public_id, "hit_type_id": hit_type.public_id, "title": hit_type.title,
            "description": hit_type.description, "keywords": hit_type.keywords,
            "reward": format_amount(hit_type.reward_micros),
            "assignment_duration_seconds": hit_type.assignment_duration_seconds,
            "auto_approval_delay_seconds": hit_type.auto_approval_delay_seconds,
            "qualification_requirements": [requirement(r) for r in hit_type.requirements],
            "expires_at": timestamp(hit.expires_at), "assignments_available": hit.available_count}


def hit(found: HIT, batch_ids: Mapping[int, str]) -> dict[str, Any]:
    """A HIT as its requester sees it; ``batch_ids``: its batch's public id by row id."""
    return _hit_summary(found) | {
        "marketplace": found.marketplace.value,
        "batch_id": batch_ids.get(found.batch_id) if found.batch_id is not None else None, "question": found.question,
        "requester_annotation": found.requester_annotation, "answer_schema": found.answer_schema,
        "max_assignments": found.max_assignments,
        "fee_per_assignment": format_amount(found.fee_per_assignment_micros), "status": found.status.value,
        "review_status": found.review_status, "created_at": timestamp(found.created_at),
        "assignments_pending": found.pending_count, "assignments_submitted": found.submitted_count,
        "assignments_approved": found.approved_count, "assignments_rejected": found.rejected_count,
        "is_gold": found.is_gold, "gold_answer": found.gold_answer}


def hit_listing(listing: HITListing) -> dict[str, Any]:
    return _hit_summary(listing.hit) | {"can_preview": listing.can_preview, "can_accept": listing.can_accept}


def hit_preview(found: HIT, task: HITTask | None) -> dict[str, Any]:
    """What a worker sees before accepting: never the requester's annotation or counters. A gold HIT
    shows at most one open assignment, as an ordinary HIT near its end would: its many slots (one
    per worker it checks) would otherwise give it away. A batch HIT carries its task (type,
    configuration, data row), and its answer schema is the task type's."""
    shown = _hit_summary(found)
    if found.is_gold:
        shown["assignments_available"] = min(found.available_count, 1)
    return shown | {"question": found.question,
                    "answer_schema": task.answer_schema if task is not None else found.answer_schema,
                    "task": None if task is None else {"batch_id": task.batch_id, "task_type": task.task_type,
                                                       "config": task.config, "item": task.item}}


def assignment(found: Assignment, *, worker_id: str | None = None) -> dict[str, Any]:
    """``worker_id``: the worker's public id when the caller knows it (the worker's own views)."""
    return {"assignment_id": found.public_id, "hit_id": found.hit.public_id,
            "worker_id": worker_id or found.worker.public_id, "title": found.hit.hit_type.title,
            "reward": format_amount(found.hit.hit_type.reward_micros), "status": found.status.value,
            "accepted_at": timestamp(found.accepted_at), "deadline": timestamp(found.deadline),
            "submitted_at": timestamp(found.submitted_at),
            "auto_approval_at": timestamp(found.auto_approval_at),
            "approved_at": timestamp(found.approved_at), "rejected_at": timestamp(found.rejected_at),
            "ended_at": timestamp(found.ended_at), "answer": found.answer, "signals": found.signals,
            "requester_feedback": found.requester_feedback}


def event(found: Event) -> dict[str, Any]:
    data = {k: format_amount(v) if k in MONEY_KEYS and isinstance(v, int) else v
            for k, v in (found.data or {}).items()}
    return {"at": timestamp(found.at), "actor": found.actor, "action": found.action, "entity": found.entity,
            "entity_id": found.entity_id, "data": data or None}


def bonus(view: BonusView) -> dict[str, Any]:
    paid = view.bonus
    return {"bonus_id": paid.public_id, "worker_id": view.worker_id, "assignment_id": view.assignment_id,
            "amount": format_amount(paid.amount_micros), "fee": format_amount(paid.fee_micros),
            "reason": paid.reason, "created_at": timestamp(paid.created_at)}


def balance(found: Balance, currency: str) -> dict[str, Any]:
    return {"available": format_amount(found.available_micros),
            "on_hold": format_amount(found.on_hold_micros), "currency": currency}


def earnings(found: Earnings, currency: str) -> dict[str, Any]:
    return {"paid": format_amount(found.approved_micros), "pending": format_amount(found.pending_micros),
            "currency": currency}


def qualification_type(view: TypeView) -> dict[str, Any]:
    return {"qualification_type_id": view.public_id, "name": view.name, "description": view.description,
            "keywords": view.keywords, "status": view.status.value, "is_system": view.owner_id is None,
            "is_requestable": view.is_requestable, "auto_granted": view.auto_granted,
            "auto_granted_value": view.auto_granted_value, "test": view.test, "answer_key": view.answer_key,
            "test_duration_seconds": view.test_duration_seconds,
            "retry_delay_seconds": view.retry_delay_seconds,
            "created_at": timestamp(view.created_at)}


def qualification(found: QualificationModel, *, worker_id: str | None = None) -> dict[str, Any]:
    return {"qualification_type_id": found.qualification_type.public_id,
            "name": found.qualification_type.name,
            "worker_id": worker_id or found.worker.public_id, "integer_value": found.integer_value,
            "status": found.status.value, "granted_at": timestamp(found.granted_at),
            "updated_at": timestamp(found.updated_at), "reason": found.reason}


def qualification_request(found: QualificationRequest, *, worker_id: str | None = None) -> dict[str, Any]:
    return {"qualification_request_id": found.public_id,
            "qualification_type_id": found.qualification_type.public_id,
            "worker_id": worker_id or found.worker.public_id, "status": found.status.value,
            "answers": found.answers, "score": found.score, "submitted_at": timestamp(found.submitted_at),
            "decided_at": timestamp(found.decided_at), "reason": found.reason}


def message(found: WorkerMessage) -> dict[str, Any]:
    return {"message_id": found.public_id, "subject": found.subject, "body": found.body,
            "sent_at": timestamp(found.created_at), "read_at": timestamp(found.read_at)}


def block(view: BlockView) -> dict[str, Any]:
    return {"worker_id": view.worker_id, "reason": view.reason}


def notify_result(failures: list[NotifyFailure]) -> dict[str, Any]:
    return {"failures": [{"worker_id": f.worker_id, "code": f.code, "message": f.message} for f in failures]}


def _number(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def batch(summary: BatchSummary) -> dict[str, Any]:
    found, progress = summary.batch, summary.progress
    return {"batch_id": found.public_id, "name": found.name, "task_type": found.template_kind,
            "marketplace": found.marketplace.value, "created_at": timestamp(found.created_at),
            "hits": progress.hits - summary.gold_hits, "gold_hits": summary.gold_hits,
            "hits_reviewable": progress.hits_reviewable, "assignments_pending": progress.assignments_pending,
            "assignments_submitted": progress.assignments_submitted,
            "assignments_approved": progress.assignments_approved,
            "assignments_rejected": progress.assignments_rejected, "quality": summary.settings.to_json(),
            "aggregation": {"pending": summary.aggregation_pending, "aggregated_at": timestamp(found.aggregated_at),
                            "method": found.aggregation_method, "reason": found.aggregation_reason,
                            "error": found.aggregation_error, "agreement": _number(found.agreement),
                            "hits_with_consensus": summary.hits_with_consensus,
                            "mean_confidence": _number(summary.mean_confidence),
                            "confident_hits": summary.confident_hits},
            "llm": {"scored": summary.llm.scored, "flagged": summary.llm.flagged, "medium": summary.llm.medium,
                    "estimated_share": _number(summary.llm.estimated_share)}}


def answer_flag(view: FlagView) -> dict[str, Any]:
    found = view.flag
    return {"assignment_id": view.assignment_id, "hit_id": view.hit_id, "worker_id": view.worker_id,
            "probability": _number(found.probability), "band": found.band, "reasons": found.reasons,
            "action": found.action, "scored_at": timestamp(found.scored_at)}


def consensus_label(view: ConsensusView) -> dict[str, Any]:
    return {"hit_id": view.hit_id, "value": view.value, "label_source": view.label_source,
            "consensus": view.consensus, "confidence": _number(view.confidence, 6), "answers": view.answers,
            "updated_at": timestamp(view.updated_at)}


def worker_score(view: WorkerScoreView) -> dict[str, Any]:
    return {"worker_id": view.worker_id, "batches": view.batches, **view.scores,
            "separation": _number(view.separation), "independence_p": _number(view.independence_p),
            "longest_run": view.run, "median_seconds": _number(view.median_seconds, 2),
            "confusion": view.confusion, "decision": view.decision}


def job(found: Job) -> dict[str, Any]:
    return {"job_id": found.public_id, "kind": found.kind.rsplit(".", 1)[-1], "target": found.target,
            "state": found.state, "attempts": found.attempts,
            "progress": {"done": found.progress_done, "total": found.progress_total},
            "created_at": timestamp(found.created_at), "started_at": timestamp(found.started_at),
            "finished_at": timestamp(found.finished_at), "error": found.error_message, "result": found.result}
