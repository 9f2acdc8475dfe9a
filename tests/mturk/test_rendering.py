"""What workers see of MTurk-style HITs, over real HTTP: the work page, the sandboxed frame, the shims and
URL rewriting, ExternalQuestion parameters, previews, QuestionForm forms, HIT layouts and the guide.

Also home of the small HTTP and HTML helpers the other worker-side test modules import.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from labelhub.errors import InvalidInputError
from labelhub.models import Marketplace
from labelhub.mturk import layouts, worker_side
from labelhub.mturk.params import Params
from labelhub.question_xml import questions, rendering
from labelhub.services import assignments, hits
from labelhub.services.commands import CreateHIT
from tests.mturk.conftest import EXTERNAL_QUESTION, HTML_QUESTION, QUESTION_FORM, SCHEMAS, hit_params

SANDBOX_ATTRIBUTE = "allow-scripts allow-forms allow-popups"
CSP_SANDBOX = "sandbox allow-scripts allow-forms allow-popups; frame-ancestors 'self'"
PASSWORD = "correct-horse-1"  # tests.factories' worker password


# ---- helpers: real HTTP without following redirects, and HTML read back into tags ------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        # A repeated attribute would hide a bug: browsers keep the first one, this dict the last.
        assert len(names) == len(set(names)), f"<{tag}> repeats an attribute: {names}"
        self.tags.append((tag, {name: value if value is not None else "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class Html:
    """An HTML document's start tags (with attributes) and its text, for assertions."""

    def __init__(self, source: str) -> None:
        parser = _Tags()
        parser.feed(source)
        self.tags, self.text = parser.tags, " ".join(" ".join(parser.text).split())

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> dict[str, str]:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def html(self) -> Html:
        return Html(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
          method: str | None = None) -> Reply:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers.items()), response.read().decode())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers.items()), exc.read().decode())


def post_form(url: str, fields: list[tuple[str, str]], headers: dict[str, str] | None = None) -> Reply:
    return fetch(url, data=urlencode(fields).encode(), method="POST",
                 headers={"Content-Type": "application/x-www-form-urlencoded"} | (headers or {}))


def basic_auth(name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def accept(base: str, worker, hit_id: str, marketplace: str = "sandbox") -> str:
    """Accept through the worker REST API, as a worker's client does; the new AssignmentId."""
    reply = fetch(f"{base}/api/v1/worker/hits/{hit_id}/accept?marketplace={marketplace}", data=b"{}",
                  method="POST", headers={"Authorization": f"Bearer {worker.credentials.api_token}",
                                          "Content-Type": "application/json"})
    assert reply.status == 201, reply.body
    return json.loads(reply.body)["assignment_id"]


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def task_frame(base: str, assignment_id: str) -> tuple[dict[str, str], Reply]:
    """Open the work page and load its frame as a browser would: (the iframe's attributes, frame reply)."""
    work = fetch(f"{base}/mturk/work/{assignment_id}")
    assert work.status == 200, work.body
    iframe = work.html.one("iframe")
    return iframe, fetch(iframe["src"])


def fill_and_submit(frame_url: str, frame: Reply, values: dict[str, str | list[str]]) -> Reply:
    """Submit the frame's form the way its page does. externalHIT_v1.js fills the hidden assignmentId
    from the frame URL's query (turkSetAssignmentID); ``values`` give the worker's input, in order."""
    form = frame.html.one("form")
    params = dict(query_of(frame_url))
    fields = [(i["name"], params["assignmentId"] if i["name"] == "assignmentId" and not i.get("value")
               else i.get("value", "")) for i in frame.html.all("input", type="hidden") if i.get("name")]
    for name, value in values.items():
        fields += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return post_form(form["action"], fields)


def html_question(content: str, height: int = 450) -> str:
    return (f'<HTMLQuestion xmlns="{SCHEMAS}2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{content}]]>'
            f"</HTMLContent><FrameHeight>{height}</FrameHeight></HTMLQuestion>")


@pytest.fixture
def sandbox_hit(factory, connect):
    """make(question) -> (boto3 client, HITId) of a new sandbox HIT."""
    client = connect(factory.requester())

    def make(question: str = HTML_QUESTION, **overrides: Any) -> tuple[Any, str]:
        return client, client.create_hit(**hit_params(Question=question, **overrides))["HIT"]["HITId"]

    return make


# ---- the work page and its frame ---------------------------------------------------------------------

def test_work_page_embeds_the_frame_in_a_sandboxed_iframe_with_mturk_parameters(
        live_server, factory, sandbox_hit, runtime):
    _, hit_id = sandbox_hit()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)
    deadline = assignments.get_assignment(runtime, worker.actor, assignment_id).deadline

    work = fetch(f"{live_server}/mturk/work/{assignment_id}")
    iframe = work.html.one("iframe")

    assert work.status == 200
    assert iframe["sandbox"] == SANDBOX_ATTRIBUTE
    assert iframe["height"] == "450"
    assert iframe["src"].startswith(f"{live_server}/mturk/frame/{assignment_id}?")
    assert query_of(iframe["src"]) == [("hitId", hit_id), ("assignmentId", assignment_id),
                                       ("turkSubmitTo", live_server), ("workerId", worker.actor.public_id)]
    assert "Describe the picture" in work.html.text and "0.50 USD" in work.html.text
    assert work.html.one("span", id="timer")["data-deadline"] == str(int(deadline.timestamp() * 1000))
    assert work.html.one("form")["action"] == f"/mturk/work/{assignment_id}/return"
    assert work.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'; frame-src 'self'")
    assert (work.headers["Referrer-Policy"], work.headers["Cache-Control"]) == ("same-origin", "no-store")


