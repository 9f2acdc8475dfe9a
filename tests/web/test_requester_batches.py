"""The requester's batch pages: the list (paged, newest first, HITs without a batch grouped by HIT type),
a batch's page and plots, the actions as forms (CSRF, flashes, what they do to the marketplace and the
balance), the exports, and 404 for anyone else's batch. The public /batches/<id> page is gone."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from labelhub.models import Batch, BatchState
from labelhub.services import assignments, hits, payments
from labelhub.services.commands import CreateHIT
from labelhub.web import requester_monitor
from tests.factories import Factory, RequesterHandle
from tests.web.conftest import TOKEN, Pages, text_of


def signed_in(app, requester: RequesterHandle, name: str, *, marketplace: str = "production") -> FlaskClient:
    """A browser with the requester's session, as requester_session.start_session leaves it."""
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["requester"] = {"id": requester.actor.id, "public_id": requester.actor.public_id, "name": name}
        session["marketplace"] = marketplace
    return browser


def post_form(browser: FlaskClient, page: str, action: str, data: dict | None = None):
    """Post ``data`` to ``action`` with the CSRF token of ``page``'s forms, and follow to the page."""
    token = TOKEN.search(text_of(browser.get(page))).group(1)
    return browser.post(action, data={"csrf_token": token} | (data or {}), follow_redirects=True)


def batch_names(html: str) -> list[str]:
    return re.findall(r'<a href="/requester/batches/[A-Z0-9]+">([^<]+)</a>', html)


def count(html: str, label: str, within: str) -> str:
    section = re.search(rf'<dl class="counts {within}">(.*?)</dl>', html, re.S).group(1)
    return re.search(rf"<dt>{label}</dt><dd>([^<]+)</dd>", section).group(1)


@pytest.fixture
def owner(factory: Factory) -> RequesterHandle:
    return factory.requester("owner-co")


@pytest.fixture
def browser(app, owner) -> FlaskClient:
    return signed_in(app, owner, "owner-co")


def test_batch_list_is_newest_first_and_paged(browser, owner, make_batch, monkeypatch):
    monkeypatch.setattr(requester_monitor, "PAGE_SIZE", 2)
    for name in ("First", "Second", "Third"):
        make_batch(owner.actor, name, rows=2)

    first = text_of(browser.get("/requester/batches"))
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(browser.get(following))

    assert batch_names(first) == ["Third", "Second"]
    assert batch_names(second) == ["First"]
    assert 'rel="next"' not in second


def test_batch_list_shows_status_progress_spend_and_time_left(runtime, browser, owner, make_batch, factory):
    batch = make_batch(owner.actor, "Reviews", rows=2, max_assignments=2)
    first = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[0]
    worker = factory.worker()
    accepted = assignments.accept(runtime, worker.actor, first.public_id)
    assignments.submit(runtime, worker.actor, accepted.public_id, {"label": "positive"})
    assignments.approve(runtime, owner.actor, accepted.public_id)

    html = text_of(browser.get("/requester/batches"))

    row = re.search(r"<tr>\s*<td><a href=\"/requester/batches/.*?</tr>", html, re.S).group(0)
    assert '<span class="status status-running">running</span>' in row
    assert '<progress value="1" max="4"' in row and "1 of 4" in row
    assert "$0.12" in row  # spent: one approved reward of 0.10 and its fee of 0.02
    assert "$0.36" in row  # held: the three slots left, at 0.12 each
    assert "1 hour" in row  # time left


def test_hits_without_a_batch_are_grouped_by_hit_type(runtime, browser, owner, factory):
    cats, dogs = factory.hit_type_spec(title="Cats"), factory.hit_type_spec(title="Dogs")
    for spec in (cats, cats, dogs):
        factory.hit(owner.actor, hit_type=spec, max_assignments=2)

    html = text_of(browser.get("/requester/batches"))

    rows = re.findall(r'<a href="/requester/hit-types/([A-Z0-9]+)">([^<]+)</a></td>\s*<td class="number">(\d+)</td>',
                      html)
    assert [(title, int(n)) for _, title, n in rows] == [("Dogs", 1), ("Cats", 2)]
    cats_page = text_of(browser.get(f"/requester/hit-types/{rows[1][0]}"))
    assert cats_page.count("<tr><td><code>") == 2 and "<h1>Cats</h1>" in cats_page


def test_batch_hits_are_not_listed_by_hit_type(browser, owner, make_batch):
    make_batch(owner.actor, "Reviews", rows=2)

    html = text_of(browser.get("/requester/batches"))

    assert "/requester/hit-types/" not in html


