"""Qualification tests built in a form: multiple-choice questions with the right option and the points
each is worth, written as MTurk's QuestionForm and AnswerKey XML, so the worker pages, the MTurk API
and the REST API show and score them exactly as a test uploaded as XML.

The XML is read back through ``labelhub.question_xml`` (the validator and the AnswerKey parser every
uploaded test goes through) before the type is created: a test that LabelHub could not show or score
is never stored. A worker's score is the sum of the points of the questions they answered right.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

from labelhub.errors import InvalidInputError
from labelhub.models import QualificationType
from labelhub.question_xml import questions
from labelhub.runtime import Runtime
from labelhub.services import qualifications
from labelhub.services.actors import Actor, require_requester
from labelhub.services.commands import MAX_DURATION_SECONDS, QualificationTypeSpec

MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_QUESTIONS = 50
MAX_POINTS = 1000
MAX_QUESTION_TEXT, MAX_OPTION_TEXT = 2000, 500
SELECTION_IDS = "abcdef"  # an option's SelectionIdentifier: its letter
QUESTION_FORM = questions.QUESTION_FORMS[0]  # the current (2017-11-06) schema


@dataclass(frozen=True)
class ChoiceQuestion:
    """One multiple-choice question: its options in order, the index of the right one, its points."""

    text: str
    options: tuple[str, ...]
    correct: int
    points: int = 1

    def problem(self) -> str | None:
        """What is wrong with the question, in words (the first thing found), or None."""
        options = [option.strip() for option in self.options]
        checks = (
            (bool(self.text.strip()) and len(self.text) <= MAX_QUESTION_TEXT,
             f"needs a question of 1 to {MAX_QUESTION_TEXT:,} characters"),
            (MIN_OPTIONS <= len(options) <= MAX_OPTIONS,
             f"needs {MIN_OPTIONS} to {MAX_OPTIONS} options (got {len(options)})"),
            (all(options) and all(len(option) <= MAX_OPTION_TEXT for option in options),
             f"has an option that is empty or longer than {MAX_OPTION_TEXT} characters"),
            (not questions.NOT_XML.search(self.text + "".join(options)), "contains control characters"),
            (len(set(options)) == len(options), "has the same option twice"),
            (0 <= self.correct < len(options), "needs its right option marked (one of its options)"),
            (not isinstance(self.points, bool) and 1 <= self.points <= MAX_POINTS,
             f"must be worth 1 to {MAX_POINTS:,} points"),
        )
        return next((message for passed, message in checks if not passed), None)


@dataclass(frozen=True)
class MultipleChoiceTest:
    """A multiple-choice test and how long a worker has to take it."""

    questions: tuple[ChoiceQuestion, ...]
    duration_seconds: int

    def __post_init__(self) -> None:
        found: dict[str, str] = {}
        if not 1 <= len(self.questions) <= MAX_QUESTIONS:
            found["questions"] = f"give 1 to {MAX_QUESTIONS} questions"
        for number, question in enumerate(self.questions, start=1):
            problem = question.problem()
            if problem:
                found[f"question {number}"] = problem
        if isinstance(self.duration_seconds, bool) or not 1 <= self.duration_seconds <= MAX_DURATION_SECONDS:
            found["test_duration"] = f"must be between 1 second and {MAX_DURATION_SECONDS // 86_400} days"
        if found:
            raise InvalidInputError(found)

    @property
    def max_score(self) -> int:
        return sum(question.points for question in self.questions)


def question_id(number: int) -> str:
    """The QuestionIdentifier of the ``number``-th question (from 1)."""
    return f"q{number}"


def _element(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def question_form_xml(test: MultipleChoiceTest, *, title: str | None = None) -> str:
    """The test as a QuestionForm: an optional overview title, then one required radio-button
    SelectionAnswer per question."""
    root = ET.Element("QuestionForm", xmlns=QUESTION_FORM)
    if title:
        _element(_element(root, "Overview"), "Title", title)
    for number, item in enumerate(test.questions, start=1):
        question = _element(root, "Question")
        _element(question, "QuestionIdentifier", question_id(number))
        _element(question, "DisplayName", f"Question {number}")
        _element(question, "IsRequired", "true")
        _element(_element(question, "QuestionContent"), "Text", item.text.strip())
        selection = _element(_element(question, "AnswerSpecification"), "SelectionAnswer")
        _element(selection, "StyleSuggestion", "radiobutton")
        choices = _element(selection, "Selections")
        for letter, option in zip(SELECTION_IDS, item.options, strict=False):
            choice = _element(choices, "Selection")
            _element(choice, "SelectionIdentifier", letter)
            _element(choice, "Text", option.strip())
    return ET.tostring(root, encoding="unicode")


def answer_key_xml(test: MultipleChoiceTest) -> str:
    """The test's AnswerKey: the right option of each question scores its points, the others nothing."""
    root = ET.Element("AnswerKey", xmlns=questions.ANSWER_KEY)
    for number, item in enumerate(test.questions, start=1):
        question = _element(root, "Question")
        _element(question, "QuestionIdentifier", question_id(number))
        option = _element(question, "AnswerOption")
        _element(option, "SelectionIdentifier", SELECTION_IDS[item.correct])
        _element(option, "AnswerScore", str(item.points))
    return ET.tostring(root, encoding="unicode")


def with_test(spec: QualificationTypeSpec, test: MultipleChoiceTest) -> QualificationTypeSpec:
    """``spec`` with the test's QuestionForm, answer key and duration, each checked by the same parsers
    an uploaded test goes through. Raises InvalidInputError."""
    form_xml = question_form_xml(test, title=spec.name)
    questions.validate_test(form_xml)
    key = questions.parse_answer_key(answer_key_xml(test))
    return replace(spec, test=form_xml, answer_key=key, test_duration_seconds=test.duration_seconds,
                   auto_granted=False)


def create_type(rt: Runtime, actor: Actor, spec: QualificationTypeSpec,
                test: MultipleChoiceTest | None = None) -> QualificationType:
    """Create a qualification type (``qualifications.create_type``), with ``test`` written as its
    QuestionForm and AnswerKey when given. Raises InvalidInputError, ConflictError (a name in use)."""
    require_requester(actor)
    return qualifications.create_type(rt, actor, with_test(spec, test) if test is not None else spec)
