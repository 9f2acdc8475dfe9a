"""JSON Schemas (draft 2020-12) of the request bodies and query parameters. The same dicts validate
requests (labelhub.api.inputs) and describe them in the OpenAPI document (labelhub.api.openapi), so a
request the document allows is one the validator lets through.

They carry every rule a schema can state: presence, JSON types, enums, lengths, ranges, the money and
cursor formats. The commands (labelhub.services.commands) check the same limits again for the MTurk
API and the pages; what no schema can say (a reference to a missing object, an answer that must fit
the HIT's own answer_schema) stays with them and the services.
"""

from __future__ import annotations

from typing import Any

import annotators
from aggregation.methods import METHODS
from labelhub.models import (
    ANSWERED_STATUSES,
    AssignmentStatus,
    Comparator,
    GuardedAction,
    JobState,
    QualificationStatus,
)
from labelhub.services.assignments import MAX_SIGNALS_KEYS
from labelhub.services.batch_quality import LLM_ACTIONS, MAX_GOLD_SHARE
from labelhub.services.batches import MAX_ROWS
from labelhub.services.commands import (
    LOCALE_QUALIFICATION_ID,
    MAX_ASSIGNMENTS,
    MAX_AUTO_APPROVAL_DELAY_SECONDS,
    MAX_DURATION_SECONDS,
    MAX_QUESTION_BYTES,
    MAX_REQUIREMENTS,
    MIN_DURATION_SECONDS,
)
from labelhub.services.common import MAX_PAGE_SIZE
from quality.overlap import MAX_OVERLAP
from quality.policy import ACTIONS

DEFAULT_PAGE_SIZE = 50
STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
OBJECT: dict[str, Any] = {"type": "object"}
INT32: dict[str, Any] = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
POSITIVE_AMOUNT_PATTERN = r"^([0-9]*[1-9][0-9]*(\.[0-9]{1,2})?|0+\.(0[1-9]|[1-9][0-9]?))$"
MONEY: dict[str, Any] = {"type": "string", "pattern": AMOUNT_PATTERN,
                         "description": "an amount such as 0.50 (at most two decimals)", "examples": ["0.50"]}
POSITIVE_MONEY: dict[str, Any] = {"type": "string", "pattern": POSITIVE_AMOUNT_PATTERN,
                                  "description": "a positive amount such as 0.50 (at most two decimals)",
                                  "examples": ["0.50"]}
MONEY_PATTERNS = frozenset({AMOUNT_PATTERN, POSITIVE_AMOUNT_PATTERN})
"""Amounts must also be at most labelhub.money's largest amount, which no pattern can say (inputs checks)."""

NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _cursor_pattern() -> str:
    """What labelhub.services.common.encode_cursor issues: "v1:<id>" in unpadded base64url, for ids of at
    most 9 digits, so every cursor the pattern admits decodes to an id within the id columns' range
    (PostgreSQL's integer ends at 2,147,483,647).

    "v1:" encodes to "djE6"; then each 3 ASCII digits make 4 characters: the first two carry the first
    digit (0x30-0x39) and the high half of the second (always 3), the third the second digit's low half
    (0-9, shifted: A E I ... k), the fourth the third digit (0x30-0x39: w-z, 0-5). One or two digits left
    over make 2 or 3 characters."""
    first = "(?:[MN][DTjz]|O[DT])"
    group = first + "[AEIMQUYcgk][w-z0-5]"
    last = f"(?:{group}|{first}[AEIMQUYcgk]|[MN][AQgw]|O[AQ])"
    return f"^(?:djE6(?:{group}){{0,2}}{last})?$"


CURSOR_PATTERN = _cursor_pattern()
PATTERN_PROBLEMS = {NO_NUL: "must not contain NUL characters",
                    NOT_BLANK: "must not be blank or contain NUL characters",
                    CURSOR_PATTERN: "is not a cursor this server issued"}
"""What a value that does not match each pattern is told (other patterns: their schema's description)."""


