"""Command validation (no database): MTurk's limits on HITs, HIT types, qualification requirements and
qualification types, each at its boundary, and the field every error names."""

from __future__ import annotations

from typing import Any

import pytest

from labelhub.errors import InvalidInputError
from labelhub.models import Comparator, GuardedAction
from labelhub.money import MAX_AMOUNT_MICROS
from labelhub.services.commands import (
    LOCALE_QUALIFICATION_ID,
    AnswerKey,
    CreateHIT,
    HITTypeSpec,
    Locale,
    QualificationTypeSpec,
    QualificationTypeUpdate,
    RequirementSpec,
)

CUSTOM_TYPE = "3TJ9X0GZ6XUZTRJYCM0PZNZ4MUA9N0"
EXISTS = RequirementSpec(CUSTOM_TYPE, Comparator.EXISTS)


def _spec(**overrides: Any) -> HITTypeSpec:
    values = {"title": "Is there a cat?", "description": "Look and answer.", "reward_micros": 500_000,
              "assignment_duration_seconds": 600, "auto_approval_delay_seconds": 86_400}
    return HITTypeSpec(**(values | overrides))


def _hit(**overrides: Any) -> CreateHIT:
    values = {"question": "<p>q</p>", "lifetime_seconds": 3600, "max_assignments": 1, "hit_type": _spec()}
    return CreateHIT(**(values | overrides))


def _fields(build, **overrides: Any) -> set[str]:
    with pytest.raises(InvalidInputError) as raised:
        build(**overrides)
    assert raised.value.message  # "field: problem; ..." for adapters that show one line
    return set(raised.value.fields)


# --- HITs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [
    {"max_assignments": 1}, {"max_assignments": 1_000_000}, {"lifetime_seconds": 30},
    {"lifetime_seconds": 31_536_000}, {"question": "x" * 65_535}, {"question": "é" * 32_767},
    {"requester_annotation": "a" * 255}, {"unique_request_token": "t" * 64},
    {"answer_schema": {"type": "object", "required": ["label"]}},
])
def test_create_hit_accepts_values_at_the_limits(overrides):
    assert _hit(**overrides)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"max_assignments": 0}, "max_assignments"), ({"max_assignments": 1_000_001}, "max_assignments"),
    ({"max_assignments": "3"}, "max_assignments"), ({"max_assignments": True}, "max_assignments"),
    ({"lifetime_seconds": 29}, "lifetime_seconds"), ({"lifetime_seconds": 31_536_001}, "lifetime_seconds"),
    ({"question": ""}, "question"), ({"question": "   "}, "question"),
    ({"question": "x" * 65_536}, "question"),
    ({"question": "é" * 32_768}, "question"),  # the limit is in bytes: 65,536 of them
    ({"requester_annotation": "a" * 256}, "requester_annotation"),
    ({"unique_request_token": "t" * 65}, "unique_request_token"),
    ({"answer_schema": {"type": "no-such-type"}}, "answer_schema"),
    ({"hit_type": None}, "hit_type"), ({"hit_type_id": "3TJ9X0GZ6XUZTRJYCM0PZNZ4MUA9N0"}, "hit_type"),
])
def test_create_hit_out_of_limits_names_the_field(overrides, field):
    assert _fields(_hit, **overrides) == {field}


def test_create_hit_reports_every_bad_field_at_once():
    assert _fields(_hit, max_assignments=0, lifetime_seconds=0, question="") == {
        "max_assignments", "lifetime_seconds", "question"}


# --- HIT types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [
    {"assignment_duration_seconds": 30}, {"assignment_duration_seconds": 31_536_000},
    {"auto_approval_delay_seconds": 0}, {"auto_approval_delay_seconds": 2_592_000}, {"title": "t" * 128},
    {"description": "d" * 2000}, {"keywords": "k" * 1000}, {"reward_micros": 0},
    {"reward_micros": MAX_AMOUNT_MICROS}, {"requirements": (EXISTS,) * 10},
])
def test_hit_type_accepts_values_at_the_limits(overrides):
    assert _spec(**overrides)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"assignment_duration_seconds": 29}, "assignment_duration_seconds"),
    ({"assignment_duration_seconds": 31_536_001}, "assignment_duration_seconds"),
    ({"auto_approval_delay_seconds": -1}, "auto_approval_delay_seconds"),
    ({"auto_approval_delay_seconds": 2_592_001}, "auto_approval_delay_seconds"),
    ({"title": ""}, "title"), ({"title": "t" * 129}, "title"),
    ({"description": ""}, "description"), ({"description": "d" * 2001}, "description"),
    ({"keywords": "k" * 1001}, "keywords"),
    ({"reward_micros": -1}, "reward"), ({"reward_micros": 0.5}, "reward"),
    ({"reward_micros": MAX_AMOUNT_MICROS + 1}, "reward"),
    ({"requirements": (EXISTS,) * 11}, "qualification_requirements"),
])
def test_hit_type_out_of_limits_names_the_field(overrides, field):
    assert _fields(_spec, **overrides) == {field}


