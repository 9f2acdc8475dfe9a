"""Assignment use cases: accept, return, submit, approve, reject, override, get and list, each rule and
each typed error, against the real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labelhub.errors import (
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import (
    Assignment,
    AssignmentStatus,
    Comparator,
    Event,
    GuardedAction,
    HITStatus,
    LedgerEntry,
    Marketplace,
)
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments, qualifications, sweeps, workers
from labelhub.services.commands import Locale, QualificationTypeSpec, RequirementSpec
from labelhub.services.eligibility import ADULT, LOCALE, MASTERS_ID, NUMBER_HITS_APPROVED, PERCENT_APPROVED

ANSWER_SCHEMA = {
    "type": "object",
    "required": ["label"],
    "properties": {"label": {"enum": ["cat", "dog"]},
                   "boxes": {"type": "array", "items": {"type": "integer"}}},
}


@pytest.fixture
def requester(factory):
    return factory.requester(deposit="100.00")


@pytest.fixture
def worker(factory):
    return factory.worker()


@pytest.fixture
def hit(factory, requester):
    return factory.hit(requester.actor, max_assignments=2, answer_schema=ANSWER_SCHEMA)


def fresh_hit(runtime, requester, hit):
    return hits.get_hit(runtime, requester.actor, hit.public_id)


def submitted(runtime, worker, hit, answer=None):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    return assignments.submit(runtime, worker.actor, taken.public_id, answer or {"label": "cat"})


def status_of(runtime, worker, assignment) -> AssignmentStatus:
    return assignments.get_assignment(runtime, worker.actor, assignment.public_id).status


def count(runtime, model, *where) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


# accept ----------------------------------------------------------------------------------------------------

def test_accept_sets_deadline_and_takes_a_slot(runtime, requester, worker, hit, clock):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    assert taken.status is AssignmentStatus.ACCEPTED
    assert (taken.accepted_at, taken.deadline) == (clock.now, clock.now + timedelta(seconds=600))
    current = fresh_hit(runtime, requester, hit)
    assert (current.pending_count, current.available_count, current.status) == (1, 1, HITStatus.ASSIGNABLE)


def test_accept_last_slot_makes_hit_unassignable(runtime, factory, requester, hit):
    for _ in range(2):
        assignments.accept(runtime, factory.worker().actor, hit.public_id)

    current = fresh_hit(runtime, requester, hit)
    assert (current.pending_count, current.available_count, current.status) == (2, 0, HITStatus.UNASSIGNABLE)


def test_accept_full_hit_is_invalid_state(runtime, factory, hit):
    for _ in range(2):
        assignments.accept(runtime, factory.worker().actor, hit.public_id)

    with pytest.raises(InvalidStateError, match="no more assignments available"):
        assignments.accept(runtime, factory.worker().actor, hit.public_id)
    assert count(runtime, Assignment) == 2


def test_accept_twice_by_the_same_worker_is_invalid_state(runtime, worker, hit):
    assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidStateError, match="already worked on this HIT"):
        assignments.accept(runtime, worker.actor, hit.public_id)
    assert count(runtime, Assignment) == 1


def test_accept_after_returning_the_hit_is_invalid_state(runtime, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    assignments.return_assignment(runtime, worker.actor, taken.public_id)

    with pytest.raises(InvalidStateError, match="already worked on this HIT"):
        assignments.accept(runtime, worker.actor, hit.public_id)


def test_accept_expired_hit_is_invalid_state_even_before_the_sweep(runtime, worker, hit, clock):
    clock.advance(seconds=3600)

    with pytest.raises(InvalidStateError, match="expired"):
        assignments.accept(runtime, worker.actor, hit.public_id)


def test_accept_unknown_hit_is_not_found(runtime, worker):
    with pytest.raises(NotFoundError) as caught:
        assignments.accept(runtime, worker.actor, "NOSUCHHIT")
    assert caught.value.entity == "hit"


def test_accept_hit_of_the_other_marketplace_is_not_found(runtime, requester, worker, factory):
    sandbox_hit = factory.hit(requester.sandbox())

    with pytest.raises(NotFoundError):
        assignments.accept(runtime, worker.actor, sandbox_hit.public_id)
    sandbox_worker = worker.actor.in_marketplace(Marketplace.SANDBOX)
    taken = assignments.accept(runtime, sandbox_worker, sandbox_hit.public_id)
    assert taken.status is AssignmentStatus.ACCEPTED


def test_accept_by_a_requester_is_permission_denied(runtime, requester, hit):
    with pytest.raises(PermissionDeniedError):
        assignments.accept(runtime, requester.actor, hit.public_id)


def test_accept_deleted_hit_is_not_found(runtime, requester, worker, hit, clock):
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    hits.delete_hit(runtime, requester.actor, hit.public_id)

    with pytest.raises(NotFoundError):
        assignments.accept(runtime, worker.actor, hit.public_id)


# return ----------------------------------------------------------------------------------------------------

def test_return_reopens_the_slot_for_another_worker(runtime, factory, requester, worker, clock):
    hit = factory.hit(requester.actor, max_assignments=1)
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=5)

    returned = assignments.return_assignment(runtime, worker.actor, taken.public_id)

    assert (returned.status, returned.ended_at) == (AssignmentStatus.RETURNED, clock.now)
    current = fresh_hit(runtime, requester, hit)
    assert (current.pending_count, current.available_count, current.status) == (0, 1, HITStatus.ASSIGNABLE)
    assert assignments.accept(runtime, factory.worker().actor, hit.public_id).status is \
        AssignmentStatus.ACCEPTED


def test_return_submitted_assignment_is_invalid_state(runtime, worker, hit):
    done = submitted(runtime, worker, hit)

    with pytest.raises(InvalidStateError, match="Accepted; the assignment is Submitted"):
        assignments.return_assignment(runtime, worker.actor, done.public_id)


def test_return_another_workers_assignment_is_not_found(runtime, factory, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(NotFoundError, match=f"^Assignment {taken.public_id} does not exist.$"):
        assignments.return_assignment(runtime, factory.worker().actor, taken.public_id)
    assert status_of(runtime, worker, taken) is AssignmentStatus.ACCEPTED


# submit ----------------------------------------------------------------------------------------------------

def test_submit_stores_answer_signals_and_auto_approval_time(runtime, requester, worker, hit, clock):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=30)

    done = assignments.submit(runtime, worker.actor, taken.public_id, {"label": "dog", "boxes": [1, 2]},
                              {"pastes": 0, "typing_ms": 1200.5, "focus_lost": False, "agent": None})

    assert done.status is AssignmentStatus.SUBMITTED
    assert done.answer == {"label": "dog", "boxes": [1, 2]}
    assert done.signals == {"pastes": 0, "typing_ms": 1200.5, "focus_lost": False, "agent": None}
    assert (done.submitted_at, done.auto_approval_at) == (clock.now, clock.now + timedelta(seconds=86_400))
    current = fresh_hit(runtime, requester, hit)
    assert (current.pending_count, current.submitted_count) == (0, 1)


def test_submit_exactly_at_the_deadline_is_accepted(runtime, worker, hit, clock):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=600)

    assert assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"}).status \
        is AssignmentStatus.SUBMITTED


def test_submit_after_the_deadline_is_invalid_state(runtime, worker, hit, clock):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(seconds=601)

    with pytest.raises(InvalidStateError, match="time allotted"):
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    assert assignments.get_assignment(runtime, worker.actor, taken.public_id).answer is None


def test_submit_twice_is_invalid_state(runtime, worker, hit):
    done = submitted(runtime, worker, hit)

    with pytest.raises(InvalidStateError, match="the assignment is Submitted"):
        assignments.submit(runtime, worker.actor, done.public_id, {"label": "dog"})
    assert assignments.get_assignment(runtime, worker.actor, done.public_id).answer == {"label": "cat"}


def test_submit_another_workers_assignment_is_not_found_and_stores_nothing(runtime, factory, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(NotFoundError, match=f"^Assignment {taken.public_id} does not exist.$"):
        assignments.submit(runtime, factory.worker().actor, taken.public_id, {"label": "cat"})
    still = assignments.get_assignment(runtime, worker.actor, taken.public_id)
    assert (still.status, still.answer) == (AssignmentStatus.ACCEPTED, None)


def test_submit_by_a_requester_is_permission_denied(runtime, requester, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(PermissionDeniedError):
        assignments.submit(runtime, requester.actor, taken.public_id, {"label": "cat"})


@pytest.mark.parametrize(("answer", "field", "message"), [
    ({}, "answer", "'label' is a required property"),
    ({"label": "cow"}, "answer.label", "'cow' is not one of ['cat', 'dog']"),
    ({"label": "cat", "boxes": [1, "x"]}, "answer.boxes.1", "'x' is not of type 'integer'"),
    (["cat"], "answer", "must be a JSON object"),
])
def test_submit_answer_failing_the_schema_names_the_field(runtime, worker, hit, answer, field, message):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidInputError) as caught:
        assignments.submit(runtime, worker.actor, taken.public_id, answer)

    assert caught.value.fields == {field: message}
    unchanged = assignments.get_assignment(runtime, worker.actor, taken.public_id)
    assert (unchanged.status, unchanged.answer) == (AssignmentStatus.ACCEPTED, None)


def test_submit_without_schema_accepts_any_object(runtime, factory, requester, worker):
    plain = factory.hit(requester.actor)
    taken = assignments.accept(runtime, worker.actor, plain.public_id)

    assert assignments.submit(runtime, worker.actor, taken.public_id, {"anything": [1, {"x": 2}]}).answer == \
        {"anything": [1, {"x": 2}]}


@pytest.mark.parametrize("signals", [
    ["pastes", 0],
    {"nested": {"a": 1}},
    {"list": [1, 2]},
    {f"k{i}": i for i in range(101)},
])
def test_submit_invalid_signals_is_invalid_input(runtime, worker, hit, signals):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidInputError) as caught:
        assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"}, signals)

    assert set(caught.value.fields) == {"signals"}
    assert status_of(runtime, worker, taken) is AssignmentStatus.ACCEPTED


@pytest.fixture
def instant(factory, requester):
    """A one-slot HIT whose type auto-approves with no delay (as Dallinger's HIT types do)."""
    return factory.hit(requester.actor, max_assignments=1,
                       hit_type=factory.hit_type_spec(auto_approval_delay_seconds=0))


def test_submit_with_zero_auto_approval_delay_leaves_the_approval_to_the_requester_first(
        runtime, requester, worker, instant):
    taken = assignments.accept(runtime, worker.actor, instant.public_id)

    done = assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    approved = assignments.approve(runtime, requester.actor, taken.public_id)

    assert done.status is AssignmentStatus.SUBMITTED and done.auto_approval_at == done.submitted_at
    assert approved.status is AssignmentStatus.APPROVED
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    current = fresh_hit(runtime, requester, instant)
    assert (current.submitted_count, current.approved_count, current.status) == (0, 1, HITStatus.REVIEWABLE)
    assert payments.balance(runtime, requester.actor).on_hold_micros == 0


def test_zero_auto_approval_delay_approves_and_pays_on_the_next_sweep(runtime, requester, worker, instant):
    taken = assignments.accept(runtime, worker.actor, instant.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})

    swept = sweeps.auto_approve_due(runtime)
    with pytest.raises(InvalidStateError) as again:
        assignments.approve(runtime, requester.actor, taken.public_id)

    assert swept == 1
    assert assignments.get_assignment(runtime, requester.actor, taken.public_id).status is AssignmentStatus.APPROVED
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    assert again.value.context["allowed"] == "Submitted"  # as MTurk: approving twice is refused


