"""HIT use cases against the real database: types, idempotent creates, holds, expiry, review, delete,
listing and history. Command-level limits are covered in tests/unit/test_commands.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from labelhub.errors import (
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import HIT, Comparator, Event, HITStatus, HITType, LedgerTransaction, RequestToken
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, payments, qualifications, sweeps
from labelhub.services.commands import CreateHIT, QualificationTypeSpec, RequirementSpec

SLOT = parse_amount("0.60")  # the factory's reward 0.50 + 20% fee
LARGE_SLOT = parse_amount("0.70")  # 0.50 + 40% fee on HITs of 10 or more assignments


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def _create_cmd(factory, *, token: str | None = None, max_assignments: int = 2, **spec) -> CreateHIT:
    return CreateHIT(question="<p>Is there a cat?</p>", lifetime_seconds=3600,
                     max_assignments=max_assignments, hit_type=factory.hit_type_spec(**spec),
                     unique_request_token=token)


def _held(rt, actor) -> tuple[int, int]:
    balance = payments.balance(rt, actor)
    return balance.available_micros, balance.on_hold_micros


def _not_found(call, public_id: str) -> tuple:
    """How ``call(public_id)`` is refused, with the id masked, so two refusals can be compared."""
    with pytest.raises(NotFoundError) as caught:
        call(public_id)
    return caught.value.entity, caught.value.message.replace(public_id, "<id>"), caught.value.context


def _submitted(rt, factory, requester, **hit_options):
    """A HIT with one submitted (undecided) assignment."""
    hit = factory.hit(requester.actor, **hit_options)
    worker = factory.worker()
    assignment = assignments.accept(rt, worker.actor, hit.public_id)
    assignments.submit(rt, worker.actor, assignment.public_id, {"label": "cat"})
    return hit, assignment


# --- HIT types ---------------------------------------------------------------------------------


def test_create_hit_type_reuses_identical_properties(runtime, factory):
    requester = factory.requester()
    first = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())
    again = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())
    other_reward = hits.create_hit_type(runtime, requester.actor,
                                        factory.hit_type_spec(reward_micros=parse_amount("0.51")))
    assert again.public_id == first.public_id
    assert other_reward.public_id != first.public_id
    assert _count(runtime, HITType) == 2


def test_create_hit_type_is_per_requester_and_marketplace(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    spec = factory.hit_type_spec()
    ids = {hits.create_hit_type(runtime, alice.actor, spec).public_id,
           hits.create_hit_type(runtime, alice.sandbox(), spec).public_id,
           hits.create_hit_type(runtime, bob.actor, spec).public_id}
    assert len(ids) == 3


def test_create_hit_type_requirements_are_part_of_identity(runtime, factory):
    requester = factory.requester()
    requirement = RequirementSpec("00000000000000000040", Comparator.GREATER_THAN, (10,))
    plain = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())
    guarded_spec = factory.hit_type_spec(requirements=(requirement,))
    guarded = hits.create_hit_type(runtime, requester.actor, guarded_spec)
    guarded_again = hits.create_hit_type(runtime, requester.actor, guarded_spec)
    assert guarded.public_id != plain.public_id
    assert guarded_again.public_id == guarded.public_id
    assert [(r.comparator, r.integer_values) for r in guarded.requirements] == \
        [(Comparator.GREATER_THAN, [10])]


def test_create_hit_type_concurrently_with_identical_properties_makes_one(runtime, factory):
    requester = factory.requester()
    barrier = Barrier(4)

    def create():
        barrier.wait()
        return hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec(title="Race"))

    with ThreadPoolExecutor(4) as pool:
        created = [f.result() for f in [pool.submit(create) for _ in range(4)]]
    assert len({t.public_id for t in created}) == 1
    assert _count(runtime, HITType) == 1


def test_create_hit_type_by_worker_is_permission_denied(runtime, factory):
    worker = factory.worker()
    with pytest.raises(PermissionDeniedError):
        hits.create_hit_type(runtime, worker.actor, factory.hit_type_spec())
    assert _count(runtime, HITType) == 0


# --- create ------------------------------------------------------------------------------------


def test_create_hit_holds_reward_and_fee_for_every_assignment(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    created = hits.create_hit(runtime, requester.actor, _create_cmd(factory, max_assignments=3))
    hit = created.value
    assert created.replayed is False
    assert (hit.status, hit.max_assignments, hit.available_count) == (HITStatus.ASSIGNABLE, 3, 3)
    assert hit.expires_at == clock.now + timedelta(hours=1)
    assert hit.fee_per_assignment_micros == parse_amount("0.10")
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - 3 * SLOT, 3 * SLOT)


def test_create_hit_with_ten_assignments_charges_the_large_hit_fee(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=10)
    assert hit.fee_per_assignment_micros == parse_amount("0.20")
    assert _held(runtime, requester.actor)[1] == 10 * LARGE_SLOT


def test_create_hit_with_existing_hit_type_id(runtime, factory):
    requester = factory.requester()
    hit_type = hits.create_hit_type(runtime, requester.actor, factory.hit_type_spec())
    created = hits.create_hit(runtime, requester.actor, CreateHIT(
        question="<p>q</p>", lifetime_seconds=60, hit_type_id=hit_type.public_id))
    assert created.value.hit_type.public_id == hit_type.public_id
    assert _count(runtime, HITType) == 1


def test_create_hit_with_another_requesters_hit_type_is_not_found_like_an_unknown_one(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    alices_type = hits.create_hit_type(runtime, alice.actor, factory.hit_type_spec())

    def create(hit_type_id):
        hits.create_hit(runtime, bob.actor, CreateHIT(question="<p>q</p>", lifetime_seconds=60,
                                                      hit_type_id=hit_type_id))

    theirs = _not_found(create, alices_type.public_id)
    assert theirs == ("hit_type", "HITType <id> does not exist", {})
    assert theirs == _not_found(create, "NOSUCHTYPE")
    assert _count(runtime, HIT) == 0
    assert _held(runtime, bob.actor) == (parse_amount("100.00"), 0)


def test_create_hit_with_insufficient_funds_creates_nothing(runtime, factory):
    requester = factory.requester(deposit="1.00")
    events_before = _count(runtime, Event)
    with pytest.raises(InsufficientFundsError, match="1.80"):
        hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="t-1", max_assignments=3))
    assert _count(runtime, HIT) == 0
    assert _count(runtime, HITType) == 0
    assert _count(runtime, RequestToken) == 0
    assert _count(runtime, LedgerTransaction, LedgerTransaction.kind == "reserve") == 0
    assert _count(runtime, Event) == events_before
    assert _held(runtime, requester.actor) == (parse_amount("1.00"), 0)


def test_create_hit_same_token_within_window_returns_the_first_hit(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    first = hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="tok-1"))
    clock.advance(hours=23, minutes=59, seconds=59)
    again = hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="tok-1"))
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value.public_id == first.value.public_id
    assert _count(runtime, HIT) == 1
    assert _count(runtime, LedgerTransaction, LedgerTransaction.kind == "reserve") == 1
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - 2 * SLOT, 2 * SLOT)


def test_create_hit_same_token_after_window_creates_a_new_hit(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    first = hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="tok-1"))
    clock.advance(hours=24, seconds=1)
    later = hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="tok-1"))
    assert later.replayed is False
    assert later.value.public_id != first.value.public_id
    assert _count(runtime, HIT) == 2
    assert _count(runtime, RequestToken) == 1  # the stale memory was replaced
    again = hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="tok-1"))
    assert (again.replayed, again.value.public_id) == (True, later.value.public_id)


def test_create_hit_token_is_scoped_to_requester_and_marketplace(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    created = [hits.create_hit(runtime, actor, _create_cmd(factory, token="shared"))
               for actor in (alice.actor, alice.sandbox(), bob.actor)]
    assert [c.replayed for c in created] == [False, False, False]
    assert len({c.value.public_id for c in created}) == 3


def test_create_hit_same_token_on_concurrent_threads_creates_one_hit(runtime, factory):
    requester = factory.requester(deposit="10.00")
    threads = 6
    barrier = Barrier(threads)

    def create():
        barrier.wait()
        return hits.create_hit(runtime, requester.actor, _create_cmd(factory, token="double-click"))

    with ThreadPoolExecutor(threads) as pool:
        results = [f.result() for f in [pool.submit(create) for _ in range(threads)]]
    assert len({r.value.public_id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * (threads - 1)
    assert _count(runtime, HIT) == 1
    assert _count(runtime, HITType) == 1
    assert _count(runtime, LedgerTransaction, LedgerTransaction.kind == "reserve") == 1
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - 2 * SLOT, 2 * SLOT)


def test_get_hit_of_another_requester_or_marketplace_is_not_found_like_an_unknown_one(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    hit = factory.hit(alice.actor)
    assert hits.get_hit(runtime, alice.actor, hit.public_id).public_id == hit.public_id

    def get_as(actor):
        return lambda hit_id: hits.get_hit(runtime, actor, hit_id)

    unknown = _not_found(get_as(bob.actor), "NOSUCHHIT")
    assert unknown == ("hit", "Hit <id> does not exist.", {})
    assert _not_found(get_as(bob.actor), hit.public_id) == unknown
    assert _not_found(get_as(alice.sandbox()), hit.public_id) == unknown


# --- additional assignments --------------------------------------------------------------------


def test_create_additional_assignments_holds_their_cost(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    extended = hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 2).value
    assert (extended.max_assignments, extended.available_count) == (5, 5)
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - 5 * SLOT, 5 * SLOT)
    assert hits.hit_history(runtime, requester.actor, hit.public_id).items[-1].data == {"added_assignments": 2}


def test_create_additional_assignments_from_nine_to_ten_is_refused(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=9)
    with pytest.raises(InvalidStateError, match="fewer than 10 assignments") as raised:
        hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1)
    assert raised.value.context["reason"] == "InvalidMaximumAssignmentsIncrease"
    assert hits.get_hit(runtime, requester.actor, hit.public_id).max_assignments == 9
    assert _held(runtime, requester.actor)[1] == 9 * SLOT


def test_create_additional_assignments_above_ten_keeps_the_large_fee(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=10)
    hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).max_assignments == 11
    assert _held(runtime, requester.actor)[1] == 11 * LARGE_SLOT


def test_create_additional_assignments_reopens_a_full_hit(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit, _ = _submitted(runtime, factory, requester, max_assignments=1)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.REVIEWABLE
    extended = hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1).value
    assert (extended.status, extended.available_count) == (HITStatus.ASSIGNABLE, 1)
    assert _held(runtime, requester.actor)[1] == 2 * SLOT


@pytest.mark.parametrize("count", [0, -1, 1_000_001, True])
def test_create_additional_assignments_bad_count_names_the_field(runtime, factory, count):
    requester = factory.requester()
    hit = factory.hit(requester.actor, max_assignments=2)
    with pytest.raises(InvalidInputError) as raised:
        hits.create_additional_assignments(runtime, requester.actor, hit.public_id, count)
    assert set(raised.value.fields) == {"number_of_additional_assignments"}
    assert hits.get_hit(runtime, requester.actor, hit.public_id).max_assignments == 2


def test_create_additional_assignments_with_insufficient_funds_changes_nothing(runtime, factory):
    requester = factory.requester(deposit="1.20")
    hit = factory.hit(requester.actor, max_assignments=2)
    with pytest.raises(InsufficientFundsError):
        hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).max_assignments == 2
    assert _held(runtime, requester.actor) == (0, 2 * SLOT)
    assert [e.action for e in hits.hit_history(runtime, requester.actor, hit.public_id).items] == ["HITCreated"]


def test_create_additional_assignments_token_replays_once(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=2)
    first = hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 3,
                                               unique_request_token="more-1")
    again = hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 3,
                                               unique_request_token="more-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value.max_assignments == 5
    assert _held(runtime, requester.actor)[1] == 5 * SLOT


def test_create_additional_assignments_on_deleted_hit_is_invalid_state(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    hits.delete_hit(runtime, requester.actor, hit.public_id)
    with pytest.raises(InvalidStateError, match="deleted"):
        hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1)
    assert _held(runtime, requester.actor)[1] == 0


# --- expiration --------------------------------------------------------------------------------


def test_update_expiration_in_the_past_expires_now_and_releases_funds(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    clock.advance(minutes=5)
    expired = hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now - timedelta(days=1))
    assert expired.status is HITStatus.REVIEWABLE
    assert expired.expires_at == clock.now
    assert expired.expired_at == clock.now
    assert _held(runtime, requester.actor) == (parse_amount("10.00"), 0)


def test_update_expiration_keeps_the_hold_of_accepted_assignments(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)
    expired = hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    assert expired.status is HITStatus.UNASSIGNABLE
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - SLOT, SLOT)


def test_update_expiration_in_the_future_reopens_and_holds_again(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=2)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    reopened = hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now + timedelta(days=2))
    assert reopened.status is HITStatus.ASSIGNABLE
    assert (reopened.expires_at, reopened.expired_at) == (clock.now + timedelta(days=2), None)
    assert _held(runtime, requester.actor) == (parse_amount("10.00") - 2 * SLOT, 2 * SLOT)


def test_update_expiration_extend_without_funds_changes_nothing(runtime, factory, clock):
    requester = factory.requester(deposit="1.20")
    hit = factory.hit(requester.actor, max_assignments=2)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    factory.hit(requester.actor, max_assignments=2)  # spends the released funds
    with pytest.raises(InsufficientFundsError):
        hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now + timedelta(days=1))
    current = hits.get_hit(runtime, requester.actor, hit.public_id)
    assert (current.status, current.expires_at) == (HITStatus.REVIEWABLE, clock.now)
    assert current.expired_at == clock.now


def test_update_expiration_of_deleted_hit_is_invalid_state(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    hits.delete_hit(runtime, requester.actor, hit.public_id)
    with pytest.raises(InvalidStateError, match="deleted"):
        hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now + timedelta(days=1))
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.DISPOSED


def test_expiring_a_deleted_hit_succeeds_and_changes_nothing(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    deleted = hits.delete_hit(runtime, requester.actor, hit.public_id)
    events = _count(runtime, Event)
    clock.advance(minutes=5)

    again = hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now - timedelta(days=30))

    assert (again.status, again.expires_at, again.expired_at) == \
        (HITStatus.DISPOSED, deleted.expires_at, deleted.expired_at)
    assert _count(runtime, Event) == events


# --- review status -----------------------------------------------------------------------------


def test_update_review_status_and_revert(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    reviewing = hits.update_review_status(runtime, requester.actor, hit.public_id)
    assert reviewing.status is HITStatus.REVIEWING
    listed = hits.list_reviewable_hits(runtime, requester.actor, status=HITStatus.REVIEWING)
    assert [h.public_id for h in listed.items] == [hit.public_id]
    reverted = hits.update_review_status(runtime, requester.actor, hit.public_id, revert=True)
    assert reverted.status is HITStatus.REVIEWABLE
    listed = hits.list_reviewable_hits(runtime, requester.actor)
    assert [h.public_id for h in listed.items] == [hit.public_id]


@pytest.mark.parametrize(("expire_first", "revert", "message"), [
    (False, False, "This HIT is currently in the state 'Assignable'.  This operation can be called with a "
                   "status of: Reviewable"),
    (True, True, "This HIT is currently in the state 'Reviewable'.  This operation can be called with a "
                 "status of: Reviewing"),
])
def test_update_review_status_in_wrong_state_is_refused(runtime, factory, clock, expire_first, revert,
                                                        message):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    if expire_first:
        hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    before = hits.get_hit(runtime, requester.actor, hit.public_id).status
    events = _count(runtime, Event)
    with pytest.raises(InvalidStateError) as raised:
        hits.update_review_status(runtime, requester.actor, hit.public_id, revert=revert)
    assert raised.value.message == message
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is before
    assert _count(runtime, Event) == events


def test_list_reviewable_hits_rejects_other_statuses_and_filters_by_type(runtime, factory, clock):
    requester = factory.requester()
    cats = factory.hit(requester.actor)
    dogs = factory.hit(requester.actor, hit_type=factory.hit_type_spec(title="Is there a dog?"))
    for hit in (cats, dogs):
        hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    with pytest.raises(InvalidInputError) as raised:
        hits.list_reviewable_hits(runtime, requester.actor, status=HITStatus.ASSIGNABLE)
    assert set(raised.value.fields) == {"status"}
    page = hits.list_reviewable_hits(runtime, requester.actor, hit_type_id=dogs.hit_type.public_id)
    assert [h.public_id for h in page.items] == [dogs.public_id]


# --- change HIT type ---------------------------------------------------------------------------


def _dearer_type(rt, factory, requester):
    """The factory's HIT type with a reward of 1.00 instead of 0.50."""
    spec = factory.hit_type_spec(reward_micros=parse_amount("1.00"))
    return hits.create_hit_type(rt, requester.actor, spec)


