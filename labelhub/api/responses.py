"""JSON Schemas of the response bodies (OpenAPI components), one per serializer in
labelhub.api.serializers. The tests validate every response they receive against these schemas.
"""

from __future__ import annotations

from typing import Any

from labelhub.models import (
    AssignmentStatus,
    Comparator,
    GuardedAction,
    HITStatus,
    JobState,
    Marketplace,
    QualificationStatus,
    QualificationTypeStatus,
    RequestStatus,
)

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
TIMESTAMP: dict[str, Any] = {"type": "string", "format": "date-time", "examples": ["2026-07-01T12:00:00Z"]}
MONEY: dict[str, Any] = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["0.50"]}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return schema | {"type": [schema["type"], "null"]}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def record(properties: dict[str, Any]) -> dict[str, Any]:
    """Every member is always present (null when unknown) and no other member appears."""
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def enum(values: type) -> dict[str, Any]:
    return {"type": "string", "enum": [v.value for v in values]}


def page_of(name: str) -> dict[str, Any]:
    return record({"items": {"type": "array", "items": ref(name)},
                   "next_cursor": {"type": ["string", "null"],
                                   "description": "pass as cursor for the next page; null on the last page"}})


REQUIREMENT = record({
    "qualification_type_id": STRING,
    "comparator": enum(Comparator),
    "integer_values": {"type": "array", "items": INTEGER},
    "locale_values": {"type": "array", "items": record({"country": STRING, "subdivision": nullable(STRING)})},
    "actions_guarded": enum(GuardedAction),
})

HIT_SUMMARY: dict[str, Any] = {
    "hit_id": STRING,
    "hit_type_id": STRING,
    "title": STRING,
    "description": STRING,
    "keywords": STRING,
    "reward": MONEY,
    "assignment_duration_seconds": INTEGER,
    "auto_approval_delay_seconds": INTEGER,
    "qualification_requirements": {"type": "array", "items": ref("QualificationRequirement")},
    "expires_at": TIMESTAMP,
    "assignments_available": INTEGER,
}

ASSIGNMENT = record({
    "assignment_id": STRING,
    "hit_id": STRING,
    "worker_id": STRING,
    "title": STRING,
    "reward": MONEY,
    "status": enum(AssignmentStatus),
    "accepted_at": TIMESTAMP,
    "deadline": TIMESTAMP,
    "submitted_at": nullable(TIMESTAMP),
    "auto_approval_at": nullable(TIMESTAMP),
    "approved_at": nullable(TIMESTAMP),
    "rejected_at": nullable(TIMESTAMP),
    "ended_at": nullable(TIMESTAMP),
    "answer": {"type": ["object", "null"]},
    "signals": {"type": ["object", "null"]},
    "requester_feedback": nullable(STRING),
})

QUALIFICATION_TYPE = record({
    "qualification_type_id": STRING,
    "name": STRING,
    "description": STRING,
    "keywords": STRING,
    "status": enum(QualificationTypeStatus),
    "is_system": BOOLEAN,
    "is_requestable": BOOLEAN,
    "auto_granted": BOOLEAN,
    "auto_granted_value": nullable(INTEGER),
    "test": nullable(STRING),
    "answer_key": {"type": ["object", "null"], "description": "shown to the type's owner only"},
    "test_duration_seconds": nullable(INTEGER),
    "retry_delay_seconds": nullable(INTEGER),
    "created_at": nullable(TIMESTAMP),
})

NUMBER: dict[str, Any] = {"type": "number"}
ACCURACY: dict[str, Any] = {
    "answers": INTEGER, "gold_answers": INTEGER, "gold_correct": INTEGER,
    "score": INTEGER | {"description": "the accuracy as 0-100: the value the qualification feed writes"},
    "accuracy": NUMBER | {"description": "posterior mean of the share of right answers"},
    "accuracy_low": NUMBER, "accuracy_high": NUMBER | {"description": "95% interval"},
    "gold_accuracy": nullable(NUMBER), "gold_accuracy_low": nullable(NUMBER), "gold_accuracy_high": nullable(NUMBER),
}
BATCH = record({
    "batch_id": STRING, "name": STRING, "task_type": STRING, "marketplace": enum(Marketplace),
    "created_at": TIMESTAMP, "hits": INTEGER, "gold_hits": INTEGER, "hits_reviewable": INTEGER,
    "assignments_pending": INTEGER, "assignments_submitted": INTEGER, "assignments_approved": INTEGER,
    "assignments_rejected": INTEGER, "quality": {"type": "object"},
    "aggregation": record({
        "pending": BOOLEAN | {"description": "answers arrived that the last aggregation has not seen"},
        "aggregated_at": nullable(TIMESTAMP), "method": nullable(STRING), "reason": nullable(STRING),
        "error": nullable(STRING),
        "agreement": nullable(NUMBER) | {"description": "Krippendorff's alpha (single labels) or mean similarity"},
        "hits_with_consensus": INTEGER, "mean_confidence": nullable(NUMBER),
        "confident_hits": INTEGER | {"description": "HITs at or above the confidence target (0.95 without "
                                                    "dynamic overlap)"}}),
    "llm": record({
        "scored": INTEGER | {"description": "text answers scored for LLM authorship"},
        "flagged": INTEGER | {"description": "in band high"}, "medium": INTEGER,
        "estimated_share": nullable(NUMBER) | {"description": "mean probability: the expected share of "
                                                              "LLM-written answers"}}),
})
WORKER_SCORE = record(ACCURACY | {
    "worker_id": STRING, "batches": INTEGER,
    "separation": nullable(NUMBER), "independence_p": nullable(NUMBER),
    "longest_run": {"type": ["object", "null"]}, "median_seconds": nullable(NUMBER),
    "confusion": {"type": ["object", "null"], "description": "classes and matrix: rows = answer given, "
                  "columns = true label"},
    "decision": {"type": ["object", "null"], "description": "what the quality rules did (action, reason)"},
})

COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": record({"error": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {"code": STRING, "message": STRING,
                       "fields": {"type": "object", "additionalProperties": STRING,
                                  "description": "what is wrong with each offending field, by path"}}}}),
    "QualificationRequirement": REQUIREMENT,
    "HIT": record(HIT_SUMMARY | {
        "marketplace": enum(Marketplace),
        "batch_id": {"type": ["string", "null"], "description": "the batch the HIT was made in (null: made "
                     "alone, through the REST or MTurk API)"},
        "question": STRING,
        "requester_annotation": nullable(STRING),
        "answer_schema": {"type": ["object", "null"]},
        "max_assignments": INTEGER,
        "fee_per_assignment": MONEY,
        "status": enum(HITStatus),
        "review_status": STRING,
        "created_at": TIMESTAMP,
        "assignments_pending": INTEGER,
        "assignments_submitted": INTEGER,
        "assignments_approved": INTEGER,
        "assignments_rejected": INTEGER,
        "is_gold": BOOLEAN,
        "gold_answer": {"type": ["object", "null"], "description": "a gold HIT's known answer"},
    }),
    "HITListing": record(HIT_SUMMARY | {"can_preview": BOOLEAN, "can_accept": BOOLEAN}),
    "HITPreview": record(HIT_SUMMARY | {
        "question": STRING, "answer_schema": {"type": ["object", "null"], "description": "what an answer must "
                                              "satisfy (a batch HIT: its task type's schema)"},
        "task": nullable(record({"batch_id": STRING, "task_type": STRING,
                                 "config": {"type": ["object", "null"], "description": "the task type's "
                                            "configuration (labels, instructions); null for untyped HTML"},
                                 "item": {"type": "object", "description": "the batch row this HIT shows"}})) | {
            "description": "the batch task this HIT is an item of; null for a HIT created on its own"}}),
    "Assignment": ASSIGNMENT,
    "Event": record({"at": TIMESTAMP, "actor": STRING, "action": STRING, "entity": STRING,
                     "entity_id": STRING, "data": {"type": ["object", "null"]}}),
    "Bonus": record({"bonus_id": STRING, "worker_id": STRING, "assignment_id": STRING, "amount": MONEY,
                     "fee": MONEY, "reason": STRING, "created_at": TIMESTAMP}),
    "Balance": record({"available": MONEY, "on_hold": MONEY, "currency": STRING}),
    "Earnings": record({"paid": MONEY, "pending": MONEY, "currency": STRING}),
    "QualificationType": QUALIFICATION_TYPE,
    "Qualification": record({"qualification_type_id": STRING, "name": STRING, "worker_id": STRING,
                             "integer_value": INTEGER, "status": enum(QualificationStatus),
                             "granted_at": TIMESTAMP, "updated_at": TIMESTAMP, "reason": nullable(STRING)}),
    "QualificationRequest": record({"qualification_request_id": STRING, "qualification_type_id": STRING,
                                    "worker_id": STRING, "status": enum(RequestStatus),
                                    "answers": {"type": ["object", "null"]}, "score": nullable(INTEGER),
                                    "submitted_at": TIMESTAMP, "decided_at": nullable(TIMESTAMP),
                                    "reason": nullable(STRING)}),
    "Message": record({"message_id": STRING, "subject": STRING, "body": STRING, "sent_at": TIMESTAMP,
                       "read_at": nullable(TIMESTAMP)}),
    "WorkerBlock": record({"worker_id": STRING, "reason": STRING}),
    "Batch": BATCH,
    "ConsensusLabel": record({"hit_id": STRING, "value": {"description": "the HIT's label: a label, a list of "
                                                                    "labels, boxes, spans or a text; the "
                                                                    "requester's fixed label where there is one"},
                              "label_source": {"type": "string", "enum": ["fixed", "consensus"]},
                              "consensus": {"description": "the workers' consensus (null once a fixed label "
                                                           "replaced it at an aggregation)"},
                              "confidence": nullable(NUMBER), "answers": INTEGER, "updated_at": TIMESTAMP}),
    "WorkerScore": WORKER_SCORE,
    "AnswerFlag": record({"assignment_id": STRING, "hit_id": STRING, "worker_id": STRING, "probability": NUMBER,
                          "band": {"type": "string", "enum": ["low", "medium", "high"]},
                          "reasons": {"type": "array", "items": STRING}, "action": nullable(STRING),
                          "scored_at": TIMESTAMP}),
    "Job": record({
        "job_id": STRING, "kind": STRING | {"description": "what the job does, e.g. aggregate_batch"},
        "target": nullable(STRING) | {"description": "what it works on, e.g. batch:<batch_id>"},
        "state": enum(JobState),
        "attempts": INTEGER,
        "progress": record({"done": INTEGER, "total": nullable(INTEGER)}),
        "created_at": TIMESTAMP, "started_at": nullable(TIMESTAMP), "finished_at": nullable(TIMESTAMP),
        "error": nullable(STRING) | {"description": "the last attempt's error, when it failed"},
        "result": {"type": ["object", "null"], "description": "what the job reported, e.g. counts"}}),
    "NotifyResult": record({"failures": {"type": "array", "items": record({
        "worker_id": STRING, "code": {"type": "string", "enum": ["SoftFailure", "HardFailure"]},
        "message": STRING})}}),
}