def test_submit_last_open_slot_makes_hit_reviewable(runtime, factory, requester):
    one = factory.hit(requester.actor, max_assignments=1)

    submitted(runtime, factory.worker(), one)

    assert fresh_hit(runtime, requester, one).status is HITStatus.REVIEWABLE


# approve / reject ------------------------------------------------------------------------------------------

def test_approve_pays_reward_to_worker_and_fee_to_platform(runtime, requester, worker, hit, clock):
    done = submitted(runtime, worker, hit)
    clock.advance(seconds=10)

    approved = assignments.approve(runtime, requester.actor, done.public_id, feedback="great")

    assert (approved.status, approved.approved_at, approved.requester_feedback) == \
        (AssignmentStatus.APPROVED, clock.now, "great")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    balance = payments.balance(runtime, requester.actor)
    assert balance.on_hold_micros == parse_amount("0.60")  # the other slot stays held
    assert balance.available_micros == parse_amount("98.80")
    with runtime.sessions() as db:
        rows = db.execute(select(LedgerEntry.amount_micros).where(LedgerEntry.assignment_id == approved.id)
                          .order_by(LedgerEntry.amount_micros)).scalars().all()
    assert rows == [-parse_amount("0.60"), parse_amount("0.10"), parse_amount("0.50")]


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_decide_accepted_assignment_is_invalid_state(runtime, requester, worker, hit, decide):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidStateError, match="status of: Submitted; the assignment is Accepted"):
        getattr(assignments, decide)(runtime, requester.actor, taken.public_id, feedback="no")


