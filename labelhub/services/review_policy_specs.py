"""Review policies as a requester gives them (MTurk's parameter lists): validated into
``ReviewPolicySpec`` values, one per level, and stored with a new HIT by ``ReviewPolicies.attach``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from labelhub.errors import InvalidInputError
from labelhub.models import HIT, ReviewPolicy, ReviewPolicyLevel
from labelhub.services.commands import MAX_ASSIGNMENTS, MAX_DURATION_SECONDS
from quality.review import MAX_ANSWER_LENGTH

KNOWN_ANSWERS, PLURALITY = "ScoreMyKnownAnswers/2011-09-01", "SimplePlurality/2011-09-01"
ASSIGNMENT, HIT_LEVEL = ReviewPolicyLevel.ASSIGNMENT, ReviewPolicyLevel.HIT
POLICY_OF_LEVEL = {ASSIGNMENT: KNOWN_ANSWERS, HIT_LEVEL: PLURALITY}
MAX_QUESTIONS, MAX_REASON_LENGTH = 100, 1024


@dataclass(frozen=True)
class _Param:
    kind: str  # "int", "bool", "text", "ids" or "map"
    low: int = 0
    high: int = 0


# Each policy's parameters, by MTurk's names (they are the policy's vocabulary), and their defaults.
PARAMETERS: dict[str, dict[str, _Param]] = {
    KNOWN_ANSWERS: {
        "AnswerKey": _Param("map"), "ApproveIfKnownAnswerScoreIsAtLeast": _Param("int", 0, 101),
        "ApproveReason": _Param("text"), "RejectIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "RejectReason": _Param("text"), "ExtendIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "ExtendMaximumAssignments": _Param("int", 2, 25),
        "ExtendMinimumTimeInSeconds": _Param("int", 3600, MAX_DURATION_SECONDS)},
    PLURALITY: {
        "QuestionIds": _Param("ids"), "QuestionAgreementThreshold": _Param("int", 0, 100),
        "DisregardAssignmentIfRejected": _Param("bool"),
        "DisregardAssignmentIfKnownAnswerScoreIsLessThan": _Param("int", 0, 101),
        "ExtendIfHITAgreementScoreIsLessThan": _Param("int", 1, 100),
        "ExtendMaximumAssignments": _Param("int", 2, MAX_ASSIGNMENTS),
        "ExtendMinimumTimeInSeconds": _Param("int", 3600, MAX_DURATION_SECONDS),
        "ApproveIfWorkerAgreementScoreIsAtLeast": _Param("int", 0, 101),
        "RejectIfWorkerAgreementScoreIsLessThan": _Param("int", 0, 101), "RejectReason": _Param("text")},
}
REQUIRED = {KNOWN_ANSWERS: ("AnswerKey",), PLURALITY: ("QuestionIds", "QuestionAgreementThreshold")}
DEFAULTS: dict[str, dict[str, Any]] = {KNOWN_ANSWERS: {"ExtendMaximumAssignments": 5},
                                       PLURALITY: {"DisregardAssignmentIfRejected": False}}
# (reject threshold, approve threshold): a score may not be both below one and at least the other.
THRESHOLD_PAIRS = {
    KNOWN_ANSWERS: ("RejectIfKnownAnswerScoreIsLessThan", "ApproveIfKnownAnswerScoreIsAtLeast"),
    PLURALITY: ("RejectIfWorkerAgreementScoreIsLessThan", "ApproveIfWorkerAgreementScoreIsAtLeast")}

RawParameters = Mapping[str, Sequence[str] | Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class ReviewPolicySpec:
    """A policy for one level: ``parameters`` maps each parameter name to its values (strings), or for
    AnswerKey to {question id: values}. ``settings`` holds them validated, with the defaults."""

    level: ReviewPolicyLevel
    name: str
    parameters: RawParameters
    settings: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if self.name != POLICY_OF_LEVEL[self.level]:
            expected = POLICY_OF_LEVEL[self.level]
            problems["policy_name"] = f"must be {expected}, the {self.level.value}-level policy"
            raise InvalidInputError(problems, entity="review_policy")
        settings = dict(DEFAULTS[self.name])
        definitions = PARAMETERS[self.name]
        for key, raw in self.parameters.items():
            if key not in definitions:
                problems[key] = f"is not a parameter of {self.name}"
                continue
            value = _parse(problems, key, definitions[key], raw)
            if value is not None:
                settings[key] = value
        problems |= {key: "is required" for key in REQUIRED[self.name]
                     if key not in settings and key not in problems}
        _check_combinations(problems, self.name, settings)
        if problems:
            raise InvalidInputError(problems, entity="review_policy")
        object.__setattr__(self, "settings", settings)


def _parse(problems: dict[str, str], key: str, param: _Param, raw: Any) -> Any:
    if param.kind == "map":
        return _answer_key(problems, key, raw)
    if not _strings(raw):
        problems[key] = "takes a list of string values"
        return None
    if param.kind == "ids":
        found = list(dict.fromkeys(q.strip() for value in raw for q in value.split(",") if q.strip()))
        if not 1 <= len(found) <= MAX_QUESTIONS or any(len(q) > MAX_ANSWER_LENGTH for q in found):
            problems[key] = f"must name 1-{MAX_QUESTIONS} question ids (comma-separated or one per value)"
        return found
    if len(raw) != 1:
        problems[key] = "takes exactly one value"
        return None
    return _scalar(problems, key, param, raw[0].strip())


def _scalar(problems: dict[str, str], key: str, param: _Param, value: str) -> Any:
    if param.kind == "bool":
        if value.lower() not in ("true", "false", "t", "f", "1", "0"):
            problems[key] = "must be true or false"
        return value.lower() in ("true", "t", "1")
    if param.kind == "text":
        if len(value) > MAX_REASON_LENGTH:
            problems[key] = f"must be at most {MAX_REASON_LENGTH} characters"
        return value
    if not value.lstrip("-").isdigit() or not param.low <= int(value) <= param.high:
        problems[key] = f"must be an integer from {param.low} to {param.high}"
        return None
    return int(value)


def _answer_key(problems: dict[str, str], key: str, raw: Any) -> dict[str, list[str]] | None:
    if not isinstance(raw, Mapping) or not 1 <= len(raw) <= MAX_QUESTIONS:
        problems[key] = f"takes map entries: 1-{MAX_QUESTIONS} question ids, each with its correct value(s)"
        return None
    answers: dict[str, list[str]] = {}
    for question, values in raw.items():
        cleaned = [v.strip() for v in values if v.strip()] if _strings(values) else []
        if not str(question).strip() or not cleaned or len(cleaned) != len(values):
            problems[key] = f"question {question!r} needs its correct value(s), none of them empty"
            return None
        answers[str(question).strip()] = cleaned
    return answers


def _strings(raw: Any) -> bool:
    return isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw)


def _check_combinations(problems: dict[str, str], name: str, settings: dict[str, Any]) -> None:
    reject, approve = THRESHOLD_PAIRS[name]
    if reject in settings and approve in settings and settings[reject] > settings[approve]:
        problems[reject] = f"must not be more than {approve}, or a score would be both approved and rejected"
    if name == PLURALITY and "ExtendIfHITAgreementScoreIsLessThan" in settings:
        for needed in ("ExtendMaximumAssignments", "ExtendMinimumTimeInSeconds"):
            if needed not in settings:
                problems[needed] = "is required with ExtendIfHITAgreementScoreIsLessThan"


@dataclass(frozen=True)
class ReviewPolicies:
    """The policies of a new HIT: at most one per level."""

    assignment: ReviewPolicySpec | None = None
    hit: ReviewPolicySpec | None = None

    def __post_init__(self) -> None:
        if self.assignment is not None and self.assignment.level is not ASSIGNMENT:
            raise InvalidInputError({"assignment_review_policy": "must be an Assignment-level policy"})
        if self.hit is not None and self.hit.level is not HIT_LEVEL:
            raise InvalidInputError({"hit_review_policy": "must be a HIT-level policy"})

    def attach(self, db: Session, hit: HIT, *, now: datetime) -> None:
        """Store the policies with ``hit`` in the caller's transaction (create_hit calls this)."""
        for spec in (self.assignment, self.hit):
            if spec is not None:
                db.add(ReviewPolicy(hit_id=hit.id, level=spec.level, name=spec.name, parameters=spec.settings,
                                    reviewed_submissions=0, created_at=now))
