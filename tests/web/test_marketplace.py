"""The marketplace list: HIT groups the worker may take, search, sort, filters and pagination."""

from __future__ import annotations

import re

import pytest

from labelhub.models import Comparator, GuardedAction
from labelhub.money import parse_amount
from labelhub.services import assignments, qualifications, workers
from labelhub.services.commands import QualificationTypeSpec, RequirementSpec
from labelhub.services.worker_pages import GROUPS_PER_PAGE
from tests.web.conftest import text_of


def titles(html: str) -> list[str]:
    return re.findall(r'<div class="group-main">\s*<h2>(?:<a [^>]+>)?([^<]+)', html)


def next_link(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def worker(pages, make_worker):
    worker = make_worker()
    pages.sign_in(worker)
    return worker


def post_hits(factory, requester, title, *, count=1, reward="0.50", keywords="", clock=None, **spec):
    hit_type = factory.hit_type_spec(title=title, reward_micros=parse_amount(reward), keywords=keywords,
                                     **spec)
    made = [factory.hit(requester, hit_type=hit_type, max_assignments=2) for _ in range(count)]
    if clock is not None:
        clock.advance(seconds=1)
    return made


def test_list_shows_one_group_per_hit_type_with_its_free_hits(pages, factory, worker, runtime):
    requester = factory.requester("acme-labs")
    first, *_ = post_hits(factory, requester.actor, "Find the cat", count=3, reward="0.25")
    assignments.accept(runtime, worker.actor, first.public_id)  # worked on: no longer offered to this worker

    html = text_of(pages.get("/hits"))

    assert titles(html) == ["Find the cat"]
    assert '<span class="available">2 HITs</span>' in html and "by <a " in html and "acme-labs</a>" in html
    assert '<span class="currency">$</span>0.25' in html and "10 minutes each" in html


def test_list_hides_blocked_requesters_other_marketplaces_and_expired_hits(pages, factory, worker, runtime,
                                                                             clock):
    friendly, blocking = factory.requester(), factory.requester()
    post_hits(factory, friendly.actor, "Visible work")
    post_hits(factory, blocking.actor, "Blocked work")
    post_hits(factory, friendly.sandbox(), "Sandbox work")
    workers.block(runtime, blocking.actor, worker.actor.public_id, "copied answers")

    production = text_of(pages.get("/hits"))
    pages.post("/marketplace", {"marketplace": "sandbox"}, token_from="/hits")
    sandbox = text_of(pages.get("/hits"))
    clock.advance(hours=2)  # past every HIT's one-hour lifetime
    pages.post("/marketplace", {"marketplace": "production"}, token_from="/hits")
    later = text_of(pages.get("/hits"))

    assert titles(production) == ["Visible work"]
    assert titles(sandbox) == ["Sandbox work"]
    assert titles(later) == [] and "There are no HITs for you in the production marketplace" in later


@pytest.mark.parametrize(("query", "expected"), [
    ("q=cat", ["Find the cat"]),
    ("q=BIRDS", ["Count birds"]),  # a keyword, any case
    ("q=acme", ["Find the cat"]),  # the requester's name
    ("q=100%25", []),  # % is a literal character, not a wildcard
    ("requester=ACME-LABS", ["Find the cat"]),
    ("min_reward=0.30", ["Count birds"]),
    ("min_reward=0.30&q=cat", []),
])
def test_list_search_and_filters(pages, factory, worker, clock, query, expected):
    post_hits(factory, factory.requester("acme-labs").actor, "Find the cat", reward="0.10", clock=clock)
    post_hits(factory, factory.requester("bird-watch").actor, "Count birds", reward="0.40",
              keywords="birds, nature", clock=clock)

    assert titles(text_of(pages.get(f"/hits?{query}"))) == expected


@pytest.mark.parametrize(("sort", "expected"), [
    ("newest", ["Zebra stripes", "Apple colours", "Mango ripeness"]),
    ("reward", ["Mango ripeness", "Zebra stripes", "Apple colours"]),
    ("title", ["Apple colours", "Mango ripeness", "Zebra stripes"]),
])
def test_list_sorts(pages, factory, worker, clock, sort, expected):
    requester = factory.requester().actor
    post_hits(factory, requester, "Mango ripeness", reward="0.90", clock=clock)
    post_hits(factory, requester, "Apple colours", reward="0.05", clock=clock)
    post_hits(factory, requester, "Zebra stripes", reward="0.30", clock=clock)

    assert titles(text_of(pages.get(f"/hits?sort={sort}"))) == expected


def test_list_qualified_only_keeps_the_groups_the_worker_can_accept(pages, factory, worker, runtime):
    requester = factory.requester()
    skill = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Bird expert", description="Knows birds"))
    needs_skill = (RequirementSpec(skill.public_id, Comparator.EXISTS, actions_guarded=GuardedAction.ACCEPT),)
    hidden_unless = (RequirementSpec(skill.public_id, Comparator.EXISTS,
                                     actions_guarded=GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT),)
    post_hits(factory, requester.actor, "Open to all")
    post_hits(factory, requester.actor, "Experts only", requirements=needs_skill)
    post_hits(factory, requester.actor, "Secret experts", requirements=hidden_unless)

    everything = text_of(pages.get("/hits?sort=title"))
    qualified = text_of(pages.get("/hits?sort=title&qualified=1"))

    assert titles(everything) == ["Experts only", "Open to all"]
    assert "You need: Bird expert." in everything
    assert everything.count("Accept &amp; work") == 1
    assert titles(qualified) == ["Open to all"]


def test_list_paginates_groups(pages, factory, worker):
    requester = factory.requester(deposit="500.00").actor
    names = [f"Task {n:02d}" for n in range(GROUPS_PER_PAGE + 3)]
    for name in names:
        post_hits(factory, requester, name)

    first = text_of(pages.get("/hits?sort=title"))
    second = text_of(pages.get(next_link(first)))

    assert titles(first) == names[:GROUPS_PER_PAGE]
    assert next_link(first) == "/hits?sort=title&page=2"
    assert titles(second) == names[GROUPS_PER_PAGE:]
    assert next_link(second) is None and '<a rel="prev" href="/hits?sort=title&amp;page=1">' in second


@pytest.mark.parametrize(("query", "field"), [
    ("min_reward=lots", "min_reward: must be an amount such as 0.10"),
    ("sort=cheapest", "sort: must be one of: newest, reward, title"),
    ("page=0", "page: must be between 1 and 500"),
    ("page=two", "page: must be a page number such as 2"),
])
def test_list_refuses_bad_parameters_naming_them(pages, worker, query, field):
    response = pages.get(f"/hits?{query}")

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert field in text_of(response)


def test_list_escapes_what_requesters_wrote(pages, factory, worker):
    post_hits(factory, factory.requester().actor, "<img src=x onerror=alert(1)>")

    html = text_of(pages.get("/hits"))

    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
