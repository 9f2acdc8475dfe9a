"""HITs that are not made with an annotator: MTurk questions (HTMLQuestion, QuestionForm,
ExternalQuestion) shown in their sandboxed frame, and any other HIT answered with a JSON object."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from labelhub.models import Assignment
from labelhub.question_xml import rendering
from labelhub.services import hits
from labelhub.services.commands import CreateHIT
from tests.mturk.conftest import EXTERNAL_QUESTION, HTML_QUESTION, QUESTION_FORM
from tests.web.conftest import text_of


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append({name: value or "" for name, value in attrs})


def iframe_of(page: str) -> dict[str, str]:
    """The page's one iframe's attributes, unescaped as a browser reads them."""
    parser = _Frames()
    parser.feed(page)
    (frame,) = parser.frames
    return frame


@pytest.fixture
def worker(pages, make_worker):
    worker = make_worker()
    pages.sign_in(worker)
    return worker


@pytest.fixture
def post_hit(runtime, factory):
    requester = factory.requester()

    def post(question: str):
        return hits.create_hit(runtime, requester.actor, CreateHIT(
            question=question, lifetime_seconds=3600, max_assignments=3,
            hit_type=factory.hit_type_spec())).value

    return post


def accept(pages, hit) -> str:
    response = pages.post(f"/hits/{hit.public_id}/accept", token_from="/hits")
    return response.headers["Location"].rpartition("/")[2]


def test_html_question_preview_frames_labelhubs_preview_frame(pages, worker, post_hit):
    hit = post_hit(HTML_QUESTION)

    page = text_of(pages.get(f"/hits/{hit.public_id}"))
    frame = iframe_of(page)
    content = pages.get(f"/hits/{hit.public_id}/frame")

    assert frame["src"] == (f"http://localhost/hits/{hit.public_id}/frame?hitId={hit.public_id}"
                            f"&assignmentId={rendering.PREVIEW_ASSIGNMENT_ID}&turkSubmitTo=http://localhost")
    assert frame["sandbox"] == rendering.FRAME_SANDBOX and frame["height"] == "450"
    assert 'id="accept-button"' in page and 'id="task-form"' not in page
    assert content.status_code == 200 and content.headers["Content-Security-Policy"] == rendering.FRAME_CSP
    assert 'action="http://localhost/mturk/externalSubmit"' in text_of(content)


def test_html_question_work_page_frames_the_assignments_mturk_frame(pages, worker, post_hit):
    hit = post_hit(HTML_QUESTION)
    assignment_id = accept(pages, hit)

    response = pages.get(f"/assignments/{assignment_id}")

    frame = iframe_of(text_of(response))
    assert frame["src"] == (f"http://localhost/mturk/frame/{assignment_id}?hitId={hit.public_id}"
                            f"&assignmentId={assignment_id}&turkSubmitTo=http://localhost"
                            f"&workerId={worker.actor.public_id}")
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'id="timer"' in text_of(response) and 'id="return-button"' in text_of(response)


def test_question_form_preview_cannot_be_submitted(pages, worker, post_hit):
    hit = post_hit(QUESTION_FORM)

    content = text_of(pages.get(f"/hits/{hit.public_id}/frame"))

    assert 'value="ASSIGNMENT_ID_NOT_AVAILABLE"' in content
    assert '<button type="submit" id="submitButton" disabled>' in content


def test_external_question_adds_only_its_origin_to_the_frame_sources(pages, worker, post_hit):
    hit = post_hit(EXTERNAL_QUESTION)

    response = pages.get(f"/hits/{hit.public_id}")
    redirect = pages.get(f"/hits/{hit.public_id}/frame")

    policy = response.headers["Content-Security-Policy"]
    assert "frame-src 'self' https://example.org;" in policy + ";" and "frame-ancestors 'none'" in policy
    assert iframe_of(text_of(response))["src"].startswith("https://example.org/task?item=7&lang=en&hitId=")
    assert redirect.status_code == 303
    assert redirect.headers["Location"].startswith("https://example.org/task?")


def test_preview_frame_needs_a_signed_in_worker(client, post_hit):
    hit = post_hit(HTML_QUESTION)

    assert client.get(f"/hits/{hit.public_id}/frame").status_code == 302


def test_plain_hit_shows_its_question_in_a_scriptless_frame_and_takes_json(pages, runtime, worker, post_hit):
    hit = post_hit('<p>Is there a cat?</p><script>steal(document.cookie)</script>')
    assignment_id = accept(pages, hit)

    page = text_of(pages.get(f"/assignments/{assignment_id}"))
    response = pages.post(f"/assignments/{assignment_id}/submit", {"answer": json.dumps({"cat": True})},
                          token_from="/hits")

    frame = iframe_of(page)
    assert frame["sandbox"] == "" and frame["srcdoc"].startswith("<p>Is there a cat?</p>")
    assert "<script>steal" not in page  # only inside the attribute, escaped
    assert '<textarea id="answer-json" name="answer"' in page
    assert response.status_code == 303
    with runtime.sessions() as db:
        answer = db.scalars(select(Assignment.answer).where(Assignment.public_id == assignment_id)).one()
    assert answer == {"cat": True}
