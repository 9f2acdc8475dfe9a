"""The worker's dashboard (earnings, record, qualifications, messages, assignments) and the
qualification test pages (list, take a test, score, retry delay)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from labelhub.services import assignments, qualifications, workers
from labelhub.services.commands import AnswerKey, NotifyWorkers, QualificationTypeSpec
from tests.mturk.conftest import SCHEMAS
from tests.web.conftest import text_of

TEST_FORM = f"""<QuestionForm xmlns="{SCHEMAS}2017-11-06/QuestionForm.xsd">
  <Overview><Title>Birds</Title>
    <FormattedContent><![CDATA[<script>alert(1)</script><b>Read</b> carefully]]></FormattedContent></Overview>
  <Question><QuestionIdentifier>owl</QuestionIdentifier><IsRequired>true</IsRequired>
    <QuestionContent><Text>Which bird hoots?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer><Selections>
      <Selection><SelectionIdentifier>owl</SelectionIdentifier><Text>Owl</Text></Selection>
      <Selection><SelectionIdentifier>jay</SelectionIdentifier><Text>Jay</Text></Selection>
    </Selections></SelectionAnswer></AnswerSpecification></Question>
  <Question><QuestionIdentifier>seen</QuestionIdentifier>
    <QuestionContent><Text>Which are birds?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer><StyleSuggestion>checkbox</StyleSuggestion><Selections>
      <Selection><SelectionIdentifier>wren</SelectionIdentifier><Text>Wren</Text></Selection>
      <Selection><SelectionIdentifier>bat</SelectionIdentifier><Text>Bat</Text></Selection>
      <Selection><SelectionIdentifier>kite</SelectionIdentifier><Text>Kite</Text></Selection>
    </Selections></SelectionAnswer></AnswerSpecification></Question>