def test_frame_serves_html_question_in_a_csp_sandbox_with_mturk_urls_rewritten(live_server, factory,
                                                                               sandbox_hit):
    page = ('<script src="https://s3.amazonaws.com/mturk-public/externalHIT_v1.js"></script>'
            '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
            '<form id="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">'
            '<input type="hidden" name="assignmentId" id="assignmentId" value=""></form>'
            '<script>var sandbox = "https://workersandbox.mturk.com/mturk/externalSubmit";</script>')
    _, hit_id = sandbox_hit(html_question(page))
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit_id)

    _, frame = task_frame(live_server, assignment_id)
    scripts = [s["src"] for s in frame.html.all("script") if "src" in s]

    assert frame.status == 200
    assert frame.headers["Content-Security-Policy"] == CSP_SANDBOX
    assert scripts == [f"{live_server}/mturk/static/externalHIT_v1.js",
                       f"{live_server}/mturk/static/crowd-html-elements.js"]
    assert frame.html.one("form")["action"] == f"{live_server}/mturk/externalSubmit"
    assert f'var sandbox = "{live_server}/mturk/externalSubmit"' in frame.body
    assert "mturk.com" not in frame.body and "amazonaws" not in frame.body


@pytest.mark.parametrize(("shim", "names"), [
    ("externalHIT_v1.js", ("turkGetParam", "turkSetAssignmentID", "turkGetSubmitToHost",
                           "/mturk/externalSubmit", "ASSIGNMENT_ID_NOT_AVAILABLE")),
    ("crowd-html-elements.js", ("crowd-form", "taskAnswers", "/mturk/externalSubmit",
                                "ASSIGNMENT_ID_NOT_AVAILABLE")),
])
def test_shims_are_served_as_javascript(live_server, shim, names):
    reply = fetch(f"{live_server}/mturk/static/{shim}")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert all(name in reply.body for name in names)


# externalHIT_v1.js run by node against a stub of the few DOM calls it makes (no browser is installed).
SHIM_HARNESS = """
const elements = {assignmentId: {value: ""}, submitButton: {disabled: false, value: "Submit"},
                  mturk_form: {action: "https://www.mturk.com/mturk/externalSubmit"}};
globalThis.window = {location: {search: process.argv[2]}};
globalThis.document = {currentScript: {src: "http://labelhub.test/mturk/static/externalHIT_v1.js"},
                       getElementById: (id) => elements[id] || null};
require("vm").runInThisContext(require("fs").readFileSync(process.argv[1], "utf8"));
window.turkSetAssignmentID();
console.log(JSON.stringify({field: elements.assignmentId.value, action: elements.mturk_form.action,
                            disabled: elements.submitButton.disabled,
                            hitId: window.turkGetParam("hitId", "-"),
                            other: window.turkGetParam("other", "default")}));
"""


