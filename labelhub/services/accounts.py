"""Accounts: requesters and workers, their credentials, and authentication for the adapters."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from labelhub import ids
from labelhub.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from labelhub.models import AccessKey, ApiToken, Event, Marketplace, Requester, Worker
from labelhub.money import decimal_to_micros
from labelhub.runtime import Runtime
from labelhub.services import ledger
from labelhub.services.actors import Actor
from labelhub.services.commands import Locale

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,99}$")
MIN_PASSWORD_LENGTH = 8
SIGN_IN_WINDOW = timedelta(minutes=15)
MAX_FAILED_SIGN_INS = 5  # per account kind, name and client address within the window
TOKEN_PREFIX_LENGTH = 8  # how much of a REST token is kept in clear, to tell tokens apart in lists
LOCAL_CLIENT = "local"  # the client of in-process callers (CLI, scripts); network adapters pass the address


def _hash_password(rt: Runtime, password: str) -> str:
    return generate_password_hash(password, method=rt.settings.accounts.password_hash_method)


@functools.cache
def _dummy_password_hash(method: str) -> str:
    """A hash of a random password with ``method``, per method, so unknown names cost what known ones do."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


@dataclass(frozen=True)
class RequesterCredentials:
    requester_id: str
    access_key_id: str
    secret_access_key: str
    api_token: str


@dataclass(frozen=True)
class WorkerCredentials:
    worker_id: str
    password: str
    api_token: str


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str) -> None:
    if not NAME.match(name or ""):
        raise InvalidInputError({"name": "2-100 characters: letters, digits and _ . @ - (starting with a letter "
                                 "or digit)"})


def api_token_row(token: str, *, now: datetime, requester_id: int | None = None,
                  worker_id: int | None = None) -> ApiToken:
    """The row that stores a new REST token: its SHA-256 and its first characters, never the token."""
    return ApiToken(token_hash=_hash_token(token), prefix=token[:TOKEN_PREFIX_LENGTH], requester_id=requester_id,
                    worker_id=worker_id, created_at=now)


def access_key_row(requester_id: int, *, now: datetime) -> AccessKey:
    """A new MTurk-style access key pair for the requester (its secret is stored: SigV4 needs it)."""
    return AccessKey(access_key_id=ids.new_access_key_id(), secret_access_key=ids.new_secret(),
                     requester_id=requester_id, created_at=now)


def _check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError({"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"})


def create_requester(rt: Runtime, name: str, *, password: str | None = None) -> RequesterCredentials:
    """A requester with an MTurk-style access key, a REST token, and sandbox play money; with a
    ``password``, it can also sign in to the requester pages."""
    _check_name(name)
    if password is not None:
        _check_password_length(password)
    password_hash = _hash_password(rt, password) if password is not None else None
    now = rt.clock()
    token = ids.new_secret()
    try:
        with rt.sessions.begin() as db:
            requester = Requester(public_id=ids.new_requester_id(), name=name, created_at=now,
                                  password_hash=password_hash)
            db.add(requester)
            db.flush()
            key = access_key_row(requester.id, now=now)
            db.add_all([key, api_token_row(token, now=now, requester_id=requester.id)])
            ledger.deposit(db, Marketplace.SANDBOX, requester.id,
                           decimal_to_micros(rt.settings.money.sandbox_starting_balance), now=now,
                           memo="sandbox play money")
    except IntegrityError:
        raise ConflictError(f"A requester named {name!r} already exists", entity="requester") from None
    return RequesterCredentials(requester.public_id, key.access_key_id, key.secret_access_key, token)


def sign_up_requester(rt: Runtime, name: str, password: str, *, invite_code: str = "") -> RequesterCredentials:
    """A requester made on the sign-up page, as ``[accounts] requester_signup`` allows: anyone ("open"),
    or whoever gives ``requester_invite_code`` ("invite"; nobody while that code is empty). Raises
    PermissionDeniedError (sign-up closed), InvalidInputError, ConflictError."""
    policy = rt.settings.accounts
    if policy.requester_signup == "invite":
        if not policy.requester_invite_code:
            raise PermissionDeniedError("Requester sign-up is closed: ask the operator for an account.",
                                        entity="requester")
        if not hmac.compare_digest(invite_code.encode(), policy.requester_invite_code.encode()):
            raise InvalidInputError({"invite_code": "is not the invite code"})
    return create_requester(rt, name, password=password)