# --- qualification requirements ----------------------------------------------------------------


@pytest.mark.parametrize(("comparator", "values"), [
    (Comparator.EXISTS, ()), (Comparator.DOES_NOT_EXIST, ()), (Comparator.EQUAL_TO, (5,)),
    (Comparator.NOT_EQUAL_TO, (5,)), (Comparator.GREATER_THAN, (0,)),
    (Comparator.LESS_THAN_OR_EQUAL_TO, (-3,)),
    (Comparator.IN, (1,)), (Comparator.NOT_IN, tuple(range(15))),
])
def test_requirement_accepts_the_right_number_of_integer_values(comparator, values):
    requirement = RequirementSpec(CUSTOM_TYPE, comparator, values)
    assert requirement.actions_guarded is GuardedAction.ACCEPT


@pytest.mark.parametrize(("comparator", "values"), [
    (Comparator.EXISTS, (1,)), (Comparator.DOES_NOT_EXIST, (1,)), (Comparator.EQUAL_TO, ()),
    (Comparator.EQUAL_TO, (1, 2)), (Comparator.GREATER_THAN, ()), (Comparator.LESS_THAN, (1, 2)),
    (Comparator.IN, ()), (Comparator.NOT_IN, tuple(range(16))),
])
def test_requirement_with_wrong_number_of_values_names_the_comparator(comparator, values):
    assert _fields(RequirementSpec, qualification_type_id=CUSTOM_TYPE, comparator=comparator,
                   integer_values=values) == {"comparator"}


def test_requirement_integer_values_must_be_integers():
    assert _fields(RequirementSpec, qualification_type_id=CUSTOM_TYPE, comparator=Comparator.IN,
                   integer_values=(1, "2")) == {"integer_values"}
    assert _fields(RequirementSpec, qualification_type_id=CUSTOM_TYPE, comparator=Comparator.EQUAL_TO,
                   integer_values=(True,)) == {"integer_values"}


def test_requirement_locale_values_only_on_worker_locale():
    assert RequirementSpec(LOCALE_QUALIFICATION_ID, Comparator.IN, locale_values=(Locale("US"),) * 30)
    assert RequirementSpec(LOCALE_QUALIFICATION_ID, Comparator.EQUAL_TO, locale_values=(Locale("US", "WA"),))
    assert _fields(RequirementSpec, qualification_type_id=CUSTOM_TYPE, comparator=Comparator.EQUAL_TO,
                   locale_values=(Locale("US"),)) == {"locale_values"}
    assert _fields(RequirementSpec, qualification_type_id=LOCALE_QUALIFICATION_ID,
                   comparator=Comparator.EQUAL_TO, integer_values=(1,)) == {"integer_values"}
    assert _fields(RequirementSpec, qualification_type_id=LOCALE_QUALIFICATION_ID, comparator=Comparator.IN,
                   locale_values=(Locale("US"),) * 31) == {"comparator"}
    assert _fields(RequirementSpec, qualification_type_id=LOCALE_QUALIFICATION_ID,
                   comparator=Comparator.GREATER_THAN, locale_values=(Locale("US"),)) == {"comparator"}


def test_requirement_mixing_integer_and_locale_values_is_refused():
    assert "values" in _fields(RequirementSpec, qualification_type_id=LOCALE_QUALIFICATION_ID,
                               comparator=Comparator.IN, integer_values=(1,), locale_values=(Locale("US"),))


@pytest.mark.parametrize(("country", "subdivision", "field"), [
    ("us", None, "country"), ("USA", None, "country"), ("U1", None, "country"), ("US", "", "subdivision"),
    ("US", "WASH", "subdivision"), ("US", "W-", "subdivision"),
])
def test_locale_codes_are_validated(country, subdivision, field):
    assert _fields(Locale, country=country, subdivision=subdivision) == {field}