@pytest.mark.parametrize(("search", "expected"), [
    ("?hitId=H1&assignmentId=A1&turkSubmitTo=https%3A%2F%2Flh.example&workerId=W1",
     {"field": "A1", "action": "https://lh.example/mturk/externalSubmit", "disabled": False, "hitId": "H1",
      "other": "default"}),
    ("?hitId=H1&assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&turkSubmitTo=https://lh.example/",
     {"field": "ASSIGNMENT_ID_NOT_AVAILABLE", "action": "https://lh.example/mturk/externalSubmit",
      "disabled": True, "hitId": "H1", "other": "default"}),
    ("", {"field": "", "action": "http://labelhub.test/mturk/externalSubmit", "disabled": False, "hitId": "-",
          "other": "default"}),
])
def test_external_hit_shim_fills_the_assignment_and_points_the_form_at_turk_submit_to(search, expected):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the shim's JavaScript cannot be run")
    shim = Path(worker_side.__file__).parent / "static" / "externalHIT_v1.js"

    run = subprocess.run([node, "-e", SHIM_HARNESS, str(shim), search], capture_output=True, text=True,
                         timeout=30, check=True)

    assert json.loads(run.stdout) == expected


def test_external_question_is_framed_with_its_own_origin_and_mturks_four_parameters(
        live_server, factory, sandbox_hit):
    _, hit_id = sandbox_hit(EXTERNAL_QUESTION)
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)

    work = fetch(f"{live_server}/mturk/work/{assignment_id}")
    iframe = work.html.one("iframe")
    redirect = fetch(f"{live_server}/mturk/frame/{assignment_id}")

    assert iframe["src"] == (f"https://example.org/task?item=7&lang=en&hitId={hit_id}"
                             f"&assignmentId={assignment_id}&turkSubmitTo={live_server}"
                             f"&workerId={worker.actor.public_id}")
    assert iframe["height"] == "600"
    assert iframe["sandbox"] == \
        SANDBOX_ATTRIBUTE + " allow-same-origin allow-popups-to-escape-sandbox allow-modals"
    assert work.headers["Content-Security-Policy"].endswith("frame-src 'self' https://example.org")
    assert (redirect.status, redirect.headers["Location"]) == (303, iframe["src"])


def test_external_question_on_labelhubs_own_origin_does_not_keep_its_origin(live_server, factory, connect):
    client = connect(factory.requester())
    own = EXTERNAL_QUESTION.replace("https://example.org/task?item=7&amp;lang=en", f"{live_server}/somewhere")
    hit_id = client.create_hit(**hit_params(Question=own))["HIT"]["HITId"]
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit_id)

    iframe = fetch(f"{live_server}/mturk/work/{assignment_id}").html.one("iframe")

    assert iframe["src"].startswith(f"{live_server}/somewhere?hitId=")
    assert iframe["sandbox"] == SANDBOX_ATTRIBUTE


def test_frame_height_zero_lets_the_frame_fill_the_page(live_server, factory, sandbox_hit):
    _, hit_id = sandbox_hit(html_question("<p>Hello</p>", height=0))
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit_id)

    iframe = fetch(f"{live_server}/mturk/work/{assignment_id}").html.one("iframe")

    assert "height" not in iframe
    assert iframe["class"] == "task auto"


