"""Qualification tests built in a form: the QuestionForm and AnswerKey XML they become pass the parsers
uploaded tests go through, the worker pages draw them as radio buttons, a worker's answers are scored
right; bad forms are refused naming the question. Also the type pages' read models and their 404s."""

from __future__ import annotations

import pytest

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import RequestStatus
from labelhub.question_xml import questions, rendering
from labelhub.services import qualification_pages, qualification_tests, qualifications
from labelhub.services.commands import QualificationTypeSpec
from labelhub.services.qualification_tests import ChoiceQuestion, MultipleChoiceTest

CATS = ChoiceQuestion("Is a <cat> & a kitten the same animal?", ("Yes", "No"), 0, 2)
SUMS = ChoiceQuestion("2 + 2 = ?", ("3", "4", "5", "22"), 1, 3)
TEST = MultipleChoiceTest((CATS, SUMS), 600)


def _spec(name: str = "Careful reader") -> QualificationTypeSpec:
    return QualificationTypeSpec(name=name, description="Reads closely.", retry_delay_seconds=3600)


def test_question_form_passes_the_validator_and_renders_as_radio_buttons():
    xml = qualification_tests.question_form_xml(TEST, title="Careful reader")

    questions.validate_test(xml)
    shown = rendering.read_question(xml)
    items = [item for item in shown.items if isinstance(item, rendering.FormQuestion)]
    assert [(item.identifier, item.answer, item.required) for item in items] == [("q1", "radio", True),
                                                                                  ("q2", "radio", True)]
    assert items[0].content[0].text == CATS.text  # escaped in the XML, the same text again
    assert [(c.identifier, c.blocks[0].text) for c in items[1].choices] == [("a", "3"), ("b", "4"), ("c", "5"),
                                                                            ("d", "22")]


@pytest.mark.parametrize(("posted", "score"), [
    ({"q1": ["a"], "q2": ["b"]}, 5),
    ({"q1": ["a"], "q2": ["c"]}, 2),
    ({"q1": ["b"], "q2": ["b"]}, 3),
    ({"q1": [], "q2": []}, 0),
])
def test_answer_key_scores_the_points_of_the_right_answers(posted, score):
    key = questions.parse_answer_key(qualification_tests.answer_key_xml(TEST))
    shown = rendering.read_question(qualification_tests.question_form_xml(TEST))

    answers = rendering.answer_from_form(shown, list(posted.items()))

    assert key.score(answers) == score
    assert TEST.max_score == 5


@pytest.mark.parametrize(("question", "problem"), [
    (ChoiceQuestion("Pick", ("only",), 0), "needs 2 to 6 options (got 1)"),
    (ChoiceQuestion("Pick", tuple("abcdefg"), 0), "needs 2 to 6 options (got 7)"),
    (ChoiceQuestion("Pick", ("a", "b"), -1), "needs its right option marked"),
    (ChoiceQuestion("Pick", ("a", "a "), 0), "has the same option twice"),
    (ChoiceQuestion("  ", ("a", "b"), 0), "needs a question"),
    (ChoiceQuestion("Pick", ("a", ""), 0), "has an option that is empty"),
    (ChoiceQuestion("Pick\x01", ("a", "b"), 0), "contains control characters"),
    (ChoiceQuestion("Pick", ("a", "b"), 0, 0), "must be worth 1 to 1,000 points"),
])
def test_bad_questions_are_refused_naming_the_question(question, problem):
    with pytest.raises(InvalidInputError) as refused:
        MultipleChoiceTest((CATS, question), 600)

    assert set(refused.value.fields) == {"question 2"}
    assert problem in refused.value.fields["question 2"]


def test_a_test_needs_questions_and_a_duration():
    with pytest.raises(InvalidInputError) as refused:
        MultipleChoiceTest((), 0)

    assert set(refused.value.fields) == {"questions", "test_duration"}


def test_worker_taking_the_built_test_is_granted_the_score(runtime, factory):
    owner, worker = factory.requester(), factory.worker()
    made = qualification_tests.create_type(runtime, owner.actor, _spec(), TEST)
    shown = rendering.read_question(made.test)

    request = qualifications.request(runtime, worker.actor, made.public_id,
                                     rendering.answer_from_form(shown, [("q1", ["a"]), ("q2", ["d"])]))

    assert (request.status, request.score) == (RequestStatus.ACCEPTED, 2)
    assert qualifications.get_score(runtime, owner.actor, made.public_id, worker.actor.public_id).integer_value == 2
    assert (made.test_duration_seconds, made.retry_delay_seconds, made.auto_granted) == (600, 3600, False)
    assert made.answer_key == {"points": {"q1": {"a": 2}, "q2": {"b": 3}}, "percentage_of": None}


def test_types_without_a_test_are_created_as_given(runtime, factory):
    owner = factory.requester()

    auto = qualification_tests.create_type(runtime, owner.actor, QualificationTypeSpec(
        name="Auto", description="x", auto_granted=True, auto_granted_value=7))

    assert (auto.auto_granted, auto.auto_granted_value, auto.test) == (True, 7, None)


def test_type_pages_count_and_hide_other_requesters_types(runtime, factory):
    owner, other = factory.requester(), factory.requester()
    holder, asker = factory.worker(), factory.worker()
    made = qualification_tests.create_type(runtime, owner.actor, _spec())
    requestable = qualification_tests.create_type(runtime, owner.actor, _spec("Asked for"))
    qualifications.grant(runtime, owner.actor, made.public_id, holder.actor.public_id, 9)
    qualifications.request(runtime, asker.actor, requestable.public_id)

    overview = qualification_pages.types_overview(runtime, owner.actor)
    page = qualification_pages.type_page(runtime, owner.actor, requestable.public_id)

    counts = {row.qtype.name: (row.counts.granted, row.counts.revoked, row.counts.pending) for row in overview.items}
    assert counts == {"Careful reader": (1, 0, 0), "Asked for": (0, 0, 1)}
    assert [r.worker.public_id for r in page.requests.items] == [asker.actor.public_id]
    assert qualification_pages.types_overview(runtime, other.actor).items == []
    with pytest.raises(NotFoundError):
        qualification_pages.type_page(runtime, other.actor, made.public_id)
    with pytest.raises(NotFoundError):
        qualification_pages.check_owned(runtime, owner.actor, made.public_id,
                                        request_public_id=page.requests.items[0].public_id)
    with pytest.raises(NotFoundError):
        qualification_pages.check_owned(runtime, owner.sandbox(), made.public_id)