def test_approve_twice_is_invalid_state_and_pays_once(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)
    assignments.approve(runtime, requester.actor, done.public_id)

    with pytest.raises(InvalidStateError):
        assignments.approve(runtime, requester.actor, done.public_id)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_decide_another_requesters_assignment_is_not_found(runtime, factory, worker, hit, decide):
    done = submitted(runtime, worker, hit)

    with pytest.raises(NotFoundError, match=f"^Assignment {done.public_id} does not exist.$"):
        getattr(assignments, decide)(runtime, factory.requester().actor, done.public_id, feedback="mine?")
    assert status_of(runtime, worker, done) is AssignmentStatus.SUBMITTED


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_decide_by_a_worker_is_permission_denied(runtime, worker, hit, decide):
    done = submitted(runtime, worker, hit)

    with pytest.raises(PermissionDeniedError):
        getattr(assignments, decide)(runtime, worker.actor, done.public_id, feedback="self-approved")


def test_decide_unknown_assignment_is_not_found(runtime, requester):
    with pytest.raises(NotFoundError) as caught:
        assignments.approve(runtime, requester.actor, "NOSUCHASSIGNMENT")
    assert caught.value.entity == "assignment"


def test_approve_feedback_too_long_is_invalid_input(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)

    with pytest.raises(InvalidInputError) as caught:
        assignments.approve(runtime, requester.actor, done.public_id, feedback="x" * 1025)
    assert set(caught.value.fields) == {"requester_feedback"}
    assert status_of(runtime, worker, done) is AssignmentStatus.SUBMITTED