def test_question_form_frame_renders_each_answer_kind_as_a_plain_form(live_server, factory, sandbox_hit):
    form = f"""<QuestionForm xmlns="{SCHEMAS}2017-11-06/QuestionForm.xsd">
      <Overview><Title>Birds</Title><Binary><MimeType><Type>image</Type></MimeType>
        <DataURL>https://example.org/bird.png</DataURL><AltText>a bird</AltText></Binary></Overview>
      <Question><QuestionIdentifier>kind</QuestionIdentifier><IsRequired>true</IsRequired>
        <QuestionContent><Text>Which bird?</Text></QuestionContent>
        <AnswerSpecification><SelectionAnswer><StyleSuggestion>dropdown</StyleSuggestion><Selections>
          <Selection><SelectionIdentifier>owl</SelectionIdentifier><Text>Owl</Text></Selection>
          <Selection><SelectionIdentifier>jay</SelectionIdentifier><Text>Jay</Text></Selection>
        </Selections></SelectionAnswer></AnswerSpecification></Question>
      <Question><QuestionIdentifier>seen</QuestionIdentifier>
        <QuestionContent><FormattedContent><![CDATA[<b>Where</b> did you see it?]]></FormattedContent>
        </QuestionContent>
        <AnswerSpecification><SelectionAnswer><MaxSelectionCount>2</MaxSelectionCount><Selections>
          <Selection><SelectionIdentifier>park</SelectionIdentifier><Text>Park</Text></Selection>
          <Selection><SelectionIdentifier>home</SelectionIdentifier><Text>Home</Text></Selection>
        </Selections></SelectionAnswer></AnswerSpecification></Question>
      <Question><QuestionIdentifier>count</QuestionIdentifier>
        <QuestionContent><Text>How many?</Text></QuestionContent>
        <AnswerSpecification><FreeTextAnswer><Constraints><IsNumeric minValue="1" maxValue="9"/></Constraints>
        </FreeTextAnswer></AnswerSpecification></Question>
      <Question><QuestionIdentifier>note</QuestionIdentifier>
        <QuestionContent><Text>Anything else?</Text></QuestionContent>
        <AnswerSpecification><FreeTextAnswer><Constraints><Length minLength="2" maxLength="80"/></Constraints>
        <DefaultText>none</DefaultText><NumberOfLinesSuggestion>4</NumberOfLinesSuggestion></FreeTextAnswer>
        </AnswerSpecification></Question>
    </QuestionForm>"""
    _, hit_id = sandbox_hit(form)
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit_id)

    _, frame = task_frame(live_server, assignment_id)
    page = frame.html

    assert frame.headers["Content-Security-Policy"] == CSP_SANDBOX
    assert page.one("form")["action"] == f"{live_server}/mturk/externalSubmit"
    assert page.one("input", name="assignmentId")["value"] == assignment_id
    assert page.one("img", src="https://example.org/bird.png")["alt"] == "a bird"
    assert "required" in page.one("select", name="kind")
    assert [o["value"] for o in page.all("option")] == ["", "owl", "jay"]
    assert [i["value"] for i in page.all("input", type="checkbox", name="seen")] == ["park", "home"]
    assert "<b>Where</b> did you see it?" in frame.body
    assert page.one("input", name="count") == {"type": "number", "name": "count", "value": "", "min": "1",
                                               "max": "9"}
    assert page.one("textarea", name="note") == {"name": "note", "rows": "4", "minlength": "2",
                                                 "maxlength": "80"}
    assert "none" in page.text and "disabled" not in page.one("button", id="submitButton")


# ---- previews -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "frame_path"), [(HTML_QUESTION, "/mturk/frame/preview/"),
                                                      (EXTERNAL_QUESTION, None)])
def test_preview_shows_assignment_id_not_available_and_no_worker_id(
        live_server, factory, sandbox_hit, question, frame_path):
    _, hit_id = sandbox_hit(question)
    factory.worker("previewer", marketplace=Marketplace.SANDBOX)

    preview = fetch(f"{live_server}/mturk/preview/{hit_id}", headers=basic_auth("previewer"))
    iframe = preview.html.one("iframe")

    assert preview.status == 200
    assert ("assignmentId", "ASSIGNMENT_ID_NOT_AVAILABLE") in query_of(iframe["src"])
    assert "workerId" not in dict(query_of(iframe["src"]))
    assert dict(query_of(iframe["src"]))["hitId"] == hit_id
    assert not preview.html.all("form")  # no Return button: nothing is held yet
    if frame_path:
        assert urlsplit(iframe["src"]).path == frame_path + hit_id
        frame = fetch(iframe["src"], headers=basic_auth("previewer"))
        assert frame.headers["Content-Security-Policy"] == CSP_SANDBOX


def test_preview_of_a_question_form_cannot_be_submitted(live_server, factory, sandbox_hit):
    _, hit_id = sandbox_hit(QUESTION_FORM)
    factory.worker("looker", marketplace=Marketplace.SANDBOX)

    frame = fetch(f"{live_server}/mturk/frame/preview/{hit_id}", headers=basic_auth("looker"))

    assert frame.html.one("input", name="assignmentId")["value"] == "ASSIGNMENT_ID_NOT_AVAILABLE"
    assert "disabled" in frame.html.one("button", id="submitButton")


@pytest.mark.parametrize("headers", [{}, basic_auth("previewer", "wrong-password"),
                                     {"Authorization": "Bearer some-token"}])
def test_preview_asks_the_worker_to_sign_in(live_server, factory, sandbox_hit, headers):
    _, hit_id = sandbox_hit()
    factory.worker("previewer", marketplace=Marketplace.SANDBOX)

    reply = fetch(f"{live_server}/mturk/preview/{hit_id}", headers=headers)

    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith('Basic realm="LabelHub workers"')
    assert not reply.html.all("iframe")


