"""The workers pages: the list (paged, searched), a worker's page (404 outside the requester's scope),
and the actions other pages post to (block, unblock, message, bonus, grant a qualification): CSRF,
flashes naming the problem with nothing written, and ``next`` kept on this site."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from labelhub.models import Bonus, WorkerBlock, WorkerMessage
from labelhub.services import assignments, consensus, qualifications
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.commands import QualificationTypeSpec
from labelhub.web import requester_workers
from tests.crowd import make_crowd
from tests.web.conftest import TOKEN, text_of
from tests.web.test_requester_batches import signed_in


def _count(runtime, model) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def _submitted(runtime, factory, requester, worker, *, approve=False):
    hit = factory.hit(requester.actor)
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"answer": "yes"})
    if approve:
        assignments.approve(runtime, requester.actor, taken.public_id)
    return taken


@pytest.fixture
def owner(factory):
    return factory.requester("owner-co")


@pytest.fixture
def browser(app, owner):
    return signed_in(app, owner, "owner-co")


@pytest.fixture
def worker(factory):
    return factory.worker()


@pytest.fixture
def done(runtime, factory, owner, worker):
    """An approved assignment of the worker on the owner's HIT."""
    return _submitted(runtime, factory, owner, worker, approve=True)


def _token(browser, path):
    return TOKEN.search(text_of(browser.get(path))).group(1)


def _post(browser, worker_id, action, data, *, follow=True):
    page = f"/requester/workers/{worker_id}"
    return browser.post(f"{page}/{action}", data={"csrf_token": _token(browser, page)} | data,
                        follow_redirects=follow)


def _flashes(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)]


def test_block_and_unblock(runtime, browser, worker, done):
    worker_id = worker.actor.public_id

    blocked = _post(browser, worker_id, "block", {"reason": "Random answers"})
    assert _count(runtime, WorkerBlock) == 1
    assert f"Blocked worker {worker_id}" in _flashes(text_of(blocked))[0]
    assert "blocked: Random answers" in text_of(blocked)

    unblocked = _post(browser, worker_id, "unblock", {})
    assert _count(runtime, WorkerBlock) == 0
    assert f"Unblocked worker {worker_id}." in _flashes(text_of(unblocked))


def test_block_without_a_reason_is_refused(runtime, browser, worker, done):
    response = _post(browser, worker.actor.public_id, "block", {"reason": "  "})

    assert _count(runtime, WorkerBlock) == 0
    assert "reason: is required" in _flashes(text_of(response))[0]


def test_message_reaches_a_reviewed_worker_only(runtime, factory, browser, owner, worker, done):
    sent = _post(browser, worker.actor.public_id, "message", {"subject": "Thanks", "body": "More soon."})
    unreviewed = factory.worker()
    _submitted(runtime, factory, owner, unreviewed)
    refused = _post(browser, unreviewed.actor.public_id, "message", {"subject": "Hi", "body": "Hello"})

    assert _count(runtime, WorkerMessage) == 1
    assert "Message sent" in _flashes(text_of(sent))[0]
    assert "not sent: You have not approved or rejected any work of this worker" in _flashes(text_of(refused))[0]


def test_bonus_is_paid_once_per_form(runtime, browser, worker, done):
    form = {"assignment_id": done.public_id, "amount": "$0.25", "reason": "Careful work", "token": "form-1"}

    paid = _post(browser, worker.actor.public_id, "bonus", form)
    again = _post(browser, worker.actor.public_id, "bonus", form)

    with runtime.sessions() as db:
        bonuses = db.scalars(select(Bonus)).all()
    assert [b.amount_micros for b in bonuses] == [250_000]
    assert "Paid a bonus of $0.25" in _flashes(text_of(paid))[0]
    assert "already paid" in _flashes(text_of(again))[0]


@pytest.mark.parametrize(("change", "problem"), [
    ({"amount": "ten dollars"}, "amount: 'ten dollars' is not an amount"),
    ({"amount": "0"}, "amount: must be a positive amount"),
    ({"reason": ""}, "reason: is required"),
    ({"assignment_id": "NOSUCHASSIGNMENT"}, "Assignment NOSUCHASSIGNMENT does not exist."),
])
def test_bad_bonus_is_refused_with_the_problem(runtime, browser, worker, done, change, problem):
    form = {"assignment_id": done.public_id, "amount": "0.25", "reason": "Careful work"} | change

    response = _post(browser, worker.actor.public_id, "bonus", form)

    assert _count(runtime, Bonus) == 0
    assert problem in _flashes(text_of(response))[0]


def test_bonus_for_another_requesters_assignment_is_refused(runtime, factory, browser, worker, done):
    theirs = _submitted(runtime, factory, factory.requester(), worker, approve=True)

    response = _post(browser, worker.actor.public_id, "bonus",
                     {"assignment_id": theirs.public_id, "amount": "0.25", "reason": "Careful work"})

    assert _count(runtime, Bonus) == 0
    assert f"Assignment {theirs.public_id} does not exist." in _flashes(text_of(response))[0]