def test_hit_type_page_pages_its_hits(browser, owner, factory, monkeypatch):
    monkeypatch.setattr(requester_monitor, "PAGE_SIZE", 2)
    made = [factory.hit(owner.actor) for _ in range(3)]

    first = text_of(browser.get(f"/requester/hit-types/{made[0].hit_type.public_id}"))
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(browser.get(following))

    shown = re.findall(r"<tr><td><code>([A-Z0-9]+)</code>", first + second)
    assert shown == [hit.public_id for hit in made]


def test_batch_page_counts_assignments_and_hits(runtime, browser, owner, make_batch, factory):
    batch = make_batch(owner.actor, "Reviews", rows=3, max_assignments=2)
    first, second, _ = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items
    worker, other = factory.worker(), factory.worker()
    done = assignments.accept(runtime, worker.actor, first.public_id)
    assignments.submit(runtime, worker.actor, done.public_id, {"label": "positive"})
    assignments.accept(runtime, other.actor, first.public_id)
    assignments.accept(runtime, worker.actor, second.public_id)

    html = text_of(browser.get(f"/requester/batches/{batch.public_id}"))

    assert (count(html, "Open", "assignment-counts"), count(html, "In progress", "assignment-counts"),
            count(html, "Submitted", "assignment-counts")) == ("3", "2", "1")
    assert (count(html, "All", "hit-counts"), count(html, "Assignable", "hit-counts"),
            count(html, "Unassignable", "hit-counts")) == ("3", "2", "1")
    assert f'<img src="/requester/batches/{batch.public_id}/plots/progress.svg"' in html


def test_batch_page_filters_its_hits(runtime, browser, owner, make_batch, factory):
    batch = make_batch(owner.actor, "Reviews", rows=3, max_assignments=1)
    answered = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[1]
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, answered.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "negative"})

    def shown(query: str) -> list[str]:
        html = text_of(browser.get(f"/requester/batches/{batch.public_id}?{query}"))
        return re.findall(r"<tr><td><code>([A-Z0-9]+)</code></td>\s*<td><span class=\"status", html)

    assert shown("answers=answered") == [answered.public_id]
    assert len(shown("answers=unanswered")) == 2
    assert shown("status=Reviewable") == [answered.public_id]
    assert shown("gold=gold") == []
    assert browser.get(f"/requester/batches/{batch.public_id}?status=Nope").status_code == 400


def test_plots_are_served_from_the_session(app, browser, owner, make_batch, factory):
    batch = make_batch(owner.actor, "Reviews", rows=2)
    stranger = signed_in(app, factory.requester("stranger-co"), "stranger-co")

    response = browser.get(f"/requester/batches/{batch.public_id}/plots/progress.svg")

    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert text_of(response).startswith("<svg") and "Progress of batch Reviews" in text_of(response)
    assert stranger.get(f"/requester/batches/{batch.public_id}/plots/progress.svg").status_code == 404
    assert browser.get(f"/requester/batches/{batch.public_id}/plots/secrets.svg").status_code == 404
    assert browser.get(f"/requester/batches/{batch.public_id}/plots/confusion.svg").status_code == 404  # none yet


def test_the_timeline_plot_counts_answers_hour_by_hour(runtime, clock, browser, owner, make_batch, factory):
    clock.now = clock.now.replace(minute=30, second=0)  # the batch lives an hour: answers in two clock hours
    batch = make_batch(owner.actor, "Timeline", rows=3, max_assignments=1)
    empty = text_of(browser.get(f"/requester/batches/{batch.public_id}/plots/timeline.svg"))
    hit_ids = [h.public_id for h in hits.list_hits(runtime, owner.actor, batch_id=batch.id).items]
    for hit_id, later in zip(hit_ids, (0, 5, 40), strict=True):  # two answers at :30-:35, one at :15 after
        clock.advance(minutes=later)
        worker = factory.worker()
        taken = assignments.accept(runtime, worker.actor, hit_id)
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "positive"})

    response = browser.get(f"/requester/batches/{batch.public_id}/plots/timeline.svg")

    assert "No answers yet" in empty
    svg = text_of(response)
    assert response.mimetype == "image/svg+xml" and "Answers over time, batch Timeline" in svg
    assert re.findall(r"UTC: (\d+) answers, (\d+) in all", svg) == [("2", "2"), ("1", "3")]
    assert "3 slots in all" in svg