def text(max_length: int, *, optional: bool = False, **extra: Any) -> dict[str, Any]:
    """A text as the commands' check_text takes it: 1 to ``max_length`` characters (``optional``: may also
    be empty), no NUL (PostgreSQL cannot store it)."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    if not optional:
        schema["minLength"] = 1
    return schema | extra


def document(description: str) -> dict[str, Any]:
    """HTML or XML, not blank, of at most MAX_QUESTION_BYTES bytes of UTF-8 (maxLength counts characters:
    it is the byte limit for ASCII; the command counts the bytes)."""
    return {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_BYTES, "pattern": NOT_BLANK,
            "description": f"{description}; at most {MAX_QUESTION_BYTES:,} bytes of UTF-8"}


def between(low: int | float, high: int | float, kind: str = "integer", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "minimum": low, "maximum": high} | extra


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return schema | {"type": [schema["type"], "null"]}


DURATION = between(MIN_DURATION_SECONDS, MAX_DURATION_SECONDS, description="seconds")
TOKEN: dict[str, Any] = text(64, optional=True, description="Repeat a request with the same token within "
                             "24 hours to get the first result back instead of a second one.")
FEEDBACK: dict[str, Any] = {"type": "string", "maxLength": 1024, "pattern": NO_NUL}
REASON = text(1024)


def obj(properties: dict[str, Any], *required: str, **extra: Any) -> dict[str, Any]:
    """A closed object schema: unknown members are refused, so typos do not pass silently."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema | extra


def paged(**properties: Any) -> dict[str, Any]:
    """Query parameters of a list endpoint: keyset pagination plus its filters."""
    limit = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}
    cursor = {"type": "string", "pattern": CURSOR_PATTERN,
              "description": "next_cursor of the previous page (empty or absent: the first page)"}
    return obj({"cursor": cursor, "limit": limit, **properties})


def statuses(values: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": values},
            "description": "repeat the parameter to give several statuses"}


# Requester: HITs -------------------------------------------------------------------------------------

LOCALE = obj({"country": {"type": "string", "pattern": "^[A-Z]{2}$",
                          "description": "an ISO 3166-1 alpha-2 code such as US"},
              "subdivision": {"type": "string", "pattern": "^[A-Za-z0-9]{1,3}$",
                              "description": "an ISO 3166-2 subdivision code such as WA"}}, "country")


def _comparators(*members: Comparator) -> dict[str, Any]:
    return {"required": ["comparator"], "properties": {"comparator": {"enum": [c.value for c in members]}}}


def _values(integers: tuple[int, int], locales: tuple[int, int]) -> dict[str, Any]:
    """How many integer_values and locale_values (an absent list counts as empty)."""
    counts = {"integer_values": integers, "locale_values": locales}
    return {"properties": {name: {"minItems": low, "maxItems": high} for name, (low, high) in counts.items()},
            "required": [name for name, (low, _) in counts.items() if low]}


def _rule(condition: dict[str, Any], problem: str, *allowed: dict[str, Any]) -> dict[str, Any]:
    """When ``condition`` holds, one of ``allowed`` must; ``problem`` is what a requirement is told otherwise."""
    return {"if": condition, "then": {"anyOf": list(allowed), "description": problem}}


NONE, ONE = (0, 0), (1, 1)
LOCALE_TYPE = {"required": ["qualification_type_id"],
               "properties": {"qualification_type_id": {"const": LOCALE_QUALIFICATION_ID}}}