def test_reject_releases_the_slot_cost_and_pays_nothing(runtime, requester, worker, hit, clock):
    done = submitted(runtime, worker, hit)

    rejected = assignments.reject(runtime, requester.actor, done.public_id, feedback="wrong label")

    assert (rejected.status, rejected.rejected_at, rejected.requester_feedback) == \
        (AssignmentStatus.REJECTED, clock.now, "wrong label")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0
    balance = payments.balance(runtime, requester.actor)
    assert (balance.on_hold_micros, balance.available_micros) == (parse_amount("0.60"), parse_amount("99.40"))
    current = fresh_hit(runtime, requester, hit)
    assert (current.submitted_count, current.rejected_count, current.available_count) == (0, 1, 1)


def test_reject_without_feedback_is_invalid_input(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)

    with pytest.raises(InvalidInputError) as caught:
        assignments.reject(runtime, requester.actor, done.public_id, feedback=None)
    assert set(caught.value.fields) == {"requester_feedback"}


def test_reject_approved_assignment_is_invalid_state(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)
    assignments.approve(runtime, requester.actor, done.public_id)

    with pytest.raises(InvalidStateError):
        assignments.reject(runtime, requester.actor, done.public_id, feedback="changed my mind")


# override a rejection --------------------------------------------------------------------------------------

def test_override_rejection_within_30_days_approves_and_pays(runtime, requester, worker, hit, clock):
    done = submitted(runtime, worker, hit)
    assignments.reject(runtime, requester.actor, done.public_id, feedback="wrong")
    clock.advance(days=30)

    approved = assignments.approve(runtime, requester.actor, done.public_id, override_rejection=True)

    assert (approved.status, approved.rejected_at) == (AssignmentStatus.APPROVED, None)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    current = fresh_hit(runtime, requester, hit)
    assert (current.rejected_count, current.approved_count) == (0, 1)
    balance = payments.balance(runtime, requester.actor)
    assert balance.on_hold_micros + balance.available_micros == parse_amount("99.40")


def test_override_rejection_after_30_days_is_invalid_state(runtime, requester, worker, hit, clock):
    done = submitted(runtime, worker, hit)
    assignments.reject(runtime, requester.actor, done.public_id, feedback="wrong")
    clock.advance(days=30, seconds=1)

    with pytest.raises(InvalidStateError, match="could only be overridden until"):
        assignments.approve(runtime, requester.actor, done.public_id, override_rejection=True)
    assert status_of(runtime, worker, done) is AssignmentStatus.REJECTED


def test_approve_rejected_without_override_is_invalid_state(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)
    assignments.reject(runtime, requester.actor, done.public_id, feedback="wrong")

    with pytest.raises(InvalidStateError, match="the assignment is Rejected"):
        assignments.approve(runtime, requester.actor, done.public_id)


def test_override_rejection_without_funds_is_insufficient_and_changes_nothing(runtime, factory, worker):
    poor = factory.requester(deposit="0.60")
    one = factory.hit(poor.actor, max_assignments=1)
    done = submitted(runtime, worker, one)
    assignments.reject(runtime, poor.actor, done.public_id, feedback="wrong")
    factory.hit(poor.actor, max_assignments=1)  # spends the released 0.60 again
    before = payments.balance(runtime, poor.actor)

    with pytest.raises(InsufficientFundsError):
        assignments.approve(runtime, poor.actor, done.public_id, override_rejection=True)

    assert status_of(runtime, worker, done) is AssignmentStatus.REJECTED
    assert payments.balance(runtime, poor.actor) == before
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0


def test_override_rejection_on_a_deleted_hit_is_invalid_state(runtime, factory, requester, worker):
    one = factory.hit(requester.actor, max_assignments=1)
    done = submitted(runtime, worker, one)
    assignments.reject(runtime, requester.actor, done.public_id, feedback="wrong")
    hits.delete_hit(runtime, requester.actor, one.public_id)

    with pytest.raises(InvalidStateError, match="deleted"):
        assignments.approve(runtime, requester.actor, done.public_id, override_rejection=True)


# get / list ------------------------------------------------------------------------------------------------

