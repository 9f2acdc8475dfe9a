"""What a worker sees of an MTurk-style HIT, as pure functions over its Question XML: the frame's query
parameters and sandbox, HTMLQuestion content with MTurk's well-known URLs pointed at LabelHub, a
QuestionForm as a plain form model, and a worker's form post as the stored answer.

No Flask and no database here; labelhub.mturk.worker_side (the MTurk worker side) and labelhub.web (the
worker pages) serve the results.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from labelhub.errors import InvalidInputError
from labelhub.question_xml.questions import EXTERNAL_QUESTION, HTML_QUESTION, QUESTION_FORMS, parse

PREVIEW_ASSIGNMENT_ID = "ASSIGNMENT_ID_NOT_AVAILABLE"
# The frame with requester HTML runs in an opaque origin: scripts and forms work, but it has no
# cookies or storage of LabelHub's, cannot read the parent page and cannot navigate it.
FRAME_SANDBOX = "allow-scripts allow-forms allow-popups"
# Only LabelHub's own work pages may frame it.
FRAME_CSP = f"sandbox {FRAME_SANDBOX}; frame-ancestors 'self'"
# An ExternalQuestion page lives on the requester's own origin, so it keeps that origin (its cookies,
# storage and popups, which psiTurk and Dallinger rely on); it still cannot touch the parent page.
EXTERNAL_SANDBOX = f"{FRAME_SANDBOX} allow-same-origin allow-popups-to-escape-sandbox allow-modals"
# LabelHub's own pages here. frame-ancestors is 'self', not 'none': what externalSubmit answers (and
# its error pages) is shown inside the task frame, whose parent is LabelHub's work page.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")

EXTERNAL_HIT_JS = re.compile(
    r"(?:https?:)?//(?:s3\.amazonaws\.com/mturk-public|mturk-public\.s3\.amazonaws\.com)/externalHIT_v1\.js",
    re.IGNORECASE)
CROWD_ELEMENTS_JS = re.compile(r"(?:https?:)?//assets\.crowd\.aws/crowd-html-elements\.js", re.IGNORECASE)
MTURK_SUBMIT = re.compile(r"(?:https?:)?//(?:www|workersandbox)\.mturk\.com/mturk/externalSubmit",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One piece of QuestionForm content: a title, text, list, requester HTML or a media file."""

    kind: str  # title | text | list | html | image | audio | video | note
    text: str = ""
    items: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class Choice:
    identifier: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class FormQuestion:
    """A QuestionForm Question as a form control named by its QuestionIdentifier."""

    identifier: str
    label: str
    required: bool
    content: tuple[Block, ...]
    answer: str  # text | radio | checkbox | select
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    lines: int = 1
    default: str = ""
    constraints: dict[str, str] = field(default_factory=dict)  # HTML attributes: minlength, pattern, ...


@dataclass(frozen=True)
class Overview:
    content: tuple[Block, ...]


@dataclass(frozen=True)
class Question:
    """A HIT's Question as shown to workers; ``kind`` is html, external or form."""

    kind: str
    frame_height: int = 0
    html: str = ""
    url: str = ""
    items: tuple[FormQuestion | Overview, ...] = ()

    @property
    def selection_ids(self) -> frozenset[str]:
        return frozenset(q.identifier for q in self.items
                         if isinstance(q, FormQuestion) and q.answer != "text")


def read_question(xml: str) -> Question | None:
    """The HIT's Question, or None when it is not one of MTurk's formats (a LabelHub template)."""
    try:
        root = parse(xml, "Question")
    except InvalidInputError:
        return None
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if (namespace, local) == (HTML_QUESTION, "HTMLQuestion"):
        content = root.findtext(f"{{{namespace}}}HTMLContent") or ""
        return Question("html", _height(root, namespace), html=content)
    if (namespace, local) == (EXTERNAL_QUESTION, "ExternalQuestion"):
        url = (root.findtext(f"{{{namespace}}}ExternalURL") or "").strip()
        return Question("external", _height(root, namespace), url=url)
    if local == "QuestionForm" and namespace in QUESTION_FORMS:
        return Question("form", items=tuple(_form_items(root, namespace)))
    return None


