"""What happens after an event: the one registry of subscribers.

``record_event`` only writes the event row (the outbox). Once its transaction has committed, a runner
hands each event to the subscribers registered here for its action (``outbox.dispatch_pending``),
in a transaction of their own; they queue jobs (ids only) or write rows of their own, never call
back into the use case that raised the event. To make something react to an event, add it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy.orm import Session

from labelhub.models import HIT, Event
from labelhub.services import consensus, llm_flags, notifications, review_policies

Reaction = Callable[[Session, Event, HIT], None]


def _table(*rows: tuple[str | Iterable[str], Reaction]) -> Mapping[str, tuple[Reaction, ...]]:
    table: dict[str, tuple[Reaction, ...]] = {}
    for actions, reaction in rows:
        for action in ({actions} if isinstance(actions, str) else actions):
            table[action] = (*table.get(action, ()), reaction)
    return table


# action -> reactions, in the order they run. Events without a HIT have no reactions yet.
REACTIONS: Mapping[str, tuple[Reaction, ...]] = _table(
    (notifications.EVENT_TYPES, notifications.queue_event),        # the HIT type's webhooks
    (review_policies.TRIGGERS, review_policies.queue_review),      # MTurk review policies
    (consensus.TRIGGERS, consensus.queue_aggregation),             # the batch's consensus
    (llm_flags.TRIGGERS, llm_flags.queue_scoring),                 # LLM-answer flags
)
