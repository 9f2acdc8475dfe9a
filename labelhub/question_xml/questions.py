"""MTurk's XML formats: Question validation (HTMLQuestion, ExternalQuestion, QuestionForm), AnswerKey to
the services' AnswerKey, and stored answers to QuestionFormAnswers exactly as MTurk writes them.

Requester XML is parsed by expat with a DOCTYPE refused outright: without a DTD there is nothing to
declare an entity, so neither external entities nor entity expansion ("billion laughs") can happen.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat

from labelhub.errors import InvalidInputError
from labelhub.services.commands import AnswerKey

SCHEMAS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
HTML_QUESTION = SCHEMAS + "2011-11-11/HTMLQuestion.xsd"
EXTERNAL_QUESTION = SCHEMAS + "2006-07-14/ExternalQuestion.xsd"
QUESTION_FORMS = (SCHEMAS + "2017-11-06/QuestionForm.xsd", SCHEMAS + "2005-10-01/QuestionForm.xsd")
ANSWER_KEY = SCHEMAS + "2005-10-01/AnswerKey.xsd"
ANSWERS = SCHEMAS + "2005-10-01/QuestionFormAnswers.xsd"
XML_DECLARATION = '<?xml version="1.0" encoding="ASCII"?>'
ANSWER_KINDS = ("FreeTextAnswer", "SelectionAnswer", "FileUploadAnswer")
# Characters XML 1.0 cannot carry even as references; they are dropped from answers.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Refused(Exception):
    pass


def _refuse_dtd(*_: Any) -> None:
    raise _Refused("a DOCTYPE (DTD) is not allowed")


def _qname(name: str) -> str:
    return "{" + name if "}" in name else name


def parse(text: str, field: str) -> ET.Element:
    """Parse requester XML safely; InvalidInputError naming ``field`` and the problem on bad XML."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = lambda name, attrs: builder.start(
        _qname(name), {_qname(k): v for k, v in attrs.items()})
    parser.EndElementHandler = lambda name: builder.end(_qname(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise InvalidInputError({field: f"is not well-formed XML: {exc}"}) from None
    except _Refused as exc:
        raise InvalidInputError({field: f"is not allowed XML: {exc}"}) from None
    return builder.close()


def _split(tag: str) -> tuple[str, str]:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, local


def _children(element: ET.Element, namespace: str, local: str) -> list[ET.Element]:
    return element.findall(f"{{{namespace}}}{local}")


def _text(element: ET.Element, namespace: str, local: str) -> str | None:
    found = element.find(f"{{{namespace}}}{local}")
    return None if found is None else (found.text or "").strip()


def _frame_height(root: ET.Element, namespace: str, field: str) -> None:
    height = _text(root, namespace, "FrameHeight")
    if height is None or not height.isdigit():
        raise InvalidInputError({field: "FrameHeight must be a non-negative whole number of pixels"})


def _html_question(root: ET.Element, field: str) -> None:
    content = root.find(f"{{{HTML_QUESTION}}}HTMLContent")
    if content is None or not (content.text or "").strip():
        raise InvalidInputError({field: "HTMLQuestion needs a non-empty HTMLContent"})
    _frame_height(root, HTML_QUESTION, field)


def _external_question(root: ET.Element, field: str) -> None:
    url = _text(root, EXTERNAL_QUESTION, "ExternalURL") or ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError({field: "ExternalQuestion needs an ExternalURL starting with https://"})
    _frame_height(root, EXTERNAL_QUESTION, field)


def _question_form(root: ET.Element, field: str) -> None:
    namespace, _ = _split(root.tag)
    questions = _children(root, namespace, "Question")
    if not questions and not _children(root, namespace, "Overview"):
        raise InvalidInputError({field: "QuestionForm needs at least one Question or Overview"})
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        identifier = _text(question, namespace, "QuestionIdentifier")
        if not identifier:
            raise InvalidInputError({field: f"QuestionForm Question {number} needs a QuestionIdentifier"})
        if identifier in seen:
            raise InvalidInputError({field: f"QuestionIdentifier {identifier!r} is used twice"})
        seen.add(identifier)
        _form_question(question, namespace, field, f"QuestionForm Question {number} ({identifier})")


def _form_question(question: ET.Element, namespace: str, field: str, where: str) -> None:
    if question.find(f"{{{namespace}}}QuestionContent") is None:
        raise InvalidInputError({field: f"{where} needs a QuestionContent"})
    spec = question.find(f"{{{namespace}}}AnswerSpecification")
    kinds = [] if spec is None else [_split(child.tag)[1] for child in spec]
    if len(kinds) != 1 or kinds[0] not in ANSWER_KINDS:
        raise InvalidInputError({field: f"{where} needs an AnswerSpecification with one "
                                        f"of {', '.join(ANSWER_KINDS)}"})
    if kinds[0] == "FileUploadAnswer" and namespace == QUESTION_FORMS[0]:
        raise InvalidInputError({field: "FileUploadAnswer was removed from QuestionForm in 2017-11-06"})
    if kinds[0] == "SelectionAnswer":
        identifiers = _selection_ids(spec[0], namespace)
        if not identifiers or not all(identifiers):
            raise InvalidInputError({field: f"{where} needs Selections, each with a SelectionIdentifier"})


def _selection_ids(selection_answer: ET.Element, namespace: str) -> list[str]:
    return [(s.findtext(f"{{{namespace}}}SelectionIdentifier") or "").strip()
            for s in selection_answer.iter(f"{{{namespace}}}Selection")]


def validate_question(text: str, field: str = "Question") -> None:
    """An HTMLQuestion, ExternalQuestion or QuestionForm in its schema's namespace."""
    root = parse(text, field)
    namespace, local = _split(root.tag)
    if (namespace, local) == (HTML_QUESTION, "HTMLQuestion"):
        _html_question(root, field)
    elif (namespace, local) == (EXTERNAL_QUESTION, "ExternalQuestion"):
        _external_question(root, field)
    elif local == "QuestionForm" and namespace in QUESTION_FORMS:
        _question_form(root, field)
    else:
        raise InvalidInputError({field: "the root element must be HTMLQuestion, ExternalQuestion or "
                                        "QuestionForm in its schema's namespace "
                                        f"(got {local!r} in {namespace or 'no namespace'})"})


def validate_test(text: str) -> None:
    """A qualification test is a QuestionForm (MTurk allows no other format there)."""
    root = parse(text, "Test")
    namespace, local = _split(root.tag)
    if local != "QuestionForm" or namespace not in QUESTION_FORMS:
        raise InvalidInputError({"Test": "must be a QuestionForm in its schema's namespace"})
    _question_form(root, "Test")


def _score(element: ET.Element) -> int:
    text = (element.findtext(f"{{{ANSWER_KEY}}}AnswerScore") or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise InvalidInputError({"AnswerKey": f"AnswerScore {text!r} is not an integer"})
    return int(text)


def parse_answer_key(text: str) -> AnswerKey:
    """AnswerKey XML as the services' AnswerKey (points per selection, optional PercentageMapping)."""
    root = parse(text, "AnswerKey")
    if root.tag != f"{{{ANSWER_KEY}}}AnswerKey":
        raise InvalidInputError({"AnswerKey": "the root element must be AnswerKey in its schema's namespace"})
    points: dict[str, dict[str, int]] = {}
    for question in _children(root, ANSWER_KEY, "Question"):
        identifier = _text(question, ANSWER_KEY, "QuestionIdentifier")
        if not identifier:
            raise InvalidInputError({"AnswerKey": "every Question needs a QuestionIdentifier"})
        if (_text(question, ANSWER_KEY, "DefaultScore") or "0") != "0":
            raise InvalidInputError({"AnswerKey": "a non-zero DefaultScore is not supported"})
        options: dict[str, int] = {}
        for option in _children(question, ANSWER_KEY, "AnswerOption"):
            selections = [(s.text or "").strip()
                          for s in _children(option, ANSWER_KEY, "SelectionIdentifier")]
            if len(selections) != 1:
                raise InvalidInputError({"AnswerKey": "an AnswerOption with several SelectionIdentifiers is "
                                                      "not supported: give one per AnswerOption"})
            options[selections[0]] = _score(option)
        points[identifier] = options
    return AnswerKey(points=points, percentage_of=_percentage_of(root))


def _percentage_of(root: ET.Element) -> int | None:
    mapping = root.find(f"{{{ANSWER_KEY}}}QualificationValueMapping")
    if mapping is None:
        return None
    maximum = mapping.findtext(f"{{{ANSWER_KEY}}}PercentageMapping/{{{ANSWER_KEY}}}MaximumSummedScore")
    if maximum is None:
        raise InvalidInputError({"AnswerKey": "only the PercentageMapping QualificationValueMapping is "
                                              "supported"})
    if not maximum.strip().isdigit():
        raise InvalidInputError({"AnswerKey": "MaximumSummedScore must be a positive integer"})
    return int(maximum)


def answer_key_xml(answer_key: dict[str, Any]) -> str:
    """The services' stored answer key back as AnswerKey XML (for the type's owner)."""
    key = AnswerKey.from_json(answer_key)
    root = ET.Element("AnswerKey", xmlns=ANSWER_KEY)
    for identifier, options in key.points.items():
        question = ET.SubElement(root, "Question")
        ET.SubElement(question, "QuestionIdentifier").text = identifier
        for selection, score in options.items():
            option = ET.SubElement(question, "AnswerOption")
            ET.SubElement(option, "SelectionIdentifier").text = selection
            ET.SubElement(option, "AnswerScore").text = str(score)
    if key.percentage_of:
        mapping = ET.SubElement(ET.SubElement(root, "QualificationValueMapping"), "PercentageMapping")
        ET.SubElement(mapping, "MaximumSummedScore").text = str(key.percentage_of)
    return ET.tostring(root, encoding="unicode")


@functools.lru_cache(maxsize=64)
def selection_questions(question: str | None) -> frozenset[str]:
    """Identifiers of a QuestionForm's SelectionAnswer questions (their answers are selections).

    Questions made elsewhere (LabelHub's own templates) are not QuestionForms and have none.
    """
    if not question or "QuestionForm" not in question:
        return frozenset()
    try:
        root = parse(question, "Question")
    except InvalidInputError:
        return frozenset()
    namespace, _ = _split(root.tag)
    selection = f"{{{namespace}}}AnswerSpecification/{{{namespace}}}SelectionAnswer"
    return frozenset((q.findtext(f"{{{namespace}}}QuestionIdentifier") or "").strip()
                     for q in _children(root, namespace, "Question") if q.find(selection) is not None)


def _free_text(value: Any) -> str:
    """Form fields are strings; a checkbox group's values are joined with '|'; other JSON as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "|".join(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def answers_xml(answer: dict[str, Any] | None, question: str | None = None) -> str:
    """A stored answer as MTurk's QuestionFormAnswers: one Answer per field in order, FreeText for
    form fields, SelectionIdentifier elements for a QuestionForm's selection questions; ASCII with
    character references, behind MTurk's exact XML declaration."""
    selections = selection_questions(question)
    root = ET.Element("QuestionFormAnswers", xmlns=ANSWERS)
    for identifier, value in (answer or {}).items():
        element = ET.SubElement(root, "Answer")
        ET.SubElement(element, "QuestionIdentifier").text = NOT_XML.sub("", identifier)
        if identifier in selections:
            for chosen in value if isinstance(value, list) else [value]:
                if chosen is not None:
                    ET.SubElement(element, "SelectionIdentifier").text = NOT_XML.sub("", str(chosen))
        else:
            ET.SubElement(element, "FreeText").text = NOT_XML.sub("", _free_text(value))
    body = ET.tostring(root, encoding="unicode").encode("ascii", "xmlcharrefreplace").decode("ascii")
    return XML_DECLARATION + body
