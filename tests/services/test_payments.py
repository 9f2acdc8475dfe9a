"""Money use cases against the real database: bonuses (fee, idempotency, who may be paid), deposits,
balances and worker earnings. Every test also checks that the ledger still sums to zero."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelhub.errors import (
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from labelhub.models import Bonus, LedgerEntry, LedgerTransaction, Marketplace, RequestToken
from labelhub.money import parse_amount
from labelhub.services import assignments, hits, ledger, payments
from labelhub.services.commands import SendBonus


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def _ledger_balances(runtime):
    """Double entry: whatever a test did, all entries together sum to zero."""
    yield
    with runtime.sessions() as db:
        assert db.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0))) == 0


def _submitted(rt, factory, requester, worker=None, *, actor=None):
    """An assignment of ``worker`` submitted on one of ``requester``'s HITs."""
    worker = worker or factory.worker()
    actor = actor or requester.actor
    hit = factory.hit(actor, max_assignments=2)
    worker_actor = worker.actor.in_marketplace(actor.marketplace)
    assignment = assignments.accept(rt, worker_actor, hit.public_id)
    assignments.submit(rt, worker_actor, assignment.public_id, {"label": "cat"})
    return worker, hit, assignment


def _bonus(worker, assignment, amount="1.00", **options) -> SendBonus:
    return SendBonus(worker_id=worker.actor.public_id, assignment_id=assignment.public_id,
                     amount_micros=parse_amount(amount), reason="Great work", **options)


# --- bonuses -----------------------------------------------------------------------------------


def test_send_bonus_pays_worker_and_fee_from_available_funds(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    worker, _, assignment = _submitted(runtime, factory, requester)
    available_before = payments.balance(runtime, requester.actor).available_micros
    created = payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "1.00"))
    bonus = created.value
    assert created.replayed is False
    assert (bonus.amount_micros, bonus.fee_micros, bonus.reason) == (
        parse_amount("1.00"), parse_amount("0.20"), "Great work")
    assert bonus.created_at == clock.now
    available_after = payments.balance(runtime, requester.actor).available_micros
    assert available_after == available_before - parse_amount("1.20")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("1.00")


def test_send_bonus_charges_at_least_the_minimum_fee(runtime, factory):
    requester = factory.requester(deposit="10.00")
    worker, _, assignment = _submitted(runtime, factory, requester)
    bonus = payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "0.01")).value
    assert bonus.fee_micros == parse_amount("0.01")


def test_send_bonus_fee_rounds_half_up_to_the_cent(runtime, factory):
    requester = factory.requester(deposit="10.00")
    worker, _, assignment = _submitted(runtime, factory, requester)
    bonus = payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "0.53")).value
    assert bonus.fee_micros == parse_amount("0.11")  # 20% of 0.53 = 0.106


def test_send_bonus_for_an_approved_or_rejected_assignment(runtime, factory):
    requester = factory.requester(deposit="10.00")
    worker, _, approved = _submitted(runtime, factory, requester)
    assignments.approve(runtime, requester.actor, approved.public_id)
    _, _, rejected = _submitted(runtime, factory, requester, worker)
    assignments.reject(runtime, requester.actor, rejected.public_id, feedback="wrong")
    for assignment in (approved, rejected):
        payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "0.10"))
    assert _count(runtime, Bonus) == 2


def test_send_bonus_same_token_pays_once(runtime, factory, clock):
    requester = factory.requester(deposit="10.00")
    worker, _, assignment = _submitted(runtime, factory, requester)
    command = _bonus(worker, assignment, unique_request_token="b-1")
    first = payments.send_bonus(runtime, requester.actor, command)
    clock.advance(hours=1)
    again = payments.send_bonus(runtime, requester.actor, command)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value.public_id == first.value.public_id
    assert _count(runtime, Bonus) == 1
    assert _count(runtime, LedgerTransaction, LedgerTransaction.kind == "bonus") == 1
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("1.00")


def test_send_bonus_without_a_reason_names_the_field():
    with pytest.raises(InvalidInputError) as raised:
        SendBonus(worker_id="A1", assignment_id="X", amount_micros=parse_amount("1.00"), reason="")
    assert set(raised.value.fields) == {"reason"}


@pytest.mark.parametrize(("options", "field"), [
    ({"amount_micros": 0}, "amount"), ({"amount_micros": -1}, "amount"), ({"amount_micros": 1.5}, "amount"),
    ({"reason": "r" * 4097}, "reason"), ({"unique_request_token": "t" * 65}, "unique_request_token"),
])
def test_send_bonus_command_names_the_bad_field(options, field):
    values = {"worker_id": "A1", "assignment_id": "X", "amount_micros": 1_000_000, "reason": "thanks"}
    with pytest.raises(InvalidInputError) as raised:
        SendBonus(**(values | options))
    assert set(raised.value.fields) == {field}