def test_get_assignment_worker_sees_own_accepted_assignment(runtime, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    assert assignments.get_assignment(runtime, worker.actor, taken.public_id).public_id == taken.public_id


def test_get_assignment_requester_sees_it_only_once_submitted(runtime, requester, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(InvalidStateError):
        assignments.get_assignment(runtime, requester.actor, taken.public_id)
    assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})
    assert assignments.get_assignment(runtime, requester.actor, taken.public_id).answer == {"label": "cat"}


def test_get_assignment_of_someone_else_is_not_found(runtime, factory, worker, hit):
    done = submitted(runtime, worker, hit)

    for outsider in (factory.worker().actor, factory.requester().actor):
        with pytest.raises(NotFoundError, match=f"^Assignment {done.public_id} does not exist.$"):
            assignments.get_assignment(runtime, outsider, done.public_id)


def test_get_assignment_from_the_other_marketplace_is_not_found(runtime, worker, hit):
    taken = assignments.accept(runtime, worker.actor, hit.public_id)

    with pytest.raises(NotFoundError):
        assignments.get_assignment(runtime, worker.actor.in_marketplace(Marketplace.SANDBOX), taken.public_id)


def test_list_for_hit_shows_reviewed_statuses_only_and_filters(runtime, factory, requester):
    hit = factory.hit(requester.actor, max_assignments=4)
    kept = [submitted(runtime, factory.worker(), hit) for _ in range(3)]
    assignments.accept(runtime, factory.worker().actor, hit.public_id)  # still being worked on: never listed
    assignments.approve(runtime, requester.actor, kept[0].public_id)
    assignments.reject(runtime, requester.actor, kept[1].public_id, feedback="no")

    every = assignments.list_for_hit(runtime, requester.actor, hit.public_id)
    only_rejected = assignments.list_for_hit(runtime, requester.actor, hit.public_id,
                                             statuses=(AssignmentStatus.REJECTED,))

    assert [a.public_id for a in every.items] == [a.public_id for a in kept]
    assert [a.public_id for a in only_rejected.items] == [kept[1].public_id]


def test_list_for_hit_pages_with_a_cursor(runtime, factory, requester):
    hit = factory.hit(requester.actor, max_assignments=3)
    kept = [submitted(runtime, factory.worker(), hit) for _ in range(3)]

    first = assignments.list_for_hit(runtime, requester.actor, hit.public_id, limit=2)
    second = assignments.list_for_hit(runtime, requester.actor, hit.public_id, limit=2,
                                      cursor=first.next_cursor)

    assert [a.public_id for a in (*first.items, *second.items)] == [a.public_id for a in kept]
    assert second.next_cursor is None


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"statuses": (AssignmentStatus.ACCEPTED,)}, "statuses"),
    ({"statuses": ()}, "statuses"),
    ({"limit": 0}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_list_for_hit_bad_arguments_are_invalid_input(runtime, requester, hit, kwargs, field):
    with pytest.raises(InvalidInputError) as caught:
        assignments.list_for_hit(runtime, requester.actor, hit.public_id, **kwargs)
    assert set(caught.value.fields) == {field}


def test_list_for_hit_of_another_requester_is_not_found(runtime, factory, hit):
    with pytest.raises(NotFoundError, match=f"^Hit {hit.public_id} does not exist.$"):
        assignments.list_for_hit(runtime, factory.requester().actor, hit.public_id)


def test_list_for_worker_shows_own_assignments_of_this_marketplace(runtime, factory, requester, worker, hit):
    other = factory.hit(requester.actor)
    sandbox_hit = factory.hit(requester.sandbox())
    mine = submitted(runtime, worker, hit)
    pending = assignments.accept(runtime, worker.actor, other.public_id)
    assignments.accept(runtime, worker.actor.in_marketplace(Marketplace.SANDBOX), sandbox_hit.public_id)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)

    every = assignments.list_for_worker(runtime, worker.actor)
    accepted = assignments.list_for_worker(runtime, worker.actor, statuses=(AssignmentStatus.ACCEPTED,))

    assert [a.public_id for a in every.items] == [mine.public_id, pending.public_id]
    assert [a.public_id for a in accepted.items] == [pending.public_id]


def test_every_transition_is_recorded_in_the_event_log(runtime, requester, worker, hit):
    done = submitted(runtime, worker, hit)
    assignments.approve(runtime, requester.actor, done.public_id)

    with runtime.sessions() as db:
        logged = db.execute(select(Event.action, Event.actor).where(Event.entity_id == done.public_id)
                            .order_by(Event.id)).all()
    assert [tuple(row) for row in logged] == [
        ("AssignmentAccepted", worker.actor.label), ("AssignmentSubmitted", worker.actor.label),
        ("AssignmentApproved", requester.actor.label)]


# qualification requirements, guarded actions, system qualifications and blocks -----------------------------

def requiring(factory, requester, *requirements, marketplace_actor=None):
    """A HIT whose HIT type carries ``requirements``."""
    return factory.hit(marketplace_actor or requester.actor,
                       hit_type=factory.hit_type_spec(requirements=tuple(requirements)))