REQUIREMENT_RULES = [
    _rule(LOCALE_TYPE, "takes locale_values, not integer_values (the Worker_Locale qualification)",
          {"properties": {"integer_values": {"maxItems": 0}}}),
    _rule({"not": LOCALE_TYPE}, "takes integer_values; locale_values are for the Worker_Locale qualification",
          {"properties": {"locale_values": {"maxItems": 0}}}),
    _rule(_comparators(Comparator.EXISTS, Comparator.DOES_NOT_EXIST), "Exists and DoesNotExist take no values",
          _values(NONE, NONE)),
    _rule(_comparators(Comparator.IN, Comparator.NOT_IN), "In and NotIn take 1-15 integer values or 1-30 "
          "locale values", _values((1, 15), NONE), _values(NONE, (1, 30))),
    _rule(_comparators(Comparator.EQUAL_TO, Comparator.NOT_EQUAL_TO), "EqualTo and NotEqualTo take exactly one "
          "value", _values(ONE, NONE), _values(NONE, ONE)),
    _rule(_comparators(Comparator.LESS_THAN, Comparator.LESS_THAN_OR_EQUAL_TO, Comparator.GREATER_THAN,
                       Comparator.GREATER_THAN_OR_EQUAL_TO), "this comparator takes exactly one integer value",
          _values(ONE, NONE)),
]
"""MTurk's rules for a requirement's values (labelhub.services.commands.RequirementSpec)."""

REQUIREMENT = obj({
    "qualification_type_id": STRING,
    "comparator": {"type": "string", "enum": [c.value for c in Comparator]},
    "integer_values": {"type": "array", "items": INTEGER},
    "locale_values": {"type": "array", "items": LOCALE},
    "actions_guarded": {"type": "string", "enum": [g.value for g in GuardedAction],
                        "default": GuardedAction.ACCEPT.value},
}, "qualification_type_id", "comparator", allOf=REQUIREMENT_RULES)

HIT_TYPE_FIELDS: dict[str, Any] = {
    "title": text(128),
    "description": text(2000),
    "reward": MONEY,
    "assignment_duration_seconds": DURATION,
    "auto_approval_delay_seconds": between(0, MAX_AUTO_APPROVAL_DELAY_SECONDS, default=MAX_AUTO_APPROVAL_DELAY_SECONDS),
    "keywords": text(1000, optional=True, description="comma-separated"),
    "qualification_requirements": {"type": "array", "items": REQUIREMENT, "maxItems": MAX_REQUIREMENTS},
}
NOT_WITH_HIT_TYPE_ID = {"not": {}, "description": "not allowed together with hit_type_id"}

CREATE_HIT = obj({
    **HIT_TYPE_FIELDS,
    "hit_type_id": {"type": "string", "description": "an existing HIT type, instead of the type's fields"},
    "question": document("the HIT's question"),
    "lifetime_seconds": DURATION,
    "max_assignments": between(1, MAX_ASSIGNMENTS, default=1),
    "requester_annotation": text(255, optional=True),
    "unique_request_token": TOKEN,
    "answer_schema": OBJECT | {"description": "a JSON Schema every submitted answer must satisfy"},
}, "question", "lifetime_seconds",
    **{"if": {"required": ["hit_type_id"]},
       "then": {"properties": dict.fromkeys(HIT_TYPE_FIELDS, NOT_WITH_HIT_TYPE_ID)},
       "else": {"required": ["title", "description", "reward", "assignment_duration_seconds"]}})

ADD_ASSIGNMENTS = obj({"number_of_additional_assignments": between(1, MAX_ASSIGNMENTS), "unique_request_token": TOKEN},
                      "number_of_additional_assignments")
HIT_ASSIGNMENTS_QUERY = paged(status=statuses([s.value for s in ANSWERED_STATUSES]))

# Requester: review and money ---------------------------------------------------------------------------

APPROVE = obj({"requester_feedback": FEEDBACK, "override_rejection": BOOLEAN | {"default": False}})
REJECT = obj({"requester_feedback": FEEDBACK}, "requester_feedback")
SEND_BONUS = obj({"worker_id": STRING, "assignment_id": STRING, "amount": POSITIVE_MONEY, "reason": text(4096),
                  "unique_request_token": TOKEN}, "worker_id", "assignment_id", "amount", "reason")
BONUSES_QUERY = paged(hit_id=STRING | {"description": "give hit_id or assignment_id (not both)"},
                      assignment_id=STRING | {"description": "give hit_id or assignment_id (not both)"})

