"""Account use cases against the real database: creating requesters and workers, how credentials are
stored, and authentication by API token, password and access key."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from labelhub.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyAttemptsError,
)
from labelhub.models import AccessKey, ApiToken, Event, Marketplace, Requester, Worker
from labelhub.money import parse_amount
from labelhub.services import accounts, payments
from labelhub.services.commands import Locale


def _count(rt, model, *where) -> int:
    with rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_create_requester_gives_credentials_and_sandbox_play_money(runtime, clock):
    creds = accounts.create_requester(runtime, "acme-labs")
    assert creds.requester_id.startswith("A") and len(creds.requester_id) == 14
    assert creds.access_key_id.startswith("AKIA") and len(creds.access_key_id) == 20
    actor = accounts.requester_actor(runtime, creds.requester_id, Marketplace.SANDBOX)
    assert payments.balance(runtime, actor).available_micros == parse_amount("10000.00")
    assert payments.balance(runtime, actor.in_marketplace(Marketplace.PRODUCTION)).available_micros == 0
    with runtime.sessions() as db:
        requester = db.scalars(select(Requester)).one()
        token = db.scalars(select(ApiToken)).one()
    assert (requester.name, requester.created_at) == ("acme-labs", clock.now)
    assert token.token_hash == hashlib.sha256(creds.api_token.encode()).hexdigest()


def test_create_requester_duplicate_name_is_conflict(runtime):
    accounts.create_requester(runtime, "acme")
    with pytest.raises(ConflictError, match="'acme' already exists"):
        accounts.create_requester(runtime, "acme")
    assert _count(runtime, Requester) == 1
    assert _count(runtime, AccessKey) == 1
    assert _count(runtime, ApiToken) == 1


@pytest.mark.parametrize("name", ["", "a", "-leading-dash", "has space", "x" * 101, "semi;colon"])
def test_create_requester_bad_name_names_the_field(runtime, name):
    with pytest.raises(InvalidInputError) as raised:
        accounts.create_requester(runtime, name)
    assert set(raised.value.fields) == {"name"}
    assert _count(runtime, Requester) == 0


def test_create_worker_hashes_the_password(runtime, clock):
    creds = accounts.create_worker(runtime, "alice", password="correct-horse-1", locale=Locale("US", "WA"),
                                   adult=True)
    assert creds.password == "correct-horse-1"
    with runtime.sessions() as db:
        worker = db.scalars(select(Worker)).one()
    assert worker.password_hash != "correct-horse-1"
    assert "correct-horse-1" not in worker.password_hash
    assert worker.password_hash.startswith("scrypt:")
    assert (worker.public_id, worker.country, worker.subdivision, worker.adult) == (
        creds.worker_id, "US", "WA", True)
    assert worker.created_at == clock.now


def test_create_worker_never_stores_the_password_or_token_in_plain(runtime, engine):
    creds = accounts.create_worker(runtime, "bob", password="s3cret-passphrase")
    with engine.connect() as conn:
        worker_row = conn.execute(select(Worker.__table__)).one()
        token_row = conn.execute(select(ApiToken.__table__)).one()
    stored = " ".join(str(value) for value in [*worker_row, *token_row])
    assert "s3cret-passphrase" not in stored
    assert creds.api_token not in stored


def test_create_worker_generates_a_password_when_none_is_given(runtime):
    creds = accounts.create_worker(runtime, "carol")
    assert len(creds.password) >= 12
    actor = accounts.authenticate_worker(runtime, "carol", creds.password, Marketplace.PRODUCTION)
    assert actor.public_id == creds.worker_id


def test_create_worker_duplicate_name_is_conflict(runtime):
    accounts.create_worker(runtime, "dave", password="password-one")
    with pytest.raises(ConflictError, match="'dave' already exists"):
        accounts.create_worker(runtime, "dave", password="password-two")
    assert _count(runtime, Worker) == 1
    assert _count(runtime, ApiToken) == 1
    accounts.authenticate_worker(runtime, "dave", "password-one", Marketplace.PRODUCTION)


def test_create_worker_short_password_names_the_field(runtime):
    with pytest.raises(InvalidInputError) as raised:
        accounts.create_worker(runtime, "erin", password="short")
    assert set(raised.value.fields) == {"password"}
    assert _count(runtime, Worker) == 0


def test_requester_and_worker_may_share_a_name(runtime):
    accounts.create_requester(runtime, "frank")
    accounts.create_worker(runtime, "frank", password="password-one")
    assert (_count(runtime, Requester), _count(runtime, Worker)) == (1, 1)


def test_authenticate_token_finds_requester_and_worker(runtime):
    requester = accounts.create_requester(runtime, "acme")
    worker = accounts.create_worker(runtime, "grace", password="password-one")
    as_requester = accounts.authenticate_token(runtime, requester.api_token, Marketplace.SANDBOX)
    as_worker = accounts.authenticate_token(runtime, worker.api_token, Marketplace.PRODUCTION)
    assert (as_requester.kind, as_requester.public_id, as_requester.marketplace) == (
        "requester", requester.requester_id, Marketplace.SANDBOX)
    assert (as_worker.kind, as_worker.public_id, as_worker.marketplace) == (
        "worker", worker.worker_id, Marketplace.PRODUCTION)


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_authenticate_token_unknown_is_refused(runtime, token):
    accounts.create_requester(runtime, "acme")
    with pytest.raises(AuthenticationError, match="not valid"):
        accounts.authenticate_token(runtime, token, Marketplace.PRODUCTION)


def test_authenticate_token_does_not_accept_the_stored_hash(runtime):
    creds = accounts.create_requester(runtime, "acme")
    with pytest.raises(AuthenticationError):
        accounts.authenticate_token(runtime, hashlib.sha256(creds.api_token.encode()).hexdigest(),
                                    Marketplace.PRODUCTION)


def test_authenticate_worker_by_password(runtime):
    creds = accounts.create_worker(runtime, "heidi", password="password-one")
    actor = accounts.authenticate_worker(runtime, "heidi", "password-one", Marketplace.SANDBOX)
    assert (actor.kind, actor.public_id, actor.marketplace) == \
        ("worker", creds.worker_id, Marketplace.SANDBOX)


@pytest.mark.parametrize(("name", "password"), [("heidi", "password-two"), ("nobody", "password-one"),
                                                ("heidi", "")])
def test_authenticate_worker_wrong_name_or_password_is_refused(runtime, name, password):
    accounts.create_worker(runtime, "heidi", password="password-one")
    with pytest.raises(AuthenticationError, match="Unknown worker name or wrong password"):
        accounts.authenticate_worker(runtime, name, password, Marketplace.PRODUCTION)


def test_access_key_secret_returns_the_secret_and_requester(runtime):
    creds = accounts.create_requester(runtime, "acme")
    secret, actor = accounts.access_key_secret(runtime, creds.access_key_id, Marketplace.SANDBOX)
    assert secret == creds.secret_access_key
    assert (actor.kind, actor.public_id, actor.marketplace) == ("requester", creds.requester_id,
                                                                Marketplace.SANDBOX)


def test_access_key_secret_of_unknown_or_inactive_key_is_refused(runtime):
    creds = accounts.create_requester(runtime, "acme")
    with pytest.raises(AuthenticationError, match="security token included in the request is invalid"):
        accounts.access_key_secret(runtime, "AKIANOSUCHKEY0000000", Marketplace.PRODUCTION)
    with runtime.sessions.begin() as db:
        db.execute(update(AccessKey).values(active=False))
    with pytest.raises(AuthenticationError):
        accounts.access_key_secret(runtime, creds.access_key_id, Marketplace.PRODUCTION)


def test_requester_actor_of_unknown_requester_is_not_found(runtime):
    with pytest.raises(NotFoundError, match="ANOSUCHREQUEST does not exist"):
        accounts.requester_actor(runtime, "ANOSUCHREQUEST", Marketplace.PRODUCTION)


# ---- the limit on failed password checks, which every adapter inherits ----------------------------------

def test_authenticate_worker_refuses_without_checking_after_too_many_failures(runtime, clock, monkeypatch):
    accounts.create_worker(runtime, "ivan", password="password-one")
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        with pytest.raises(AuthenticationError, match="wrong password"):
            accounts.authenticate_worker(runtime, "ivan", "guess", Marketplace.PRODUCTION, client="203.0.113.7")
    checked: list[str] = []
    monkeypatch.setattr(accounts, "check_password_hash", lambda stored, password: checked.append(password))
    clock.advance(seconds=60)

    with pytest.raises(TooManyAttemptsError) as refused:
        accounts.authenticate_worker(runtime, "IVAN", "password-one", Marketplace.PRODUCTION, client="203.0.113.7")

    assert refused.value.retry_after_seconds == accounts.SIGN_IN_WINDOW.total_seconds() - 60
    assert refused.value.code == "too_many_attempts" and "Try again in 14 minutes" in refused.value.message
    assert checked == []  # the password is not even looked at
    assert _count(runtime, Event, Event.action == "WorkerSignInFailed") == accounts.MAX_FAILED_SIGN_INS


def test_authenticate_worker_limit_is_per_client_lifts_after_the_window_and_resets_on_success(runtime, clock):
    creds = accounts.create_worker(runtime, "judy", password="password-one")

    def attempt(password: str, client: str = "203.0.113.7") -> str:
        try:
            return accounts.authenticate_worker(runtime, "judy", password, Marketplace.PRODUCTION,
                                                client=client).public_id
        except TooManyAttemptsError:
            return "429"
        except AuthenticationError:
            return "401"

    assert [attempt("guess") for _ in range(accounts.MAX_FAILED_SIGN_INS)] == ["401"] * 5
    assert attempt("password-one") == "429"
    assert attempt("password-one", client="198.51.100.1") == creds.worker_id  # another address
    assert attempt("password-one", client=accounts.LOCAL_CLIENT) == creds.worker_id
    clock.advance(seconds=accounts.SIGN_IN_WINDOW.total_seconds() + 1)
    assert attempt("password-one") == creds.worker_id
    assert [attempt("guess") for _ in range(accounts.MAX_FAILED_SIGN_INS - 1)] == ["401"] * 4
    assert attempt("password-one") == creds.worker_id  # a success starts the count again
    clock.advance(seconds=1)
    assert [attempt("guess") for _ in range(accounts.MAX_FAILED_SIGN_INS)] == ["401"] * 5
    assert attempt("password-one") == "429"


def test_in_process_callers_are_limited_too_and_successes_alone_leave_no_record(runtime):
    accounts.create_worker(runtime, "kim", password="password-one")
    for _ in range(3):
        accounts.authenticate_worker(runtime, "kim", "password-one", Marketplace.PRODUCTION)
    assert _count(runtime, Event, Event.entity == "sign_in") == 0  # nothing to reset, nothing kept
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        with pytest.raises(AuthenticationError):
            accounts.authenticate_worker(runtime, "kim", "guess", Marketplace.PRODUCTION)
    with pytest.raises(TooManyAttemptsError):
        accounts.authenticate_worker(runtime, "kim", "password-one", Marketplace.PRODUCTION)


def test_parallel_guesses_get_no_more_password_checks_than_the_limit(runtime, monkeypatch):
    """Twelve guesses released at once, each password check slowed to 0.2 s: had the count been read
    before and written after the check, every guess would have been checked."""
    accounts.create_worker(runtime, "lena", password="password-one")
    real_check = accounts.check_password_hash
    checked: list[str] = []

    def slow_check(stored: str, password: str) -> bool:
        checked.append(password)
        time.sleep(0.2)
        return real_check(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    start = threading.Barrier(12)

    def guess(number: int) -> str:
        start.wait()
        try:
            accounts.authenticate_worker(runtime, "lena", f"guess-{number}", Marketplace.PRODUCTION,
                                         client="203.0.113.9")
        except TooManyAttemptsError:
            return "429"
        except AuthenticationError:
            return "401"
        return "200"

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = sorted(pool.map(guess, range(12)))

    assert answers == ["401"] * accounts.MAX_FAILED_SIGN_INS + ["429"] * (12 - accounts.MAX_FAILED_SIGN_INS)
    assert len(checked) == accounts.MAX_FAILED_SIGN_INS
    assert _count(runtime, Event, Event.action == "WorkerSignInFailed") == accounts.MAX_FAILED_SIGN_INS


def test_sign_in_records_older_than_the_window_are_swept(runtime, factory, clock):
    factory.worker("swept-worker")
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            accounts.authenticate_worker(runtime, "swept-worker", "wrong password", Marketplace.PRODUCTION,
                                         client="10.0.0.1")
    assert accounts.prune_sign_in_events(runtime) == 0  # still counted by the limit

    clock.advance(seconds=accounts.SIGN_IN_WINDOW.total_seconds() + 1)

    assert accounts.prune_sign_in_events(runtime) == 2
    assert accounts.prune_sign_in_events(runtime) == 0