def _height(root: ET.Element, namespace: str) -> int:
    text = (root.findtext(f"{{{namespace}}}FrameHeight") or "").strip()
    return int(text) if text.isdigit() else 0


# ---- the frame: query parameters, sandbox, content ----------------------------------------------

def frame_query(*, hit_id: str, assignment_id: str | None, worker_id: str | None,
                submit_to: str) -> list[tuple[str, str]]:
    """MTurk's four parameters in MTurk's order; a preview has no assignment and no workerId."""
    params = [("hitId", hit_id), ("assignmentId", assignment_id or PREVIEW_ASSIGNMENT_ID),
              ("turkSubmitTo", submit_to)]
    if assignment_id and worker_id:
        params.append(("workerId", worker_id))
    return params


def add_query(url: str, params: Iterable[tuple[str, str]]) -> str:
    """Append parameters to a URL that may already have a query (joined with '&', as MTurk does)."""
    parts = urlsplit(url)
    extra = urlencode(list(params), safe=":/")
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def iframe_sandbox(question: Question, own_origin: str) -> str:
    """The iframe's sandbox attribute. Only a page on another origin keeps its own origin: with
    allow-same-origin, a page from LabelHub's origin could reach the worker's session."""
    if question.kind == "external" and origin(question.url) != own_origin.lower():
        return EXTERNAL_SANDBOX
    return FRAME_SANDBOX


def page_csp(question: Question) -> str:
    """The work page's policy: LabelHub's own, plus an ExternalQuestion's origin in frame-src."""
    sources = f"'self' {origin(question.url)}" if question.kind == "external" else "'self'"
    return f"{PAGE_CSP}; frame-src {sources}"


def rewrite_html(html: str, *, external_hit_js: str, crowd_elements_js: str, submit_url: str) -> str:
    """Point MTurk's script URLs at LabelHub's shims and MTurk's externalSubmit at LabelHub's."""
    html = EXTERNAL_HIT_JS.sub(external_hit_js, html)
    html = CROWD_ELEMENTS_JS.sub(crowd_elements_js, html)
    return MTURK_SUBMIT.sub(submit_url, html)


# ---- QuestionForm as a form model ----------------------------------------------------------------

def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _http_url(text: str | None) -> str:
    url = (text or "").strip()
    return url if urlsplit(url).scheme in ("http", "https") else ""


def _binary(element: ET.Element, ns: str) -> Block:
    kind = (element.findtext(f"{{{ns}}}MimeType/{{{ns}}}Type")
            or element.findtext(f"{{{ns}}}EmbeddedMimeType/{{{ns}}}Type") or "").strip()
    url = _http_url(element.findtext(f"{{{ns}}}DataURL"))
    alt = (element.findtext(f"{{{ns}}}AltText") or "").strip()
    if kind in ("image", "audio", "video") and url:
        return Block(kind, text=alt, url=url)
    return Block("note", text=alt or "(media that cannot be shown)")


def _blocks(parent: ET.Element | None, ns: str) -> tuple[Block, ...]:
    """Content (Title, Text, List, FormattedContent, Binary, EmbeddedBinary) in document order."""
    found: list[Block] = []
    for child in [] if parent is None else list(parent):
        name, text = _local(child), (child.text or "").strip()
        if name in ("Title", "Text"):
            found.append(Block(name.lower(), text=text))
        elif name == "List":
            found.append(Block("list", items=tuple((i.text or "").strip() for i in child)))
        elif name == "FormattedContent":
            found.append(Block("html", text=child.text or ""))  # requester XHTML, inside the sandbox
        elif name in ("Binary", "EmbeddedBinary"):
            found.append(_binary(child, ns))
        elif name == "Application":
            found.append(Block("note", text="(an applet that cannot be shown)"))
    return tuple(found)


def _form_items(root: ET.Element, ns: str) -> Iterable[FormQuestion | Overview]:
    for child in root:
        if _local(child) == "Overview":
            yield Overview(_blocks(child, ns))
        elif _local(child) == "Question":
            yield _form_question(child, ns)