@pytest.mark.parametrize(("guarded", "status"), [("PreviewAndAccept", 403),
                                                 ("DiscoverPreviewAndAccept", 404)])
def test_preview_applies_the_hits_qualification_requirements(live_server, factory, sandbox_hit, guarded,
                                                             status):
    canada_only = [{"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo",
                    "LocaleValues": [{"Country": "CA"}], "ActionsGuarded": guarded}]
    _, hit_id = sandbox_hit(QualificationRequirements=canada_only)
    factory.worker("usworker", country="US", marketplace=Marketplace.SANDBOX)

    reply = fetch(f"{live_server}/mturk/frame/preview/{hit_id}", headers=basic_auth("usworker"))

    assert reply.status == status
    assert not reply.html.all("form")


# ---- refusals and the Return button -------------------------------------------------------------------

@pytest.mark.parametrize("assignment_id", ["3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-an-id", "a" * 300])
@pytest.mark.parametrize("page", ["work", "frame"])
def test_unknown_assignment_is_not_found(live_server, assignment_id, page):
    reply = fetch(f"{live_server}/mturk/{page}/{assignment_id}")

    assert reply.status == 404
    assert "does not exist" in reply.html.text


def test_hit_made_from_a_labelhub_template_is_not_shown_as_an_mturk_frame(live_server, factory, runtime):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    worker = factory.worker()
    assignment_id = accept(live_server, worker, hit.public_id, marketplace="production")

    reply = fetch(f"{live_server}/mturk/work/{assignment_id}")

    assert reply.status == 403
    assert "LabelHub's own task templates" in reply.html.text


def test_work_page_of_a_submitted_assignment_shows_its_status_and_no_frame(live_server, factory, sandbox_hit,
                                                                          runtime):
    _, hit_id = sandbox_hit()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)
    assignments.submit(runtime, worker.actor, assignment_id, {"comment": "done"})

    work = fetch(f"{live_server}/mturk/work/{assignment_id}")
    frame = fetch(f"{live_server}/mturk/frame/{assignment_id}")

    assert work.status == 200 and "This assignment is Submitted" in work.html.text
    assert not work.html.all("iframe") and not work.html.all("form")
    assert frame.status == 409 and "can no longer be worked on" in frame.html.text


def test_return_button_gives_the_assignment_back(live_server, factory, sandbox_hit, runtime):
    client, hit_id = sandbox_hit()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)

    returned = post_form(f"{live_server}/mturk/work/{assignment_id}/return", [],
                         headers={"Origin": live_server})
    after = fetch(f"{live_server}/mturk/work/{assignment_id}")

    assert (returned.status, returned.headers["Location"]) == (303, f"/mturk/work/{assignment_id}")
    assert "This assignment is Returned" in after.html.text
    assert assignments.get_assignment(runtime, worker.actor, assignment_id).status.value == "Returned"
    assert client.get_hit(HITId=hit_id)["HIT"]["NumberOfAssignmentsAvailable"] == 3


@pytest.mark.parametrize("sent_from", ["null", "https://evil.example"])
def test_return_button_refuses_posts_from_other_origins(live_server, factory, sandbox_hit, runtime,
                                                       sent_from):
    _, hit_id = sandbox_hit()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)

    refused = post_form(f"{live_server}/mturk/work/{assignment_id}/return", [], headers={"Origin": sent_from})

    assert refused.status == 403
    assert assignments.get_assignment(runtime, worker.actor, assignment_id).status.value == "Accepted"


# ---- pure functions ------------------------------------------------------------------------------------

def test_read_question_reads_mturks_three_formats_and_nothing_else():
    html, external, form = (rendering.read_question(q)
                            for q in (HTML_QUESTION, EXTERNAL_QUESTION, QUESTION_FORM))

    assert (html.kind, html.frame_height, "mturk_form" in html.html) == ("html", 450, True)
    assert (external.kind, external.frame_height, external.url) == \
        ("external", 600, "https://example.org/task?item=7&lang=en")
    assert [q.identifier for q in form.items] == ["colour", "why"]
    assert [q.answer for q in form.items] == ["radio", "text"]
    assert form.selection_ids == {"colour"}
    assert rendering.read_question("<p>Is there a cat in ${image}?</p>") is None


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/mturk-public/externalHIT_v1.js",
    "http://s3.amazonaws.com/mturk-public/externalHIT_v1.js",
    "//s3.amazonaws.com/mturk-public/externalHIT_v1.js",
    "https://mturk-public.s3.amazonaws.com/externalHIT_v1.js",
    "HTTPS://S3.AMAZONAWS.COM/mturk-public/externalHIT_v1.js"])
