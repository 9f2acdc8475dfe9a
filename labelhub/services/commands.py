"""Validated inputs shared by every adapter: a command refuses to exist when its fields break a rule.

Limits follow MTurk's documented ones, so the REST API, the MTurk API and the pages agree on them.
Rules that need the database (ownership, state, balance, uniqueness) live in the services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from labelhub.errors import InvalidInputError
from labelhub.models import Comparator, GuardedAction
from labelhub.money import MAX_AMOUNT_MICROS, format_amount, parse_amount
from labelhub.services.answer_schemas import check_answer_schema  # also imported from here by batches

MAX_ASSIGNMENTS = 1_000_000
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 30, 31_536_000
MAX_AUTO_APPROVAL_DELAY_SECONDS = 2_592_000
MAX_QUESTION_BYTES = 65_535
MAX_REQUIREMENTS = 10
MAX_REASON_LENGTH = 1024  # a revocation's or a refused request's reason, as stored
LOCALE_QUALIFICATION_ID = "00000000000000000071"


def check_text(problems: dict[str, str], name: str, value: str | None, *, max_len: int,
                required: bool = True) -> None:
    if value is None or value == "":
        if required:
            problems[name] = "is required"
        return
    if len(value) > max_len:
        problems[name] = f"must be at most {max_len} characters (got {len(value)})"
    elif "\x00" in value:
        problems[name] = "must not contain NUL characters"


def check_range(problems: dict[str, str], name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems[name] = f"must be an integer between {low:,} and {high:,}"


def check_test(problems: dict[str, str], test: str) -> None:
    """A qualification test is never blank: MTurk has no way to remove a test once set."""
    if not test.strip():
        problems["test"] = "must not be empty (a test cannot be removed)"
    elif "\x00" in test:
        problems["test"] = "must not contain NUL characters"
    elif len(test.encode()) > MAX_QUESTION_BYTES:
        problems["test"] = f"must be at most {MAX_QUESTION_BYTES:,} bytes"


def is_amount(micros: object, *, minimum: int) -> bool:
    """An integer number of micro-units from ``minimum`` up to the largest amount LabelHub handles."""
    return isinstance(micros, int) and not isinstance(micros, bool) and minimum <= micros <= MAX_AMOUNT_MICROS


def _raise_if(problems: dict[str, str]) -> None:
    if problems:
        raise InvalidInputError(problems)


@dataclass(frozen=True)
class Locale:
    country: str
    subdivision: str | None = None

    def __post_init__(self) -> None:
        if len(self.country) != 2 or not self.country.isalpha() or not self.country.isupper():
            raise InvalidInputError({"country": "must be an ISO 3166-1 alpha-2 code such as US"})
        if self.subdivision is not None and not (1 <= len(self.subdivision) <= 3 and self.subdivision.isalnum()):
            raise InvalidInputError({"subdivision": "must be an ISO 3166-2 subdivision code such as WA"})

    def matches(self, country: str | None, subdivision: str | None) -> bool:
        """Country alone matches any subdivision; with a subdivision both must match."""
        if country != self.country:
            return False
        return self.subdivision is None or self.subdivision == subdivision


@dataclass(frozen=True)
class RequirementSpec:
    qualification_type_id: str
    comparator: Comparator
    integer_values: tuple[int, ...] = ()
    locale_values: tuple[Locale, ...] = ()
    actions_guarded: GuardedAction = GuardedAction.ACCEPT

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        ints, locales, comparator = self.integer_values, self.locale_values, self.comparator
        if ints and locales:
            problems["values"] = "give integer values or locale values, not both"
        if locales and self.qualification_type_id != LOCALE_QUALIFICATION_ID:
            problems["locale_values"] = "can only be used with the Worker_Locale qualification"
        if ints and self.qualification_type_id == LOCALE_QUALIFICATION_ID:
            problems["integer_values"] = "cannot be used with the Worker_Locale qualification"
        if any(isinstance(v, bool) or not isinstance(v, int) for v in ints):
            problems["integer_values"] = "must be integers"
        if (problem := _comparator_problem(comparator, ints, locales)) is not None:
            problems["comparator"] = problem
        _raise_if(problems)


def _comparator_problem(comparator: Comparator, ints: tuple[int, ...], locales: tuple[Locale, ...]) -> str | None:
    count = len(ints) + len(locales)
    if comparator in (Comparator.EXISTS, Comparator.DOES_NOT_EXIST):
        return f"{comparator.value} takes no values" if count else None
    if comparator in (Comparator.IN, Comparator.NOT_IN):
        if not count or len(ints) > 15 or len(locales) > 30:
            return f"{comparator.value} takes 1-15 integer values or 1-30 locale values"
        return None
    if comparator in (Comparator.EQUAL_TO, Comparator.NOT_EQUAL_TO):
        return f"{comparator.value} takes exactly one value" if count != 1 else None
    return f"{comparator.value} takes exactly one integer value" if len(ints) != 1 else None


@dataclass(frozen=True)
class HITTypeSpec:
    """The properties many HITs share. Identical specs from one requester give one HIT type."""

    title: str
    description: str
    reward_micros: int
    assignment_duration_seconds: int
    auto_approval_delay_seconds: int = MAX_AUTO_APPROVAL_DELAY_SECONDS
    keywords: str = ""
    requirements: tuple[RequirementSpec, ...] = ()

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "title", self.title, max_len=128)
        check_text(problems, "description", self.description, max_len=2000)
        check_text(problems, "keywords", self.keywords, max_len=1000, required=False)
        if not is_amount(self.reward_micros, minimum=0):
            problems["reward"] = f"must be an amount between 0.00 and {format_amount(MAX_AMOUNT_MICROS)}"
        check_range(problems, "assignment_duration_seconds", self.assignment_duration_seconds,
                     MIN_DURATION_SECONDS, MAX_DURATION_SECONDS)
        check_range(problems, "auto_approval_delay_seconds", self.auto_approval_delay_seconds, 0,
                     MAX_AUTO_APPROVAL_DELAY_SECONDS)
        if len(self.requirements) > MAX_REQUIREMENTS:
            problems["qualification_requirements"] = f"at most {MAX_REQUIREMENTS} per HIT"
        _raise_if(problems)


@dataclass(frozen=True)
class CreateHIT:
    """A new HIT: either ``hit_type`` (reused when identical) or ``hit_type_id`` of an existing type."""

    question: str
    lifetime_seconds: int
    max_assignments: int = 1
    hit_type: HITTypeSpec | None = None
    hit_type_id: str | None = None
    requester_annotation: str | None = None
    unique_request_token: str | None = None
    data: dict[str, Any] | None = None
    answer_schema: dict[str, Any] | None = None
    batch_id: int | None = None
    gold_answer: dict[str, Any] | None = None  # a gold HIT's known answer (batches only)

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if (self.hit_type is None) == (self.hit_type_id is None):
            problems["hit_type"] = "give either the HIT type's properties or a hit_type_id"
        if not self.question or not self.question.strip():
            problems["question"] = "is required"
        elif len(self.question.encode()) > MAX_QUESTION_BYTES:
            problems["question"] = f"must be at most {MAX_QUESTION_BYTES:,} bytes"
        elif "\x00" in self.question:
            problems["question"] = "must not contain NUL characters"
        check_range(problems, "lifetime_seconds", self.lifetime_seconds, MIN_DURATION_SECONDS,
                     MAX_DURATION_SECONDS)
        check_range(problems, "max_assignments", self.max_assignments, 1, MAX_ASSIGNMENTS)
        check_text(problems, "requester_annotation", self.requester_annotation, max_len=255, required=False)
        check_text(problems, "unique_request_token", self.unique_request_token, max_len=64, required=False)
        check_answer_schema(problems, self.answer_schema)
        _raise_if(problems)


@dataclass(frozen=True)
class AnswerKey:
    """Automatic scoring of a qualification test: points per (question, answer), summed.

    With ``percentage_of`` the sum is scaled to 0-100 against that maximum (MTurk's PercentageMapping).
    """

    points: dict[str, dict[str, int]]
    percentage_of: int | None = None

    def __post_init__(self) -> None:
        if not self.points or not all(isinstance(v, dict) and v for v in self.points.values()):
            raise InvalidInputError({"answer_key": "must map each question id to its answers' points"})
        if self.percentage_of is not None and self.percentage_of <= 0:
            raise InvalidInputError({"answer_key": "percentage_of must be positive"})

    def score(self, answers: dict[str, Any]) -> int:
        total = 0
        for question, options in self.points.items():
            given = answers.get(question)
            chosen = given if isinstance(given, list) else [given]
            total += sum(options.get(str(option), 0) for option in chosen if option is not None)
        if self.percentage_of:
            return max(0, min(100, round(total * 100 / self.percentage_of)))
        return total

    def as_json(self) -> dict[str, Any]:
        return {"points": self.points, "percentage_of": self.percentage_of}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> AnswerKey:
        return cls(points=raw["points"], percentage_of=raw.get("percentage_of"))


@dataclass(frozen=True)
class QualificationTypeSpec:
    name: str
    description: str
    keywords: str = ""
    active: bool = True
    test: str | None = None
    answer_key: AnswerKey | None = None
    test_duration_seconds: int | None = None
    retry_delay_seconds: int | None = None
    auto_granted: bool = False
    auto_granted_value: int = 1

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "name", self.name, max_len=200)
        check_text(problems, "description", self.description, max_len=2000)
        check_text(problems, "keywords", self.keywords, max_len=1000, required=False)
        if self.test is not None:
            check_test(problems, self.test)
            if self.test_duration_seconds is None:
                problems["test_duration_seconds"] = "is required when a test is given"
            if self.auto_granted:
                problems["auto_granted"] = "a type with a test cannot also be auto-granted"
        if self.answer_key is not None and self.test is None:
            problems["answer_key"] = "needs a test to score"
        if self.test_duration_seconds is not None:
            check_range(problems, "test_duration_seconds", self.test_duration_seconds, 1, MAX_DURATION_SECONDS)
        if self.retry_delay_seconds is not None:
            check_range(problems, "retry_delay_seconds", self.retry_delay_seconds, 0, MAX_DURATION_SECONDS)
        _raise_if(problems)


@dataclass(frozen=True)
class QualificationTypeUpdate:
    """Changes to a type; None leaves a field as it is. Name and keywords cannot change."""

    description: str | None = None
    active: bool | None = None
    test: str | None = None
    answer_key: AnswerKey | None = None
    test_duration_seconds: int | None = None
    retry_delay_seconds: int | None = None
    auto_granted: bool | None = None
    auto_granted_value: int | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "description", self.description, max_len=2000, required=False)
        if self.test is not None:
            check_test(problems, self.test)
        if self.test_duration_seconds is not None:
            check_range(problems, "test_duration_seconds", self.test_duration_seconds, 1, MAX_DURATION_SECONDS)
        if self.retry_delay_seconds is not None:
            check_range(problems, "retry_delay_seconds", self.retry_delay_seconds, 0, MAX_DURATION_SECONDS)
        _raise_if(problems)


@dataclass(frozen=True)
class SendBonus:
    worker_id: str
    assignment_id: str
    amount_micros: int
    reason: str
    unique_request_token: str | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if not is_amount(self.amount_micros, minimum=1):
            problems["amount"] = f"must be a positive amount of at most {format_amount(MAX_AMOUNT_MICROS)}"
        check_text(problems, "reason", self.reason, max_len=4096)
        check_text(problems, "unique_request_token", self.unique_request_token, max_len=64, required=False)
        _raise_if(problems)


@dataclass(frozen=True)
class NotifyWorkers:
    subject: str
    message: str
    worker_ids: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        check_text(problems, "subject", self.subject, max_len=200)
        check_text(problems, "message", self.message, max_len=4096)
        if not 1 <= len(self.worker_ids) <= 100:
            problems["worker_ids"] = "give between 1 and 100 worker ids"
        _raise_if(problems)


# ---- commands from documents (the REST API's JSON, the pages' saved settings) ------------------------------

T = TypeVar("T")


def nested(prefix: str, build: Callable[[], T]) -> T:
    """Run ``build``; field names in its InvalidInputError are prefixed with where the value sits."""
    try:
        return build()
    except InvalidInputError as exc:
        raise InvalidInputError({f"{prefix}.{name}": problem for name, problem in exc.fields.items()}) from None


def _locale_from(raw: Mapping[str, Any]) -> Locale:
    return Locale(str(raw.get("country", "")), raw.get("subdivision"))


def requirement_from(raw: Mapping[str, Any], where: str) -> RequirementSpec:
    """A qualification requirement from its document form (``qualification_type_id``, ``comparator``,
    ``integer_values`` or ``locale_values``, ``actions_guarded``); errors name ``where``."""
    try:
        comparator = Comparator(str(raw.get("comparator", "")))
    except ValueError:
        raise InvalidInputError({f"{where}.comparator": "is not a comparator"}) from None
    try:
        guarded = GuardedAction(raw.get("actions_guarded", GuardedAction.ACCEPT.value))
    except ValueError:
        raise InvalidInputError({f"{where}.actions_guarded": "is not an action a requirement guards"}) from None
    locales = tuple(nested(f"{where}.locale_values[{i}]", functools.partial(_locale_from, value))
                    for i, value in enumerate(raw.get("locale_values", ())))
    return nested(where, lambda: RequirementSpec(
        qualification_type_id=str(raw.get("qualification_type_id", "")), comparator=comparator,
        integer_values=tuple(raw.get("integer_values", ())), locale_values=locales, actions_guarded=guarded))


def hit_type_spec_from(document: Mapping[str, Any]) -> HITTypeSpec:
    """A HIT type from its document form (``title``, ``description``, ``reward`` as text, durations,
    ``keywords``, ``qualification_requirements``); errors name the document's fields."""
    try:
        reward = parse_amount(str(document.get("reward", "")))
    except ValueError as exc:
        raise InvalidInputError({"reward": str(exc)}) from None
    requirements = tuple(requirement_from(raw, f"qualification_requirements[{i}]")
                         for i, raw in enumerate(document.get("qualification_requirements", ())))
    return HITTypeSpec(title=document.get("title", ""), description=document.get("description", ""),
                       reward_micros=reward, assignment_duration_seconds=document.get("assignment_duration_seconds", 0),
                       auto_approval_delay_seconds=document.get("auto_approval_delay_seconds",
                                                                MAX_AUTO_APPROVAL_DELAY_SECONDS),
                       keywords=document.get("keywords", ""), requirements=requirements)