</QuestionForm>"""
KEY = AnswerKey(points={"owl": {"owl": 2}, "seen": {"wren": 1, "kite": 1, "bat": -1}}, percentage_of=4)


@pytest.fixture
def worker(pages, make_worker):
    worker = make_worker()
    pages.sign_in(worker)
    return worker


@pytest.fixture
def requester(factory):
    return factory.requester()


def names(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/qualifications/[A-Z0-9]+">([^<]+)</a></h2>', html)


def tile(html: str, name: str) -> str:
    return re.search(rf'id="{name}">([^<]+)<', html).group(1)


def test_dashboard_shows_earnings_record_qualifications_messages_and_assignments(
        pages, runtime, factory, worker, requester):
    hit_a, hit_b, hit_c = (factory.hit(requester.actor, max_assignments=1) for _ in range(3))
    paid, waiting = (assignments.accept(runtime, worker.actor, h.public_id) for h in (hit_a, hit_b))
    assignments.accept(runtime, worker.actor, hit_c.public_id)
    for done in (paid, waiting):
        assignments.submit(runtime, worker.actor, done.public_id, {"label": "cat"})
    assignments.approve(runtime, requester.actor, paid.public_id)
    skill = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Cat spotter", description="Spots cats"))
    qualifications.grant(runtime, requester.actor, skill.public_id, worker.actor.public_id, 87)
    workers.notify(runtime, requester.actor, NotifyWorkers(
        subject="Great work", message="Thanks!\nMore soon.", worker_ids=(worker.actor.public_id,)))

    html = text_of(pages.get("/dashboard"))

    assert (tile(html, "approved-earnings"), tile(html, "pending-earnings")) == ("$0.50", "$0.50")
    assert tile(html, "approval-rate") == "100%"
    assert "<dt>Approved assignments</dt><dd>1</dd>" in html
    assert '<tr><td>Cat spotter</td><td class="number">87</td>' in html
    assert "<h3>Great work</h3>" in html and "Thanks!\nMore soon." in html and "from requester" in html
    assert html.count('<span class="status status-approved">Approved</span>') == 1
    assert html.count('<span class="status status-submitted">Submitted</span>') == 1
    assert html.count('<a href="/assignments/') == 1  # only the assignment still open links to its page


def test_dashboard_lists_are_paginated_each_on_its_own_cursor(pages, runtime, factory, worker, requester):
    for _ in range(12):
        assignments.accept(runtime, worker.actor, factory.hit(requester.actor, max_assignments=1).public_id)

    first = text_of(pages.get("/dashboard"))
    link = re.search(r'aria-label="Assignment pages">\s*<a rel="next" href="([^"]+)"', first)
    second = text_of(pages.get(link.group(1).replace("&amp;", "&")))

    assert first.count('<span class="status status-accepted">') == 10
    assert link.group(1).startswith("/dashboard?assignments=")
    assert second.count('<span class="status status-accepted">') == 2


def test_dashboard_refuses_a_bad_cursor_naming_it(pages, worker):
    response = pages.get("/dashboard?messages=garbage")

    assert response.status_code == 400 and "cursor: is not a cursor this server issued" in text_of(response)


def test_qualification_list_shows_requestable_types_and_the_workers_score(pages, runtime, worker, requester):
    auto = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Fast typist", description="Types fast", auto_granted=True, auto_granted_value=5))
    qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Bird test", description="Knows birds", test=TEST_FORM, answer_key=KEY,
        test_duration_seconds=600))
    qualifications.request(runtime, worker.actor, auto.public_id)

    html = text_of(pages.get("/qualifications"))
    searched = text_of(pages.get("/qualifications?q=bird"))

    assert names(html) == ["Fast typist", "Bird test"]
    assert "Your score: <strong>5</strong>" in html
    assert names(searched) == ["Bird test"]


def test_taking_a_test_scores_it_with_the_answer_key(pages, runtime, worker, requester):
    test = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Bird test", description="Knows birds", test=TEST_FORM, answer_key=KEY,
        test_duration_seconds=600))
    path = f"/qualifications/{test.public_id}"

    page = text_of(pages.get(path))
    response = pages.client.post(path, data={"csrf_token": pages.token("/hits"), "owl": "owl",
                                             "seen": ["wren", "kite"]})

    assert '<input type="radio" name="owl" value="owl" required>' in page
    assert '<input type="checkbox" name="seen" value="kite">' in page
    assert "<script>alert(1)" not in page and "Read carefully" in page  # requester markup shown as text
    assert response.status_code == 200
    assert '<strong id="score">100</strong>' in text_of(response)
    qual = qualifications.get_score(runtime, requester.actor, test.public_id, worker.actor.public_id)
    assert qual.integer_value == 100


def test_retaking_a_test_before_its_retry_delay_is_refused_with_the_date(pages, runtime, clock, worker,
                                                                          requester):
    test = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Bird test", description="Knows birds", test=TEST_FORM, answer_key=KEY,
        test_duration_seconds=600, retry_delay_seconds=3600))
    path = f"/qualifications/{test.public_id}"
    first_try = clock.now
    pages.client.post(path, data={"csrf_token": pages.token("/hits"), "owl": "jay"})
    clock.advance(minutes=10)

    again = pages.client.post(path, data={"csrf_token": pages.token("/hits"), "owl": "owl"})

    html = text_of(again)
    retry_at = (first_try + timedelta(hours=1)).strftime("%Y-%m-%d at %H:%M UTC")
    assert again.status_code == 409 and "You can request this qualification again after" in html
    assert f"You can try again on <strong>{retry_at}</strong>" in html
    assert "Your last request" in html and "with a score of 0" in html
    score = qualifications.get_score(runtime, requester.actor, test.public_id, worker.actor.public_id)
    assert score.integer_value == 0


def test_requesting_a_qualification_without_a_test(pages, runtime, worker, requester):
    manual = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Trusted", description="Reviewed by hand"))

    response = pages.post(f"/qualifications/{manual.public_id}", token_from="/hits")

    assert response.status_code == 200 and "<h2>Request sent</h2>" in text_of(response)
    assert "Request pending" in text_of(pages.get("/qualifications"))


def test_system_qualification_has_no_test_page(pages, worker):
    response = pages.get("/qualifications/000000000000000000L0")

    assert response.status_code == 404 and "comes from your work record" in text_of(response)
