"""JSON Schemas (draft 2020-12) of the request bodies and query parameters. The same dicts validate
requests (labelhub.api.inputs) and describe them in the OpenAPI document (labelhub.api.openapi).

They check shape (presence, JSON types, enums, the money format); ranges and lengths are the commands'
business (labelhub.services.commands), so the REST and MTurk APIs enforce the same limits.
"""

from __future__ import annotations

from typing import Any

from labelhub.models import AssignmentStatus, Comparator, GuardedAction, JobState, QualificationStatus
from labelhub.services.assignments import REVIEWED
from labelhub.services.commands import MAX_AUTO_APPROVAL_DELAY_SECONDS
from labelhub.services.common import MAX_PAGE_SIZE

DEFAULT_PAGE_SIZE = 50
STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
OBJECT: dict[str, Any] = {"type": "object"}
INT32: dict[str, Any] = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
MONEY: dict[str, Any] = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$",
                         "description": "an amount such as 0.50 (at most two decimals)", "examples": ["0.50"]}
TOKEN: dict[str, Any] = {"type": "string", "description": "Repeat a request with the same token within "
                         "24 hours to get the first result back instead of a second one."}
FEEDBACK: dict[str, Any] = {"type": "string", "maxLength": 1024}


def obj(properties: dict[str, Any], *required: str, **extra: Any) -> dict[str, Any]:
    """A closed object schema: unknown members are refused, so typos do not pass silently."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema | extra


def paged(**properties: Any) -> dict[str, Any]:
    """Query parameters of a list endpoint: keyset pagination plus its filters."""
    limit = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}
    return obj({"cursor": {"type": "string", "description": "next_cursor of the previous page"},
                "limit": limit, **properties})


def statuses(values: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": values},
            "description": "repeat the parameter to give several statuses"}


# Requester: HITs -------------------------------------------------------------------------------------

LOCALE = obj({"country": {"type": "string", "description": "ISO 3166-1 alpha-2, e.g. US"},
              "subdivision": {"type": "string", "description": "ISO 3166-2 subdivision, e.g. WA"}}, "country")

REQUIREMENT = obj({
    "qualification_type_id": STRING,
    "comparator": {"type": "string", "enum": [c.value for c in Comparator]},
    "integer_values": {"type": "array", "items": INTEGER},
    "locale_values": {"type": "array", "items": LOCALE},
    "actions_guarded": {"type": "string", "enum": [g.value for g in GuardedAction],
                        "default": GuardedAction.ACCEPT.value},
}, "qualification_type_id", "comparator")

HIT_TYPE_FIELDS: dict[str, Any] = {
    "title": STRING,
    "description": STRING,
    "reward": MONEY,
    "assignment_duration_seconds": INTEGER,
    "auto_approval_delay_seconds": INTEGER | {"default": MAX_AUTO_APPROVAL_DELAY_SECONDS},
    "keywords": {"type": "string", "description": "comma-separated"},
    "qualification_requirements": {"type": "array", "items": REQUIREMENT},
}
NOT_WITH_HIT_TYPE_ID = {"not": {}, "description": "not allowed together with hit_type_id"}

CREATE_HIT = obj({
    **HIT_TYPE_FIELDS,
    "hit_type_id": {"type": "string", "description": "an existing HIT type, instead of the type's fields"},
    "question": STRING,
    "lifetime_seconds": INTEGER,
    "max_assignments": INTEGER | {"default": 1},
    "requester_annotation": STRING,
    "unique_request_token": TOKEN,
    "answer_schema": OBJECT | {"description": "a JSON Schema every submitted answer must satisfy"},
}, "question", "lifetime_seconds",
    **{"if": {"required": ["hit_type_id"]},
       "then": {"properties": dict.fromkeys(HIT_TYPE_FIELDS, NOT_WITH_HIT_TYPE_ID)},
       "else": {"required": ["title", "description", "reward", "assignment_duration_seconds"]}})

ADD_ASSIGNMENTS = obj({"number_of_additional_assignments": INTEGER, "unique_request_token": TOKEN},
                      "number_of_additional_assignments")
HIT_ASSIGNMENTS_QUERY = paged(status=statuses([s.value for s in REVIEWED]))

# Requester: review and money ---------------------------------------------------------------------------

APPROVE = obj({"feedback": FEEDBACK, "override_rejection": BOOLEAN | {"default": False}})
REJECT = obj({"feedback": FEEDBACK}, "feedback")
SEND_BONUS = obj({"worker_id": STRING, "assignment_id": STRING, "amount": MONEY, "reason": STRING,
                  "unique_request_token": TOKEN}, "worker_id", "assignment_id", "amount", "reason")
BONUSES_QUERY = paged(hit_id=STRING, assignment_id=STRING)

# Requester: qualification types -------------------------------------------------------------------------

ANSWER_KEY = obj({
    "points": {"type": "object", "description": "points per question id and answer",
               "additionalProperties": {"type": "object", "additionalProperties": INTEGER}},
    "percentage_of": {"type": "integer", "description": "scale the sum to 0-100 against this maximum"},
}, "points")
QUALIFICATION_TYPE_FIELDS: dict[str, Any] = {
    "description": STRING,
    "active": BOOLEAN,
    "test": STRING,
    "answer_key": ANSWER_KEY,
    "test_duration_seconds": INTEGER,
    "retry_delay_seconds": INTEGER,
    "auto_granted": BOOLEAN,
    "auto_granted_value": INT32,
}
CREATE_QUALIFICATION_TYPE = obj({"name": STRING, "keywords": STRING, **QUALIFICATION_TYPE_FIELDS},
                                "name", "description")
UPDATE_QUALIFICATION_TYPE = obj(QUALIFICATION_TYPE_FIELDS, minProperties=1)
QUALIFICATION_TYPES_QUERY = paged(
    query={"type": "string", "description": "words in the name, description or keywords"},
    must_be_requestable=BOOLEAN | {"default": False},
    must_be_owned_by_caller=BOOLEAN | {"default": True,
                                       "description": "false also lists other requesters' and system types"})
SCORE = obj({"value": INT32 | {"default": 1}})
REASON_QUERY = obj({"reason": STRING})
QUALIFIED_WORKERS_QUERY = paged(status={"type": "string", "enum": [s.value for s in QualificationStatus]})
QUALIFICATION_REQUESTS_QUERY = paged(qualification_type_id=STRING)
ACCEPT_REQUEST = obj({"value": INT32 | {"default": 1}})
REJECT_REQUEST = obj({"reason": STRING})

# Requester: workers --------------------------------------------------------------------------------------

BLOCK = obj({"reason": STRING}, "reason")
NOTIFY = obj({"subject": STRING, "message": STRING, "worker_ids": {"type": "array", "items": STRING}},
             "subject", "message", "worker_ids")

# Requester: batches, consensus and quality -------------------------------------------------------------

ACTION = {"type": "string", "enum": ["revoke", "block"]}
QUALITY = obj({
    "method": {"type": "string", "description": "consensus method for single-label answers: auto, ds, "
               "ds_shrunk or a crowd-kit class name (MajorityVote, DawidSkene, GLAD, ...)"},
    "gold_share": {"type": ["number", "null"], "description": "share of each worker's stream that is gold "
                   "(0-0.5); null: the installation's default"},
    "qualification_type_id": {"type": ["string", "null"],
                              "description": "your qualification type that receives each worker's score 0-100"},
    "rules": obj({
        "accuracy": {"type": ["object", "null"], "description": "act below threshold (0-100 gold accuracy) "
                     "after min_gold_answers gold answers", "properties": {
                         "threshold": INTEGER, "min_gold_answers": INTEGER, "action": ACTION}},
        "spam": {"type": ["object", "null"], "description": "act on spammer signs; null turns a sign off",
                 "properties": {"action": ACTION, "max_separation": {"type": ["number", "null"]},
                                "min_answers": INTEGER, "max_run": {"type": ["integer", "null"]},
                                "min_run_disagreement": {"type": "number"},
                                "min_seconds": {"type": ["number", "null"]}}},
    }),
    "overlap": {"type": ["object", "null"], "description": "dynamic overlap: HITs start with min_assignments "
                "and get one more while their consensus confidence is below confidence_target",
                "properties": {"min_assignments": INTEGER, "max_assignments": INTEGER,
                               "confidence_target": {"type": "number"}}},
    "llm": obj({"action": {"type": "string", "enum": ["none", "review", "exclude", "downweight"],
                           "description": "what a flag (band high) does: nothing, hold for review, leave out of "
                           "the consensus, or weigh every text answer by 1 - its probability"},
                "auto_reject": BOOLEAN | {"description": "reject flagged answers automatically (off by default)"},
                "reference_field": {"type": "string", "description": "batch data column with reference LLM "
                                    "answers (a text or a JSON list of texts)"}}),
})
CREATE_BATCH = obj({
    **HIT_TYPE_FIELDS,
    "name": STRING,
    "task_type": {"type": "string", "description": "a task type (annotator) kind, e.g. text_classification"},
    "config": OBJECT | {"description": "the task type's configuration (labels, fields, instructions)"},
    "question_template": {"type": "string", "description": "HTML with ${column} placeholders; defaults to "
                          "the title"},
    "rows": {"type": "array", "items": OBJECT, "description": "one HIT per row; a row with a _gold member "
             "(an answer of the task type) becomes a gold HIT with that known answer"},
    "lifetime_seconds": INTEGER,
    "max_assignments": INTEGER | {"default": 1},
    "gold_assignments": INTEGER | {"description": "assignments of each gold HIT"},
    "quality": QUALITY,
}, "name", "task_type", "config", "rows", "lifetime_seconds", "title", "description", "reward",
    "assignment_duration_seconds")
CONSENSUS_QUERY = paged(below={"type": "number", "description": "only HITs whose confidence is below this"})
CONFUSION_QUERY = obj({"worker_id": {"type": "string", "description": "a worker of the batch; without it, "
                                     "the crowd's matrix"}})
FLAGS_QUERY = paged(band=statuses(["low", "medium", "high"]),
                    min_probability={"type": "number", "minimum": 0, "maximum": 1})
GOLD = obj({"answer": OBJECT | {"description": "the known answer, as a worker would submit it"}}, "answer")

JOBS_QUERY = paged(state={"type": "string", "enum": [state.value for state in JobState]},
                   kind={"type": "string", "description": "a job kind, e.g. aggregate_batch"})

# Worker ------------------------------------------------------------------------------------------------

PAGE = paged()
WORKER_ASSIGNMENTS_QUERY = paged(status=statuses([s.value for s in AssignmentStatus]))
SUBMIT = obj({"answer": OBJECT | {"description": "the answer; checked against the HIT's answer_schema"},
              "signals": {"type": ["object", "null"],
                          "description": "behavioural signals (at most 100 keys of scalar values)"}},
             "answer")
QUALIFICATION_REQUEST = obj({"answers": OBJECT | {"description": "the type's test answers, by question id"}})

PATH_PARAMETERS = {
    "hit_id": "a HIT's id",
    "batch_id": "a batch's id",
    "assignment_id": "an assignment's id",
    "qualification_type_id": "a qualification type's id",
    "request_id": "a qualification request's id",
    "worker_id": "a worker's id",
    "job_id": "a job's id",
}
