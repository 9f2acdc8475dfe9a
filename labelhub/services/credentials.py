"""A requester's own credentials: REST API tokens (listed by prefix), MTurk access keys (listed by id)
and the webhook signing secret. A new token or secret key is returned once, to be shown once; only a
token's hash is stored. A requester sees and revokes only its own, and keeps at least one way in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from labelhub import ids
from labelhub.errors import InvalidStateError, NotFoundError
from labelhub.models import AccessKey, ApiToken, Requester
from labelhub.runtime import Runtime
from labelhub.services import accounts, notifications
from labelhub.services.actors import Actor, require_requester
from labelhub.services.common import record_event


@dataclass(frozen=True)
class TokenListing:
    id: int
    prefix: str | None  # None: made before prefixes were kept
    created_at: datetime


@dataclass(frozen=True)
class AccessKeyListing:
    access_key_id: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class Credentials:
    api_tokens: Sequence[TokenListing]
    access_keys: Sequence[AccessKeyListing]
    webhook_secret: str
    has_password: bool


@dataclass(frozen=True)
class NewApiToken:
    id: int
    prefix: str
    token: str


@dataclass(frozen=True)
class NewAccessKey:
    access_key_id: str
    secret_access_key: str


def list_credentials(rt: Runtime, actor: Actor) -> Credentials:
    """The requester's tokens and access keys (revoked keys too, marked), oldest first, and its webhook
    signing secret (created on first use)."""
    require_requester(actor)
    with rt.sessions() as db:
        tokens = [TokenListing(t.id, t.prefix, t.created_at) for t in db.scalars(
            select(ApiToken).where(ApiToken.requester_id == actor.id).order_by(ApiToken.id))]
        keys = [AccessKeyListing(k.access_key_id, k.active, k.created_at) for k in db.scalars(
            select(AccessKey).where(AccessKey.requester_id == actor.id).order_by(AccessKey.id))]
        has_password = db.get_one(Requester, actor.id).password_hash is not None
    return Credentials(tokens, keys, notifications.webhook_secret(rt, actor), has_password)


def create_api_token(rt: Runtime, actor: Actor) -> NewApiToken:
    """A new REST API token for the requester; the token itself is in the result and nowhere else."""
    require_requester(actor)
    token, now = ids.new_secret(), rt.clock()
    with rt.sessions.begin() as db:
        row = accounts.api_token_row(token, now=now, requester_id=actor.id)
        db.add(row)
        db.flush()
        record_event(db, actor, "ApiTokenCreated", entity="requester", entity_id=actor.public_id, now=now,
                     prefix=row.prefix)
    return NewApiToken(row.id, token[:accounts.TOKEN_PREFIX_LENGTH], token)


def revoke_api_token(rt: Runtime, actor: Actor, token_id: int) -> None:
    """Delete one of the requester's tokens: it stops authenticating at once. Another requester's token
    is not found. Raises InvalidStateError for the last way in of a requester without a page password."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        row = db.scalars(select(ApiToken).where(ApiToken.id == token_id, ApiToken.requester_id == actor.id)
                         .with_for_update()).one_or_none()
        if row is None:
            raise NotFoundError(f"API token {token_id} does not exist", entity="api_token")
        db.execute(delete(ApiToken).where(ApiToken.id == row.id))
        _keep_a_way_in(db, actor)
        record_event(db, actor, "ApiTokenRevoked", entity="requester", entity_id=actor.public_id, now=now,
                     prefix=row.prefix)


def create_access_key(rt: Runtime, actor: Actor) -> NewAccessKey:
    """A new MTurk access key pair; the secret is in the result, to be shown once."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        key = accounts.access_key_row(actor.id, now=now)
        db.add(key)
        record_event(db, actor, "AccessKeyCreated", entity="requester", entity_id=actor.public_id, now=now,
                     access_key_id=key.access_key_id)
    return NewAccessKey(key.access_key_id, key.secret_access_key)


def revoke_access_key(rt: Runtime, actor: Actor, access_key_id: str) -> None:
    """Deactivate one of the requester's access keys: MTurk calls signed with it are refused from now
    on (revoking a revoked key changes nothing). Another requester's key is not found. Raises
    InvalidStateError for the last way in of a requester without a page password."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        key = db.scalars(select(AccessKey).where(AccessKey.access_key_id == access_key_id,
                                                 AccessKey.requester_id == actor.id).with_for_update()).one_or_none()
        if key is None:
            raise NotFoundError(f"Access key {access_key_id} does not exist", entity="access_key")
        if not key.active:
            return
        key.active = False
        db.flush()
        _keep_a_way_in(db, actor)
        record_event(db, actor, "AccessKeyRevoked", entity="requester", entity_id=actor.public_id, now=now,
                     access_key_id=key.access_key_id)


def rotate_webhook_secret(rt: Runtime, actor: Actor) -> str:
    """A new webhook signing secret (deliveries from now on are signed with it), to be shown."""
    return notifications.rotate_webhook_secret(rt, actor)


def _keep_a_way_in(db: Session, actor: Actor) -> None:
    """A requester with no page password keeps at least one token or active access key, or nobody
    could act as it again (the operator's `labelhub requester set-password` would be the only way)."""
    requester = db.get_one(Requester, actor.id, with_for_update=True)
    if requester.password_hash is not None:
        return
    tokens = db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.requester_id == actor.id))
    keys = db.scalar(select(func.count()).select_from(AccessKey).where(AccessKey.requester_id == actor.id,
                                                                         AccessKey.active.is_(True)))
    if not tokens and not keys:
        raise InvalidStateError("This is the requester's last credential and it has no page password: "
                                "create another credential before revoking this one", entity="credential")