def test_change_hit_type_resyncs_the_hold_to_the_new_reward(runtime, factory):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    dearer = _dearer_type(runtime, factory, requester)
    changed = hits.change_hit_type(runtime, requester.actor, hit.public_id, dearer.public_id)
    assert changed.hit_type.public_id == dearer.public_id
    assert changed.fee_per_assignment_micros == parse_amount("0.20")
    assert _held(runtime, requester.actor) == (parse_amount("6.40"), parse_amount("3.60"))
    cheaper = hits.create_hit_type(runtime, requester.actor,
                                   factory.hit_type_spec(reward_micros=parse_amount("0.05")))
    hits.change_hit_type(runtime, requester.actor, hit.public_id, cheaper.public_id)
    assert _held(runtime, requester.actor)[1] == 3 * parse_amount("0.06")  # 0.05 + minimum fee 0.01
    history = hits.hit_history(runtime, requester.actor, hit.public_id).items
    assert [e.data["hit_type"] for e in history if e.action == "HITTypeChanged"] == \
        [dearer.public_id, cheaper.public_id]


def test_change_hit_type_keeps_the_hits_fee_tier(runtime, factory):
    requester = factory.requester(deposit="50.00")
    hit = factory.hit(requester.actor, max_assignments=10)
    dearer = _dearer_type(runtime, factory, requester)
    changed = hits.change_hit_type(runtime, requester.actor, hit.public_id, dearer.public_id)
    assert changed.fee_per_assignment_micros == parse_amount("0.40")
    assert _held(runtime, requester.actor)[1] == 10 * parse_amount("1.40")


