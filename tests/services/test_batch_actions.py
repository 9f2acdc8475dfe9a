"""Batch actions: pause and resume (the marketplace and accept both obey), extend, add assignments
(funds held, refused without them), expire (funds released); the ledger's audit holds after each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from labelhub.errors import InsufficientFundsError, InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Event, HITStatus
from labelhub.money import parse_amount
from labelhub.services import assignments, batch_actions, batches, gold, hits, payments, workers
from labelhub.services.commands import HITTypeSpec
from tests.ledger_checks import check_holds

REWARD = parse_amount("0.10")


def make_batch(runtime, actor, *, rows=3, max_assignments=2, lifetime_seconds=3600):
    spec = HITTypeSpec(title="Sentiment", description="Pick the sentiment.", reward_micros=REWARD,
                       assignment_duration_seconds=600)
    return batches.create_batch(runtime, actor, batches.CreateBatch(
        name="Reviews", template_kind="text_classification", question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": f"review {n}"} for n in range(1, rows + 1)), lifetime_seconds=lifetime_seconds,
        max_assignments=max_assignments, template_config={"labels": ["positive", "negative"]}))


def batch_hits(runtime, batch):
    with runtime.sessions() as db:
        return list(db.scalars(select(HIT).where(HIT.batch_id == batch.id).order_by(HIT.id)))


def listed(runtime, worker):
    return [item.hit.public_id for item in workers.available_hits(runtime, worker.actor).items]


def test_pause_hides_the_batch_and_refuses_accepts_but_lets_accepted_work_be_submitted(runtime, factory):
    requester, busy, newcomer = factory.requester(), factory.worker(), factory.worker()
    batch = make_batch(runtime, requester.actor)
    first = batch_hits(runtime, batch)[0]
    accepted = assignments.accept(runtime, busy.actor, first.public_id)

    done = batch_actions.pause(runtime, requester.actor, batch.public_id)

    assert done.hits == 3 and all(hit.paused for hit in batch_hits(runtime, batch))
    assert listed(runtime, newcomer) == []
    with pytest.raises(InvalidStateError, match="paused"):
        assignments.accept(runtime, newcomer.actor, first.public_id)
    submitted = assignments.submit(runtime, busy.actor, accepted.public_id, {"label": "positive"})
    assert submitted.status.value == "Submitted"


def test_resume_puts_the_hits_back_on_offer(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    batch = make_batch(runtime, requester.actor)
    batch_actions.pause(runtime, requester.actor, batch.public_id)

    batch_actions.resume(runtime, requester.actor, batch.public_id)

    assert listed(runtime, worker) == [hit.public_id for hit in batch_hits(runtime, batch)]
    assert assignments.accept(runtime, worker.actor, batch_hits(runtime, batch)[0].public_id)


def test_pausing_twice_or_resuming_a_running_batch_is_refused(runtime, factory):
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor)
    with pytest.raises(InvalidStateError, match="is not paused"):
        batch_actions.resume(runtime, requester.actor, batch.public_id)
    batch_actions.pause(runtime, requester.actor, batch.public_id)
    with pytest.raises(InvalidStateError, match="already paused"):
        batch_actions.pause(runtime, requester.actor, batch.public_id)


def test_pause_leaves_other_batches_alone(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    paused, running = make_batch(runtime, requester.actor), make_batch(runtime, requester.actor)

    batch_actions.pause(runtime, requester.actor, paused.public_id)

    assert listed(runtime, worker) == [hit.public_id for hit in batch_hits(runtime, running)]


def test_extend_moves_the_expiry_of_open_hits_only(runtime, factory, clock):
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor)
    first, second, third = batch_hits(runtime, batch)
    hits.update_expiration(runtime, requester.actor, third.public_id, clock.now)  # expired: stays so
    before = {hit.public_id: hit.expires_at for hit in batch_hits(runtime, batch)}

    done = batch_actions.extend(runtime, requester.actor, batch.public_id, 2 * 3600)

    after = {hit.public_id: hit.expires_at for hit in batch_hits(runtime, batch)}
    assert done.hits == 2
    assert after[first.public_id] - before[first.public_id] == timedelta(hours=2)
    assert after[second.public_id] - before[second.public_id] == timedelta(hours=2)
    assert after[third.public_id] == before[third.public_id]
    with runtime.sessions() as db:
        extended = db.scalars(select(Event.entity_id).where(Event.action == "HITExtended")).all()
    assert sorted(extended) == sorted([first.public_id, second.public_id])
    check_holds(runtime)


def test_extend_keeps_sub_second_expiry_times(runtime, factory, clock):
    clock.now = clock.now.replace(microsecond=250_000)
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor)
    before = batch_hits(runtime, batch)[0].expires_at

    batch_actions.extend(runtime, requester.actor, batch.public_id, 86_400)

    assert batch_hits(runtime, batch)[0].expires_at == before + timedelta(days=1)


@pytest.mark.parametrize("seconds", [0, 59, 10**9, True])
def test_extend_by_a_bad_amount_is_refused(runtime, factory, seconds):
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor)
    with pytest.raises(InvalidInputError) as refused:
        batch_actions.extend(runtime, requester.actor, batch.public_id, seconds)
    assert "extend_by" in refused.value.fields


def test_add_assignments_holds_their_cost_and_reopens_full_hits(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    batch = make_batch(runtime, requester.actor, rows=2, max_assignments=1)
    full = batch_hits(runtime, batch)[0]
    assignments.accept(runtime, worker.actor, full.public_id)
    before = payments.balance(runtime, requester.actor)

    done = batch_actions.add_assignments(runtime, requester.actor, batch.public_id, 2)

    after = payments.balance(runtime, requester.actor)
    slot = batch_hits(runtime, batch)[0].hit_type.reward_micros + full.fee_per_assignment_micros
    assert (done.hits, done.amount_micros) == (2, 2 * 2 * slot)
    assert before.available_micros - after.available_micros == 2 * 2 * slot
    assert after.on_hold_micros - before.on_hold_micros == 2 * 2 * slot
    assert [(hit.max_assignments, hit.status) for hit in batch_hits(runtime, batch)] == \
        [(3, HITStatus.ASSIGNABLE), (3, HITStatus.ASSIGNABLE)]
    check_holds(runtime)


def test_add_assignments_skips_gold_hits(runtime, factory):
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor, rows=3)
    control = batch_hits(runtime, batch)[1]
    gold.mark_gold(runtime, requester.actor, control.public_id, {"label": "positive"})

    done = batch_actions.add_assignments(runtime, requester.actor, batch.public_id, 1)

    assert done.hits == 2
    assert [hit.max_assignments for hit in batch_hits(runtime, batch)][1] == control.max_assignments
    check_holds(runtime)


def test_add_assignments_without_the_funds_changes_nothing(runtime, factory):
    requester = factory.requester(deposit="1.00")
    batch = make_batch(runtime, requester.actor, rows=3, max_assignments=1)
    before = payments.balance(runtime, requester.actor)

    with pytest.raises(InsufficientFundsError, match="Insufficient funds"):
        batch_actions.add_assignments(runtime, requester.actor, batch.public_id, 5)

    assert payments.balance(runtime, requester.actor) == before
    assert [hit.max_assignments for hit in batch_hits(runtime, batch)] == [1, 1, 1]


def test_add_assignments_may_not_cross_the_large_hit_fee_tier(runtime, factory):
    requester = factory.requester()
    batch = make_batch(runtime, requester.actor, rows=1, max_assignments=9)
    with pytest.raises(InvalidStateError, match="fee tier"):
        batch_actions.add_assignments(runtime, requester.actor, batch.public_id, 1)


def test_expire_releases_the_funds_of_untaken_slots_and_lets_accepted_work_finish(runtime, factory):
    requester, worker, late = factory.requester(), factory.worker(), factory.worker()
    batch = make_batch(runtime, requester.actor, rows=2, max_assignments=2)
    first, second = batch_hits(runtime, batch)
    accepted = assignments.accept(runtime, worker.actor, first.public_id)
    before = payments.balance(runtime, requester.actor)
    slot = first.hit_type.reward_micros + first.fee_per_assignment_micros

    done = batch_actions.expire(runtime, requester.actor, batch.public_id)

    after = payments.balance(runtime, requester.actor)
    assert (done.hits, done.amount_micros) == (2, 3 * slot)  # one slot of four is taken
    assert after.available_micros - before.available_micros == 3 * slot
    assert before.on_hold_micros - after.on_hold_micros == 3 * slot
    assert [hit.status for hit in batch_hits(runtime, batch)] == [HITStatus.UNASSIGNABLE, HITStatus.REVIEWABLE]
    assert listed(runtime, late) == []
    with pytest.raises(InvalidStateError, match="expired"):
        assignments.accept(runtime, late.actor, second.public_id)
    assignments.submit(runtime, worker.actor, accepted.public_id, {"label": "negative"})
    with runtime.sessions() as db:
        actions = db.scalars(select(Event.action).where(Event.hit_id == second.id)).all()
    assert "HITExpired" in actions and "HITReviewable" in actions
    check_holds(runtime)
    with pytest.raises(InvalidStateError, match="no open HITs"):
        batch_actions.expire(runtime, requester.actor, batch.public_id)


@pytest.mark.parametrize("action", ["pause", "resume", "extend", "add_assignments", "expire"])
def test_another_requesters_batch_is_not_found(runtime, factory, action):
    owner, other = factory.requester(), factory.requester()
    batch = make_batch(runtime, owner.actor)
    arguments = {"extend": (3600,), "add_assignments": (1,)}.get(action, ())
    for stranger in (other.actor, owner.sandbox()):
        with pytest.raises(NotFoundError):
            getattr(batch_actions, action)(runtime, stranger, batch.public_id, *arguments)
