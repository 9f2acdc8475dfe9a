"""The review queue page: its filters and pages, the single decisions as forms (CSRF, a required
reason, the redirect back to the next answer), the bulk actions queued as jobs, and 404 for anyone
else's batch or assignment."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from labelhub.models import Assignment, AssignmentStatus, Job
from labelhub.web import requester_review
from tests.review_fixtures import review_batch
from tests.web.conftest import TOKEN, text_of
from tests.web.test_requester_batches import signed_in

ANSWERS = [["positive", "positive", "negative"], ["positive", "negative", "negative"]]


@pytest.fixture
def made(runtime, factory):
    return review_batch(runtime, factory, ANSWERS)


@pytest.fixture
def browser(app, made):
    return signed_in(app, made.requester, "owner-co")


def _queue(made, query=""):
    return f"/requester/batches/{made.batch_id}/review{query}"


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="review-item" id="item-([A-Z0-9]+)"', html)


def _status(runtime, public_id):
    with runtime.sessions() as db:
        return db.scalars(select(Assignment).where(Assignment.public_id == public_id)).one()


def test_the_queue_shows_each_answer_with_its_context_and_pages(browser, made, monkeypatch):
    monkeypatch.setattr(requester_review, "PAGE_SIZE", 4)
    first = text_of(browser.get(_queue(made)))
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(browser.get(following))

    assert _items(first) + _items(second) == [made.of(w, r) for r in range(3) for w in range(2)]
    assert f"/requester/workers/{made.workers[0].actor.public_id}" in first
    assert f"/requester/hits/{made.hit_ids[0]}/fix" in first
    assert "Other answers on this HIT (1)" in first and "Keyboard shortcuts" in first
    assert 'data-readonly="text_classification"' in first  # drawn by the task type's read-only view
    assert "annotators/annotators.css" in first  # with the views' own styles
    assert "review.js" in first and 'action="/requester/batches/' + made.batch_id + '/review-csv"' in first


def test_filters_come_from_the_query_and_bad_ones_are_named(browser, made):
    worker = made.workers[1].actor.public_id
    page = text_of(browser.get(_queue(made, f"?worker_id={worker}&accuracy_below=100")))
    bad = browser.get(_queue(made, "?accuracy_below=lots&status=pending"))

    assert _items(page) == [made.of(1, r) for r in range(3)]
    assert f'value="{worker}"' in page
    assert bad.status_code == 400 and "accuracy_below" in text_of(bad)


def test_approve_and_reject_go_back_to_the_next_answer(browser, runtime, made):
    page = text_of(browser.get(_queue(made, "?worker_id=" + made.workers[0].actor.public_id)))
    token = TOKEN.search(page).group(1)
    back = _queue(made, "?worker_id=" + made.workers[0].actor.public_id)

    approved = browser.post(f"/requester/assignments/{made.of(0, 0)}/approve",
                            data={"csrf_token": token, "next": back, "focus": made.of(0, 1)})
    no_reason = browser.post(f"/requester/assignments/{made.of(0, 1)}/reject",
                             data={"csrf_token": token, "next": back, "focus": made.of(0, 2), "reason": "  "})
    unchanged = _status(runtime, made.of(0, 1)).status
    rejected = browser.post(f"/requester/assignments/{made.of(0, 1)}/reject",
                            data={"csrf_token": token, "next": back, "focus": made.of(0, 2),
                                  "reason": "It is negative."})
    after = text_of(browser.get(back))

    assert approved.status_code == 303 and approved.location.endswith(f"{back}#item-{made.of(0, 1)}")
    assert no_reason.location.endswith(f"#item-{made.of(0, 1)}") and unchanged is AssignmentStatus.SUBMITTED
    assert rejected.location.endswith(f"#item-{made.of(0, 2)}")
    assert _status(runtime, made.of(0, 0)).status is AssignmentStatus.APPROVED
    assert _status(runtime, made.of(0, 1)).requester_feedback == "It is negative."
    assert _items(after) == [made.of(0, 2)]


def test_a_refused_reject_says_why(browser, made):
    token = TOKEN.search(text_of(browser.get(_queue(made)))).group(1)
    page = browser.post(f"/requester/assignments/{made.of(0, 0)}/reject",
                        data={"csrf_token": token, "next": _queue(made), "reason": ""}, follow_redirects=True)
    assert "Nothing changed: reason: a rejection needs a reason: the worker sees it" in text_of(page)


def test_override_approves_a_rejected_answer(browser, runtime, made):
    token = TOKEN.search(text_of(browser.get(_queue(made)))).group(1)
    browser.post(f"/requester/assignments/{made.of(1, 0)}/reject",
                 data={"csrf_token": token, "next": _queue(made), "reason": "Wrong."})
    listed = text_of(browser.get(_queue(made, "?status=rejected")))
    assert _items(listed) == [made.of(1, 0)] and "override the rejection" in listed

    browser.post(f"/requester/assignments/{made.of(1, 0)}/override", data={"csrf_token": token, "next": _queue(made)})
    assert _status(runtime, made.of(1, 0)).status is AssignmentStatus.APPROVED


def test_a_bulk_action_queues_a_job_and_goes_to_its_report(browser, runtime, made):
    token = TOKEN.search(text_of(browser.get(_queue(made)))).group(1)
    refused = browser.post(f"/requester/batches/{made.batch_id}/review/bulk",
                           data={"csrf_token": token, "action": "reject_worker", "next": _queue(made),
                                 "worker_id": made.workers[1].actor.public_id, "reason": ""})
    queued = browser.post(f"/requester/batches/{made.batch_id}/review/bulk",
                          data={"csrf_token": token, "action": "approve_remaining", "next": _queue(made)})

    with runtime.sessions() as db:
        job = db.scalars(select(Job).where(Job.kind == "labelhub.jobs.review_bulk")).one()
    assert refused.status_code == 303 and refused.location.endswith(_queue(made))
    assert queued.status_code == 303 and queued.location.endswith(f"/requester/jobs/{job.public_id}")
    assert job.result["applied"] == 6 and "summary" in job.result
    report = text_of(browser.get(queued.location))
    assert "Approved 6 answer(s) of batch Tones" in report
    assert all(_status(runtime, made.of(w, r)).status is AssignmentStatus.APPROVED for w in range(2) for r in range(3))


def test_forms_need_the_csrf_token(browser, runtime, made):
    answer = browser.post(f"/requester/assignments/{made.of(0, 0)}/approve", data={"next": _queue(made)})
    assert answer.status_code == 400 and _status(runtime, made.of(0, 0)).status is AssignmentStatus.SUBMITTED


def test_someone_elses_batch_and_assignments_are_not_found(app, factory, made):
    stranger = signed_in(app, factory.requester("stranger-co"), "stranger-co")
    token = TOKEN.search(text_of(stranger.get("/requester/batches"))).group(1)
    assert stranger.get(_queue(made)).status_code == 404
    assert stranger.post(f"/requester/assignments/{made.of(0, 0)}/approve",
                         data={"csrf_token": token}).status_code == 404
    assert stranger.post(f"/requester/batches/{made.batch_id}/review/bulk",
                         data={"csrf_token": token, "action": "approve_remaining"}).status_code == 404
