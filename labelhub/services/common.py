"""Helpers shared by the use cases: keyset pagination, the event log, idempotency tokens, lookups."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from labelhub.errors import InvalidInputError, NotFoundError
from labelhub.models import HIT, Event, RequestToken, Worker
from labelhub.runtime import EVENTS_RECORDED
from labelhub.services.actors import Actor

T = TypeVar("T")

MAX_PAGE_SIZE = 100
MAX_ROW_ID = 2_147_483_647  # PostgreSQL's integer: a cursor past it names no row and cannot be compared


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is opaque and None on the last page."""

    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Created(Generic[T]):
    """What an idempotent create returns: ``replayed`` is true when the token was seen before."""

    value: T
    replayed: bool = False


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = text.partition(":")
        position = int(value)
        if version != "v1" or not 0 <= position <= MAX_ROW_ID:
            raise ValueError
        return position
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError({"cursor": "is not a cursor this server issued"}) from None


def check_page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInputError({"limit": f"must be between 1 and {MAX_PAGE_SIZE}"})
    return limit


def paginate(db: Session, stmt: Select, id_column: InstrumentedAttribute, cursor: str | None,
             limit: int, *, newest_first: bool = False) -> Page[Any]:
    """Keyset pagination in id order (descending with ``newest_first``): stable under inserts, no
    OFFSET scans."""
    limit = check_page_size(limit)
    after = decode_cursor(cursor)
    if newest_first:
        stmt = (stmt.where(id_column < after) if cursor else stmt).order_by(id_column.desc())
    else:
        stmt = stmt.where(id_column > after).order_by(id_column)
    rows = list(db.scalars(stmt.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], id_column.key)) if more else None
    return Page(items=rows, next_cursor=next_cursor)


def record_event(db: Session, actor: Actor, action: str, *, entity: str, entity_id: str, now: datetime,
                 hit: HIT | None = None, **data: Any) -> None:
    """Log a state change in the caller's transaction. The row is the outbox: once the transaction
    commits, a runner hands it to the reactions registered in ``labelhub.services.reactions``."""
    db.add(Event(marketplace=actor.marketplace, at=now, actor=actor.label, action=action, entity=entity,
                 entity_id=entity_id, hit_id=hit.id if hit is not None else None, data=data or None))
    db.info[EVENTS_RECORDED] = True


def record_hit_events(db: Session, actor: Actor, action: str, hits: Iterable[tuple[int, str, dict[str, Any]]], *,
                      now: datetime) -> None:
    """``record_event`` for many HITs in one INSERT: ``hits`` are (HIT id, HIT public id, data)."""
    rows = [{"marketplace": actor.marketplace, "at": now, "actor": actor.label, "action": action, "entity": "hit",
             "entity_id": public_id, "hit_id": hit_id, "data": data} for hit_id, public_id, data in hits]
    if rows:
        db.execute(insert(Event), rows)
        db.info[EVENTS_RECORDED] = True


def find_token(db: Session, actor: Actor, scope: str, token: str | None, *, now: datetime,
               window: timedelta) -> str | None:
    """The id created by an earlier request with this token, if it is still remembered."""
    if not token:
        return None
    row = db.scalars(select(RequestToken).where(
        RequestToken.requester_id == actor.id, RequestToken.marketplace == actor.marketplace,
        RequestToken.scope == scope, RequestToken.token == token)).one_or_none()
    if row is None:
        return None
    if row.created_at + window <= now:
        db.execute(delete(RequestToken).where(RequestToken.id == row.id))
        db.flush()
        return None
    return row.result_id


def remember_token(db: Session, actor: Actor, scope: str, token: str | None, result_id: str, *,
                   now: datetime) -> None:
    if token:
        db.add(RequestToken(requester_id=actor.id, marketplace=actor.marketplace, scope=scope, token=token,
                            result_id=result_id, created_at=now))


def get_worker(db: Session, worker_public_id: str) -> Worker:
    worker = db.scalars(select(Worker).where(Worker.public_id == worker_public_id)).one_or_none()
    if worker is None:
        raise NotFoundError(f"Worker {worker_public_id} does not exist", entity="worker")
    return worker
