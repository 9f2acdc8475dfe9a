"""The public front page: what it lists, its pagination, and its errors. A batch has no public page
(its requester's is in tests/web/test_requester_batches.py)."""

from __future__ import annotations

import re

from labelhub import demo
from labelhub.services import assignments, gold, hits
from labelhub.web.pages import BATCHES_PER_PAGE, HITS_PER_CARD


def _next_link(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _batch_names(html: str) -> list[str]:
    return re.findall(r'<section class="batch">\s*<h2>([^<]+)</h2>', html)


def _count(html: str, label: str) -> int:
    return int(re.search(rf"<dt>{label}</dt><dd>(\d+)</dd>", html).group(1))


def test_front_page_lists_the_demo_batches_with_images_and_texts(client, runtime):
    demo.seed(runtime)

    response = client.get("/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert _batch_names(html) == ["Demo: circle or square?", "Demo: sentiment of short reviews"]
    assert html.count("by <strong>demo-requester</strong>") == 2
    assert "0 of 24 HITs complete" in html and "0 of 15 HITs complete" in html
    images = re.findall(r'<img src="/images/([a-z]+-[a-z]+-\d+\.png)"', html)
    assert images == [row["image"] for row in demo.image_rows()[:HITS_PER_CARD]]
    assert "<blockquote>The delivery was fast and the fabric feels great.</blockquote>" in html
    assert html.count('<li class="hit">') == 2 * HITS_PER_CARD
    assert "Showing 8 of its 24 HITs" in html and "Showing 8 of its 15 HITs" in html
    assert client.get(f"/images/{images[0]}").status_code == 200


def test_front_page_shows_the_progress_of_work(client, runtime, factory, make_batch):
    requester = factory.requester()
    batch = make_batch(requester.actor, "Reviews", rows=2, max_assignments=2)
    first, second = hits.list_hits(runtime, requester.actor, batch_id=batch.id).items
    done, busy = factory.worker(), factory.worker()
    answered = [assignments.accept(runtime, done.actor, hit.public_id) for hit in (first, second)]
    for assignment in answered:
        assignments.submit(runtime, done.actor, assignment.public_id, {"label": "positive"})
    assignments.approve(runtime, requester.actor, answered[0].public_id)
    assignments.accept(runtime, busy.actor, first.public_id)

    html = client.get("/").get_data(as_text=True)

    assert (_count(html, "In progress"), _count(html, "Submitted"), _count(html, "Approved"),
            _count(html, "Rejected")) == (1, 1, 1, 0)
    assert html.count("1/2 answers") == 2  # an accepted assignment is not an answer yet
    assert "reward 0.10" in html


def test_front_page_with_no_batches_says_how_to_seed(client):
    html = client.get("/").get_data(as_text=True)

    assert "No batches in the production marketplace yet" in html and "labelhub demo" in html
    assert _next_link(html) is None


def test_front_page_paginates_batches_with_a_cursor(client, factory, make_batch):
    requester = factory.requester()
    names = [f"Batch {n}" for n in range(1, BATCHES_PER_PAGE + 3)]
    for name in names:
        make_batch(requester.actor, name, rows=1)

    first = client.get("/").get_data(as_text=True)
    second_url = _next_link(first)
    second = client.get(second_url).get_data(as_text=True)

    assert _batch_names(first) == names[:BATCHES_PER_PAGE]
    assert second_url.startswith("/?cursor=")
    assert _batch_names(second) == names[BATCHES_PER_PAGE:]
    assert _next_link(second) is None
    assert '<a href="/">&larr; First page</a>' in second


def test_front_page_shows_only_the_production_marketplace(client, factory, make_batch):
    requester = factory.requester()
    make_batch(requester.actor, "Real work", rows=1)
    make_batch(requester.sandbox(), "Practice run", rows=1)

    html = client.get("/").get_data(as_text=True)

    assert _batch_names(html) == ["Real work"]


def test_front_page_bad_cursor_is_an_html_400_naming_it(client):
    response = client.get("/?cursor=not-a-cursor")

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "cursor: is not a cursor this server issued" in response.get_data(as_text=True)


def test_the_front_page_never_shows_gold_hits_or_counts_them(client, runtime, factory, make_batch):
    requester = factory.requester()
    make_batch(requester.actor, "With a control", rows=3, max_assignments=2)
    hidden = hits.list_hits(runtime, requester.actor, limit=10).items[1]
    gold.mark_gold(runtime, requester.actor, hidden.public_id, {"label": "positive"})

    html = client.get("/").get_data(as_text=True)

    assert re.findall(r"<blockquote>(review \d+)</blockquote>", html) == ["review 1", "review 3"]
    assert "0 of 2 HITs complete" in html


def test_a_batch_has_no_public_page(client, factory, make_batch):
    batch = make_batch(factory.requester().actor, "Private work", rows=1)

    response = client.get(f"/batches/{batch.public_id}")

    assert response.status_code == 404 and response.mimetype == "text/html"
    assert f"/batches/{batch.public_id}" not in client.get("/").get_data(as_text=True)


def test_pages_escape_what_requesters_wrote(client, factory, make_batch):
    requester = factory.requester()
    make_batch(requester.actor, "<script>alert(1)</script>", rows=1)

    html = client.get("/").get_data(as_text=True)

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