def test_send_bonus_to_a_worker_who_did_not_do_the_assignment_is_refused(runtime, factory):
    requester = factory.requester(deposit="10.00")
    _, _, assignment = _submitted(runtime, factory, requester)
    stranger = factory.worker()
    with pytest.raises(InvalidInputError) as raised:
        payments.send_bonus(runtime, requester.actor,
                            _bonus(stranger, assignment, unique_request_token="b-2"))
    assert set(raised.value.fields) == {"worker_id"}
    assert _count(runtime, Bonus) == 0
    assert _count(runtime, RequestToken) == 0
    assert payments.worker_earnings(runtime, stranger.actor).approved_micros == 0


def test_send_bonus_for_another_requesters_assignment_is_refused(runtime, factory):
    alice, bob = factory.requester(deposit="10.00"), factory.requester(deposit="10.00")
    worker, _, assignment = _submitted(runtime, factory, alice)
    with pytest.raises(NotFoundError, match="does not exist"):  # the same answer as an unknown id
        payments.send_bonus(runtime, bob.actor, _bonus(worker, assignment))
    with pytest.raises(NotFoundError, match="does not exist"):
        payments.send_bonus(runtime, alice.sandbox(), _bonus(worker, assignment))
    assert _count(runtime, Bonus) == 0
    assert payments.balance(runtime, bob.actor).available_micros == parse_amount("10.00")


def test_send_bonus_for_an_unknown_assignment_is_not_found(runtime, factory):
    requester, worker = factory.requester(), factory.worker()
    with pytest.raises(NotFoundError, match="Assignment NOSUCH does not exist."):
        payments.send_bonus(runtime, requester.actor, SendBonus(
            worker_id=worker.actor.public_id, assignment_id="NOSUCH", amount_micros=1_000_000,
            reason="thanks"))


def test_send_bonus_for_an_assignment_not_yet_submitted_is_invalid_state(runtime, factory):
    requester, worker = factory.requester(deposit="10.00"), factory.worker()
    hit = factory.hit(requester.actor)
    assignment = assignments.accept(runtime, worker.actor, hit.public_id)
    with pytest.raises(InvalidStateError, match="submitted"):
        payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment))
    assert _count(runtime, Bonus) == 0


def test_send_bonus_with_insufficient_funds_writes_nothing(runtime, factory):
    requester = factory.requester(deposit="2.00")
    worker, _, assignment = _submitted(runtime, factory, requester)  # holds 1.20 of the 2.00
    transactions = _count(runtime, LedgerTransaction)
    with pytest.raises(InsufficientFundsError, match="0.80"):
        payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "0.70",
                                                             unique_request_token="b-3"))
    assert _count(runtime, Bonus) == 0
    assert _count(runtime, RequestToken) == 0
    assert _count(runtime, LedgerTransaction) == transactions
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("0.80")


def test_send_bonus_in_the_sandbox_uses_play_money(runtime, factory):
    requester = factory.requester(deposit=None)
    worker, _, assignment = _submitted(runtime, factory, requester, actor=requester.sandbox())
    payments.send_bonus(runtime, requester.sandbox(), _bonus(worker, assignment, "5.00"))
    sandbox_worker = worker.actor.in_marketplace(Marketplace.SANDBOX)
    assert payments.worker_earnings(runtime, sandbox_worker).approved_micros == parse_amount("5.00")
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == 0
    assert payments.balance(runtime, requester.actor).available_micros == 0


def test_list_bonuses_by_hit_and_by_assignment(runtime, factory):
    requester = factory.requester(deposit="10.00")
    first_worker, hit, first = _submitted(runtime, factory, requester)
    second_worker = factory.worker()
    second = assignments.accept(runtime, second_worker.actor, hit.public_id)
    assignments.submit(runtime, second_worker.actor, second.public_id, {"label": "dog"})
    for worker, assignment in ((first_worker, first), (second_worker, second), (first_worker, first)):
        payments.send_bonus(runtime, requester.actor, _bonus(worker, assignment, "0.10"))
    by_hit = payments.list_bonuses(runtime, requester.actor, hit_id=hit.public_id, limit=2)
    rest = payments.list_bonuses(runtime, requester.actor, hit_id=hit.public_id, cursor=by_hit.next_cursor)
    assert [(b.worker_id, b.assignment_id) for b in [*by_hit.items, *rest.items]] == [
        (first_worker.actor.public_id, first.public_id), (second_worker.actor.public_id, second.public_id),
        (first_worker.actor.public_id, first.public_id)]
    by_assignment = payments.list_bonuses(runtime, requester.actor, assignment_id=second.public_id)
    assert [b.bonus.amount_micros for b in by_assignment.items] == [parse_amount("0.10")]