@pytest.mark.parametrize(("locale", "country", "subdivision", "matches"), [
    (Locale("US"), "US", "WA", True), (Locale("US"), "US", None, True),
    (Locale("US", "WA"), "US", "WA", True),
    (Locale("US", "WA"), "US", "NY", False), (Locale("US", "WA"), "US", None, False),
    (Locale("US"), "DE", None, False), (Locale("US"), None, None, False),
])
def test_locale_matches_country_and_optional_subdivision(locale, country, subdivision, matches):
    assert locale.matches(country, subdivision) is matches


# --- qualification types -----------------------------------------------------------------------


def _qual(**overrides: Any) -> QualificationTypeSpec:
    return QualificationTypeSpec(**({"name": "Cat expert", "description": "Knows cats."} | overrides))


KEY = AnswerKey(points={"q1": {"a": 1}})


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"), ({"name": "n" * 201}, "name"), ({"description": ""}, "description"),
    ({"keywords": "k" * 1001}, "keywords"), ({"test": "<form/>"}, "test_duration_seconds"),
    ({"test": "", "test_duration_seconds": 60}, "test"),
    ({"test": "  ", "test_duration_seconds": 60}, "test"),
    ({"test": "x" * 65_536, "test_duration_seconds": 60}, "test"), ({"answer_key": KEY}, "answer_key"),
    ({"test": "<form/>", "test_duration_seconds": 0}, "test_duration_seconds"),
    ({"retry_delay_seconds": -1}, "retry_delay_seconds"),
    ({"test": "<form/>", "test_duration_seconds": 60, "auto_granted": True}, "auto_granted"),
])
def test_qualification_type_spec_names_the_bad_field(overrides, field):
    assert _fields(_qual, **overrides) == {field}


def test_qualification_type_spec_with_test_and_key_is_valid():
    spec = _qual(test="<form/>", answer_key=KEY, test_duration_seconds=60, retry_delay_seconds=0)
    assert spec.answer_key is KEY


@pytest.mark.parametrize(("overrides", "field"), [
    ({"description": "d" * 2001}, "description"), ({"test": ""}, "test"), ({"test": "x" * 65_536}, "test"),
    ({"test_duration_seconds": 0}, "test_duration_seconds"),
    ({"retry_delay_seconds": -5}, "retry_delay_seconds"),
])
def test_qualification_type_update_names_the_bad_field(overrides, field):
    assert _fields(QualificationTypeUpdate, **overrides) == {field}


def test_qualification_type_update_of_nothing_is_valid():
    assert QualificationTypeUpdate() == QualificationTypeUpdate(description=None)


# --- answer keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("points", [{}, {"q1": {}}, {"q1": "a"}])
def test_answer_key_needs_points_per_question(points):
    assert _fields(AnswerKey, points=points) == {"answer_key"}


def test_answer_key_percentage_must_be_positive():
    assert _fields(AnswerKey, points={"q1": {"a": 1}}, percentage_of=0) == {"answer_key"}


@pytest.mark.parametrize(("answers", "score"), [
    ({"q1": "a", "q2": "c"}, 5), ({"q1": "b"}, 0), ({}, 0), ({"q1": ["a", "b"], "q2": "c"}, 5),
    ({"q2": 1}, 2), ({"q1": None, "q2": "c"}, 3), ({"q3": "a"}, 0),
])
def test_answer_key_sums_points(answers, score):
    key = AnswerKey(points={"q1": {"a": 2}, "q2": {"c": 3, "1": 2}})
    assert key.score(answers) == score


@pytest.mark.parametrize(("answers", "score"), [
    ({"q1": "a", "q2": "c"}, 100), ({"q1": "a"}, 40), ({"q2": "c"}, 60), ({}, 0), ({"q1": "x"}, 0),
])
def test_answer_key_percentage_is_clamped_to_0_100(answers, score):
    key = AnswerKey(points={"q1": {"a": 2, "x": -9}, "q2": {"c": 3}}, percentage_of=5)
    assert key.score(answers) == score


def test_answer_key_round_trips_through_json():
    key = AnswerKey(points={"q1": {"a": 2}}, percentage_of=2)
    assert AnswerKey.from_json(key.as_json()) == key
