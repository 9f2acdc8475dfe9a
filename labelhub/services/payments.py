"""Money use cases: balances, the requester's statement, deposits, sandbox top-ups, bonuses and worker
earnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from labelhub import ids
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import (
    ANSWERED_STATUSES,
    HIT,
    Assignment,
    AssignmentStatus,
    Bonus,
    HITType,
    Marketplace,
    Requester,
    Worker,
)
from labelhub.money import MAX_AMOUNT_MICROS, format_amount, parse_amount
from labelhub.runtime import Runtime
from labelhub.services import ledger
from labelhub.services.actors import Actor, require_requester, require_worker
from labelhub.services.commands import SendBonus, is_amount
from labelhub.services.common import (
    Created,
    Page,
    check_page_size,
    decode_cursor,
    encode_cursor,
    find_token,
    paginate,
    record_event,
    remember_token,
)

SEND_BONUS_SCOPE = "SendBonus"
SANDBOX_TOP_UP_LIMIT_MICROS = parse_amount("1000.00")  # play money per top-up on the account page


def balance(rt: Runtime, actor: Actor) -> ledger.Balance:
    """The requester's available and on-hold balances in the actor's marketplace, from the ledger."""
    require_requester(actor)
    with rt.sessions() as db:
        return ledger.requester_balance(db, actor.marketplace, actor.id)


def deposit(rt: Runtime, requester_public_id: str, amount_micros: int, *,
            marketplace: Marketplace = Marketplace.PRODUCTION, memo: str = "deposit") -> ledger.Balance:
    """Add funds to a requester's account (an operator's action: the CLI, not the APIs)."""
    if not is_amount(amount_micros, minimum=1):
        raise InvalidInputError({"amount": "must be a positive amount of at most "
                                 f"{format_amount(MAX_AMOUNT_MICROS)}"})
    now = rt.clock()
    with rt.sessions.begin() as db:
        requester = db.scalars(select(Requester).where(Requester.public_id == requester_public_id)).one_or_none()
        if requester is None:
            raise NotFoundError(f"Requester {requester_public_id} does not exist", entity="requester")
        ledger.deposit(db, marketplace, requester.id, amount_micros, now=now, memo=memo)
        return ledger.requester_balance(db, marketplace, requester.id)


@dataclass(frozen=True)
class AccountSummary:
    """The account page: both marketplaces' balances and one page of the actor's marketplace's statement."""

    balances: dict[Marketplace, ledger.Balance]
    statement: Page[ledger.StatementLine]


def account_summary(rt: Runtime, actor: Actor, *, cursor: str | None = None, limit: int = 25) -> AccountSummary:
    """The requester's available and held balances in each marketplace and its ledger entries in the
    actor's marketplace, newest first, a page at a time. Raises InvalidInputError naming a bad cursor."""
    require_requester(actor)
    limit, before = check_page_size(limit), decode_cursor(cursor) or None
    with rt.sessions() as db:
        balances = {market: ledger.requester_balance(db, market, actor.id) for market in Marketplace}
        lines = ledger.requester_statement(db, actor.marketplace, actor.id, before_entry_id=before, limit=limit + 1)
    more = len(lines) > limit
    lines = lines[:limit]
    return AccountSummary(balances, Page(lines, encode_cursor(lines[-1].entry_id) if more else None))


def top_up_sandbox(rt: Runtime, actor: Actor, amount_micros: int) -> ledger.Balance:
    """Add play money to the requester's sandbox balance, at most SANDBOX_TOP_UP_LIMIT_MICROS at a time.
    Production funds come from an operator's deposit only. Raises InvalidStateError outside the
    sandbox, InvalidInputError for a bad amount."""
    require_requester(actor)
    if actor.marketplace is not Marketplace.SANDBOX:
        raise InvalidStateError("Play money can only be added in the sandbox; production funds are deposited "
                                "by the operator", entity="balance")
    if not is_amount(amount_micros, minimum=1) or amount_micros > SANDBOX_TOP_UP_LIMIT_MICROS:
        raise InvalidInputError({"amount": "must be a positive amount of at most "
                                 f"{format_amount(SANDBOX_TOP_UP_LIMIT_MICROS)}"})
    with rt.sessions.begin() as db:
        ledger.deposit(db, Marketplace.SANDBOX, actor.id, amount_micros, now=rt.clock(), memo="sandbox top-up")
        return ledger.requester_balance(db, Marketplace.SANDBOX, actor.id)