def test_rewrite_html_points_every_spelling_of_mturks_script_at_the_shim(url):
    rewritten = rendering.rewrite_html(f'<script src="{url}"></script>', external_hit_js="/shim.js",
                                       crowd_elements_js="/crowd.js", submit_url="/submit")

    assert rewritten == '<script src="/shim.js"></script>'


@pytest.mark.parametrize("action", ["https://www.mturk.com/mturk/externalSubmit",
                                    "https://workersandbox.mturk.com/mturk/externalSubmit",
                                    "http://www.mturk.com/mturk/externalSubmit"])
def test_rewrite_html_points_mturks_external_submit_at_labelhub(action):
    rewritten = rendering.rewrite_html(
        f'<form action="{action}"></form><a href="https://www.mturk.com/">x</a>',
        external_hit_js="", crowd_elements_js="", submit_url="https://lh/submit")

    assert rewritten == '<form action="https://lh/submit"></form><a href="https://www.mturk.com/">x</a>'


def test_frame_query_has_mturks_order_and_no_worker_in_preview():
    working = rendering.frame_query(hit_id="H", assignment_id="A", worker_id="W", submit_to="https://lh")
    preview = rendering.frame_query(hit_id="H", assignment_id=None, worker_id="W", submit_to="https://lh")

    assert working == [("hitId", "H"), ("assignmentId", "A"), ("turkSubmitTo", "https://lh"),
                       ("workerId", "W")]
    assert preview == [("hitId", "H"), ("assignmentId", "ASSIGNMENT_ID_NOT_AVAILABLE"),
                       ("turkSubmitTo", "https://lh")]
    assert rendering.add_query("https://x.org/a?b=1#top", [("c", "2 3")]) == "https://x.org/a?b=1&c=2+3#top"
    assert rendering.add_query("https://x.org/a", [("turkSubmitTo", "https://lh")]) == \
        "https://x.org/a?turkSubmitTo=https://lh"


# ---- HIT layouts ----------------------------------------------------------------------------------------

def test_layout_registry_ids_look_like_mturks_and_declare_every_placeholder():
    for layout in layouts.LAYOUTS.values():
        assert re.fullmatch(r"[A-Z0-9]{30}", layout.layout_id)
        assert set(layouts.PLACEHOLDER.findall(layout.template)) == set(layout.parameters)


def layout_params(layout_id: str = "LABELHUBIMAGECLASSIFICATION001", **values: str) -> Params:
    given = {"image_url": "https://example.org/cat.png", "question": "Cat or dog?",
             "categories": "cat|dog"} | values
    return Params({"HITLayoutId": layout_id,
                   "HITLayoutParameters": [{"Name": k, "Value": v} for k, v in given.items()]})


def test_layout_question_is_an_html_question_with_escaped_parameters():
    question = layouts.question_from(layout_params(question='Is it a <script>alert("cat")</script>?]]>'))
    shown = rendering.read_question(question)

    questions.validate_question(question)
    assert (shown.kind, shown.frame_height) == ("html", 600)
    assert "<h1>Is it a &lt;script&gt;alert(&quot;cat&quot;)&lt;/script&gt;?]]&gt;</h1>" in shown.html
    assert '<img src="https://example.org/cat.png"' in shown.html
    assert 'data-categories="cat|dog"' in shown.html


def test_question_from_without_a_layout_is_the_question_as_given():
    assert layouts.question_from(Params({"Question": HTML_QUESTION})) == HTML_QUESTION
    assert layouts.question_from(Params({})) == ""


