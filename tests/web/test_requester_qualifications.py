"""The qualification type pages: create a type (on request, automatic, or with a test built in the form)
that the worker pages can show and score, a type's holders and requests with their actions, 404 for
another requester's type, and CSRF."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from labelhub.models import QualificationType
from labelhub.services import qualifications
from labelhub.services.commands import QualificationTypeSpec
from labelhub.web import requester_qualifications
from tests.web.conftest import TOKEN, text_of
from tests.web.test_requester_batches import signed_in

TYPES = "/requester/qualification-types"
TWO_QUESTIONS = {
    "question-1-text": "Which word is a colour?", "question-1-option-1": "Table", "question-1-option-2": "Green",
    "question-1-option-3": "Run", "question-1-correct": "2", "question-1-points": "1",
    "question-2-text": "What is 3 + 4?", "question-2-option-1": "7", "question-2-option-2": "8",
    "question-2-correct": "1", "question-2-points": "4",
}


def _types(runtime) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(QualificationType))


def _flashes(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)]


@pytest.fixture
def owner(factory):
    return factory.requester("owner-co")


@pytest.fixture
def browser(app, owner):
    return signed_in(app, owner, "owner-co")


def _post(browser, path, data, *, page=TYPES, follow=True):
    token = TOKEN.search(text_of(browser.get(page))).group(1)
    return browser.post(path, data={"csrf_token": token} | data, follow_redirects=follow)


def _new(browser, **fields):
    data = {"name": "Careful reader", "description": "Reads closely.", "status": "Active", "granting": "request"}
    return _post(browser, TYPES, data | fields, follow=False)


def test_create_a_requestable_type(runtime, browser):
    response = _new(browser, keywords="reading", retry_minutes="30")

    assert response.status_code == 303
    page = text_of(browser.get(response.location))
    assert "<h1>Careful reader" in page and "by you, on request" in page and "after 30 minutes" in page
    assert _flashes(page) == ["Created the qualification type Careful reader."]
    listed = text_of(browser.get(TYPES))
    assert re.search(r'<a href="/requester/qualification-types/\w+" data-shortcut="/">Careful reader</a>', listed)


def test_create_an_automatic_type(runtime, browser, owner):
    response = _new(browser, granting="auto", auto_value="7")

    made = qualifications.get_type(runtime, owner.actor, response.location.rsplit("/", 1)[-1])
    assert (made.auto_granted, made.auto_granted_value, made.test) == (True, 7, None)


def test_a_test_built_in_the_form_is_taken_and_scored_on_the_worker_pages(runtime, app, browser, make_worker, pages):
    response = _new(browser, granting="test", test_minutes="15", **TWO_QUESTIONS)
    type_id = response.location.rsplit("/", 1)[-1]
    owners_view = text_of(browser.get(response.location))
    worker = make_worker()
    pages.sign_in(worker)

    test_page = text_of(pages.get(f"/qualifications/{type_id}"))
    taken = pages.post(f"/qualifications/{type_id}", {"q1": "b", "q2": "b"}, token_from=f"/qualifications/{type_id}")

    assert re.search(r'<li class="right-answer">Green\s*<strong>&check; 1 point</strong>', owners_view)
    assert 'value="b"' in test_page and "Which word is a colour?" in test_page and "Allow 15 minutes" in test_page
    assert '<strong id="score">1</strong>' in text_of(taken)
    holders = text_of(browser.get(response.location))
    assert worker.actor.public_id in holders


@pytest.mark.parametrize(("fields", "problem"), [
    ({"granting": "test", "test_minutes": "10", "question-1-text": "Pick", "question-1-option-1": "only",
      "question-1-correct": "1"}, ("question 1", "needs 2 to 6 options (got 1)")),
    ({"granting": "test", "test_minutes": "10", "question-1-text": "Pick", "question-1-option-1": "a",
      "question-1-option-2": "b"}, ("question 1", "needs its right option marked")),
    ({"granting": "test", "test_minutes": "10"}, ("questions", "give 1 to 50 questions")),
    ({"granting": "test", "test_minutes": "soon", **TWO_QUESTIONS}, ("test_duration", "must be a whole number")),
    ({"name": ""}, ("name", "is required")),
    ({"retry_minutes": "x"}, ("retry_minutes", "must be a whole number")),
])
def test_bad_forms_are_refused_naming_the_field(runtime, browser, fields, problem):
    response = _new(browser, **fields)

    assert response.status_code == 422
    assert _types(runtime) == 0
    name, text = problem
    assert f"<strong>{name.replace('_', ' ')}</strong> {text}" in html.unescape(text_of(response))
    if "question-1-text" in fields:  # what was typed is shown again
        assert f">{fields['question-1-text']}</textarea>" in text_of(response)


def test_a_name_in_use_is_refused(runtime, browser):
    _new(browser)

    again = _new(browser)

    assert again.status_code == 409 and _types(runtime) == 1
    assert "already created a QualificationType with this name" in html.unescape(text_of(again))


def _made(runtime, owner, name="Careful"):
    return qualifications.create_type(runtime, owner.actor, QualificationTypeSpec(name=name, description="x")).public_id


def test_grant_change_and_revoke_holders(runtime, browser, owner, factory):
    type_id, worker_id = _made(runtime, owner), factory.worker().actor.public_id
    page = f"{TYPES}/{type_id}"

    granted = _post(browser, f"{page}/grant", {"worker_id": worker_id.lower(), "value": "60"}, page=page)
    changed = _post(browser, f"{page}/holders/{worker_id}/score", {"value": "75"}, page=page)
    score = qualifications.get_score(runtime, owner.actor, type_id, worker_id).integer_value
    revoked = _post(browser, f"{page}/holders/{worker_id}/revoke", {"reason": "Out of date"}, page=page)
    unknown = _post(browser, f"{page}/grant", {"worker_id": "ANOSUCHWORKER9", "value": "1"}, page=page)

    assert _flashes(text_of(granted)) == [f"Granted to worker {worker_id} with the value 60."]
    assert _flashes(text_of(changed)) == [f"Worker {worker_id} now has the value 75."] and score == 75
    assert "Revoked" in _flashes(text_of(revoked))[0]
    assert re.search(r'status-revoked">Revoked</span> <span class="hint">Out of date</span>', text_of(revoked))
    assert _flashes(text_of(unknown)) == ["Worker ANOSUCHWORKER9 does not exist"]


def test_accept_and_reject_requests(runtime, browser, owner, factory):
    type_id = _made(runtime, owner)
    first, second = factory.worker(), factory.worker()
    accepted = qualifications.request(runtime, first.actor, type_id).public_id
    rejected = qualifications.request(runtime, second.actor, type_id).public_id
    page = f"{TYPES}/{type_id}"
    before = text_of(browser.get(page))

    _post(browser, f"{page}/requests/{accepted}/accept", {"value": "3"}, page=page)
    after = _post(browser, f"{page}/requests/{rejected}/reject", {"reason": "Not yet"}, page=page)

    assert before.count("/accept") == 2 and "/accept" not in text_of(after)
    assert qualifications.get_score(runtime, owner.actor, type_id, first.actor.public_id).integer_value == 3
    assert _flashes(text_of(after)) == ["Rejected the request."]


def test_deactivate_a_type(runtime, browser, owner):
    type_id = _made(runtime, owner)

    response = _post(browser, f"{TYPES}/{type_id}/status", {"status": "Inactive"}, page=f"{TYPES}/{type_id}")

    assert "Inactive</span></h1>" in text_of(response)
    assert qualifications.get_type(runtime, owner.actor, type_id).status.value == "Inactive"


def test_holders_are_paged(runtime, browser, owner, factory, monkeypatch):
    monkeypatch.setattr(requester_qualifications, "PAGE_SIZE", 1)
    type_id = _made(runtime, owner)
    for value in (1, 2):
        qualifications.grant(runtime, owner.actor, type_id, factory.worker().actor.public_id, value)

    first = text_of(browser.get(f"{TYPES}/{type_id}"))
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")

    assert "holders=" in following
    assert len(re.findall(r'<td class="number">\d</td>', first + text_of(browser.get(following)))) == 2


def test_another_requesters_type_is_not_found(runtime, app, browser, owner, factory):
    type_id = _made(runtime, owner)
    worker_id = factory.worker().actor.public_id
    other = signed_in(app, factory.requester("other-co"), "other-co")
    token = TOKEN.search(text_of(other.get(TYPES))).group(1)

    assert other.get(f"{TYPES}/{type_id}").status_code == 404
    refused = other.post(f"{TYPES}/{type_id}/grant", data={"csrf_token": token, "worker_id": worker_id})
    assert refused.status_code == 404
    assert qualifications.list_workers(runtime, owner.actor, type_id).items == []


def test_forms_need_the_csrf_token(runtime, browser):
    response = browser.post(TYPES, data={"name": "Careful", "description": "x"})

    assert response.status_code == 400 and _types(runtime) == 0


def test_more_question_blocks_keep_what_was_typed_and_create_nothing(runtime, browser):
    response = _post(browser, TYPES, {"name": "Colours", "granting": "test", "more_questions": "6"} | TWO_QUESTIONS)

    page = text_of(response)
    assert response.status_code == 200 and _types(runtime) == 0
    assert 'id="question-6-text"' in page and 'id="question-7-text"' not in page
    assert ">Which word is a colour?</textarea>" in page and 'value="Green"' in page and 'value="Colours"' in page
