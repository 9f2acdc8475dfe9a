"""Worker passwords are hashed with ``accounts.password_hash_method`` (cheap in tests, scrypt's default in
production), and authentication works whichever method stored the hash."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from labelhub.errors import AuthenticationError
from labelhub.models import Marketplace, Worker
from labelhub.services import accounts
from labelhub.settings import AccountsSettings

CHEAP_PBKDF2 = "pbkdf2:sha256:1000"


def _stored_hash(rt, worker_id: str) -> str:
    with rt.sessions() as db:
        return db.scalars(select(Worker.password_hash).where(Worker.public_id == worker_id)).one()


def _with_method(rt, method: str):
    return replace(rt, settings=replace(rt.settings, accounts=AccountsSettings(password_hash_method=method)))


def test_created_worker_is_hashed_with_the_configured_method_and_can_sign_in(runtime, factory):
    method = runtime.settings.accounts.password_hash_method
    assert method != AccountsSettings().password_hash_method  # the suite runs at a lowered cost
    worker = factory.worker("alice")
    assert _stored_hash(runtime, worker.credentials.worker_id).startswith(f"{method}$")
    actor = accounts.authenticate_worker(runtime, "alice", "correct-horse-1", Marketplace.PRODUCTION)
    assert actor.public_id == worker.credentials.worker_id
    with pytest.raises(AuthenticationError):
        accounts.authenticate_worker(runtime, "alice", "wrong-horse-1", Marketplace.PRODUCTION)


def test_another_method_is_used_for_new_hashes_and_old_hashes_still_verify(runtime):
    older = accounts.create_worker(runtime, "scrypt-user", password="correct-horse-1")
    rt = _with_method(runtime, CHEAP_PBKDF2)
    newer = accounts.create_worker(rt, "pbkdf2-user", password="correct-horse-2")
    assert _stored_hash(rt, newer.worker_id).startswith(f"{CHEAP_PBKDF2}$")
    assert accounts.authenticate_worker(rt, "pbkdf2-user", "correct-horse-2", Marketplace.PRODUCTION).public_id \
        == newer.worker_id
    assert accounts.authenticate_worker(rt, "scrypt-user", "correct-horse-1", Marketplace.PRODUCTION).public_id \
        == older.worker_id


def test_unknown_name_is_checked_against_a_dummy_hash_of_the_configured_method(runtime, monkeypatch):
    checked: list[str] = []

    def recording_check(stored: str, password: str) -> bool:
        checked.append(stored)
        return check_password_hash(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", recording_check)
    for rt in (runtime, _with_method(runtime, CHEAP_PBKDF2)):
        with pytest.raises(AuthenticationError, match="Unknown worker name or wrong password"):
            accounts.authenticate_worker(rt, "nobody", "correct-horse-1", Marketplace.PRODUCTION)
    assert [stored.split("$")[0] for stored in checked] == [runtime.settings.accounts.password_hash_method,
                                                           CHEAP_PBKDF2]