@pytest.mark.parametrize(("body", "field", "text"), [
    ({"HITLayoutId": "LABELHUBNOSUCHLAYOUT0000000001"}, "HITLayoutId", "is not a LabelHub layout"),
    ({"HITLayoutId": "lower-case"}, "HITLayoutId", "is not an id of 1-64 upper-case letters"),
    ({"HITLayoutId": "LABELHUBTEXTCLASSIFICATION0001",
      "HITLayoutParameters": [{"Name": "text", "Value": "t"}]}, "HITLayoutParameters",
     "needs a parameter named 'question'"),
    ({"HITLayoutParameters": [{"Name": "text", "Value": "t"}]}, "HITLayoutParameters", "needs a HITLayoutId"),
    ({"HITLayoutId": "LABELHUBTEXTCLASSIFICATION0001", "Question": HTML_QUESTION}, "HITLayoutId",
     "cannot be combined with Question"),
    ({"HITLayoutId": "LABELHUBTEXTCLASSIFICATION0001",
      "HITLayoutParameters": [{"Name": "text", "Value": "a"}, {"Name": "text", "Value": "b"}]},
     "HITLayoutParameters[1].Name", "'text' is given twice"),
    ({"HITLayoutId": "LABELHUBTEXTCLASSIFICATION0001", "HITLayoutParameters": [{"Value": "b"}]},
     "HITLayoutParameters[0].Name", "is required"),
])
def test_question_from_a_bad_layout_names_the_problem(body, field, text):
    with pytest.raises(InvalidInputError) as caught:
        layouts.question_from(Params(body))

    assert list(caught.value.fields) == [field]
    assert text in caught.value.fields[field]


def test_layout_refuses_a_parameter_it_does_not_have():
    with pytest.raises(InvalidInputError) as caught:
        layouts.question_from(layout_params(colour="red"))

    assert caught.value.fields == {"HITLayoutParameters": "layout LABELHUBIMAGECLASSIFICATION001 has no "
                                                          "parameter named 'colour'"}


def test_layout_hit_is_worked_on_and_answered_through_the_frame(live_server, factory, connect, runtime):
    requester = factory.requester()
    question = layouts.question_from(Params({
        "HITLayoutId": "LABELHUBTEXTCLASSIFICATION0001",
        "HITLayoutParameters": [{"Name": "text", "Value": "I <3 it"}, {"Name": "question", "Value": "Mood?"},
                                {"Name": "categories", "Value": "positive|negative"}]}))
    hit = hits.create_hit(runtime, requester.sandbox(), CreateHIT(
        question=question, lifetime_seconds=3600, max_assignments=1, hit_type=factory.hit_type_spec())).value
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit.public_id)

    iframe, frame = task_frame(live_server, assignment_id)
    submitted = fill_and_submit(iframe["src"], frame, {"category": "positive"})
    answer = connect(requester).get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]

    assert "<blockquote>I &lt;3 it</blockquote>" in frame.body
    assert frame.html.one("script", src=f"{live_server}/mturk/static/externalHIT_v1.js") == \
        {"src": f"{live_server}/mturk/static/externalHIT_v1.js"}
    assert submitted.status == 200
    assert answer.endswith("<Answer><QuestionIdentifier>category</QuestionIdentifier>"
                           "<FreeText>positive</FreeText></Answer></QuestionFormAnswers>")


# ---- the requester guide --------------------------------------------------------------------------------

def test_guide_page_explains_the_endpoints_tools_and_layouts(live_server):
    guide = fetch(f"{live_server}/mturk/")

    assert guide.status == 200 and guide.headers["Content-Type"].startswith("text/html")
    assert guide.html.one("code", id="production-endpoint") == {"id": "production-endpoint"}
    assert f"{live_server}/mturk/production" in guide.body and f"{live_server}/mturk/sandbox" in guide.body
    assert all(name in guide.html.text for name in ("psiTurk", "Mephisto", "Dallinger",
                                                    "AWS_ENDPOINT_URL_MTURK", "labelhub requester create",
                                                    "Known differences"))
    assert f"AWS_ENDPOINT_URL_SNS={live_server}/mturk/sns" in guide.html.text
    assert all(layout_id in guide.body for layout_id in layouts.LAYOUTS)
    assert "script-src 'self'" in guide.headers["Content-Security-Policy"]


# ---- in a real browser (Debian's Chromium through Playwright) --------------------------------------------

@pytest.fixture
def worker_browser(chromium, live_server):
    """A browser profile holding a LabelHub session cookie, as a signed-in worker's does."""
    context = chromium.new_context(base_url=live_server)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "session", "value": "the-workers-session", "url": live_server}])
    yield context.new_page()
    context.close()