def can_accept(runtime, worker, hit) -> bool:
    try:
        assignments.accept(runtime, worker.actor, hit.public_id)
    except PermissionDeniedError:
        return False
    return True


def history(runtime, factory, requester, worker, *decisions: str) -> None:
    """Give ``worker`` one decided assignment per entry ('approve' or 'reject') on fresh HITs."""
    for decision in decisions:
        done = submitted(runtime, worker, factory.hit(requester.actor, max_assignments=1))
        getattr(assignments, decision)(runtime, requester.actor, done.public_id, feedback="decided")


@pytest.fixture
def skill(runtime, requester):
    spec = QualificationTypeSpec(name="Cat spotting", description="How well the worker spots cats.")
    return qualifications.create_type(runtime, requester.actor, spec).public_id


@pytest.mark.parametrize(("comparator", "values", "expected"), [
    (Comparator.LESS_THAN, (6,), True), (Comparator.LESS_THAN, (5,), False),
    (Comparator.LESS_THAN_OR_EQUAL_TO, (5,), True), (Comparator.LESS_THAN_OR_EQUAL_TO, (4,), False),
    (Comparator.GREATER_THAN, (4,), True), (Comparator.GREATER_THAN, (5,), False),
    (Comparator.GREATER_THAN_OR_EQUAL_TO, (5,), True), (Comparator.GREATER_THAN_OR_EQUAL_TO, (6,), False),
    (Comparator.EQUAL_TO, (5,), True), (Comparator.EQUAL_TO, (4,), False),
    (Comparator.NOT_EQUAL_TO, (4,), True), (Comparator.NOT_EQUAL_TO, (5,), False),
    (Comparator.EXISTS, (), True), (Comparator.DOES_NOT_EXIST, (), False),
    (Comparator.IN, (1, 5, 9), True), (Comparator.IN, (1, 9), False),
    (Comparator.NOT_IN, (1, 9), True), (Comparator.NOT_IN, (1, 5), False),
])
def test_accept_integer_requirement_compares_the_workers_score(runtime, factory, requester, worker, skill,
                                                                comparator, values, expected):
    qualifications.grant(runtime, requester.actor, skill, worker.actor.public_id, 5)
    hit = requiring(factory, requester, RequirementSpec(skill, comparator, integer_values=values))

    assert can_accept(runtime, worker, hit) is expected


@pytest.mark.parametrize(("comparator", "values"), [
    (Comparator.LESS_THAN, (6,)), (Comparator.LESS_THAN_OR_EQUAL_TO, (5,)), (Comparator.GREATER_THAN, (4,)),
    (Comparator.GREATER_THAN_OR_EQUAL_TO, (5,)), (Comparator.EQUAL_TO, (5,)), (Comparator.NOT_EQUAL_TO, (4,)),
    (Comparator.EXISTS, ()), (Comparator.DOES_NOT_EXIST, ()),
    (Comparator.IN, (5,)), (Comparator.NOT_IN, (4,)),
])
def test_accept_without_the_qualification_passes_only_does_not_exist(runtime, factory, requester, worker,
                                                                     skill, comparator, values):
    hit = requiring(factory, requester, RequirementSpec(skill, comparator, integer_values=values))

    assert can_accept(runtime, worker, hit) is (comparator is Comparator.DOES_NOT_EXIST)


def test_accept_revoked_qualification_counts_as_absent(runtime, factory, requester, worker, skill):
    qualifications.grant(runtime, requester.actor, skill, worker.actor.public_id, 5)
    qualifications.revoke(runtime, requester.actor, skill, worker.actor.public_id, reason="cheating")
    hit = requiring(factory, requester, RequirementSpec(skill, Comparator.EXISTS))

    assert can_accept(runtime, worker, hit) is False


@pytest.mark.parametrize(("comparator", "locales", "expected"), [
    (Comparator.EQUAL_TO, (Locale("US"),), True),
    (Comparator.EQUAL_TO, (Locale("US", "WA"),), True),
    (Comparator.EQUAL_TO, (Locale("US", "CA"),), False),
    (Comparator.EQUAL_TO, (Locale("DE"),), False),
    (Comparator.NOT_EQUAL_TO, (Locale("DE"),), True),
    (Comparator.NOT_EQUAL_TO, (Locale("US"),), False),
    (Comparator.NOT_EQUAL_TO, (Locale("US", "CA"),), True),
    (Comparator.IN, (Locale("DE"), Locale("US", "WA")), True),
    (Comparator.IN, (Locale("DE"), Locale("FR")), False),
    (Comparator.NOT_IN, (Locale("DE"), Locale("FR")), True),
    (Comparator.NOT_IN, (Locale("FR"), Locale("US")), False),
    (Comparator.EXISTS, (), True),
    (Comparator.DOES_NOT_EXIST, (), False),
])
def test_accept_locale_requirement_matches_country_and_subdivision(runtime, factory, requester, comparator,
                                                                   locales, expected):
    worker = factory.worker(country="US", subdivision="WA")
    hit = requiring(factory, requester, RequirementSpec(LOCALE, comparator, locale_values=locales))

    assert can_accept(runtime, worker, hit) is expected


