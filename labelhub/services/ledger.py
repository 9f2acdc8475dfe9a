"""The ledger's rules: fees, holds for HITs, payments, deposits and bonuses.

Accounts per marketplace: a requester has 'available' and 'on_hold'; a worker 'earnings'; the
platform 'fees'; 'outside' 'deposits' is where money enters (its balance is minus all money in).
Holds are tagged with the HIT, so the funds held for one HIT are a sum and can be re-synced to what
the HIT can still cost after any change (approve, reject, expire, extend, change of reward).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub.errors import InsufficientFundsError
from labelhub.models import HIT, Assignment, LedgerAccount, LedgerEntry, LedgerTransaction, Marketplace
from labelhub.money import decimal_to_micros, format_amount, round_to_cent
from labelhub.settings import MoneySettings

AVAILABLE, ON_HOLD, EARNINGS, FEES, DEPOSITS = "available", "on_hold", "earnings", "fees", "deposits"


@dataclass(frozen=True)
class Balance:
    available_micros: int
    on_hold_micros: int


def commission(money: MoneySettings, amount_micros: int, rate: Decimal) -> int:
    """The fee on an amount: rate x amount, half-up to the cent, at least the minimum (0 on 0)."""
    if amount_micros == 0:
        return 0
    return max(decimal_to_micros(money.minimum_fee), round_to_cent(Decimal(amount_micros) * rate))


def reward_fee(money: MoneySettings, reward_micros: int, max_assignments: int) -> int:
    rate = money.large_hit_fee_rate if max_assignments >= money.large_hit_min_assignments else money.fee_rate
    return commission(money, reward_micros, rate)


def bonus_fee(money: MoneySettings, amount_micros: int) -> int:
    return commission(money, amount_micros, money.fee_rate)


def account(db: Session, marketplace: Marketplace, owner: str, purpose: str, *,
            lock: bool = False) -> LedgerAccount:
    """Get or create an account; ``lock`` takes its row lock so balance checks cannot race."""
    stmt = select(LedgerAccount).where(LedgerAccount.marketplace == marketplace, LedgerAccount.owner == owner,
                                       LedgerAccount.purpose == purpose)
    found = db.scalars(stmt.with_for_update(key_share=True) if lock else stmt).one_or_none()
    if found is not None:
        return found
    try:
        with db.begin_nested():
            created = LedgerAccount(marketplace=marketplace, owner=owner, purpose=purpose)
            db.add(created)
    except IntegrityError:  # another transaction created it first
        return db.scalars(stmt.with_for_update(key_share=True) if lock else stmt).one()
    return created


def balance_of(db: Session, acct: LedgerAccount, *, hit_id: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(LedgerEntry.account_id == acct.id)
    if hit_id is not None:
        stmt = stmt.where(LedgerEntry.hit_id == hit_id)
    return int(db.scalar(stmt))


def post(db: Session, marketplace: Marketplace, kind: str, lines: list[tuple[LedgerAccount, int]], *,
         now: datetime, memo: str = "", hit: HIT | None = None, assignment: Assignment | None = None) -> None:
    """Write one balanced transaction; zero-amount lines are dropped, and a transaction that moves
    nothing (the reward of a free HIT) is not written at all."""
    if sum(amount for _, amount in lines) != 0:
        raise AssertionError(f"unbalanced ledger transaction {kind}: {lines}")
    if not any(amount for _, amount in lines):
        return
    txn = LedgerTransaction(marketplace=marketplace, kind=kind, memo=memo, created_at=now)
    db.add(txn)
    db.flush()
    for acct, amount in lines:
        if amount:
            db.add(LedgerEntry(transaction_id=txn.id, account_id=acct.id, amount_micros=amount,
                               hit_id=hit.id if hit is not None else None,
                               assignment_id=assignment.id if assignment is not None else None))


def requester_balance(db: Session, marketplace: Marketplace, requester_id: int) -> Balance:
    owner = f"requester:{requester_id}"
    return Balance(balance_of(db, account(db, marketplace, owner, AVAILABLE)),
                   balance_of(db, account(db, marketplace, owner, ON_HOLD)))


def _debit_available(db: Session, marketplace: Marketplace, requester_id: int, amount: int,
                     what: str) -> LedgerAccount:
    available = account(db, marketplace, f"requester:{requester_id}", AVAILABLE, lock=True)
    have = balance_of(db, available)
    if have < amount:
        raise InsufficientFundsError(
            f"Insufficient funds: {what} needs {format_amount(amount)} but the available balance is "
            f"{format_amount(have)}", entity="balance", needed=format_amount(amount), available=format_amount(have))
    return available


def deposit(db: Session, marketplace: Marketplace, requester_id: int, amount_micros: int, *, now: datetime,
            memo: str) -> None:
    outside = account(db, marketplace, "outside", DEPOSITS)
    available = account(db, marketplace, f"requester:{requester_id}", AVAILABLE)
    post(db, marketplace, "deposit", [(outside, -amount_micros), (available, amount_micros)], now=now, memo=memo)


def slot_cost(hit: HIT) -> int:
    return hit.hit_type.reward_micros + hit.fee_per_assignment_micros


def sync_hold(db: Session, hit: HIT, *, now: datetime) -> None:
    """Make the funds held for ``hit`` equal what it can still cost: slot cost x liable slots.

    Reserving more checks the available balance (InsufficientFundsError); releasing returns the
    difference to the requester's available balance.
    """
    owner = f"requester:{hit.requester_id}"
    on_hold = account(db, hit.marketplace, owner, ON_HOLD)
    target = slot_cost(hit) * hit.liable_slots(now)
    difference = target - balance_of(db, on_hold, hit_id=hit.id)
    if difference > 0:
        available = _debit_available(db, hit.marketplace, hit.requester_id, difference,
                                     f"HIT {hit.public_id} (reward, fee and assignments)")
        post(db, hit.marketplace, "reserve", [(available, -difference), (on_hold, difference)], now=now, hit=hit)
    elif difference < 0:
        available = account(db, hit.marketplace, owner, AVAILABLE)
        post(db, hit.marketplace, "release", [(on_hold, difference), (available, -difference)], now=now, hit=hit)


def check_available(db: Session, marketplace: Marketplace, requester_id: int, amount: int, what: str) -> None:
    """InsufficientFundsError unless the available balance covers ``amount``; nothing is held."""
    _debit_available(db, marketplace, requester_id, amount, what)


def hold_new_hits(db: Session, marketplace: Marketplace, requester_id: int, holds: Sequence[tuple[int, int]], *,
                  now: datetime, what: str) -> None:
    """Hold the cost of many HITs just inserted, ``holds`` being (HIT id, amount) pairs: what one
    ``sync_hold`` per HIT would hold, written as one transaction (a balance check, one entry per HIT).
    Raises InsufficientFundsError."""
    total = sum(amount for _, amount in holds)
    if not total:
        return
    available = _debit_available(db, marketplace, requester_id, total, what)
    on_hold = account(db, marketplace, f"requester:{requester_id}", ON_HOLD)
    txn = LedgerTransaction(marketplace=marketplace, kind="reserve", memo=what, created_at=now)
    db.add(txn)
    db.flush()
    db.execute(insert(LedgerEntry), [
        {"transaction_id": txn.id, "account_id": available.id, "amount_micros": -total},
        *({"transaction_id": txn.id, "account_id": on_hold.id, "amount_micros": amount, "hit_id": hit_id}
          for hit_id, amount in holds if amount)])


def release_holds(db: Session, marketplace: Marketplace, requester_id: int, releases: Sequence[tuple[int, int]], *,
                  now: datetime, what: str) -> int:
    """Give back to the available balance what many HITs no longer need held, ``releases`` being (HIT id,
    amount) pairs: what one ``sync_hold`` per HIT would release, as one transaction. Returns the total."""
    total = sum(amount for _, amount in releases)
    if not total:
        return 0
    owner = f"requester:{requester_id}"
    on_hold, available = account(db, marketplace, owner, ON_HOLD), account(db, marketplace, owner, AVAILABLE)
    txn = LedgerTransaction(marketplace=marketplace, kind="release", memo=what, created_at=now)
    db.add(txn)
    db.flush()
    db.execute(insert(LedgerEntry), [
        {"transaction_id": txn.id, "account_id": available.id, "amount_micros": total},
        *({"transaction_id": txn.id, "account_id": on_hold.id, "amount_micros": -amount, "hit_id": hit_id}
          for hit_id, amount in releases if amount)])
    return total


def forget_holds(db: Session, hit_ids: Select[tuple[int]]) -> None:
    """Delete the transactions that held the cost of these HITs, which are being deleted unpublished
    (a batch whose build failed): as a rollback would, so no trace of HITs that never existed for
    anyone remains. Only for HITs written by ``hold_new_hits`` and never touched since."""
    txns = select(LedgerEntry.transaction_id).where(LedgerEntry.hit_id.in_(hit_ids)).distinct()
    txn_ids = list(db.scalars(txns))
    db.execute(delete(LedgerEntry).where(LedgerEntry.transaction_id.in_(txn_ids)))
    db.execute(delete(LedgerTransaction).where(LedgerTransaction.id.in_(txn_ids)))


def pay_assignment(db: Session, hit: HIT, assignment: Assignment, *, now: datetime) -> None:
    """Move one slot's cost from the HIT's hold to the worker (reward) and the platform (fee)."""
    on_hold = account(db, hit.marketplace, f"requester:{hit.requester_id}", ON_HOLD)
    earnings = account(db, hit.marketplace, f"worker:{assignment.worker_id}", EARNINGS)
    fees = account(db, hit.marketplace, "platform", FEES)
    reward, fee = hit.hit_type.reward_micros, hit.fee_per_assignment_micros
    post(db, hit.marketplace, "reward", [(on_hold, -(reward + fee)), (earnings, reward), (fees, fee)], now=now,
         hit=hit, assignment=assignment)


def pay_bonus(db: Session, money: MoneySettings, marketplace: Marketplace, requester_id: int,
              assignment: Assignment, amount_micros: int, *, now: datetime) -> int:
    """Pay a bonus and its fee from the available balance; returns the fee."""
    fee = bonus_fee(money, amount_micros)
    available = _debit_available(db, marketplace, requester_id, amount_micros + fee, "this bonus and its fee")
    earnings = account(db, marketplace, f"worker:{assignment.worker_id}", EARNINGS)
    fees = account(db, marketplace, "platform", FEES)
    post(db, marketplace, "bonus", [(available, -(amount_micros + fee)), (earnings, amount_micros), (fees, fee)],
         now=now, assignment=assignment)
    return fee


def worker_earnings(db: Session, marketplace: Marketplace, worker_id: int) -> int:
    return balance_of(db, account(db, marketplace, f"worker:{worker_id}", EARNINGS))


@dataclass(frozen=True)
class StatementLine:
    """One entry of a requester's accounts: which of its accounts moved, by how much, and why."""

    entry_id: int
    at: datetime
    kind: str
    memo: str
    purpose: str  # AVAILABLE or ON_HOLD
    amount_micros: int
    hit_public_id: str | None


def requester_statement(db: Session, marketplace: Marketplace, requester_id: int, *, before_entry_id: int | None,
                        limit: int) -> list[StatementLine]:
    """Up to ``limit`` entries of the requester's available and on-hold accounts, newest first, older
    than ``before_entry_id`` (keyset: stable while new entries are written)."""
    stmt = (select(LedgerEntry.id, LedgerTransaction.created_at, LedgerTransaction.kind, LedgerTransaction.memo,
                   LedgerAccount.purpose, LedgerEntry.amount_micros, HIT.public_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .outerjoin(HIT, HIT.id == LedgerEntry.hit_id)
            .where(LedgerAccount.marketplace == marketplace, LedgerAccount.owner == f"requester:{requester_id}")
            .order_by(LedgerEntry.id.desc()).limit(limit))
    if before_entry_id is not None:
        stmt = stmt.where(LedgerEntry.id < before_entry_id)
    return [StatementLine(*row) for row in db.execute(stmt)]
