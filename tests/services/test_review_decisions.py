"""Applying review decisions to a batch: what is applied, what is refused and why, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelhub.errors import NotFoundError
from labelhub.models import Assignment, AssignmentStatus, LedgerEntry
from labelhub.services import assignments, payments
from labelhub.services.review_decisions import NOT_IN_BATCH, Decision, DecisionReport, apply_decisions
from tests.review_fixtures import review_batch


def _status(rt, public_id: str) -> AssignmentStatus:
    with rt.sessions() as db:
        return db.scalars(select(Assignment.status).where(Assignment.public_id == public_id)).one()


def _ledger_entries(rt) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count(LedgerEntry.id)))


def test_decisions_are_applied_and_applying_them_again_changes_nothing(runtime, factory):
    made = review_batch(runtime, factory, [["positive", "negative"], ["positive", "neutral"]])
    wanted = [Decision(made.of(0, 0), approve=True), Decision(made.of(1, 0), approve=True, feedback="Thanks!"),
              Decision(made.of(1, 1), approve=False, feedback="The sentence is clearly negative.")]
    seen: list[tuple[int, int | None]] = []

    first = apply_decisions(runtime, made.requester.actor, made.batch_id, wanted,
                            progress=lambda done, total: seen.append((done, total)))
    entries = _ledger_entries(runtime)
    again = apply_decisions(runtime, made.requester.actor, made.batch_id, iter(wanted))

    assert (first.applied, first.unchanged, first.refused) == (3, 0, [])
    assert seen == [(3, 3)]
    assert [_status(runtime, made.of(w, r)) for w, r in ((0, 0), (1, 0), (1, 1), (0, 1))] == [
        AssignmentStatus.APPROVED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED, AssignmentStatus.SUBMITTED]
    rejected = assignments.get_assignment(runtime, made.requester.actor, made.of(1, 1))
    assert rejected.requester_feedback == "The sentence is clearly negative."
    assert (again.applied, again.unchanged, again.refused) == (0, 3, [])
    assert _ledger_entries(runtime) == entries  # nobody was paid twice


def test_each_refusal_names_the_decision_and_a_reason_and_writes_nothing(runtime, factory):
    made = review_batch(runtime, factory, [["positive", "negative"], ["positive", "neutral"]])
    other = review_batch(runtime, factory, [["neutral"]], requester=made.requester)
    assignments.approve(runtime, made.requester.actor, made.of(0, 1))
    assignments.reject(runtime, made.requester.actor, made.of(1, 1), feedback="Wrong.")
    in_progress = assignments.accept(runtime, factory.worker().actor, made.hit_ids[0]).public_id
    entries = _ledger_entries(runtime)

    report = apply_decisions(runtime, made.requester.actor, made.batch_id, [
        Decision(made.of(0, 0), approve=False, feedback="   ", ref="row 2"),
        Decision(made.of(1, 0), approve=False, feedback="x" * 1025, ref="row 3"),
        Decision(made.of(0, 1), approve=False, feedback="Too late.", ref="row 4"),
        Decision(made.of(1, 1), approve=True, ref="row 5"),
        Decision(other.of(0, 0), approve=True, ref="row 6"),
        Decision("NOSUCHASSIGNMENT", approve=True, ref="row 7"),
        Decision(in_progress, approve=True)])

    assert (report.applied, report.unchanged) == (0, 0)
    reasons = dict(report.refused)
    assert reasons["row 2"] == "a rejection needs a reason: the worker sees it"
    assert "at most 1,024" in reasons["row 3"]
    assert reasons["row 4"] == "already approved: an approval cannot be undone"
    assert reasons["row 5"].startswith("already rejected: approving it needs 'override the rejection'")
    assert reasons["row 6"] == reasons["row 7"] == NOT_IN_BATCH
    assert reasons[in_progress] == "not submitted yet: the worker is still working on it"
    assert _status(runtime, made.of(0, 0)) is AssignmentStatus.SUBMITTED
    assert _status(runtime, other.of(0, 0)) is AssignmentStatus.SUBMITTED
    assert _ledger_entries(runtime) == entries


def test_a_rejection_is_overridden_within_the_window_only(runtime, factory, clock):
    made = review_batch(runtime, factory, [["positive", "negative"]])
    for row in (0, 1):
        assignments.reject(runtime, made.requester.actor, made.of(0, row), feedback="Wrong.")

    inside = apply_decisions(runtime, made.requester.actor, made.batch_id,
                             [Decision(made.of(0, 0), approve=True, override_rejection=True)])
    clock.advance(days=31)
    outside = apply_decisions(runtime, made.requester.actor, made.batch_id,
                              [Decision(made.of(0, 1), approve=True, override_rejection=True)])

    assert (inside.applied, _status(runtime, made.of(0, 0))) == (1, AssignmentStatus.APPROVED)
    assert outside.applied == 0 and outside.refused[0][1].startswith("This rejection could only be overridden until")
    assert _status(runtime, made.of(0, 1)) is AssignmentStatus.REJECTED


def test_an_override_the_balance_cannot_cover_is_refused(runtime, factory):
    # One slot of $0.50 + $0.10 fee: after the rejection the $1.20 deposit is all available, then spent.
    made = review_batch(runtime, factory, [["positive"]], max_assignments=1, deposit="1.20")
    assignments.reject(runtime, made.requester.actor, made.of(0, 0), feedback="Wrong.")
    factory.hit(made.requester.actor, max_assignments=2)
    assert payments.balance(runtime, made.requester.actor).available_micros == 0

    report = apply_decisions(runtime, made.requester.actor, made.batch_id,
                             [Decision(made.of(0, 0), approve=True, override_rejection=True, ref="row 2")])

    assert report.applied == 0 and report.refused[0][0] == "row 2"
    assert report.refused[0][1].startswith("Insufficient funds:")
    assert _status(runtime, made.of(0, 0)) is AssignmentStatus.REJECTED


def test_another_requesters_batch_is_not_found(runtime, factory):
    made = review_batch(runtime, factory, [["positive"]])
    stranger = factory.requester()
    with pytest.raises(NotFoundError):
        apply_decisions(runtime, stranger.actor, made.batch_id, [Decision(made.of(0, 0), approve=True)])
    assert _status(runtime, made.of(0, 0)) is AssignmentStatus.SUBMITTED


def test_the_stored_result_lists_a_bounded_number_of_refusals():
    report = DecisionReport(applied=2, unchanged=1, refused=[(f"row {n}", "why") for n in range(6_000)])
    result = report.as_result()
    assert (result["applied"], result["unchanged"], result["refused_count"]) == (2, 1, 6_000)
    assert len(result["refused"]) == 5_000 and result["refused_truncated"] is True
    assert result["refused"][0] == {"ref": "row 0", "reason": "why"}