@pytest.mark.parametrize(("comparator", "locales", "expected"), [
    (Comparator.EXISTS, (), False),
    (Comparator.DOES_NOT_EXIST, (), True),
    (Comparator.EQUAL_TO, (Locale("US"),), False),
    (Comparator.NOT_IN, (Locale("US"),), False),
])
def test_accept_locale_requirement_for_a_worker_without_locale(runtime, factory, requester, comparator,
                                                               locales, expected):
    worker = factory.worker(country=None)
    hit = requiring(factory, requester, RequirementSpec(LOCALE, comparator, locale_values=locales))

    assert can_accept(runtime, worker, hit) is expected


@pytest.mark.parametrize(("spec", "field"), [
    ({"qualification_type_id": LOCALE, "comparator": Comparator.LESS_THAN, "integer_values": (3,)},
     "integer_values"),
    ({"qualification_type_id": "CUSTOMTYPE", "comparator": Comparator.EQUAL_TO,
      "locale_values": (Locale("US"),)}, "locale_values"),
    ({"qualification_type_id": "CUSTOMTYPE", "comparator": Comparator.EXISTS, "integer_values": (1,)},
     "comparator"),
    ({"qualification_type_id": "CUSTOMTYPE", "comparator": Comparator.IN, "integer_values": tuple(range(16))},
     "comparator"),
])
def test_requirement_with_values_its_comparator_cannot_take_is_invalid_input(spec, field):
    with pytest.raises(InvalidInputError) as caught:
        RequirementSpec(**spec)
    assert field in caught.value.fields


@pytest.mark.parametrize(("guard", "listed", "can_preview", "preview_error"), [
    (GuardedAction.ACCEPT, True, True, None),
    (GuardedAction.PREVIEW_AND_ACCEPT, True, False, PermissionDeniedError),
    (GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT, False, False, NotFoundError),
])
def test_unmet_requirement_forbids_its_guarded_action_and_those_after(runtime, factory, requester, worker,
                                                                      skill, guard, listed, can_preview,
                                                                      preview_error):
    hit = requiring(factory, requester, RequirementSpec(skill, Comparator.EXISTS, actions_guarded=guard))

    listing = {x.hit.public_id: x for x in workers.available_hits(runtime, worker.actor).items}
    assert (hit.public_id in listing) is listed
    if listed:
        assert (listing[hit.public_id].can_preview, listing[hit.public_id].can_accept) == (can_preview, False)
    if preview_error is None:
        assert assignments.preview(runtime, worker.actor, hit.public_id).public_id == hit.public_id
    else:
        with pytest.raises(preview_error):
            assignments.preview(runtime, worker.actor, hit.public_id)
    with pytest.raises(NotFoundError if not listed else PermissionDeniedError):
        assignments.accept(runtime, worker.actor, hit.public_id)
    assert count(runtime, Assignment) == 0


def test_met_requirement_guards_nothing_and_the_strictest_unmet_guard_wins(runtime, factory, requester,
                                                                           worker, skill):
    qualifications.grant(runtime, requester.actor, skill, worker.actor.public_id, 5)
    met = RequirementSpec(skill, Comparator.EXISTS, actions_guarded=GuardedAction.DISCOVER_PREVIEW_AND_ACCEPT)
    unmet_accept = RequirementSpec(ADULT, Comparator.EQUAL_TO, integer_values=(1,))
    unmet_preview = RequirementSpec(NUMBER_HITS_APPROVED, Comparator.GREATER_THAN, integer_values=(0,),
                                    actions_guarded=GuardedAction.PREVIEW_AND_ACCEPT)
    open_hit = requiring(factory, requester, met)
    guarded = requiring(factory, requester, met, unmet_accept, unmet_preview)

    listing = {x.hit.public_id: x for x in workers.available_hits(runtime, worker.actor).items}
    assert (listing[open_hit.public_id].can_preview, listing[open_hit.public_id].can_accept) == (True, True)
    assert (listing[guarded.public_id].can_preview, listing[guarded.public_id].can_accept) == (False, False)
    with pytest.raises(PermissionDeniedError) as caught:
        assignments.accept(runtime, worker.actor, guarded.public_id)
    assert set(caught.value.context["unmet"]) == {ADULT, NUMBER_HITS_APPROVED}


