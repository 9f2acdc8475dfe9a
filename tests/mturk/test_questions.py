"""Question XML validation (safe parsing, formats, limits), AnswerKey and QuestionFormAnswers."""

from __future__ import annotations

import xml.dom.minidom

import pytest

from labelhub.errors import InvalidInputError
from labelhub.question_xml import questions
from labelhub.services.commands import AnswerKey
from tests.mturk.conftest import (
    ANSWER_KEY,
    EXTERNAL_QUESTION,
    HTML_QUESTION,
    QUESTION_FORM,
    SCHEMAS,
    fails,
    hit_params,
)

FORM_2005 = QUESTION_FORM.replace("2017-11-06", "2005-10-01")
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd">
<HTMLContent>&lol2;</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"""
EXTERNAL_ENTITY = f"""<?xml version="1.0"?><!DOCTYPE q [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd">
<HTMLContent>&secret;</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"""


def problem(call, *args) -> str:
    with pytest.raises(InvalidInputError) as caught:
        call(*args)
    (message,) = caught.value.fields.values()
    return message


@pytest.mark.parametrize("xml", [HTML_QUESTION, EXTERNAL_QUESTION, QUESTION_FORM, FORM_2005])
def test_validate_question_accepts_mturks_formats(xml):
    questions.validate_question(xml)


@pytest.mark.parametrize(("xml", "text"), [
    ("<HTMLQuestion><HTMLContent>", "is not well-formed XML: no element found: line 1, column 27"),
    (BILLION_LAUGHS, "a DOCTYPE (DTD) is not allowed"),
    (EXTERNAL_ENTITY, "a DOCTYPE (DTD) is not allowed"),
    (HTML_QUESTION.replace("<FrameHeight>450", "<FrameHeight>&nbsp;450"), "undefined entity"),
    (HTML_QUESTION.replace("2011-11-11", "2011-11-12"), "the root element must be HTMLQuestion"),
    (HTML_QUESTION.replace("<FrameHeight>450</FrameHeight>", ""), "FrameHeight must be"),
    (HTML_QUESTION.split("<HTMLContent>")[0] + "<HTMLContent> </HTMLContent><FrameHeight>1</FrameHeight>"
     "</HTMLQuestion>", "non-empty HTMLContent"),
    (EXTERNAL_QUESTION.replace("https://example.org", "javascript:alert(1)//"), "ExternalURL"),
    (QUESTION_FORM.replace(">why<", ">colour<"), "QuestionIdentifier 'colour' is used twice"),
    (QUESTION_FORM.replace("<FreeTextAnswer/>", "<FileUploadAnswer/>"), "FileUploadAnswer was removed"),
    (QUESTION_FORM.replace("<FreeTextAnswer/>", ""), "needs an AnswerSpecification"),
    (QUESTION_FORM.replace(">red<", "><"), "needs Selections, each with a SelectionIdentifier"),
])
def test_validate_question_names_the_problem(xml, text):
    assert text in problem(questions.validate_question, xml)


def test_validate_test_accepts_only_a_question_form():
    questions.validate_test(QUESTION_FORM)

    assert "must be a QuestionForm" in problem(questions.validate_test, EXTERNAL_QUESTION)


def test_parse_answer_key_gives_the_services_answer_key():
    key = questions.parse_answer_key(ANSWER_KEY)

    assert key == AnswerKey(points={"colour": {"red": 10, "blue": 0}}, percentage_of=10)
    assert questions.parse_answer_key(questions.answer_key_xml(key.as_json())) == key


@pytest.mark.parametrize(("change", "text"), [
    (("<PercentageMapping><MaximumSummedScore>10</MaximumSummedScore></PercentageMapping>",
      "<ScaleMapping><SummedScoreMultiplier>2</SummedScoreMultiplier></ScaleMapping>"),
     "only the PercentageMapping"),
    (("<SelectionIdentifier>red</SelectionIdentifier>",
      "<SelectionIdentifier>red</SelectionIdentifier><SelectionIdentifier>blue</SelectionIdentifier>"),
     "several SelectionIdentifiers"),
    (("<AnswerScore>10</AnswerScore>", "<AnswerScore>ten</AnswerScore>"),
     "AnswerScore 'ten' is not an integer"),
    (("AnswerKey.xsd", "AnswerKeys.xsd"), "the root element must be AnswerKey"),
])
def test_parse_answer_key_names_what_it_cannot_take(change, text):
    assert text in problem(questions.parse_answer_key, ANSWER_KEY.replace(*change))


def test_answers_xml_is_exactly_mturks_ascii_document():
    document = questions.answers_xml({"comment": "café ☃", "empty": "", "missing": None})

    assert document == (
        f'<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="{SCHEMAS}2005-10-01/'
        'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>comment</QuestionIdentifier>'
        '<FreeText>caf&#233; &#9731;</FreeText></Answer><Answer><QuestionIdentifier>empty'
        '</QuestionIdentifier><FreeText /></Answer><Answer><QuestionIdentifier>missing</QuestionIdentifier>'
        '<FreeText /></Answer></QuestionFormAnswers>')
    parsed = xml.dom.minidom.parseString(document.encode("ascii"))
    assert parsed.getElementsByTagName("FreeText")[0].firstChild.data == "café ☃"


def test_answers_xml_writes_lists_numbers_and_structures_as_free_text():
    xml = questions.answers_xml({"tags": ["a", "b"], "count": 3, "ok": True, "box": [[1, 2, 3, 4, "cat"]],
                                 "bad": "bell\x07"})

    assert "<FreeText>a|b</FreeText>" in xml and "<FreeText>3</FreeText>" in xml
    assert "<FreeText>true</FreeText>" in xml and '<FreeText>[[1,2,3,4,"cat"]]</FreeText>' in xml
    assert "<FreeText>bell</FreeText>" in xml


def test_create_hit_with_malformed_xml_is_refused_and_creates_nothing(factory, connect):
    client = connect(factory.requester())

    malformed = fails(client.create_hit, **hit_params(Question="<HTMLQuestion><HTMLContent>"))
    with_dtd = fails(client.create_hit, **hit_params(Question=BILLION_LAUGHS))
    missing = fails(client.create_hit, **hit_params(Question=""))

    assert (malformed.code, malformed.turk_code) == ("RequestError", "AWS.ParameterOutOfRange")
    assert "Question: is not well-formed XML: no element found: line 1, column 27" in malformed.message
    assert "Question: is not allowed XML: a DOCTYPE (DTD) is not allowed" in with_dtd.message
    assert "Question: is required" in missing.message
    assert client.list_hits()["NumResults"] == 0


def test_create_hit_with_a_too_large_question_is_refused(factory, connect):
    client = connect(factory.requester())
    huge = HTML_QUESTION.replace("<textarea", "<!--" + "x" * 70_000 + "--><textarea")

    failed = fails(client.create_hit, **hit_params(Question=huge))

    assert "Question: must be at most 65,535 bytes" in failed.message


def test_create_hit_with_a_layout_and_a_question_is_refused(factory, connect):
    failed = fails(connect(factory.requester()).create_hit,
                   **hit_params(HITLayoutId="LABELHUBTEXTCLASSIFICATION0001"))

    assert "HITLayoutId" in failed.message and "Question" in failed.message


def test_create_hit_with_an_unknown_layout_names_it(factory, connect):
    params = hit_params()
    params.pop("Question")
    failed = fails(connect(factory.requester()).create_hit, **params, HITLayoutId="3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

    assert "3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA" in failed.message