def _form_question(element: ET.Element, ns: str) -> FormQuestion:
    identifier = (element.findtext(f"{{{ns}}}QuestionIdentifier") or "").strip()
    common: dict[str, Any] = {
        "identifier": identifier, "label": (element.findtext(f"{{{ns}}}DisplayName") or "").strip(),
        "required": (element.findtext(f"{{{ns}}}IsRequired") or "").strip().lower() == "true",
        "content": _blocks(element.find(f"{{{ns}}}QuestionContent"), ns)}
    spec = element.find(f"{{{ns}}}AnswerSpecification")
    answer = spec[0] if spec is not None and len(spec) else None
    if answer is not None and _local(answer) == "SelectionAnswer":
        return FormQuestion(**common, **_selection(answer, ns))
    return FormQuestion(**common, answer="text", **_free_text(answer, ns))


def _selection(answer: ET.Element, ns: str) -> dict[str, Any]:
    style = (answer.findtext(f"{{{ns}}}StyleSuggestion") or "").strip()
    maximum = (answer.findtext(f"{{{ns}}}MaxSelectionCount") or "1").strip()
    multiple = style in ("checkbox", "multichooser") or (maximum.isdigit() and int(maximum) > 1)
    kind = "select" if style in ("list", "dropdown", "combobox") else "checkbox" if multiple else "radio"
    choices = tuple(Choice((s.findtext(f"{{{ns}}}SelectionIdentifier") or "").strip(),
                           _blocks(s, ns) or (Block("text"),))
                    for s in answer.iter(f"{{{ns}}}Selection"))
    return {"answer": kind, "choices": choices, "multiple": multiple}


def _free_text(answer: ET.Element | None, ns: str) -> dict[str, Any]:
    if answer is None or _local(answer) != "FreeTextAnswer":
        return {"constraints": {"disabled": "disabled"}}  # FileUploadAnswer: removed by MTurk in 2017
    lines = (answer.findtext(f"{{{ns}}}NumberOfLinesSuggestion") or "").strip()
    constraints: dict[str, str] = {}
    numeric = answer.find(f"{{{ns}}}Constraints/{{{ns}}}IsNumeric")
    if numeric is not None:
        constraints |= {"type": "number"} | {html: numeric.get(xml) for xml, html in
                                             (("minValue", "min"), ("maxValue", "max")) if numeric.get(xml)}
    length = answer.find(f"{{{ns}}}Constraints/{{{ns}}}Length")
    if length is not None:
        constraints |= {html: length.get(xml) for xml, html in
                        (("minLength", "minlength"), ("maxLength", "maxlength")) if length.get(xml)}
    regex = answer.find(f"{{{ns}}}Constraints/{{{ns}}}AnswerFormatRegex")
    if regex is not None and regex.get("regex") and not regex.get("flags"):
        constraints |= {"pattern": regex.get("regex", ""), "title": regex.get("errorText", "")}
    return {"lines": int(lines) if lines.isdigit() and int(lines) > 0 else 1,
            "default": (answer.findtext(f"{{{ns}}}DefaultText") or ""), "constraints": constraints}


# ---- a worker's form post as the answer -----------------------------------------------------------

def answer_from_form(question: Question | None, fields: Iterable[tuple[str, list[str]]]) -> dict[str, Any]:
    """Every posted field except assignmentId, in form order (MTurk's rule): one value as a string,
    several (a checkbox group) as a list. A QuestionForm's answer lists its questions in its own
    order, unanswered ones included, with selections always as lists."""
    posted = {name: values for name, values in fields if name != "assignmentId"}
    answer: dict[str, Any] = {}
    if question is not None and question.kind == "form":
        for item in question.items:
            if isinstance(item, FormQuestion):
                values = posted.pop(item.identifier, [])
                if item.identifier in question.selection_ids:  # a list's empty "Choose…" is no choice
                    answer[item.identifier] = [value for value in values if value]
                else:
                    answer[item.identifier] = "|".join(values)
    answer |= {name: _value(values) for name, values in posted.items()}
    if not answer:
        raise InvalidInputError({"form": "has no answer fields: it must send at least one field besides "
                                         "assignmentId"})
    return answer


def _value(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values