def test_number_hits_approved_counts_approved_assignments(runtime, factory, requester, worker):
    at_least_2 = RequirementSpec(NUMBER_HITS_APPROVED, Comparator.GREATER_THAN_OR_EQUAL_TO,
                                 integer_values=(2,))
    hit = requiring(factory, requester, at_least_2)
    history(runtime, factory, requester, worker, "approve", "reject")
    assert can_accept(runtime, worker, hit) is False

    history(runtime, factory, requester, worker, "approve")
    assert can_accept(runtime, worker, hit) is True


def test_percent_approved_is_100_until_enough_decided_assignments(runtime, factory, requester, worker):
    at_least_60 = RequirementSpec(PERCENT_APPROVED, Comparator.GREATER_THAN_OR_EQUAL_TO, integer_values=(60,))
    history(runtime, factory, requester, worker, "approve", "reject")

    assert can_accept(runtime, worker, requiring(factory, requester, at_least_60)) is True  # 2 < 10 decided
    runtime.settings = replace(runtime.settings, marketplace=replace(
        runtime.settings.marketplace, percent_approved_min_assignments=2))
    assert can_accept(runtime, worker, requiring(factory, requester, at_least_60)) is False  # 50%
    exactly_50 = RequirementSpec(PERCENT_APPROVED, Comparator.EQUAL_TO, integer_values=(50,))
    assert can_accept(runtime, worker, requiring(factory, requester, exactly_50)) is True


def test_adult_requirement_follows_the_workers_consent(runtime, factory, requester):
    hit = requiring(factory, requester, RequirementSpec(ADULT, Comparator.EQUAL_TO, integer_values=(1,)))

    assert can_accept(runtime, factory.worker(adult=False), hit) is False
    assert can_accept(runtime, factory.worker(adult=True), hit) is True


def test_masters_follows_the_rule_in_settings(runtime, factory, requester):
    runtime.settings = replace(runtime.settings, marketplace=replace(
        runtime.settings.marketplace, masters_min_approved=2, masters_min_percent_approved=60))
    masters = RequirementSpec(MASTERS_ID[Marketplace.PRODUCTION], Comparator.EXISTS)
    hit = requiring(factory, requester, masters)
    expert, sloppy, novice = factory.worker(), factory.worker(), factory.worker()
    history(runtime, factory, requester, expert, "approve", "approve", "reject")  # 2 approved, 66%
    history(runtime, factory, requester, sloppy, "approve", "approve", "reject", "reject")  # 50%
    history(runtime, factory, requester, novice, "approve")  # too few

    assert [can_accept(runtime, w, hit) for w in (expert, sloppy, novice)] == [True, False, False]


@pytest.mark.parametrize("named_as", [Marketplace.PRODUCTION, Marketplace.SANDBOX])
def test_either_masters_id_names_the_masters_of_the_hits_marketplace(runtime, factory, requester, named_as):
    """Scripts hard-code one of MTurk's two Masters ids whatever endpoint they call."""
    runtime.settings = replace(runtime.settings, marketplace=replace(
        runtime.settings.marketplace, masters_min_approved=1, masters_min_percent_approved=100))
    expert, novice = factory.worker(), factory.worker()
    history(runtime, factory, requester, expert, "approve")
    hit = requiring(factory, requester, RequirementSpec(MASTERS_ID[named_as], Comparator.EXISTS))

    assert [can_accept(runtime, w, hit) for w in (expert, novice)] == [True, False]


def test_masters_of_the_sandbox_is_its_own_qualification(runtime, factory, requester):
    runtime.settings = replace(runtime.settings, marketplace=replace(
        runtime.settings.marketplace, masters_min_approved=1, masters_min_percent_approved=100))
    expert = factory.worker()
    history(runtime, factory, requester, expert, "approve")  # a production master, not a sandbox one
    sandbox_masters = RequirementSpec(MASTERS_ID[Marketplace.SANDBOX], Comparator.EXISTS)
    sandbox_hit = requiring(factory, requester, sandbox_masters, marketplace_actor=requester.sandbox())

    with pytest.raises(PermissionDeniedError):
        assignments.accept(runtime, expert.actor.in_marketplace(Marketplace.SANDBOX), sandbox_hit.public_id)


def test_block_hides_the_requesters_hits_until_unblocked(runtime, factory, requester, worker, hit):
    elsewhere = factory.hit(factory.requester().actor)
    workers.block(runtime, requester.actor, worker.actor.public_id, "spam answers")

    listed = [x.hit.public_id for x in workers.available_hits(runtime, worker.actor).items]
    assert listed == [elsewhere.public_id]
    for call in (assignments.preview, assignments.accept):
        with pytest.raises(NotFoundError):
            call(runtime, worker.actor, hit.public_id)

    workers.unblock(runtime, requester.actor, worker.actor.public_id)
    assert assignments.accept(runtime, worker.actor, hit.public_id).status is AssignmentStatus.ACCEPTED