def test_list_bonuses_needs_exactly_one_filter(runtime, factory):
    requester = factory.requester()
    for options in ({}, {"hit_id": "H", "assignment_id": "A"}):
        with pytest.raises(InvalidInputError) as raised:
            payments.list_bonuses(runtime, requester.actor, **options)
        assert set(raised.value.fields) == {"hit_id"}


def test_list_bonuses_shows_only_the_requesters_own(runtime, factory):
    alice, bob = factory.requester(deposit="10.00"), factory.requester()
    worker, hit, assignment = _submitted(runtime, factory, alice)
    payments.send_bonus(runtime, alice.actor, _bonus(worker, assignment))
    assert payments.list_bonuses(runtime, bob.actor, hit_id=hit.public_id).items == []


# --- deposits and balances ---------------------------------------------------------------------


def test_deposit_adds_to_the_available_balance(runtime, factory):
    requester = factory.requester(deposit=None)
    balance = payments.deposit(runtime, requester.actor.public_id, parse_amount("25.50"))
    assert (balance.available_micros, balance.on_hold_micros) == (parse_amount("25.50"), 0)
    payments.deposit(runtime, requester.actor.public_id, parse_amount("0.50"))
    assert payments.balance(runtime, requester.actor).available_micros == parse_amount("26.00")


def test_deposit_in_the_sandbox_is_separate(runtime, factory):
    requester = factory.requester(deposit=None)
    balance = payments.deposit(runtime, requester.actor.public_id, parse_amount("1.00"),
                               marketplace=Marketplace.SANDBOX)
    assert balance.available_micros == parse_amount("10001.00")
    assert payments.balance(runtime, requester.actor).available_micros == 0


@pytest.mark.parametrize("amount", [0, -1_000_000, True, 1.5])
def test_deposit_of_a_non_positive_amount_names_the_field(runtime, factory, amount):
    requester = factory.requester(deposit=None)
    with pytest.raises(InvalidInputError) as raised:
        payments.deposit(runtime, requester.actor.public_id, amount)
    assert set(raised.value.fields) == {"amount"}
    assert payments.balance(runtime, requester.actor).available_micros == 0


def test_deposit_to_an_unknown_requester_is_not_found(runtime):
    with pytest.raises(NotFoundError, match="ANOSUCHREQUEST does not exist"):
        payments.deposit(runtime, "ANOSUCHREQUEST", parse_amount("1.00"))
    assert _count(runtime, LedgerEntry) == 0


def test_balance_of_a_new_requester(runtime, factory):
    requester = factory.requester(deposit=None)
    assert payments.balance(runtime, requester.actor) == ledger.Balance(0, 0)
    assert payments.balance(runtime, requester.sandbox()) == ledger.Balance(parse_amount("10000.00"), 0)


def test_balance_for_a_worker_is_permission_denied(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        payments.balance(runtime, factory.worker().actor)


# --- worker earnings ---------------------------------------------------------------------------


def test_worker_earnings_split_approved_and_pending(runtime, factory):
    requester = factory.requester(deposit="10.00")
    worker = factory.worker()
    _, _, approved = _submitted(runtime, factory, requester, worker)
    _submitted(runtime, factory, requester, worker)  # stays Submitted: pending
    _, _, rejected = _submitted(runtime, factory, requester, worker)
    hit = factory.hit(requester.actor)
    assignments.accept(runtime, worker.actor, hit.public_id)  # accepted only: not earnings yet
    assignments.approve(runtime, requester.actor, approved.public_id)
    assignments.reject(runtime, requester.actor, rejected.public_id, feedback="wrong")
    payments.send_bonus(runtime, requester.actor, _bonus(worker, approved, "0.25"))
    earnings = payments.worker_earnings(runtime, worker.actor)
    assert earnings == payments.Earnings(approved_micros=parse_amount("0.75"),
                                         pending_micros=parse_amount("0.50"))


def test_worker_earnings_for_a_requester_is_permission_denied(runtime, factory):
    with pytest.raises(PermissionDeniedError):
        payments.worker_earnings(runtime, factory.requester().actor)


def test_hit_costs_move_from_hold_to_worker_and_platform(runtime, factory, clock):
    """Approval pays exactly the held slot: reward to the worker, fee to the platform."""
    requester = factory.requester(deposit="10.00")
    worker, hit, assignment = _submitted(runtime, factory, requester)
    assignments.approve(runtime, requester.actor, assignment.public_id)
    hits.update_expiration(runtime, requester.actor, hit.public_id, clock.now)
    assert payments.balance(runtime, requester.actor) == ledger.Balance(parse_amount("9.40"), 0)
    assert payments.worker_earnings(runtime, worker.actor).approved_micros == parse_amount("0.50")
    with runtime.sessions() as db:
        fees = ledger.account(db, Marketplace.PRODUCTION, "platform", ledger.FEES)
        assert ledger.balance_of(db, fees) == parse_amount("0.10")