def test_pause_hides_the_batch_from_the_worker_pages_and_the_rest_api(runtime, app, browser, owner, make_batch,
                                                                     make_worker):
    batch = make_batch(owner.actor, "Reviews", rows=2)
    hit = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[0]
    worker = make_worker()
    pages = Pages(app.test_client())
    pages.sign_in(worker)
    bearer = {"Authorization": f"Bearer {worker.handle.credentials.api_token}"}
    assert "Sentiment" in text_of(pages.get("/hits"))

    page = post_form(browser, f"/requester/batches/{batch.public_id}", f"/requester/batches/{batch.public_id}/pause")

    assert "Paused: the 2 HITs of Reviews take no new workers" in text_of(page)
    assert '<span class="status status-paused">paused</span>' in text_of(page)
    assert "Sentiment" not in text_of(pages.get("/hits"))
    refused = pages.post(f"/hits/{hit.public_id}/accept", token_from="/hits")
    assert refused.status_code == 409 and "paused" in text_of(refused)
    assert app.test_client().get("/api/v1/worker/hits", headers=bearer).get_json()["items"] == []
    rest = app.test_client().post(f"/api/v1/worker/hits/{hit.public_id}/accept", headers=bearer)
    assert rest.status_code == 409 and "paused" in rest.get_json()["error"]["message"]

    resumed = post_form(browser, f"/requester/batches/{batch.public_id}",
                        f"/requester/batches/{batch.public_id}/resume")

    assert "Resumed" in text_of(resumed)
    assert "Sentiment" in text_of(pages.get("/hits"))
    assert app.test_client().post(f"/api/v1/worker/hits/{hit.public_id}/accept", headers=bearer).status_code == 201


def test_extend_from_the_page(runtime, browser, owner, make_batch):
    batch = make_batch(owner.actor, "Reviews", rows=2)
    before = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[0].expires_at
    page = f"/requester/batches/{batch.public_id}"

    done = post_form(browser, page, f"{page}/extend", {"amount": "2", "unit": "days"})
    refused = post_form(browser, page, f"{page}/extend", {"amount": "two", "unit": "days"})

    assert "Extended: 2 open HITs of Reviews run 2 days longer." in text_of(done)
    after = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[0].expires_at
    assert (after - before).days == 2
    assert "amount: must be a whole number" in text_of(refused)


def test_add_assignments_from_the_page_holds_funds_or_says_why_not(runtime, app, factory, make_batch):
    poor = factory.requester("poor-co", deposit="1.00")
    browser = signed_in(app, poor, "poor-co")
    batch = make_batch(poor.actor, "Reviews", rows=2, max_assignments=1)
    page = f"/requester/batches/{batch.public_id}"
    before = payments.balance(runtime, poor.actor)

    added = post_form(browser, page, f"{page}/assignments", {"assignments": "1"})
    refused = post_form(browser, page, f"{page}/assignments", {"assignments": "7"})

    assert "Added 1 assignment(s) to each of 2 open HITs; 0.24 is held for them." in text_of(added)
    assert payments.balance(runtime, poor.actor).on_hold_micros - before.on_hold_micros == 240_000
    assert "Insufficient funds" in text_of(refused) and 'class="flash flash-error"' in text_of(refused)
    assert [hit.max_assignments for hit in hits.list_hits(runtime, poor.actor, batch_id=batch.id).items] == [2, 2]


def test_expire_from_the_page_releases_held_funds(runtime, browser, owner, make_batch):
    batch = make_batch(owner.actor, "Reviews", rows=2, max_assignments=2)
    page = f"/requester/batches/{batch.public_id}"
    before = payments.balance(runtime, owner.actor)

    done = post_form(browser, page, f"{page}/expire")

    after = payments.balance(runtime, owner.actor)
    assert "Expired 2 open HITs of Reviews; 0.48 went back to your available balance." in text_of(done)
    assert after.available_micros - before.available_micros == 480_000 and after.on_hold_micros == 0
    assert '<span class="status status-finished">finished</span>' in text_of(done)


def test_export_from_the_page_and_download_it(runtime, browser, owner, make_batch, factory):
    batch = make_batch(owner.actor, "Reviews", rows=1)
    hit = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items[0]
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "positive"})
    page = f"/requester/batches/{batch.public_id}"

    done = post_form(browser, page, f"{page}/exports", {"format": "csv", "records": "answers"})

    link = re.search(r'<a href="(/requester/exports/[A-Z0-9]+/file)">', text_of(done))
    assert "is being written" in text_of(done) and link
    download = browser.get(link.group(1))
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "positive" in text_of(download)


