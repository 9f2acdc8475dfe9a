"""The review queue of a batch: what each filter keeps, pagination, a bounded number of statements per
page, and the bulk actions run as jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import AnswerFlag, Assignment, AssignmentStatus, ConsensusLabel
from labelhub.services import assignments, gold, job_queue
from labelhub.services.review_bulk import BulkAction, queue_bulk
from labelhub.services.review_queue import ReviewFilters, review_page
from tests.review_fixtures import review_batch

ANSWERS = [["positive", "positive", "negative", "neutral"],
           ["positive", "negative", "negative", "neutral"],
           ["negative", "negative", "negative", "negative"]]


@pytest.fixture
def made(runtime, factory):
    return review_batch(runtime, factory, ANSWERS)


def _ids(runtime, made, filters=None, **options):
    page = review_page(runtime, made.requester.actor, made.batch_id, filters, **options)
    return [item.assignment_id for item in page.items.items]


def _all_pages(runtime, made, filters=None, limit=5):
    seen, cursor = [], None
    while True:
        page = review_page(runtime, made.requester.actor, made.batch_id, filters, cursor=cursor, limit=limit)
        seen += [item.assignment_id for item in page.items.items]
        cursor = page.items.next_cursor
        if cursor is None:
            return seen


def _consensus(runtime) -> dict[int, ConsensusLabel]:
    with runtime.sessions() as db:
        return {c.hit_id: c for c in db.scalars(select(ConsensusLabel))}


def _answers(runtime) -> list[Assignment]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Assignment).order_by(Assignment.hit_id, Assignment.id)))


def _status(runtime, public_id):
    with runtime.sessions() as db:
        return db.scalars(select(Assignment.status).where(Assignment.public_id == public_id)).one()


def test_the_queue_pages_through_every_submitted_answer_in_hit_order(runtime, made):
    everything = _all_pages(runtime, made, limit=5)
    page = review_page(runtime, made.requester.actor, made.batch_id, limit=20)
    first = page.items.items[0]

    assert everything == [a.public_id for a in _answers(runtime)]
    assert len(everything) == 12 and page.matching == 12 and page.kind == "text_classification"
    assert first.hit.hit_id == made.hit_ids[0] and first.answer == {"label": "positive"}
    assert first.worker_id == made.workers[0].actor.public_id and first.seconds == 0
    assert sorted(o.worker_id for o in first.others) == sorted(w.actor.public_id for w in made.workers[1:])
    assert first.consensus is not None and 0 < first.confidence <= 1
    assert first.accuracy is not None and first.accuracy.low <= first.accuracy.accuracy <= first.accuracy.high
    assert page.config["labels"] == ["positive", "negative", "neutral"]


def test_a_page_costs_the_same_statements_whatever_its_size(runtime, made):
    counted: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN; PostgreSQL's is implicit
            counted.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        review_page(runtime, made.requester.actor, made.batch_id, limit=2)
        small = len(counted)
        counted.clear()
        review_page(runtime, made.requester.actor, made.batch_id, limit=12)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    assert len(counted) == small == 8  # the batch, the count, the page, then the items in five


def test_the_answer_comparing_filters_keep_exactly_the_disagreements_and_failed_gold(runtime, made):
    consensus = _consensus(runtime)
    disagreeing = [a.public_id for a in _answers(runtime)
                   if a.hit_id in consensus and a.answer["label"] != consensus[a.hit_id].value]

    assert disagreeing and _all_pages(runtime, made, ReviewFilters(disagrees=True), limit=1) == disagreeing

    gold.mark_gold(runtime, made.requester.actor, made.hit_ids[0], {"label": "positive"})
    failed = review_page(runtime, made.requester.actor, made.batch_id, ReviewFilters(failed_gold=True))
    assert [item.assignment_id for item in failed.items.items] == [made.of(2, 0)]
    assert failed.items.items[0].hit.gold_answer == {"label": "positive"}
    assert failed.items.items[0].failed_gold is True


def test_the_sql_filters(runtime, made):
    worker = made.workers[2].actor.public_id
    consensus = _consensus(runtime)
    target = 0.95
    unsure = [a.public_id for a in _answers(runtime) if consensus[a.hit_id].confidence < target]
    with runtime.sessions.begin() as db:
        flagged = db.scalars(select(Assignment.id).where(Assignment.public_id == made.of(1, 3))).one()
        batch_id = db.scalars(select(ConsensusLabel.batch_id)).first()
        db.add(AnswerFlag(assignment_id=flagged, batch_id=batch_id, probability=0.97, band="high",
                          reasons=["pasted from outside the page"], evidence=[], scored_at=datetime.now(UTC)))

    assert _ids(runtime, made, ReviewFilters(worker_id=worker)) == [made.of(2, row) for row in range(4)]
    assert _ids(runtime, made, ReviewFilters(worker_id="NOBODY")) == []
    assert _ids(runtime, made, ReviewFilters(low_confidence=True)) == unsure
    flagged_page = review_page(runtime, made.requester.actor, made.batch_id, ReviewFilters(llm_flagged=True))
    assert [item.assignment_id for item in flagged_page.items.items] == [made.of(1, 3)]
    assert flagged_page.items.items[0].llm.reasons == ["pasted from outside the page"]
    assert len(_ids(runtime, made, ReviewFilters(accuracy_below=1.0))) == 12
    assert _ids(runtime, made, ReviewFilters(accuracy_below=0.01)) == []


def test_rejected_answers_are_listed_while_their_rejection_can_be_overridden(runtime, made, clock):
    assignments.reject(runtime, made.requester.actor, made.of(2, 0), feedback="Always the same label.")
    assignments.approve(runtime, made.requester.actor, made.of(0, 0))

    rejected = review_page(runtime, made.requester.actor, made.batch_id, ReviewFilters(status="rejected"))
    assert [i.assignment_id for i in rejected.items.items] == [made.of(2, 0)]
    assert rejected.items.items[0].feedback == "Always the same label."
    assert rejected.items.items[0].override_until is not None
    assert _ids(runtime, made, ReviewFilters(status="approved")) == [made.of(0, 0)]
    assert made.of(2, 0) not in _ids(runtime, made)
    clock.advance(days=31)
    assert _ids(runtime, made, ReviewFilters(status="rejected")) == []


def test_bad_input_and_other_requesters_batches(runtime, factory, made):
    with pytest.raises(NotFoundError):
        review_page(runtime, factory.requester().actor, made.batch_id)
    with pytest.raises(InvalidInputError) as bad_cursor:
        review_page(runtime, made.requester.actor, made.batch_id, cursor="nonsense")
    assert "cursor" in bad_cursor.value.fields
    with pytest.raises(InvalidInputError) as bad_filters:
        ReviewFilters(status="pending", accuracy_below=1.5)
    assert set(bad_filters.value.fields) == {"status", "accuracy_below"}


def _job_result(runtime, made, job_id):
    job = job_queue.get_job(runtime, made.requester.actor, job_id)
    assert job.state == "succeeded", job.error
    return job.result


def test_bulk_approve_agreeing_approves_exactly_the_answers_that_agree(runtime, made):
    consensus = _consensus(runtime)
    agreeing = {a.public_id for a in _answers(runtime) if a.answer["label"] == consensus[a.hit_id].value}

    job_id = queue_bulk(runtime, made.requester.actor, made.batch_id, BulkAction("approve_agreeing"))

    result = _job_result(runtime, made, job_id)
    approved = {a.public_id for a in _answers(runtime) if a.status is AssignmentStatus.APPROVED}
    assert approved == agreeing and result["applied"] == len(agreeing) and result["refused"] == []
    assert result["summary"].startswith(f"Approved {len(agreeing)} answer(s) of batch Tones")


def test_bulk_worker_actions_and_the_rest(runtime, made):
    spammer = made.workers[2].actor.public_id
    with pytest.raises(InvalidInputError) as no_reason:
        BulkAction("reject_worker", worker_id=spammer, reason="  ")
    assert "reason" in no_reason.value.fields
    with pytest.raises(InvalidInputError):
        queue_bulk(runtime, made.requester.actor, made.batch_id, BulkAction("approve_worker", worker_id="NOBODY"))

    def run(bulk):
        return _job_result(runtime, made, queue_bulk(runtime, made.requester.actor, made.batch_id, bulk))

    rejected = run(BulkAction("reject_worker", worker_id=spammer, reason="Every answer was 'negative'."))
    approved = run(BulkAction("approve_worker", worker_id=made.workers[0].actor.public_id))
    rest = run(BulkAction("approve_remaining"))
    again = run(BulkAction("approve_remaining"))

    assert (rejected["applied"], approved["applied"], rest["applied"], again["applied"]) == (4, 4, 4, 0)
    assert [_status(runtime, made.of(2, row)) for row in range(4)] == [AssignmentStatus.REJECTED] * 4
    assert all(_status(runtime, made.of(w, row)) is AssignmentStatus.APPROVED for w in (0, 1) for row in range(4))
    with pytest.raises(NotFoundError):
        queue_bulk(runtime, made.requester.actor, "NOSUCHBATCH", BulkAction("approve_remaining"))


def test_a_fixed_label_is_what_answers_are_judged_against(runtime, made):
    """Once the requester fixes a HIT's label the queue shows it, and "disagrees" means disagreeing with it."""
    from labelhub.services import label_fixes

    first_hit = made.hit_ids[0]  # answered positive, positive, negative
    label_fixes.fix_label(runtime, made.requester.actor, first_hit, {"label": "negative"})
    disagreeing = set(_ids(runtime, made, ReviewFilters(disagrees=True), limit=50))
    assert made.of(2, 0) not in disagreeing
    assert {made.of(0, 0), made.of(1, 0)} <= disagreeing
    item = next(item for item in review_page(runtime, made.requester.actor, made.batch_id).items.items
                if item.assignment_id == made.of(0, 0))
    assert item.hit.fixed_answer == {"label": "negative"} and item.agrees is False