def send_bonus(rt: Runtime, actor: Actor, cmd: SendBonus) -> Created[Bonus]:
    """Pay a bonus (plus fee) to a worker for an assignment they submitted on one of the requester's
    HITs. Idempotent by UniqueRequestToken. Raises InsufficientFundsError, NotFoundError,
    PermissionDeniedError, InvalidStateError."""
    require_requester(actor)
    now = rt.clock()
    window = timedelta(hours=rt.settings.marketplace.idempotency_window_hours)
    with rt.sessions.begin() as db:
        earlier = find_token(db, actor, SEND_BONUS_SCOPE, cmd.unique_request_token, now=now, window=window)
        if earlier is not None:
            return Created(db.scalars(select(Bonus).where(Bonus.public_id == earlier)).one(), replayed=True)
        assignment = db.scalars(select(Assignment).join(HIT).where(
            Assignment.public_id == cmd.assignment_id, HIT.marketplace == actor.marketplace)).one_or_none()
        if assignment is None or assignment.hit.requester_id != actor.id:  # another's: no hint it exists
            raise NotFoundError(f"Assignment {cmd.assignment_id} does not exist.", entity="assignment")
        worker = db.get_one(Worker, assignment.worker_id)
        if worker.public_id != cmd.worker_id:
            raise InvalidInputError({"worker_id": f"worker {cmd.worker_id} did not do assignment "
                                     f"{cmd.assignment_id}"}, entity="assignment")
        if assignment.status not in ANSWERED_STATUSES:
            raise InvalidStateError("A bonus can only be paid for a submitted assignment", entity="assignment")
        fee = ledger.pay_bonus(db, rt.settings.money, actor.marketplace, actor.id, assignment, cmd.amount_micros,
                               now=now)
        bonus = Bonus(public_id=ids.new_id(), requester_id=actor.id, worker=worker, assignment=assignment,
                      marketplace=actor.marketplace, amount_micros=cmd.amount_micros, fee_micros=fee,
                      reason=cmd.reason, created_at=now)
        db.add(bonus)
        record_event(db, actor, "BonusPaid", entity="assignment", entity_id=assignment.public_id,
                     hit=assignment.hit, now=now, bonus=bonus.public_id, amount=cmd.amount_micros)
        remember_token(db, actor, SEND_BONUS_SCOPE, cmd.unique_request_token, bonus.public_id, now=now)
    return Created(bonus)


@dataclass(frozen=True)
class BonusView:
    bonus: Bonus
    worker_id: str
    assignment_id: str


def list_bonuses(rt: Runtime, actor: Actor, *, hit_id: str | None = None, assignment_id: str | None = None,
                 cursor: str | None = None, limit: int = 50) -> Page[BonusView]:
    """Bonuses the requester paid for one HIT or one assignment (exactly one of the two)."""
    require_requester(actor)
    if (hit_id is None) == (assignment_id is None):
        raise InvalidInputError({"hit_id": "give either a HIT id or an assignment id, not both"})
    stmt = select(Bonus).join(Assignment, Assignment.id == Bonus.assignment_id).join(HIT).where(
        Bonus.requester_id == actor.id, Bonus.marketplace == actor.marketplace)
    stmt = stmt.where(HIT.public_id == hit_id) if hit_id else stmt.where(Assignment.public_id == assignment_id)
    with rt.sessions() as db:
        page = paginate(db, stmt, Bonus.id, cursor, limit)
    return Page([BonusView(b, b.worker.public_id, b.assignment.public_id) for b in page.items], page.next_cursor)


@dataclass(frozen=True)
class ReceivedBonus:
    """A bonus as the worker who received it sees it: how much, the requester's reason, when, which HIT."""

    bonus_id: str
    amount_micros: int
    reason: str
    paid_at: datetime
    hit_title: str


def bonuses_received(rt: Runtime, actor: Actor, *, cursor: str | None = None,
                     limit: int = 50) -> Page[ReceivedBonus]:
    """The bonuses paid to the worker in the actor's marketplace, oldest first (ix_bonuses_worker_page).
    Raises PermissionDeniedError for anyone but a worker, InvalidInputError naming a bad cursor."""
    require_worker(actor)
    stmt = select(Bonus).where(Bonus.worker_id == actor.id, Bonus.marketplace == actor.marketplace)
    with rt.sessions() as db:
        found = paginate(db, stmt, Bonus.id, cursor, limit)  # the assignment, HIT and HIT type are joined
        lines = [ReceivedBonus(b.public_id, b.amount_micros, b.reason, b.created_at, b.assignment.hit.hit_type.title)
                 for b in found.items]
    return Page(lines, found.next_cursor)


@dataclass(frozen=True)
class Earnings:
    approved_micros: int
    pending_micros: int


def worker_earnings(rt: Runtime, actor: Actor) -> Earnings:
    """What the worker has been paid (rewards and bonuses) and what awaits approval."""
    require_worker(actor)
    with rt.sessions() as db:
        pending = db.scalar(select(func.coalesce(func.sum(HITType.reward_micros), 0))
                            .select_from(Assignment).join(HIT).join(HITType)
                            .where(Assignment.worker_id == actor.id, HIT.marketplace == actor.marketplace,
                                   Assignment.status == AssignmentStatus.SUBMITTED))
        return Earnings(ledger.worker_earnings(db, actor.marketplace, actor.id), int(pending))