# Requester: qualification types -------------------------------------------------------------------------

ANSWER_KEY = obj({
    "points": {"type": "object", "description": "points per question id and answer", "minProperties": 1,
               "additionalProperties": {"type": "object", "minProperties": 1, "additionalProperties": INTEGER}},
    "percentage_of": {"type": "integer", "minimum": 1, "description": "scale the sum to 0-100 against this maximum"},
}, "points")
QUALIFICATION_TYPE_FIELDS: dict[str, Any] = {
    "description": text(2000),
    "active": BOOLEAN,
    "test": document("a QuestionForm the worker answers to request the type"),
    "answer_key": ANSWER_KEY | {"description": "scores the test automatically"},
    "test_duration_seconds": between(1, MAX_DURATION_SECONDS, description="seconds; required with a test"),
    "retry_delay_seconds": between(0, MAX_DURATION_SECONDS),
    "auto_granted": BOOLEAN,
    "auto_granted_value": INT32,
}
CREATE_QUALIFICATION_TYPE = obj(
    {"name": text(200), "keywords": text(1000, optional=True), **QUALIFICATION_TYPE_FIELDS}, "name", "description",
    dependentRequired={"test": ["test_duration_seconds"], "answer_key": ["test"]},
    **{"if": {"required": ["test"]}, "then": {"properties": {"auto_granted": {
        "const": False, "description": "a type with a test cannot also be auto-granted"}}}})
UPDATE_QUALIFICATION_TYPE = obj(QUALIFICATION_TYPE_FIELDS | {"description": text(2000, optional=True)},
                                minProperties=1)
QUALIFICATION_TYPES_QUERY = paged(
    query={"type": "string", "description": "words in the name, description or keywords"},
    must_be_requestable=BOOLEAN | {"default": False},
    must_be_owned_by_caller=BOOLEAN | {"default": True,
                                       "description": "false also lists other requesters' and system types"})
SCORE = obj({"value": INT32 | {"default": 1}})
REASON_QUERY = obj({"reason": text(1024, optional=True)})
QUALIFIED_WORKERS_QUERY = paged(status={"type": "string", "enum": [s.value for s in QualificationStatus]})
QUALIFICATION_REQUESTS_QUERY = paged(qualification_type_id=STRING)
ACCEPT_REQUEST = obj({"value": INT32 | {"default": 1}})
REJECT_REQUEST = obj({"reason": text(1024, optional=True)})

# Requester: workers --------------------------------------------------------------------------------------

BLOCK = obj({"reason": REASON}, "reason")
NOTIFY = obj({"subject": text(200), "message": text(4096),
              "worker_ids": {"type": "array", "items": STRING, "minItems": 1, "maxItems": 100}},
             "subject", "message", "worker_ids")

# Requester: batches, consensus and quality -------------------------------------------------------------

ACTION = {"type": "string", "enum": list(ACTIONS)}
PROBABILITY = between(0, 1, "number")
ACCURACY_RULE = obj({"threshold": between(1, 100), "min_gold_answers": between(1, 10_000), "action": ACTION},
                    "threshold")
SPAM_RULE = obj({"action": ACTION, "max_separation": nullable(PROBABILITY), "min_answers": between(2, 100_000),
                 "max_run": nullable(between(3, 100_000)), "min_run_disagreement": PROBABILITY,
                 "min_seconds": nullable(between(0.1, 86_400, "number"))})
