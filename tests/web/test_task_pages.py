"""The task pages: preview, accept, the work page with its timer, submit (and next), return, and the
refusals a worker must get in plain words: another worker's assignment, a late submit, a bad answer."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from labelhub.models import Assignment, AssignmentStatus, Batch, Comparator, GuardedAction
from labelhub.money import parse_amount
from labelhub.services import assignments, batches, hits, qualifications
from labelhub.services.commands import HITTypeSpec, QualificationTypeSpec, RequirementSpec
from tests.web.conftest import text_of

LABEL_SCHEMA = {"type": "object", "properties": {"label": {"enum": ["positive", "negative"]}},
                "required": ["label"], "additionalProperties": False}
SIGNALS = {"version": 1, "text_fields": 0, "time_on_page_ms": 5300, "first_keystroke_ms": None,
           "active_typing_ms": 0, "keystrokes": 0, "deletions": 0, "pastes": 0, "pasted_chars": 0,
           "pastes_from_page": 0, "pastes_after_return": 0, "focus_losses": 1, "away_ms": 800}


def make_reviews(runtime, actor, *, rows=3, kind="text_classification", config=None,
                 answer_schema=LABEL_SCHEMA, row=lambda n: {"text": f"review {n}"}, duration=600):
    spec = HITTypeSpec(title="Sentiment of reviews", description="Is the review positive or negative?",
                       reward_micros=parse_amount("0.10"), assignment_duration_seconds=duration)
    return batches.create_batch(runtime, actor, batches.CreateBatch(
        name="Reviews", template_kind=kind, question_template="<p>review</p>", hit_type=spec,
        rows=tuple(row(n) for n in range(1, rows + 1)), lifetime_seconds=3600, max_assignments=2,
        template_config=config or {"labels": ["positive", "negative"]}, answer_schema=answer_schema))


def hits_of(runtime, requester, batch):
    return hits.list_hits(runtime, requester.actor, batch_id=batch.id).items


def stored(runtime, assignment_id) -> Assignment:
    with runtime.sessions() as db:
        return db.scalars(select(Assignment).where(Assignment.public_id == assignment_id)).one()


def assignment_in(response) -> str:
    assert response.status_code == 303, text_of(response)
    found = re.fullmatch(r"/assignments/([A-Z0-9]{30})", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


@pytest.fixture
def requester(factory):
    return factory.requester()


@pytest.fixture
def worker(pages, make_worker):
    worker = make_worker()
    pages.sign_in(worker)
    return worker


def test_preview_shows_the_annotator_and_an_accept_button(pages, runtime, requester, worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]

    response = pages.get(f"/hits/{first.public_id}")

    html = text_of(response)
    assert response.status_code == 200
    assert 'data-annotator="text_classification"' in html
    assert '<blockquote class="ann-text" data-role="text">review 1' in html
    assert 'id="accept-button"' in html and 'name="next" value="1"' not in html and 'id="timer"' not in html
    assert '<script type="module" src="/static/annotators/text_classification.js">' in html
    assert '<script type="module" src="/static/annotators/signals.js">' in html
    assert pages.get("/static/annotators/text_classification.js").mimetype == "text/javascript"
    assert pages.get("/static/annotators/annotators.css").mimetype == "text/css"


def test_accept_opens_the_work_page_with_timer_return_and_both_submit_buttons(pages, runtime, requester,
                                                                             worker, clock):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]

    preview = f"/hits/{first.public_id}"
    assignment_id = assignment_in(pages.post(f"{preview}/accept", token_from=preview))
    response = pages.get(f"/assignments/{assignment_id}")

    html = text_of(response)
    deadline_ms = int((clock.now.timestamp() + 600) * 1000)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert f'id="timer" class="timer" data-deadline="{deadline_ms}"' in html
    assert f'action="/assignments/{assignment_id}/return"' in html
    assert ('<button type="submit" name="next" value="1" class="primary" data-default-submit '
            'id="submit-next">') in html
    assert '<input type="hidden" name="signals" value="">' in html
    assert "Typing and pasting in this task's text fields are recorded" in html
    assert '<script type="module" src="/web-static/task.js">' in html


def test_submit_stores_the_answer_and_signals(pages, runtime, requester, worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))

    response = pages.post(f"/assignments/{assignment_id}/submit", {
        "answer": json.dumps({"label": "negative"}), "signals": json.dumps(SIGNALS)}, token_from="/hits")

    assert response.status_code == 303 and response.headers["Location"] == "/hits"
    done = stored(runtime, assignment_id)
    assert done.status is AssignmentStatus.SUBMITTED
    assert done.answer == {"label": "negative"} and done.signals == SIGNALS
    assert "Submitted: 0.10 pending the requester" in text_of(pages.get("/hits"))


def test_submit_and_next_goes_straight_to_the_next_hit_of_the_batch(pages, runtime, requester, worker):
    batch = make_reviews(runtime, requester.actor, rows=3)
    first, second, _ = hits_of(runtime, requester, batch)
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))

    following = assignment_in(pages.post(f"/assignments/{assignment_id}/submit", {
        "answer": json.dumps({"label": "positive"}), "next": "1"}, token_from="/hits"))

    assert stored(runtime, assignment_id).status is AssignmentStatus.SUBMITTED
    taken = stored(runtime, following)
    assert taken.status is AssignmentStatus.ACCEPTED and taken.hit_id == second.id
    assert taken.worker_id == worker.actor.id
    assert "review 2" in text_of(pages.get(f"/assignments/{following}"))


def test_submit_and_next_on_the_last_hit_returns_to_the_list(pages, runtime, requester, worker):
    only = hits_of(runtime, requester, make_reviews(runtime, requester.actor, rows=1))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{only.public_id}/accept", token_from="/hits"))
    assert 'name="next" value="1"' not in text_of(pages.get(f"/assignments/{assignment_id}"))

    response = pages.post(f"/assignments/{assignment_id}/submit",
                          {"answer": '{"label": "positive"}', "next": "1"}, token_from="/hits")

    assert response.headers["Location"] == "/hits"
    assert "That was the last HIT of this batch you can take." in text_of(pages.get("/hits"))


def test_accept_and_work_from_the_list_skips_hits_that_are_full(pages, runtime, requester, worker,
                                                                 make_worker):
    first, second, _ = hits_of(runtime, requester, make_reviews(runtime, requester.actor))
    for other in (make_worker(), make_worker()):  # both slots of the first HIT taken
        assignments.accept(runtime, other.actor, first.public_id)

    taken = assignment_in(pages.post(f"/hits/{first.public_id}/next", token_from="/hits"))

    assert stored(runtime, taken).hit_id == second.id


@pytest.mark.parametrize(("answer", "field", "problem"), [
    ('{"label": "maybe"}', "answer.label", "positive"),  # the problem names the labels allowed
    ("{not json", "answer", "is not valid JSON"),
    ('["positive"]', "answer", "must be a JSON object"),
    ("", "answer", "is missing: answer the task before submitting"),
])
def test_submit_refuses_an_answer_failing_validation(pages, runtime, requester, worker, answer, field,
                                                      problem):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))

    response = pages.post(f"/assignments/{assignment_id}/submit", {"answer": answer}, token_from="/hits")

    html = text_of(response)
    assert response.status_code == 422
    assert re.search(rf"<li><strong>{re.escape(field)}</strong> [^<]*{re.escape(problem)}", html), html
    assert 'data-annotator="text_classification"' in html  # the task is shown again to fix the answer
    assert stored(runtime, assignment_id).status is AssignmentStatus.ACCEPTED


def test_submit_refuses_bad_signals(pages, runtime, requester, worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))

    response = pages.post(f"/assignments/{assignment_id}/submit",
                          {"answer": '{"label": "positive"}', "signals": "[1, 2]"}, token_from="/hits")

    assert response.status_code == 422
    assert "<strong>signals</strong> must be a JSON object" in text_of(response)
    assert stored(runtime, assignment_id).status is AssignmentStatus.ACCEPTED


def test_submit_after_the_deadline_is_refused(pages, runtime, requester, worker, clock):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))
    clock.advance(seconds=601)

    page = text_of(pages.get(f"/assignments/{assignment_id}"))
    response = pages.post(f"/assignments/{assignment_id}/submit", {"answer": '{"label": "positive"}'},
                          token_from="/hits")

    assert "The time for this assignment has run out" in page and 'id="submit" disabled' in page
    assert response.status_code == 409
    assert "The time allotted for this assignment has passed" in text_of(response)
    assert stored(runtime, assignment_id).status is AssignmentStatus.ACCEPTED


@pytest.fixture
def someone_elses(runtime, requester, make_worker):
    """An assignment another worker holds."""
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    return assignments.accept(runtime, make_worker().actor, first.public_id).public_id


def test_another_workers_assignment_opens_the_same_404_page_as_an_unknown_one(pages, worker, someone_elses):
    response = pages.get(f"/assignments/{someone_elses}")
    unknown = pages.get("/assignments/NOSUCHASSIGNMENT")

    assert response.status_code == unknown.status_code == 404
    assert f"Assignment {someone_elses} does not exist." in text_of(response)
    assert text_of(response).replace(someone_elses, "<id>") == text_of(unknown).replace("NOSUCHASSIGNMENT", "<id>")


@pytest.mark.parametrize("action", ["submit", "return"])
def test_another_workers_assignment_cannot_be_submitted_or_returned(pages, runtime, worker, someone_elses,
                                                                     action):
    response = pages.post(f"/assignments/{someone_elses}/{action}", {"answer": '{"label": "positive"}'},
                          token_from="/hits")

    assert response.status_code == 404
    assert f"Assignment {someone_elses} does not exist." in text_of(response)
    assert stored(runtime, someone_elses).status is AssignmentStatus.ACCEPTED


def test_another_workers_assignment_stays_refused_with_a_bad_answer(pages, runtime, worker, someone_elses):
    response = pages.post(f"/assignments/{someone_elses}/submit", {"answer": "{broken"}, token_from="/hits")

    assert response.status_code == 404 and "review 1" not in text_of(response)
    assert f"Assignment {someone_elses} does not exist." in text_of(response)


def test_return_gives_the_hit_back(pages, runtime, requester, worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))

    response = pages.post(f"/assignments/{assignment_id}/return", token_from="/hits")

    assert response.status_code == 303 and response.headers["Location"] == "/hits"
    assert stored(runtime, assignment_id).status is AssignmentStatus.RETURNED
    assert "You returned “Sentiment of reviews”" in text_of(pages.get("/hits"))


def test_work_page_of_a_submitted_assignment_says_so(pages, runtime, requester, worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))
    pages.post(f"/assignments/{assignment_id}/submit", {"answer": '{"label": "positive"}'},
               token_from="/hits")

    html = text_of(pages.get(f"/assignments/{assignment_id}"))

    assert '<span class="status status-submitted">Submitted</span>' in html and 'id="task-form"' not in html


def test_accepting_a_full_hit_is_a_clear_409(pages, runtime, requester, worker, make_worker):
    first = hits_of(runtime, requester, make_reviews(runtime, requester.actor))[0]
    for other in (make_worker(), make_worker()):
        assignments.accept(runtime, other.actor, first.public_id)

    response = pages.post(f"/hits/{first.public_id}/accept", token_from="/hits")

    assert response.status_code == 409
    assert "There are no more assignments available for this HIT" in text_of(response)


def test_unknown_hit_and_assignment_are_404_pages(pages, worker):
    assert pages.get("/hits/NOSUCHHIT").status_code == 404
    response = pages.get("/assignments/NOSUCHASSIGNMENT")
    assert response.status_code == 404 and "Assignment NOSUCHASSIGNMENT does not exist." in text_of(response)


def test_preview_refused_without_the_qualification_is_a_403_page(pages, runtime, requester, worker, factory):
    skill = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Reviewer", description="Reads reviews"))
    hit = factory.hit(requester.actor, hit_type=factory.hit_type_spec(requirements=(RequirementSpec(
        skill.public_id, Comparator.EXISTS, actions_guarded=GuardedAction.PREVIEW_AND_ACCEPT),)))

    response = pages.get(f"/hits/{hit.public_id}")

    assert response.status_code == 403
    assert "You do not meet the qualification requirements to preview this HIT" in text_of(response)


def test_image_batch_preloads_the_next_items_image(pages, runtime, requester, worker):
    batch = make_reviews(runtime, requester.actor, kind="image_classification", answer_schema=None,
                         row=lambda n: {"image_url": f"/media/{n:064x}.png"})
    first = hits_of(runtime, requester, batch)[0]

    html = text_of(pages.get(f"/hits/{first.public_id}"))

    assert f'<link rel="prefetch" href="/media/{2:064x}.png">' in html
    assert f'<img src="/media/{1:064x}.png"' in html


def test_annotator_settings_broken_since_the_batch_was_made_are_a_409_page(pages, runtime, requester, worker):
    batch = make_reviews(runtime, requester.actor)
    first = hits_of(runtime, requester, batch)[0]
    with runtime.sessions.begin() as db:  # a batch stored before its task type's rules tightened
        db.get(Batch, batch.id).template = {"question": "<p>review</p>", "config": {"labels": ["only one"]}}

    response = pages.get(f"/hits/{first.public_id}")

    assert response.status_code == 409
    assert "its Text classification settings are invalid" in text_of(response)


def test_submit_and_next_when_the_next_hit_is_refused_keeps_the_answer(pages, runtime, requester, worker):
    skill = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec(
        name="Reviewer", description="Reads reviews"))
    qualifications.grant(runtime, requester.actor, skill.public_id, worker.actor.public_id, 1)
    spec = HITTypeSpec(title="Expert reviews", description="Experts only", reward_micros=parse_amount("0.10"),
                       assignment_duration_seconds=600,
                       requirements=(RequirementSpec(skill.public_id, Comparator.EXISTS),))
    batch = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name="Expert reviews", template_kind="text_classification", question_template="x", hit_type=spec,
        rows=({"text": "one"}, {"text": "two"}), lifetime_seconds=3600,
        template_config={"labels": ["positive", "negative"]}))
    first = hits_of(runtime, requester, batch)[0]
    assignment_id = assignment_in(pages.post(f"/hits/{first.public_id}/accept", token_from="/hits"))
    qualifications.revoke(runtime, requester.actor, skill.public_id, worker.actor.public_id, "spot check failed")

    response = pages.post(f"/assignments/{assignment_id}/submit",
                          {"answer": '{"label": "positive"}', "next": "1"}, token_from="/hits")

    assert response.status_code == 303 and response.headers["Location"] == "/hits"
    assert stored(runtime, assignment_id).status is AssignmentStatus.SUBMITTED
    assert ("Submitted. The next HIT could not be taken: You do not meet the qualification requirements"
            in text_of(pages.get("/hits")))
