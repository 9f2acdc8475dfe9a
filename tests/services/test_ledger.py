"""The ledger through the services: fee tiers and rounding, holds per HIT, bonuses, deposits, and refusals
for lack of funds that leave nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from labelhub.errors import InsufficientFundsError, InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import (
    HIT,
    AssignmentStatus,
    Bonus,
    Event,
    HITStatus,
    HITType,
    LedgerEntry,
    LedgerTransaction,
    Marketplace,
    RequestToken,
)
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, ledger, payments, sweeps
from labelhub.services.commands import CreateHIT, SendBonus

WRITTEN = (HIT, HITType, LedgerTransaction, LedgerEntry, Event, RequestToken, Bonus)


def rows(runtime) -> dict[str, int]:
    """How many rows each table that a money operation writes to holds."""
    with runtime.sessions() as db:
        return {m.__name__: db.scalar(select(func.count()).select_from(m)) for m in WRITTEN}


def platform_fees(runtime, marketplace=Marketplace.PRODUCTION) -> int:
    with runtime.sessions() as db:
        return ledger.balance_of(db, ledger.account(db, marketplace, "platform", ledger.FEES))


def held_for(runtime, hit) -> int:
    with runtime.sessions() as db:
        on_hold = ledger.account(db, hit.marketplace, f"requester:{hit.requester_id}", ledger.ON_HOLD)
        return ledger.balance_of(db, on_hold, hit_id=hit.id)


def unbalanced_transactions(runtime) -> list[tuple[int, int]]:
    with runtime.sessions() as db:
        return [tuple(r) for r in db.execute(
            select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_micros))
            .group_by(LedgerEntry.transaction_id).having(func.sum(LedgerEntry.amount_micros) != 0)).all()]


def status_of(runtime, worker, assignment) -> AssignmentStatus:
    return assignments.get_assignment(runtime, worker.actor, assignment.public_id).status


def submitted(runtime, factory, hit):
    worker = factory.worker()
    taken = assignments.accept(runtime, worker.actor, hit.public_id)
    return worker, assignments.submit(runtime, worker.actor, taken.public_id, {"label": "cat"})


@pytest.fixture
def requester(factory):
    return factory.requester(deposit="100.00")


# fees ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("reward", "max_assignments", "fee"), [
    (500_000, 1, 100_000),      # 20%
    (500_000, 9, 100_000),      # still 20% just below the tier
    (500_000, 10, 200_000),     # 40% from 10 assignments
    (1_000_000, 25, 400_000),
    (10_000, 1, 10_000),        # 0.002 -> minimum 0.01
    (20_000, 10, 10_000),       # 0.008 -> 0.01
    (0, 3, 0),                  # no reward, no fee
    (1_025_000, 1, 210_000),    # 0.205 rounds half-up to 0.21 (half-even would give 0.20)
    (1_012_500, 10, 410_000),   # 0.405 rounds half-up to 0.41
    (1_024_999, 1, 200_000),    # 0.2049998 rounds down to 0.20
    (120_000, 1, 20_000),       # 0.024 -> 0.02
])
def test_create_hit_fee_tier_minimum_and_half_up_rounding(runtime, factory, requester, reward,
                                                          max_assignments, fee):
    hit = factory.hit(requester.actor, max_assignments=max_assignments,
                      hit_type=factory.hit_type_spec(reward_micros=reward))

    assert hit.fee_per_assignment_micros == fee
    balance = payments.balance(runtime, requester.actor)
    assert balance.on_hold_micros == (reward + fee) * max_assignments == held_for(runtime, hit)
    assert balance.available_micros == parse_amount("100.00") - (reward + fee) * max_assignments


@pytest.mark.parametrize(("amount", "fee"), [
    (1_000_000, 200_000), (10_000, 10_000), (40_000, 10_000), (120_000, 20_000), (1_025_000, 210_000),
])
def test_send_bonus_charges_amount_plus_fee_and_pays_the_worker(runtime, factory, requester, amount, fee):
    hit = factory.hit(requester.actor, max_assignments=10)  # the 40% tier is for rewards, never bonuses
    worker, done = submitted(runtime, factory, hit)
    before = payments.balance(runtime, requester.actor)

    bonus = payments.send_bonus(runtime, requester.actor, SendBonus(
        worker_id=worker.actor.public_id, assignment_id=done.public_id, amount_micros=amount,
        reason="thanks")).value

    assert (bonus.amount_micros, bonus.fee_micros) == (amount, fee)
    after = payments.balance(runtime, requester.actor)
    assert before.available_micros - after.available_micros == amount + fee
    assert after.on_hold_micros == before.on_hold_micros
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == amount
    assert platform_fees(runtime) == fee


def test_approve_moves_the_slot_cost_from_the_hold_to_worker_and_platform(runtime, factory, requester):
    hit = factory.hit(requester.actor, max_assignments=10)  # 0.50 + 0.20 per slot
    worker, done = submitted(runtime, factory, hit)

    assignments.approve(runtime, requester.actor, done.public_id)

    assert held_for(runtime, hit) == 9 * parse_amount("0.70")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    assert platform_fees(runtime) == parse_amount("0.20")


# insufficient funds ----------------------------------------------------------------------------------------

def test_create_hit_without_funds_is_refused_and_creates_nothing(runtime, factory):
    poor = factory.requester(deposit="1.19")
    before_rows, before_balance = rows(runtime), payments.balance(runtime, poor.actor)

    with pytest.raises(InsufficientFundsError) as caught:
        factory.hit(poor.actor, max_assignments=2, unique_request_token="first-try")

    assert caught.value.context == {"needed": "1.20", "available": "1.19"}
    assert rows(runtime) == before_rows
    assert payments.balance(runtime, poor.actor) == before_balance
    payments.deposit(runtime, poor.actor.public_id, parse_amount("0.01"))
    created = hits.create_hit(runtime, poor.actor, CreateHIT(
        question="<p>cat?</p>", lifetime_seconds=3600, max_assignments=2, hit_type=factory.hit_type_spec(),
        unique_request_token="first-try"))
    assert created.replayed is False  # the refused request left no token behind
    assert payments.balance(runtime, poor.actor).available_micros == 0


def test_create_hit_with_exactly_enough_funds_holds_everything(runtime, factory):
    exact = factory.requester(deposit="1.80")

    factory.hit(exact.actor, max_assignments=3)

    assert payments.balance(runtime, exact.actor) == ledger.Balance(0, parse_amount("1.80"))


def test_send_bonus_without_funds_is_refused_and_writes_nothing(runtime, factory):
    poor = factory.requester(deposit="0.65")
    hit = factory.hit(poor.actor, max_assignments=1)
    worker, done = submitted(runtime, factory, hit)
    before = rows(runtime)

    with pytest.raises(InsufficientFundsError):
        payments.send_bonus(runtime, poor.actor, SendBonus(
            worker_id=worker.actor.public_id, assignment_id=done.public_id,
            amount_micros=parse_amount("0.05"), reason="thanks", unique_request_token="bonus-1"))

    assert rows(runtime) == before
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0


def test_add_assignments_without_funds_is_refused_and_changes_nothing(runtime, factory):
    poor = factory.requester(deposit="1.00")
    hit = factory.hit(poor.actor, max_assignments=1)
    before = rows(runtime)

    with pytest.raises(InsufficientFundsError):
        hits.create_additional_assignments(runtime, poor.actor, hit.public_id, 1)

    assert hits.get_hit(runtime, poor.actor, hit.public_id).max_assignments == 1
    assert rows(runtime) == before
    assert held_for(runtime, hit) == parse_amount("0.60")


def test_add_assignments_holds_their_cost_at_the_hits_fee_tier(runtime, factory, requester):
    small = factory.hit(requester.actor, max_assignments=3)
    large = factory.hit(requester.actor, max_assignments=10)

    hits.create_additional_assignments(runtime, requester.actor, small.public_id, 6)
    hits.create_additional_assignments(runtime, requester.actor, large.public_id, 5)

    assert held_for(runtime, small) == 9 * parse_amount("0.60")
    assert held_for(runtime, large) == 15 * parse_amount("0.70")


def test_add_assignments_crossing_into_the_40_percent_tier_is_invalid_state(runtime, factory, requester):
    hit = factory.hit(requester.actor, max_assignments=9)
    before = rows(runtime)

    with pytest.raises(InvalidStateError) as caught:
        hits.create_additional_assignments(runtime, requester.actor, hit.public_id, 1)

    assert caught.value.context["reason"] == "InvalidMaximumAssignmentsIncrease"
    assert rows(runtime) == before


def test_extend_expired_hit_without_funds_is_refused_and_it_stays_expired(runtime, factory, clock):
    poor = factory.requester(deposit="1.20")
    hit = factory.hit(poor.actor, max_assignments=2)
    hits.update_expiration(runtime, poor.actor, hit.public_id, clock.now)
    assert held_for(runtime, hit) == 0
    factory.hit(poor.actor, max_assignments=1)  # spends half of what the expiry released

    with pytest.raises(InsufficientFundsError):
        hits.update_expiration(runtime, poor.actor, hit.public_id, clock.now + timedelta(hours=1))

    current = hits.get_hit(runtime, poor.actor, hit.public_id)
    assert (current.status, current.expired_at) == (HITStatus.REVIEWABLE, clock.now)
    assert held_for(runtime, hit) == 0


# holds follow the HIT --------------------------------------------------------------------------------------

def test_expire_releases_unused_slots_and_keeps_those_being_worked_on(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=4)
    submitted(runtime, factory, hit)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)

    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)

    assert held_for(runtime, hit) == 2 * parse_amount("0.60")
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("98.80")


def test_delete_hit_releases_everything_still_held(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=2)
    _, done = submitted(runtime, factory, hit)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    assignments.reject(runtime, requester.actor, done.public_id, feedback="no")

    hits.delete_hit(runtime, requester.actor, hit.public_id)

    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("100.00"), 0)


def test_every_ledger_transaction_balances_through_a_full_lifecycle(runtime, factory, requester, clock):
    hit = factory.hit(requester.actor, max_assignments=10)
    paid_worker, paid = submitted(runtime, factory, hit)
    _, rejected = submitted(runtime, factory, hit)
    _, overridden = submitted(runtime, factory, hit)
    assignments.accept(runtime, factory.worker().actor, hit.public_id)
    assignments.approve(runtime, requester.actor, paid.public_id)
    assignments.reject(runtime, requester.actor, rejected.public_id, feedback="no")
    assignments.reject(runtime, requester.actor, overridden.public_id, feedback="no")
    payments.send_bonus(runtime, requester.actor, SendBonus(
        worker_id=paid_worker.actor.public_id, assignment_id=paid.public_id, amount_micros=333_333,
        reason="x"))
    clock.advance(hours=2)
    sweeps.run_all(runtime)
    assignments.approve(runtime, requester.actor, overridden.public_id, override_rejection=True)

    assert unbalanced_transactions(runtime) == []
    with runtime.sessions() as db:
        assert db.scalar(select(func.sum(LedgerEntry.amount_micros))) == 0
    balance = payments.balance(runtime, requester.actor)
    spent = 2 * parse_amount("0.70") + 333_333 + 70_000  # two approved slots, the bonus and its fee
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("100.00") - spent, 0)
    assert status_of(runtime, paid_worker, paid) is AssignmentStatus.APPROVED


def test_approve_on_a_free_hit_writes_no_empty_transaction(runtime, factory, requester):
    free = factory.hit(requester.actor, max_assignments=1, hit_type=factory.hit_type_spec(reward_micros=0))
    worker, done = submitted(runtime, factory, free)
    before = rows(runtime)

    assignments.approve(runtime, requester.actor, done.public_id)

    assert status_of(runtime, worker, done) is AssignmentStatus.APPROVED
    assert {k: v - before[k] for k, v in rows(runtime).items()} == \
        {"HIT": 0, "HITType": 0, "LedgerTransaction": 0, "LedgerEntry": 0, "Event": 1, "RequestToken": 0,
         "Bonus": 0}


def test_post_refuses_an_unbalanced_transaction(runtime, requester, clock):
    with runtime.sessions() as db:
        owner = f"requester:{requester.actor.id}"
        available = ledger.account(db, Marketplace.PRODUCTION, owner, ledger.AVAILABLE)
        with pytest.raises(AssertionError, match="unbalanced"):
            ledger.post(db, Marketplace.PRODUCTION, "gift", [(available, 1)], now=clock.now)


# deposits and marketplaces ---------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0, -1, True, "1.00", 1.5])
def test_deposit_of_a_non_positive_or_non_integer_amount_is_invalid_input(runtime, requester, amount):
    with pytest.raises(InvalidInputError) as caught:
        payments.deposit(runtime, requester.actor.public_id, amount)
    assert set(caught.value.fields) == {"amount"}


def test_deposit_to_an_unknown_requester_is_not_found(runtime):
    with pytest.raises(NotFoundError):
        payments.deposit(runtime, "ANOBODY", parse_amount("1.00"))


def test_sandbox_play_money_is_separate_from_production(runtime, factory):
    requester = factory.requester(deposit="5.00")

    factory.hit(requester.sandbox(), max_assignments=10)

    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("5.00"), 0)
    assert payments.balance(runtime, requester.sandbox()) == ledger.Balance(
        parse_amount("10000.00") - 10 * parse_amount("0.70"), 10 * parse_amount("0.70"))