def test_grant_a_qualification(runtime, browser, owner, worker, done):
    made = qualifications.create_type(runtime, owner.actor, QualificationTypeSpec(name="Careful", description="x"))

    page = _post(browser, worker.actor.public_id, "qualifications", {"qualification_type_id": made.public_id,
                                                                     "value": "80"})
    refused = _post(browser, worker.actor.public_id, "qualifications", {"qualification_type_id": made.public_id,
                                                                        "value": "lots"})

    assert qualifications.get_score(runtime, owner.actor, made.public_id, worker.actor.public_id).integer_value == 80
    assert "Granted Careful" in _flashes(text_of(page))[0]
    assert "value: must be a whole number" in _flashes(text_of(refused))[0]
    assert re.search(r'<a href="/requester/qualification-types/\w+">Careful</a></td>\s*<td class="number">80</td>',
                     text_of(page))


@pytest.mark.parametrize(("target", "lands"), [
    ("/requester/batches?x=1", "/requester/batches?x=1"),
    ("//evil.com/x", None),
    ("https://evil.com/x", None),
    ("/\\evil.com", None),
])
def test_next_stays_on_this_site(browser, worker, done, target, lands):
    response = _post(browser, worker.actor.public_id, "unblock", {"next": target}, follow=False)

    assert response.status_code == 303
    assert response.location == (lands or f"/requester/workers/{worker.actor.public_id}")


def test_actions_need_the_csrf_token(runtime, browser, worker, done):
    response = browser.post(f"/requester/workers/{worker.actor.public_id}/block", data={"reason": "Spam"})

    assert response.status_code == 400
    assert _count(runtime, WorkerBlock) == 0


def test_workers_outside_the_scope_are_not_found(runtime, app, factory, browser, worker, done):
    stranger = factory.worker()
    other = signed_in(app, factory.requester("other-co"), "other-co")
    token = _token(other, "/requester/workers")

    assert browser.get(f"/requester/workers/{stranger.actor.public_id}").status_code == 404
    assert other.get(f"/requester/workers/{worker.actor.public_id}").status_code == 404
    refused = other.post(f"/requester/workers/{worker.actor.public_id}/block",
                         data={"csrf_token": token, "reason": "Spam"})
    assert refused.status_code == 404
    assert _count(runtime, WorkerBlock) == 0


def test_workers_list_pages_and_searches(runtime, factory, browser, owner, monkeypatch):
    monkeypatch.setattr(requester_workers, "PAGE_SIZE", 1)
    first, second = factory.worker(), factory.worker()
    _submitted(runtime, factory, owner, first, approve=True)
    _submitted(runtime, factory, owner, second)

    page = text_of(browser.get("/requester/workers"))
    following = re.search(r'<a rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    searched = text_of(browser.get(f"/requester/workers?q={second.actor.public_id.lower()}"))

    shown = re.findall(r'<a href="/requester/workers/(\w+)"><code>', page + text_of(browser.get(following)))
    assert shown == [first.actor.public_id, second.actor.public_id]
    assert re.findall(r'<a href="/requester/workers/(\w+)"><code>', searched) == [second.actor.public_id]
    assert "100%" in page  # the first worker's approval rate


def test_worker_page_shows_accuracy_history_and_confusion(runtime, factory, app):
    crowd = make_crowd(runtime, factory, items=6, gold=2, max_assignments=2, gold_assignments=2,
                       quality=QualitySettings.parse({"method": "ds"}))
    good, other = factory.worker(), factory.worker()
    crowd.work(good, 0.95)
    crowd.work(other, 0.9)
    consensus.aggregate_batch(runtime, crowd.batch_id, force=True)
    browser = signed_in(app, crowd.requester, "crowd-co")

    html = text_of(browser.get(f"/requester/workers/{good.actor.public_id}"))

    assert re.search(r'id="consensus-accuracy">\d+% <span class="hint">\(\d+–\d+%\)', html)
    assert re.search(rf'<a href="/requester/batches/{crowd.batch_id}">Tone 3</a>\s*<a class="hint" '
                     rf'href="/requester/batches/{crowd.batch_id}/review\?worker_id={good.actor.public_id}">'
                     rf'review their answers</a></td>\s*<td class="number">{crowd.answered[good.actor.public_id]}</td>',
                     html)
    plot = f"/requester/batches/{crowd.batch_id}/plots/confusion.svg?worker_id={good.actor.public_id}"
    assert plot in html.replace("&amp;", "&")
    svg = browser.get(plot)
    assert svg.status_code == 200 and b"<title>" in svg.data


def test_worker_page_lists_its_keyboard_shortcuts(browser, worker, done):
    html = text_of(browser.get(f"/requester/workers/{worker.actor.public_id}"))

    assert "<kbd>b</kbd> block" in html and 'data-shortcut="b"' in html
    assert 'src="/web-static/requester_workers.js"' in html