ROUTES = [("get", ""), ("get", "/plots/progress.svg"), ("post", "/pause"), ("post", "/resume"),
          ("post", "/extend"), ("post", "/assignments"), ("post", "/expire"), ("post", "/exports")]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_another_requesters_batch_is_404_on_every_route(app, browser, owner, factory, make_batch, method, suffix):
    theirs = make_batch(factory.requester("other-co").actor, "Theirs", rows=1)
    sandbox = make_batch(owner.sandbox(), "Practice", rows=1)
    data = {"amount": "1", "unit": "hours", "assignments": "1", "format": "csv"}
    for batch_id in (theirs.public_id, sandbox.public_id, "NOSUCHBATCH"):
        path = f"/requester/batches/{batch_id}{suffix}"
        if method == "get":
            response = browser.get(path)
        else:
            token = TOKEN.search(text_of(browser.get("/requester/batches"))).group(1)
            response = browser.post(path, data={"csrf_token": token} | data)
        assert response.status_code == 404, (path, response.status_code)


def test_another_requesters_hit_type_and_export_are_404(app, browser, factory):
    theirs = factory.hit(factory.requester("other-co").actor)
    assert browser.get(f"/requester/hit-types/{theirs.hit_type.public_id}").status_code == 404
    assert browser.get("/requester/exports/NOSUCHEXPORT/file").status_code == 404


@pytest.mark.parametrize("action", ["pause", "resume", "extend", "assignments", "expire", "exports"])
def test_actions_need_the_csrf_token(runtime, browser, owner, make_batch, action):
    batch = make_batch(owner.actor, "Reviews", rows=1)

    response = browser.post(f"/requester/batches/{batch.public_id}/{action}",
                            data={"amount": "1", "unit": "hours", "assignments": "1", "format": "csv"})

    assert response.status_code == 400
    [hit] = hits.list_hits(runtime, owner.actor, batch_id=batch.id).items
    assert (hit.paused, hit.max_assignments, hit.expired_at) == (False, 1, None)


def test_pages_need_a_signed_in_requester(client, owner, make_batch):
    batch = make_batch(owner.actor, "Reviews", rows=1)
    for path in ("/requester/batches", f"/requester/batches/{batch.public_id}",
                 f"/requester/batches/{batch.public_id}/plots/progress.svg"):
        response = client.get(path)
        assert response.status_code == 302 and "/requester/signin" in response.location
    assert client.post(f"/requester/batches/{batch.public_id}/pause").status_code in (302, 400)


def test_the_public_batch_page_is_gone(client, owner, make_batch):
    batch = make_batch(owner.actor, "Reviews", rows=1)

    assert client.get(f"/batches/{batch.public_id}").status_code == 404
    assert f"/batches/{batch.public_id}" not in text_of(client.get("/"))


def test_the_batch_list_shows_the_marketplace_of_the_session(app, owner, make_batch):
    make_batch(owner.actor, "Real work", rows=1)
    make_batch(owner.sandbox(), "Practice run", rows=1)

    production = text_of(signed_in(app, owner, "owner-co").get("/requester/batches"))
    sandbox = text_of(signed_in(app, owner, "owner-co", marketplace="sandbox").get("/requester/batches"))

    assert batch_names(production) == ["Real work"] and batch_names(sandbox) == ["Practice run"]


def test_a_hit_made_through_the_api_with_a_batch_id_is_counted_in_its_batch(runtime, browser, owner, make_batch):
    batch = make_batch(owner.actor, "Reviews", rows=1)
    hits.create_hit(runtime, owner.actor, CreateHIT(question="<p>extra</p>", lifetime_seconds=3600, max_assignments=1,
                                                    hit_type=Factory.hit_type_spec(), batch_id=batch.id))
    html = text_of(browser.get(f"/requester/batches/{batch.public_id}"))
    assert count(html, "All", "hit-counts") == "2"


def test_a_batch_being_built_is_listed_as_building_and_takes_no_action(runtime, browser, owner, make_batch):
    batch = make_batch(owner.actor, "Large", rows=2)
    with runtime.sessions.begin() as db:  # as batches.create_batch leaves a batch above CHUNK_ROWS rows
        db.execute(update(Batch).where(Batch.id == batch.id).values(state=BatchState.BUILDING))

    listing = text_of(browser.get("/requester/batches"))
    page = f"/requester/batches/{batch.public_id}"
    refused = post_form(browser, page, f"{page}/pause")

    assert '<span class="status status-building">building</span>' in listing
    assert "Batch Large is still being built" in text_of(refused)
