"""The fix-a-label page: the HIT drawn with its task type's own form beside its consensus, saving a
fixed label (CSRF, bad input refused with a 422 page naming the field and nothing written, ``next``
kept to this site), clearing it, and 404 for another requester's HIT."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from labelhub.services import assignments, batch_results, hits, label_fixes
from tests.factories import Factory, RequesterHandle
from tests.web.conftest import TOKEN, text_of
from tests.web.test_requester_batches import signed_in


@pytest.fixture
def owner(factory: Factory) -> RequesterHandle:
    return factory.requester("fixer-co")


@pytest.fixture
def browser(app, owner) -> FlaskClient:
    return signed_in(app, owner, "fixer-co")


@pytest.fixture
def hit_id(runtime, factory, owner, make_batch) -> str:
    """The first HIT of a text-classification batch, answered "negative" by one worker."""
    batch = make_batch(owner.actor, "Reviews", rows=2)
    found = hits.list_hits(runtime, owner.actor, limit=10).items
    first = next(h for h in found if h.batch_id is not None and h.data["text"] == "review 1").public_id
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, first)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "negative"})
    assert batch.public_id
    return first


def _token(browser: FlaskClient, hit_id: str) -> str:
    return TOKEN.search(text_of(browser.get(f"/requester/hits/{hit_id}/fix"))).group(1)


def test_fix_page_draws_the_hit_with_its_task_form_and_the_consensus(browser, hit_id):
    response = browser.get(f"/requester/hits/{hit_id}/fix?next=/requester/batches")
    html = text_of(response)

    assert response.status_code == 200
    assert 'data-annotator="text_classification"' in html and "review 1" in html
    assert f'action="/requester/hits/{hit_id}/label"' in html
    assert 'id="consensus-value">negative' in html and 'id="label-source">consensus' in html
    assert 'name="next" value="/requester/batches"' in html
    assert "<kbd>Enter</kbd>" in html and "Keyboard shortcuts" in html
    assert "clear-fix" not in html  # nothing to clear yet


def test_saving_a_label_fixes_it_and_returns_to_next_or_the_page(runtime, browser, owner, hit_id):
    token = _token(browser, hit_id)
    saved = browser.post(f"/requester/hits/{hit_id}/label", data={
        "csrf_token": token, "answer": '{"label": "positive"}', "next": "/requester/batches"})

    assert saved.status_code == 303 and saved.location == "/requester/batches"
    view = label_fixes.label_view(runtime, owner.actor, hit_id)
    assert view.fixed_answer == {"label": "positive"} and view.source == "fixed"
    html = text_of(browser.get(f"/requester/hits/{hit_id}/fix"))
    assert 'id="fixed-value">positive' in html and 'id="label-source">fixed' in html

    elsewhere = browser.post(f"/requester/hits/{hit_id}/label/clear", data={
        "csrf_token": token, "next": "https://evil.example/x"})
    assert elsewhere.status_code == 303 and elsewhere.location == f"/requester/hits/{hit_id}/fix"
    assert label_fixes.label_view(runtime, owner.actor, hit_id).fixed_answer is None


@pytest.mark.parametrize(("answer", "field"), [
    ('{"label": "purple"}', "answer.label"), ("not json", "answer"), ("", "answer"), ('["positive"]', "answer")])
def test_a_bad_answer_gets_the_page_again_with_422_and_nothing_is_written(runtime, browser, owner, hit_id,
                                                                         answer, field):
    response = browser.post(f"/requester/hits/{hit_id}/label", data={
        "csrf_token": _token(browser, hit_id), "answer": answer, "next": "/requester/batches"})

    html = text_of(response)
    assert response.status_code == 422
    assert 'id="problems"' in html and f"<strong>{field}</strong>" in html
    assert 'data-annotator="text_classification"' in html and 'name="next" value="/requester/batches"' in html
    assert label_fixes.label_view(runtime, owner.actor, hit_id).fixed_answer is None


def test_posts_without_the_csrf_token_are_refused(runtime, browser, owner, hit_id):
    refused = browser.post(f"/requester/hits/{hit_id}/label", data={"answer": '{"label": "positive"}'})
    assert refused.status_code == 400
    assert label_fixes.label_view(runtime, owner.actor, hit_id).fixed_answer is None
    assert browser.post(f"/requester/hits/{hit_id}/label/clear").status_code == 400


def test_another_requesters_hit_is_not_found(app, factory, hit_id):
    stranger = signed_in(app, factory.requester("stranger-co"), "stranger-co")
    assert stranger.get(f"/requester/hits/{hit_id}/fix").status_code == 404
    token = TOKEN.search(text_of(stranger.get("/requester/batches"))).group(1)
    posted = stranger.post(f"/requester/hits/{hit_id}/label", data={"csrf_token": token,
                                                                      "answer": '{"label": "positive"}'})
    assert posted.status_code == 404


def test_signed_out_visitors_go_to_the_requester_sign_in(client, hit_id):
    response = client.get(f"/requester/hits/{hit_id}/fix")
    assert response.status_code == 302 and "/requester/signin" in response.location


def test_the_rest_consensus_listing_shows_the_fixed_label_and_marks_it(runtime, client, owner, hit_id):
    label_fixes.fix_label(runtime, owner.actor, hit_id, {"label": "positive"})
    batch_id = hits.get_hit(runtime, owner.actor, hit_id).batch_id
    public_batch = next(b.batch.public_id for b in batch_results.list_batch_summaries(runtime, owner.actor).items
                        if b.batch.id == batch_id)

    response = client.get(f"/api/v1/requester/batches/{public_batch}/consensus",
                          headers={"Authorization": f"Bearer {owner.credentials.api_token}"})

    assert response.status_code == 200
    (row,) = [item for item in response.get_json()["items"] if item["hit_id"] == hit_id]
    assert (row["value"], row["label_source"], row["consensus"], row["confidence"]) == (
        "positive", "fixed", None, None)  # the aggregation replaced the consensus by the known answer