def test_change_hit_type_without_funds_changes_nothing(runtime, factory):
    requester = factory.requester(deposit="2.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    dearer = _dearer_type(runtime, factory, requester)
    with pytest.raises(InsufficientFundsError):
        hits.change_hit_type(runtime, requester.actor, hit.public_id, dearer.public_id)
    current = hits.get_hit(runtime, requester.actor, hit.public_id)
    assert current.hit_type.public_id == hit.hit_type.public_id
    assert current.fee_per_assignment_micros == parse_amount("0.10")
    assert _held(runtime, requester.actor) == (parse_amount("2.00") - 3 * SLOT, 3 * SLOT)


def test_change_hit_type_to_a_type_not_owned_is_not_found_like_an_unknown_one(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    hit = factory.hit(alice.actor)
    bobs_type = hits.create_hit_type(runtime, bob.actor, factory.hit_type_spec(title="Bob's"))

    def change(hit_type_id):
        hits.change_hit_type(runtime, alice.actor, hit.public_id, hit_type_id)

    theirs = _not_found(change, bobs_type.public_id)
    assert theirs == ("hit_type", "HITType <id> does not exist", {})
    assert theirs == _not_found(change, "NOSUCHTYPE")
    assert hits.get_hit(runtime, alice.actor, hit.public_id).hit_type.public_id == hit.hit_type.public_id


# --- delete ------------------------------------------------------------------------------------


def test_delete_hit_in_assignable_state_gives_mturks_message(runtime, factory):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    with pytest.raises(InvalidStateError) as raised:
        hits.delete_hit(runtime, requester.actor, hit.public_id)
    assert raised.value.message == ("This HIT is currently in the state 'Assignable'.  This operation can be "
                                    "called with a status of: Reviewing, Reviewable")
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.ASSIGNABLE


def test_delete_hit_with_an_accepted_assignment_is_refused(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    with pytest.raises(InvalidStateError, match="in the state 'Unassignable'"):
        hits.delete_hit(runtime, requester.actor, hit.public_id)


def test_delete_hit_with_undecided_submitted_assignment_is_refused(runtime, factory):
    requester = factory.requester()
    hit, assignment = _submitted(runtime, factory, requester, max_assignments=1)
    with pytest.raises(InvalidStateError, match="1 submitted assignment"):
        hits.delete_hit(runtime, requester.actor, hit.public_id)
    assert hits.get_hit(runtime, requester.actor, hit.public_id).status is HITStatus.REVIEWABLE
    assignments.approve(runtime, requester.actor, assignment.public_id)
    assert hits.delete_hit(runtime, requester.actor, hit.public_id).status is HITStatus.DISPOSED


@pytest.mark.parametrize("reviewing", [False, True])
def test_delete_hit_disposes_and_releases_funds(runtime, factory, clock, reviewing):
    requester = factory.requester(deposit="10.00")
    hit = factory.hit(requester.actor, max_assignments=3)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    clock.advance(hours=2)
    sweeps.abandon_overdue(runtime)
    if reviewing:
        hits.update_review_status(runtime, requester.actor, hit.public_id)
    deleted = hits.delete_hit(runtime, requester.actor, hit.public_id)
    assert (deleted.status, deleted.disposed_at) == (HITStatus.DISPOSED, clock.now)
    assert _held(runtime, requester.actor) == (parse_amount("10.00"), 0)
    with pytest.raises(InvalidStateError, match="in the state 'Disposed'"):
        hits.delete_hit(runtime, requester.actor, hit.public_id)


# --- listing -----------------------------------------------------------------------------------


def test_list_hits_cursor_walks_every_hit_once_without_disposed(runtime, factory, clock):
    requester = factory.requester(deposit="500.00")
    created = [factory.hit(requester.actor, max_assignments=1).public_id for _ in range(105)]
    hits.update_expiration(runtime, requester.actor, created[50], clock.now)
    hits.delete_hit(runtime, requester.actor, created[50])
    seen, cursor, pages = [], None, 0
    while True:
        page = hits.list_hits(runtime, requester.actor, cursor=cursor, limit=40)
        seen += [h.public_id for h in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [public_id for i, public_id in enumerate(created) if i != 50]
    assert len(hits.list_hits(runtime, requester.actor, limit=100).items) == 100


def test_list_hits_never_mixes_marketplaces(runtime, factory):
    requester = factory.requester()
    production = factory.hit(requester.actor)
    sandbox = factory.hit(requester.sandbox())
    assert [h.public_id for h in hits.list_hits(runtime, requester.actor).items] == [production.public_id]
    assert [h.public_id for h in hits.list_hits(runtime, requester.sandbox()).items] == [sandbox.public_id]
    with pytest.raises(NotFoundError):
        hits.get_hit(runtime, requester.actor, sandbox.public_id)


def test_list_hits_only_shows_the_requesters_own(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    factory.hit(alice.actor)
    assert hits.list_hits(runtime, bob.actor).items == []


@pytest.mark.parametrize(("options", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "djI6MTA"}, "cursor"),  # "v2:10": a version this server never issued
])
def test_list_hits_bad_paging_names_the_field(runtime, factory, options, field):
    requester = factory.requester()
    with pytest.raises(InvalidInputError) as raised:
        hits.list_hits(runtime, requester.actor, **options)
    assert set(raised.value.fields) == {field}


def test_list_hits_for_qualification_type(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec("Skill", "A skill"))
    requirement = RequirementSpec(qtype.public_id, Comparator.EXISTS)
    guarded = factory.hit(requester.actor, hit_type=factory.hit_type_spec(requirements=(requirement,)))
    factory.hit(requester.actor)
    page = hits.list_hits_for_qualification_type(runtime, requester.actor, qtype.public_id)
    assert [h.public_id for h in page.items] == [guarded.public_id]


def test_list_hits_for_an_unknown_or_other_marketplace_qualification_type_is_not_found(runtime, factory):
    requester = factory.requester()
    qtype = qualifications.create_type(runtime, requester.actor, QualificationTypeSpec("Skill", "A skill"))
    for actor, type_id in ((requester.actor, "QUALTYPE000000000000000000000A"),
                           (requester.sandbox(), qtype.public_id)):
        with pytest.raises(NotFoundError, match=f"^QualificationType {type_id} does not exist.$") as caught:
            hits.list_hits_for_qualification_type(runtime, actor, type_id)
        assert caught.value.entity == "qualification_type"


def test_create_hit_requiring_an_unknown_qualification_type_is_invalid_and_creates_nothing(runtime, factory):
    requester = factory.requester()
    requirement = RequirementSpec("QUALTYPE000000000000000000000A", Comparator.EXISTS)
    with pytest.raises(InvalidInputError) as caught:
        factory.hit(requester.actor, hit_type=factory.hit_type_spec(requirements=(requirement,)))
    assert "QUALTYPE000000000000000000000A does not exist" in caught.value.fields["qualification_requirements"]
    assert hits.list_hits(runtime, requester.actor).items == []
    assert payments.balance(runtime, requester.actor).on_hold_micros == 0


# --- history -----------------------------------------------------------------------------------


def _replay(events) -> list[str]:
    """Rebuild the status sequence from the log, checking each change's recorded previous status."""
    statuses = []
    for event in events:
        data = event.data or {}
        if "previous" in data and event.action != "HITTypeChanged":
            assert data["previous"] == statuses[-1], event.action
        new = {"HITCreated": "Assignable", "HITReviewable": "Reviewable", "HITDisposed": "Disposed"}.get(
            event.action, data.get("status"))
        if new is not None:
            statuses.append(new)
    return statuses


def test_hit_history_replays_every_state_change_in_order(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor, max_assignments=1)
    worker = factory.worker()
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    clock.advance(minutes=1)
    assignments.submit(runtime, worker.actor, assignment.public_id, {"label": "cat"})
    assignments.approve(runtime, requester.actor, assignment.public_id)
    hits.update_review_status(runtime, requester.actor, hit.public_id)
    hits.update_review_status(runtime, requester.actor, hit.public_id, revert=True)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    hits.delete_hit(runtime, requester.actor, hit.public_id)

    history = hits.hit_history(runtime, requester.actor, hit.public_id).items
    assert [e.action for e in history] == [
        "HITCreated", "AssignmentAccepted", "HITStatusChanged", "AssignmentSubmitted", "HITReviewable",
        "AssignmentApproved", "HITReviewStatusChanged", "HITReviewStatusChanged", "HITExpired", "HITDisposed"]
    assert _replay(history) == ["Assignable", "Unassignable", "Reviewable", "Reviewing", "Reviewable",
                                "Disposed"]
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert {e.actor for e in history} == {requester.actor.label, worker.actor.label}
    assert history[1].entity_id == assignment.public_id


def test_hit_history_replays_expiry_and_extension(runtime, factory, clock):
    requester = factory.requester()
    hit = factory.hit(requester.actor)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now + timedelta(hours=1))
    history = hits.hit_history(runtime, requester.actor, hit.public_id).items
    assert [e.action for e in history] == ["HITCreated", "HITReviewable", "HITExpired", "HITExtended",
                                           "HITStatusChanged"]
    assert _replay(history) == ["Assignable", "Reviewable", "Assignable"]


def test_hit_history_of_another_requesters_hit_is_not_found_like_an_unknown_one(runtime, factory):
    alice, bob = factory.requester(), factory.requester()
    hit = factory.hit(alice.actor)

    def history(hit_id):
        hits.hit_history(runtime, bob.actor, hit_id)

    theirs = _not_found(history, hit.public_id)
    assert theirs == ("hit", "Hit <id> does not exist.", {})
    assert theirs == _not_found(history, "NOSUCHHIT")
