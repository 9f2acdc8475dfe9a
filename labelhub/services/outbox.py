"""Dispatching the outbox: committed events not yet handed to their subscribers (``reactions``).

Runners call ``dispatch_pending`` after every commit that recorded events and on every poll, so an
event whose process died before dispatching it is dispatched by the next runner. Several runners
take disjoint events (rows locked with SKIP LOCKED on PostgreSQL; SQLite's write lock elsewhere).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from labelhub.models import HIT, Event
from labelhub.runtime import Runtime
from labelhub.services.reactions import REACTIONS

log = logging.getLogger(__name__)


def dispatch_pending(rt: Runtime, *, limit: int = 200) -> int:
    """Hand up to ``limit`` undispatched events, oldest first, to their reactions in one transaction,
    and mark them dispatched. Returns how many events it dispatched.

    A reaction that fails is logged with its event and skipped: it must not hold up the events behind
    it. The catch-up sweeps redo what such a reaction would have queued. (The reactions first run
    together; only if one fails is the round done again with a savepoint around each reaction.)
    """
    try:
        return _dispatch(rt, limit=limit, careful=False)
    except Exception:
        log.warning("a reaction failed; dispatching this round again reaction by reaction", exc_info=True)
        return _dispatch(rt, limit=limit, careful=True)


def _dispatch(rt: Runtime, *, limit: int, careful: bool) -> int:
    now = rt.clock()
    with rt.sessions.begin() as db:
        events = list(db.scalars(select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id)
                                 .limit(limit).with_for_update(skip_locked=True)))
        if not events:
            return 0
        hit_ids = {event.hit_id for event in events if event.hit_id is not None}
        hits = {hit.id: hit for hit in db.scalars(select(HIT).where(HIT.id.in_(hit_ids)))} if hit_ids else {}
        for event in events:
            hit = hits.get(event.hit_id) if event.hit_id is not None else None
            if hit is None:  # events without a HIT have no reactions yet
                event.dispatched_at = now
                continue
            for reaction in REACTIONS.get(event.action, ()):
                if not careful:
                    reaction(db, event, hit)
                    continue
                try:
                    with db.begin_nested():
                        reaction(db, event, hit)
                except Exception:
                    log.exception("event %s (%s): reaction %s failed", event.id, event.action,
                                  reaction.__qualname__)
            event.dispatched_at = now
    return len(events)
