"""The credential use cases on the real database: tokens stored as a hash and a prefix, access keys
revoked by deactivation, ownership, the last way in, the webhook secret, and secrets kept out of logs
and events; and the requester's page password."""

from __future__ import annotations

import hashlib
import logging

import pytest
from sqlalchemy import select

from labelhub.errors import (
    AuthenticationError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from labelhub.models import ApiToken, Event, Marketplace, Requester
from labelhub.services import accounts, credentials, notifications

PASSWORD = "page-password-1"


def _token_id(rt, token: str) -> int:
    with rt.sessions() as db:
        return db.scalars(select(ApiToken.id).where(
            ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest())).one()


def test_create_requester_keeps_its_tokens_prefix(runtime, factory):
    lab = factory.requester()

    listing = credentials.list_credentials(runtime, lab.actor)

    assert [t.prefix for t in listing.api_tokens] == [lab.credentials.api_token[:accounts.TOKEN_PREFIX_LENGTH]]
    assert [(k.access_key_id, k.active) for k in listing.access_keys] == [(lab.credentials.access_key_id, True)]
    assert listing.has_password is False


def test_a_new_token_is_stored_as_hash_and_prefix_and_authenticates(runtime, factory, clock):
    lab = factory.requester()

    made = credentials.create_api_token(runtime, lab.actor)

    assert made.prefix == made.token[:8] and len(made.token) > 30
    with runtime.sessions() as db:
        row = db.get_one(ApiToken, made.id)
    assert (row.prefix, row.requester_id, row.created_at) == (made.prefix, lab.actor.id, clock.now)
    assert row.token_hash == hashlib.sha256(made.token.encode()).hexdigest()
    assert accounts.authenticate_token(runtime, made.token, Marketplace.PRODUCTION).id == lab.actor.id
    assert len(credentials.list_credentials(runtime, lab.actor).api_tokens) == 2


def test_a_revoked_token_stops_authenticating(runtime, factory):
    lab = factory.requester()
    made = credentials.create_api_token(runtime, lab.actor)

    credentials.revoke_api_token(runtime, lab.actor, made.id)

    with pytest.raises(AuthenticationError):
        accounts.authenticate_token(runtime, made.token, Marketplace.PRODUCTION)
    assert [t.id for t in credentials.list_credentials(runtime, lab.actor).api_tokens] == \
        [_token_id(runtime, lab.credentials.api_token)]


def test_a_revoked_access_key_is_refused_and_listed_as_revoked(runtime, factory):
    lab = factory.requester()
    made = credentials.create_access_key(runtime, lab.actor)
    assert accounts.access_key_secret(runtime, made.access_key_id, Marketplace.SANDBOX)[0] == made.secret_access_key

    credentials.revoke_access_key(runtime, lab.actor, made.access_key_id)
    credentials.revoke_access_key(runtime, lab.actor, made.access_key_id)  # again: nothing changes

    with pytest.raises(AuthenticationError):
        accounts.access_key_secret(runtime, made.access_key_id, Marketplace.SANDBOX)
    listed = {k.access_key_id: k.active for k in credentials.list_credentials(runtime, lab.actor).access_keys}
    assert listed == {lab.credentials.access_key_id: True, made.access_key_id: False}


def test_another_requesters_credentials_are_not_found(runtime, factory):
    mine, theirs = factory.requester(), factory.requester()
    their_token = _token_id(runtime, theirs.credentials.api_token)

    with pytest.raises(NotFoundError):
        credentials.revoke_api_token(runtime, mine.actor, their_token)
    with pytest.raises(NotFoundError):
        credentials.revoke_access_key(runtime, mine.actor, theirs.credentials.access_key_id)
    with pytest.raises(NotFoundError):
        credentials.revoke_api_token(runtime, mine.actor, 999_999)

    assert accounts.authenticate_token(runtime, theirs.credentials.api_token, Marketplace.PRODUCTION).id == \
        theirs.actor.id
    accounts.access_key_secret(runtime, theirs.credentials.access_key_id, Marketplace.PRODUCTION)
    listing = credentials.list_credentials(runtime, mine.actor)
    assert their_token not in [t.id for t in listing.api_tokens]
    assert theirs.credentials.access_key_id not in [k.access_key_id for k in listing.access_keys]


def test_workers_have_no_requester_credentials(runtime, factory):
    worker = factory.worker()

    with pytest.raises(PermissionDeniedError):
        credentials.list_credentials(runtime, worker.actor)
    with pytest.raises(PermissionDeniedError):
        credentials.create_api_token(runtime, worker.actor)


def test_a_requester_without_a_page_password_keeps_its_last_way_in(runtime, factory):
    lab = factory.requester()
    token_id = _token_id(runtime, lab.credentials.api_token)
    credentials.revoke_access_key(runtime, lab.actor, lab.credentials.access_key_id)

    with pytest.raises(InvalidStateError, match="last credential"):
        credentials.revoke_api_token(runtime, lab.actor, token_id)

    assert accounts.authenticate_token(runtime, lab.credentials.api_token, Marketplace.PRODUCTION).id == lab.actor.id


def test_a_requester_with_a_page_password_may_revoke_everything(runtime, factory):
    lab = factory.requester("has-password")
    accounts.set_requester_password(runtime, "has-password", PASSWORD)

    credentials.revoke_access_key(runtime, lab.actor, lab.credentials.access_key_id)
    credentials.revoke_api_token(runtime, lab.actor, _token_id(runtime, lab.credentials.api_token))

    listing = credentials.list_credentials(runtime, lab.actor)
    assert listing.api_tokens == [] and [k.active for k in listing.access_keys] == [False]


def test_the_webhook_secret_is_listed_and_rotated(runtime, factory):
    lab = factory.requester()
    before = credentials.list_credentials(runtime, lab.actor).webhook_secret

    rotated = credentials.rotate_webhook_secret(runtime, lab.actor)

    assert rotated != before and notifications.webhook_secret(runtime, lab.actor) == rotated
    assert credentials.list_credentials(runtime, lab.actor).webhook_secret == rotated


def test_secrets_never_reach_the_logs_or_the_event_log(runtime, factory, caplog):
    caplog.set_level(logging.DEBUG)
    lab = factory.requester()

    token = credentials.create_api_token(runtime, lab.actor)
    key = credentials.create_access_key(runtime, lab.actor)
    credentials.revoke_api_token(runtime, lab.actor, token.id)
    credentials.revoke_access_key(runtime, lab.actor, key.access_key_id)

    secrets = (token.token, key.secret_access_key, lab.credentials.api_token, lab.credentials.secret_access_key)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not any(secret in logged for secret in secrets)
    with runtime.sessions() as db:
        events = list(db.scalars(select(Event).where(Event.entity == "requester")))
    assert [e.action for e in events] == ["ApiTokenCreated", "AccessKeyCreated", "ApiTokenRevoked",
                                          "AccessKeyRevoked"]
    assert not any(secret in repr(e.data) for e in events for secret in secrets)
    assert events[0].data == {"prefix": token.prefix}


# ---- the page password ---------------------------------------------------------------------------------

def test_set_requester_password_lets_it_sign_in(runtime, factory):
    lab = factory.requester("cli-lab")
    with pytest.raises(AuthenticationError):
        accounts.authenticate_requester(runtime, "cli-lab", PASSWORD, Marketplace.PRODUCTION)

    accounts.set_requester_password(runtime, "cli-lab", PASSWORD)

    actor = accounts.authenticate_requester(runtime, "cli-lab", PASSWORD, Marketplace.SANDBOX)
    assert (actor.kind, actor.id, actor.marketplace) == ("requester", lab.actor.id, Marketplace.SANDBOX)
    with pytest.raises(AuthenticationError, match="Unknown requester name or wrong password"):
        accounts.authenticate_requester(runtime, "cli-lab", "wrong-password", Marketplace.PRODUCTION)


def test_set_requester_password_refuses_unknown_names_and_short_passwords(runtime, factory):
    factory.requester("cli-lab")

    with pytest.raises(NotFoundError):
        accounts.set_requester_password(runtime, "nobody", PASSWORD)
    with pytest.raises(InvalidInputError) as short:
        accounts.set_requester_password(runtime, "cli-lab", "short")

    assert set(short.value.fields) == {"password"}


def test_requester_and_worker_failures_are_counted_apart(runtime, factory):
    factory.worker("shared-name")
    accounts.create_requester(runtime, "shared-name", password=PASSWORD)
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        with pytest.raises(AuthenticationError):
            accounts.authenticate_requester(runtime, "shared-name", "guess", Marketplace.PRODUCTION)

    with pytest.raises(TooManyAttemptsError):
        accounts.authenticate_requester(runtime, "shared-name", PASSWORD, Marketplace.PRODUCTION)
    assert accounts.authenticate_worker(runtime, "shared-name", "correct-horse-1", Marketplace.PRODUCTION).kind == \
        "worker"


def test_a_requester_password_is_hashed_with_the_configured_method(runtime):
    accounts.create_requester(runtime, "hashed-lab", password=PASSWORD)

    with runtime.sessions() as db:
        requester = db.scalars(select(Requester).where(Requester.name == "hashed-lab")).one()
    assert requester.password_hash.startswith("scrypt:1024:8:1$") and PASSWORD not in requester.password_hash