QUALITY = obj({
    "method": {"type": "string", "enum": ["auto", *METHODS], "description": "consensus method for single-label "
               "answers: auto, ds, ds_shrunk or a crowd-kit class name (MajorityVote, DawidSkene, GLAD, ...)"},
    "gold_share": nullable(between(0, MAX_GOLD_SHARE, "number")) | {
        "description": f"share of each worker's stream that is gold (0-{MAX_GOLD_SHARE}); null: the "
                       "installation's default"},
    "qualification_type_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 64,
                              "description": "your qualification type that receives each worker's score 0-100"},
    "rules": obj({
        "accuracy": nullable(ACCURACY_RULE) | {"description": "act below threshold (0-100 gold accuracy) after "
                                                            "min_gold_answers gold answers"},
        "spam": nullable(SPAM_RULE) | {"description": "act on spammer signs; null turns a sign off"},
    }),
    "overlap": nullable(obj({"min_assignments": between(1, MAX_OVERLAP), "max_assignments": between(1, MAX_OVERLAP),
                             "confidence_target": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
                            "min_assignments", "max_assignments", "confidence_target")) | {
        "description": "dynamic overlap: HITs start with min_assignments (at most max_assignments) and get one "
                       "more while their consensus confidence is below confidence_target"},
    "llm": obj({"action": {"type": "string", "enum": list(LLM_ACTIONS),
                           "description": "what a flag (band high) does: nothing, hold for review, leave out of "
                           "the consensus, or weigh every text answer by 1 - its probability"},
                "auto_reject": BOOLEAN | {"description": "reject flagged answers automatically (off by default)"},
                "reference_field": {"type": "string", "minLength": 1, "maxLength": 100,
                                    "description": "batch data column with reference LLM answers (a text or a "
                                    "JSON list of texts)"}}),
})
CREATE_BATCH = obj({
    **HIT_TYPE_FIELDS,
    "name": text(200),
    "task_type": {"type": "string", "enum": annotators.kinds(), "description": "a task type (annotator) kind"},
    "config": OBJECT | {"description": "the task type's configuration (labels, fields, instructions)"},
    "question_template": text(65_535, optional=True, description="HTML with ${column} placeholders; empty or "
                              "absent: the title"),
    "rows": {"type": "array", "items": OBJECT, "minItems": 1, "maxItems": MAX_ROWS,
             "description": "one HIT per row; a row with a _gold member (an answer of the task type) becomes a "
             "gold HIT with that known answer"},
    "lifetime_seconds": DURATION,
    "max_assignments": between(1, MAX_ASSIGNMENTS, description="answers per HIT; not with quality.overlap, which sets "
                               "it; default: 3 for task types with a consensus, 1 for surveys and untyped HTML"),
    "gold_assignments": between(1, MAX_ASSIGNMENTS, description="assignments of each gold HIT"),
    "quality": QUALITY,
}, "name", "task_type", "config", "rows", "lifetime_seconds", "title", "description", "reward",
    "assignment_duration_seconds")
BATCH_SETTINGS = obj({name: rule for name, rule in CREATE_BATCH["properties"].items() if name != "rows"},
                     *(name for name in CREATE_BATCH["required"] if name != "rows"))
CONSENSUS_QUERY = paged(below={"type": "number", "description": "only HITs whose confidence is below this"})
CONFUSION_QUERY = obj({"worker_id": {"type": "string", "description": "a worker of the batch; without it, "
                                     "the crowd's matrix"}})
FLAGS_QUERY = paged(band=statuses(["low", "medium", "high"]), min_probability=PROBABILITY)
GOLD = obj({"answer": OBJECT | {"description": "the known answer, as a worker would submit it"}}, "answer")

JOBS_QUERY = paged(state={"type": "string", "enum": [state.value for state in JobState]},
                   kind={"type": "string", "description": "a job kind, e.g. aggregate_batch"})

# Worker ------------------------------------------------------------------------------------------------

PAGE = paged()
HITS_QUERY = paged(batch_id={"type": "string", "maxLength": 64, "description": "only this batch's HITs"})
WORKER_ASSIGNMENTS_QUERY = paged(status=statuses([s.value for s in AssignmentStatus]))
SUBMIT = obj({"answer": OBJECT | {"description": "the answer; checked against the HIT's answer_schema"},
              "signals": {"type": ["object", "null"], "maxProperties": MAX_SIGNALS_KEYS,
                          "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                          "description": "behavioural signals: scalar values (task pages send the known "
                                         "signals, annotators.signals)"}},
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
    "export_id": "an export's id",
}