def set_requester_password(rt: Runtime, name: str, password: str) -> None:
    """Give the requester named ``name`` a new password for the requester pages (an operator's action)."""
    _check_password_length(password)
    password_hash = _hash_password(rt, password)
    with rt.sessions.begin() as db:
        requester = db.scalars(select(Requester).where(Requester.name == name).with_for_update()).one_or_none()
        if requester is None:
            raise NotFoundError(f"No requester is named {name!r}", entity="requester")
        requester.password_hash = password_hash


def create_worker(rt: Runtime, name: str, *, password: str | None = None, locale: Locale | None = None,
                  adult: bool = False) -> WorkerCredentials:
    """A worker account (password hashed with ``accounts.password_hash_method``); a password is generated when
    none is given."""
    _check_name(name)
    if password is not None:
        _check_password_length(password)
    password = password or secrets.token_urlsafe(12)
    token = ids.new_secret()
    now = rt.clock()
    try:
        with rt.sessions.begin() as db:
            worker = Worker(public_id=ids.new_worker_id(), name=name, password_hash=_hash_password(rt, password),
                            country=locale.country if locale else None,
                            subdivision=locale.subdivision if locale else None, adult=adult, created_at=now)
            db.add(worker)
            db.flush()
            db.add(api_token_row(token, now=now, worker_id=worker.id))
    except IntegrityError:
        raise ConflictError(f"A worker named {name!r} already exists", entity="worker") from None
    return WorkerCredentials(worker.public_id, password, token)


def authenticate_token(rt: Runtime, token: str, marketplace: Marketplace) -> Actor:
    """The requester or worker a REST bearer token belongs to."""
    with rt.sessions() as db:
        row = db.scalars(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).one_or_none()
        if row is None:
            raise AuthenticationError("The API token is not valid")
        if row.requester_id is not None:
            requester = db.get_one(Requester, row.requester_id)
            return Actor("requester", requester.id, requester.public_id, marketplace)
        worker = db.get_one(Worker, row.worker_id)
        return Actor("worker", worker.id, worker.public_id, marketplace)


@dataclass(frozen=True)
class _AccountKind:
    """What differs between signing in as a worker and as a requester; the mechanism is the same."""

    kind: Literal["worker", "requester"]
    model: type[Worker] | type[Requester]
    failed_action: str
    success_action: str


WORKERS = _AccountKind("worker", Worker, "WorkerSignInFailed", "WorkerSignedIn")
REQUESTERS = _AccountKind("requester", Requester, "RequesterSignInFailed", "RequesterSignedIn")


def authenticate_worker(rt: Runtime, name: str, password: str, marketplace: Marketplace, *,
                        client: str = LOCAL_CLIENT) -> Actor:
    """The worker with this name and password: the one place a worker's password is checked, for every
    adapter (the sign-in page, the MTurk preview's HTTP Basic...), limited as ``_authenticate`` says."""
    return _authenticate(rt, WORKERS, name, password, marketplace, client)


def authenticate_requester(rt: Runtime, name: str, password: str, marketplace: Marketplace, *,
                           client: str = LOCAL_CLIENT) -> Actor:
    """The requester with this name and page password (one without a password cannot sign in), limited
    as ``_authenticate`` says."""
    return _authenticate(rt, REQUESTERS, name, password, marketplace, client)


def _authenticate(rt: Runtime, account: _AccountKind, name: str, password: str, marketplace: Marketplace,
                  client: str) -> Actor:
    """Check a password. Adapters pass the request's client address as ``client``.

    At most MAX_FAILED_SIGN_INS failures per account kind, name and client address in SIGN_IN_WINDOW
    (counted in the event log, so every process sees the same count; a success starts the count again);
    past that the password is not checked at all. Each attempt is recorded as a failure *before* its
    password is checked, so attempts made in parallel count against the limit too. Raises
    TooManyAttemptsError (with the delay), AuthenticationError."""
    attempt_id, earlier_failures = _reserve_attempt(rt, account, _sign_in_key(account, name, client), marketplace)
    actor = _check_password(rt, account, name, password, marketplace)  # a wrong password leaves the failure
    _settle_success(rt, account, attempt_id, actor, reset_count=earlier_failures)
    return actor