PROBES = """<script src="https://s3.amazonaws.com/mturk-public/externalHIT_v1.js"></script>
<form id="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
  <input type="hidden" id="assignmentId" name="assignmentId" value="">
  <input type="hidden" id="cookie" name="cookie"><input type="hidden" id="parent" name="parent">
  <input type="hidden" id="storage" name="storage">
  <textarea id="comment" name="comment"></textarea><input type="submit" id="submitButton" value="Submit">
</form>
<script>
  function probe(id, read) {
    var seen; try { seen = String(read()); } catch (e) { seen = "blocked"; }
    document.getElementById(id).value = seen;
  }
  probe("cookie", function () { return document.cookie; });
  probe("parent", function () { return window.parent.document.title; });
  probe("storage", function () { return window.localStorage.length; });
  turkSetAssignmentID();
</script>"""


def test_html_question_runs_in_a_sandbox_that_cannot_reach_the_workers_session(
        live_server, factory, sandbox_hit, worker_browser):
    from playwright.sync_api import expect

    client, hit_id = sandbox_hit(html_question(PROBES))
    assignment_id = accept(live_server, factory.worker(marketplace=Marketplace.SANDBOX), hit_id)

    worker_browser.goto(f"/mturk/work/{assignment_id}")
    frame = worker_browser.frame_locator("#task-frame")
    frame.locator("#comment").fill("a red bicycle")
    frame.locator("#submitButton").click()
    expect(frame.locator("h1")).to_contain_text("your answer was submitted")
    answer = client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]

    assert re.search(r"\d+:\d\d", worker_browser.locator("#timer").inner_text())
    for name, value in (("cookie", "blocked"), ("parent", "blocked"), ("storage", "blocked"),
                        ("comment", "a red bicycle")):
        assert f"<QuestionIdentifier>{name}</QuestionIdentifier><FreeText>{value}</FreeText>" in answer
    assert "the-workers-session" not in answer and "assignmentId" not in answer


def test_question_form_and_crowd_form_are_answered_in_a_real_browser(
        live_server, factory, sandbox_hit, worker_browser):
    from playwright.sync_api import expect

    client, form_hit = sandbox_hit(QUESTION_FORM)
    _, crowd_hit = sandbox_hit(html_question(
        '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script><crowd-form>'
        '<input name="weather" id="weather"><crowd-button form-action="submit">Send</crowd-button>'
        "</crowd-form>", height=0))
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    form_assignment = accept(live_server, worker, form_hit)
    crowd_assignment = accept(live_server, worker, crowd_hit)

    worker_browser.goto(f"/mturk/work/{form_assignment}")
    frame = worker_browser.frame_locator("#task-frame")
    frame.get_by_label("Red").check()
    frame.locator("input[name=why]").fill("it is bright")
    frame.locator("#submitButton").click()
    expect(frame.locator("h1")).to_contain_text("your answer was submitted")
    worker_browser.goto(f"/mturk/work/{crowd_assignment}")
    frame = worker_browser.frame_locator("#task-frame")
    frame.locator("#weather").fill("sunny")
    frame.locator("crowd-button").click()
    expect(frame.locator("h1")).to_contain_text("your answer was submitted")

    form_answer = client.get_assignment(AssignmentId=form_assignment)["Assignment"]["Answer"]
    crowd_answer = client.get_assignment(AssignmentId=crowd_assignment)["Assignment"]["Answer"]
    assert "<QuestionIdentifier>colour</QuestionIdentifier><SelectionIdentifier>red</SelectionIdentifier>" \
        in form_answer
    assert "<QuestionIdentifier>why</QuestionIdentifier><FreeText>it is bright</FreeText>" in form_answer
    assert ('<QuestionIdentifier>taskAnswers</QuestionIdentifier><FreeText>[{"weather":"sunny"}]</FreeText>'
            in crowd_answer)


def test_return_button_works_from_the_work_page_in_a_real_browser(live_server, factory, sandbox_hit,
                                                                  worker_browser, runtime):
    _, hit_id = sandbox_hit()
    worker = factory.worker(marketplace=Marketplace.SANDBOX)
    assignment_id = accept(live_server, worker, hit_id)

    worker_browser.goto(f"/mturk/work/{assignment_id}")
    worker_browser.locator("#return-button").click()
    worker_browser.wait_for_url(f"**/mturk/work/{assignment_id}")

    assert "This assignment is Returned" in worker_browser.locator("h1").inner_text()
    assert assignments.get_assignment(runtime, worker.actor, assignment_id).status.value == "Returned"
