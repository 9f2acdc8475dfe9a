"""Surveys: question configuration, answers per question kind, attention checks kept from the page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotators import AnswerError, attention_passed, attention_results, get

SURVEY = get("survey")
TRIMMED = "character(s) long, not counting surrounding spaces"
QUESTIONS = [
    {"id": "mood", "kind": "likert", "prompt": "How was it?", "points": 7},
    {"id": "pets", "kind": "multiple_choice", "prompt": "Pets?", "options": ["cat", "dog", "fish"],
     "multiple": True, "max_choices": 2, "required": False},
    {"id": "colour", "kind": "multiple_choice", "prompt": "Colour?", "options": ["red", "blue"]},
    {"id": "why", "kind": "free_text", "prompt": "Why?", "min_length": 5, "max_length": 50,
     "required": False},
    {"id": "check", "kind": "attention_check", "prompt": "Pick blue.", "options": ["red", "blue"],
     "expected": "blue"},
    {"id": "word", "kind": "attention_check", "prompt": "Type the word Purple.", "expected": "Purple"},
]


@pytest.fixture
def config() -> dict[str, Any]:
    return SURVEY.parse_config({"questions": QUESTIONS})


def answer(**values: Any) -> dict[str, Any]:
    return {"answers": {"mood": 4, "colour": "red", "check": "blue", "word": "purple"} | values}


def problems_of(config: dict[str, Any], raw: Any) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        SURVEY.parse_answer(config, raw)
    return caught.value.problems


def config_problems(questions: Any) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        SURVEY.parse_config({"questions": questions})
    return caught.value.problems


def test_config_fills_in_ids_and_defaults() -> None:
    config = SURVEY.parse_config({"questions": [
        {"kind": "likert", "prompt": "A"}, {"kind": "free_text", "prompt": "B"},
        {"kind": "multiple_choice", "prompt": "C", "options": ["x", "y"]}]})
    assert config["questions"] == [
        {"id": "q1", "kind": "likert", "prompt": "A", "required": True, "points": 5, "labels": []},
        {"id": "q2", "kind": "free_text", "prompt": "B", "required": True, "min_length": 1,
         "max_length": 2000, "multiline": True},
        {"id": "q3", "kind": "multiple_choice", "prompt": "C", "required": True, "options": ["x", "y"],
         "multiple": False, "min_choices": 1, "max_choices": 1},
    ]


@pytest.mark.parametrize(("questions", "problems"), [
    ([], {"questions": "must be a list of 1 to 100 questions"}),
    ("q1", {"questions": "must be a list of 1 to 100 questions"}),
    (["likert"], {"questions.0": "must be a JSON object"}),
    ([{"kind": "ranking", "prompt": "?"}],
     {"questions.0.kind": "must be one of: likert, multiple_choice, free_text, attention_check"}),
    ([{"kind": "likert"}], {"questions.0.prompt": "is required"}),
    ([{"kind": "likert", "prompt": "?", "points": 11}], {"questions.0.points": "must be between 2 and 10"}),
    ([{"kind": "likert", "prompt": "?", "points": 5, "labels": ["a", "b", "c"]}],
     {"questions.0.labels": "give no labels, two (the ends of the scale) or 5 (one per point)"}),
    ([{"kind": "multiple_choice", "prompt": "?", "options": ["x"]}],
     {"questions.0.options": "must have between 2 and 50 labels"}),
    ([{"kind": "multiple_choice", "prompt": "?", "options": ["x", "y", "z"], "multiple": True,
       "min_choices": 3, "max_choices": 2}],
     {"questions.0.min_choices": "must not be more than max_choices"}),
    ([{"kind": "free_text", "prompt": "?", "min_length": 10, "max_length": 5}],
     {"questions.0.min_length": "must not be more than max_length"}),
    ([{"kind": "attention_check", "prompt": "?"}], {"questions.0.expected": "is required"}),
    ([{"kind": "attention_check", "prompt": "?", "options": ["x", "y"], "expected": "z"}],
     {"questions.0.expected": "must be one of the options"}),
    ([{"kind": "attention_check", "prompt": "?", "expected": "x", "required": False}],
     {"questions.0.required": "is not a known setting"}),
    ([{"id": "a", "kind": "likert", "prompt": "?"}, {"id": "a", "kind": "likert", "prompt": "?"}],
     {"questions.1.id": "repeats the question id 'a'"}),
    ([{"id": "1st", "kind": "likert", "prompt": "?"}],
     {"questions.0.id": "must start with a letter, then letters, digits, _ or - (at most 64)"}),
    ([{"kind": "likert", "prompt": "?", "scale": 5}], {"questions.0.scale": "is not a known setting"}),
])
def test_bad_question_is_refused_naming_it(questions: Any, problems: dict[str, str]) -> None:
    assert config_problems(questions) == problems


def test_complete_answer_is_canonical(config: dict[str, Any]) -> None:
    raw = answer(pets=["fish", "cat"], why="  Because it was fun.  ", mood=4.0)
    assert SURVEY.parse_answer(config, raw) == {"answers": {
        "mood": 4, "pets": ["cat", "fish"], "colour": "red", "why": "Because it was fun.", "check": "blue",
        "word": "purple"}}


def test_unanswered_optional_questions_are_left_out(config: dict[str, Any]) -> None:
    parsed = SURVEY.parse_answer(config, answer(pets=[], why="   "))
    assert set(parsed["answers"]) == {"mood", "colour", "check", "word"}


@pytest.mark.parametrize(("values", "problems"), [
    ({"mood": 8}, {"answers.mood": "must be at most 7"}),
    ({"mood": 0}, {"answers.mood": "must be at least 1"}),
    ({"mood": "4"}, {"answers.mood": "must be a whole number"}),
    ({"colour": "green"}, {"answers.colour": "must be one of: red, blue"}),
    ({"pets": ["cat", "dog", "fish"]}, {"answers.pets": "must have at most 2 item(s)"}),
    ({"pets": "cat"}, {"answers.pets": "must be a list"}),
    ({"why": "Meh"}, {"answers.why": f"must be at least 5 {TRIMMED}"}),
    ({"why": "x" * 51}, {"answers.why": "must be at most 50 character(s) long"}),
    ({"why": "bad\x00byte"}, {"answers.why": "must not contain control characters"}),
    ({"check": "green"}, {"answers.check": "must be one of: red, blue"}),
    ({"word": "  "}, {"answers.word": f"must be at least 1 {TRIMMED}"}),
    ({"extra": 1}, {"answers.extra": "is not a known field"}),
])
def test_bad_sub_answer_is_refused_naming_its_question(config: dict[str, Any], values: dict[str, Any],
                                                       problems: dict[str, str]) -> None:
    assert problems_of(config, answer(**values)) == problems


def test_required_questions_must_be_answered(config: dict[str, Any]) -> None:
    assert problems_of(config, {"answers": {}}) == {
        "answers.mood": "is required", "answers.colour": "is required", "answers.check": "is required",
        "answers.word": "is required"}


def test_required_multiple_choice_needs_its_minimum() -> None:
    config = SURVEY.parse_config({"questions": [{"id": "pets", "kind": "multiple_choice", "prompt": "?",
                                                 "options": ["cat", "dog", "fish"], "multiple": True,
                                                 "min_choices": 2}]})
    assert problems_of(config, {"answers": {"pets": ["cat"]}}) == {
        "answers.pets": "must have at least 2 item(s)"}
    optional = SURVEY.parse_config({"questions": [{"id": "pets", "kind": "multiple_choice", "prompt": "?",
                                                   "options": ["cat", "dog", "fish"], "multiple": True,
                                                   "min_choices": 2, "required": False}]})
    assert problems_of(optional, {"answers": {"pets": ["cat"]}}) == {"answers.pets": "choose at least 2"}
    assert SURVEY.parse_answer(optional, {"answers": {"pets": []}}) == {"answers": {}}


def test_attention_checks_are_scored_against_the_expected_answers(config: dict[str, Any]) -> None:
    assert attention_passed(config, SURVEY.parse_answer(config, answer())) is True
    assert attention_results(config, SURVEY.parse_answer(config, answer(word=" PURPLE  "))) == {
        "check": True, "word": True}
    failed = SURVEY.parse_answer(config, answer(check="red", word="violet"))
    assert attention_results(config, failed) == {"check": False, "word": False}
    assert attention_passed(config, failed) is False
    assert attention_passed(config, SURVEY.parse_answer(config, answer(word="purple rain"))) is False


def test_attention_passed_is_none_without_checks() -> None:
    config = SURVEY.parse_config({"questions": [{"kind": "likert", "prompt": "?"}]})
    assert attention_passed(config, {"answers": {"q1": 3}}) is None


def test_public_config_disguises_attention_checks_as_plain_questions(config: dict[str, Any]) -> None:
    public = SURVEY.public_config(config)
    by_id = {q["id"]: q for q in public["questions"]}

    assert '"expected"' not in json.dumps(public) and "attention_check" not in json.dumps(public)
    assert json.dumps(by_id["check"] | {"id": "colour", "prompt": "Colour?"}) == json.dumps(by_id["colour"])
    plain_text = SURVEY.parse_config({"questions": [
        {"id": "word", "kind": "free_text", "prompt": "Type the word Purple.", "max_length": 100,
         "multiline": False}]})["questions"][0]
    assert json.dumps(by_id["word"]) == json.dumps(plain_text)
    assert config["questions"][4]["expected"] == "blue"  # the stored configuration keeps it


def test_answer_schema_accepts_what_the_disguised_page_sends(config: dict[str, Any]) -> None:
    assert SURVEY.parse_answer(config, answer(word="Anything at all")) == {"answers": answer(
        word="Anything at all")["answers"]}