def _check_password(rt: Runtime, account: _AccountKind, name: str, password: str,
                    marketplace: Marketplace) -> Actor:
    with rt.sessions() as db:
        found = db.scalars(select(account.model).where(account.model.name == name)).one_or_none()
    # An unknown name (or a requester without a password) is checked against a dummy hash too, so
    # timing does not reveal which names exist.
    stored = found.password_hash if found is not None else None
    if not check_password_hash(stored or _dummy_password_hash(rt.settings.accounts.password_hash_method),
                               password) or found is None or stored is None:
        raise AuthenticationError(f"Unknown {account.kind} name or wrong password")
    return Actor(account.kind, found.id, found.public_id, marketplace)


def _sign_in_key(account: _AccountKind, name: str, client: str) -> str:
    return hashlib.sha256(f"{account.kind}\x00{name.casefold()}\x00{client}".encode()).hexdigest()[:30]


def _reserve_attempt(rt: Runtime, account: _AccountKind, key: str, marketplace: Marketplace) -> tuple[int, bool]:
    """Count this key's recent failures and, under the limit, record one more in the same transaction:
    (its event id, whether there were earlier failures). Attempts with one key take turns here
    (SQLite's write lock; a transaction-scoped advisory lock on PostgreSQL), so no two see the same
    count. No reactions: written dispatched, the record never waits in the outbox."""
    now = rt.clock()
    with rt.sessions.begin() as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(select(func.pg_advisory_xact_lock(int(key[:15], 16))))
        last_success = db.scalar(select(func.max(Event.at)).where(
            Event.entity == "sign_in", Event.entity_id == key, Event.action == account.success_action))
        since = max(now - SIGN_IN_WINDOW, last_success) if last_success else now - SIGN_IN_WINDOW
        failures = list(db.scalars(select(Event.at).where(
            Event.entity == "sign_in", Event.entity_id == key, Event.action == account.failed_action,
            Event.at > since).order_by(Event.at)))
        if len(failures) >= MAX_FAILED_SIGN_INS:
            reopens = failures[-MAX_FAILED_SIGN_INS] + SIGN_IN_WINDOW
            raise TooManyAttemptsError(max(1, int((reopens - now).total_seconds())))
        attempt = Event(marketplace=marketplace, at=now, actor="anonymous", action=account.failed_action,
                        entity="sign_in", entity_id=key, dispatched_at=now)
        db.add(attempt)
        db.flush()
        return attempt.id, bool(failures)


def _settle_success(rt: Runtime, account: _AccountKind, attempt_id: int, actor: Actor, *,
                    reset_count: bool) -> None:
    """The reserved failure was a success: it becomes the record that starts the count again, or, with
    no failures to forget, it goes (a success alone leaves no record)."""
    with rt.sessions.begin() as db:
        if reset_count:
            db.execute(update(Event).where(Event.id == attempt_id).values(
                action=account.success_action, actor=actor.label))
        else:
            db.execute(delete(Event).where(Event.id == attempt_id))


def prune_sign_in_events(rt: Runtime) -> int:
    """Delete sign-in records older than SIGN_IN_WINDOW: only the window's count uses them, and they
    name client addresses (hashed with the name). Returns how many were deleted."""
    with rt.sessions.begin() as db:
        return db.execute(delete(Event).where(Event.entity == "sign_in",
                                              Event.at < rt.clock() - SIGN_IN_WINDOW)).rowcount


def access_key_secret(rt: Runtime, access_key_id: str, marketplace: Marketplace) -> tuple[str, Actor]:
    """The secret behind an access key (for SigV4 verification) and the requester it acts as."""
    with rt.sessions() as db:
        key = db.scalars(select(AccessKey).where(AccessKey.access_key_id == access_key_id,
                                                 AccessKey.active.is_(True))).one_or_none()
        if key is None:
            raise AuthenticationError("The security token included in the request is invalid.")
        requester = db.get_one(Requester, key.requester_id)
        return key.secret_access_key, Actor("requester", requester.id, requester.public_id, marketplace)


def requester_actor(rt: Runtime, requester_public_id: str, marketplace: Marketplace) -> Actor:
    with rt.sessions() as db:
        requester = db.scalars(select(Requester).where(Requester.public_id == requester_public_id)).one_or_none()
    if requester is None:
        raise NotFoundError(f"Requester {requester_public_id} does not exist", entity="requester")
    return Actor("requester", requester.id, requester.public_id, marketplace)
