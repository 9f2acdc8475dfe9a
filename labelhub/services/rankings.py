"""The ranking of a pairwise batch: every item its HITs compare, scored by Bradley-Terry.

Computed on read from the answers the batch's aggregation counts (``consensus.current_inputs``: the
same answers, known answers and item pairs, so the ranking is the one behind the stored consensus).
A fit of a few thousand comparisons takes milliseconds; the intervals need the inverse of an items x
items matrix, so above ``MAX_INTERVAL_ITEMS`` items they are left out (``low``/``high`` None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aggregation import pairwise
from aggregation.methods import ANSWER_SHAPES
from labelhub.runtime import Runtime
from labelhub.services import consensus
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import batch_shape, owned_batch

MAX_INTERVAL_ITEMS = 500


@dataclass(frozen=True)
class RankedItem:
    """One compared item (the text or image URL of the HIT's item column). ``score`` is its
    Bradley-Terry log-strength relative to the average item (0 = average; an item one point above
    another beats it with probability 1 / (1 + e^-1) = 0.73); ``low``-``high`` its 95% interval;
    ``comparisons`` how many answers compared it."""

    item: str
    score: float
    low: float | None
    high: float | None
    comparisons: int


def batch_ranking(rt: Runtime, actor: Actor, batch_public_id: str) -> list[RankedItem]:
    """The items of one of the requester's pairwise batches, best first; empty for a batch whose
    HITs do not compare items, or that has no answers yet. Raises NotFoundError for a batch that is
    not the requester's, PermissionDeniedError for an actor who is not a requester."""
    require_requester(actor)
    with rt.sessions() as db:
        shape = batch_shape(owned_batch(db, actor, batch_public_id))
    if shape is None or not ANSWER_SHAPES[shape].compares_items:
        return []
    inputs = consensus.current_inputs(rt, batch_public_id)
    if inputs is None or inputs[0].answers.empty or inputs[1] is None:
        return []
    snapshot, pairs = inputs
    answers = snapshot.answers[["worker", "task", "label"]]
    gold = snapshot.gold[snapshot.gold.index.isin(answers["task"])]
    compared = pairwise.comparisons(answers, pairs, gold if len(gold) else None)
    model = pairwise.BradleyTerry(max_interval_items=MAX_INTERVAL_ITEMS).fit(compared, compared["weight"])
    table = pairwise.ranking(model, compared)
    return [RankedItem(str(item), float(row.score), _number(row.low), _number(row.high), int(row.comparisons))
            for item, row in zip(table.index, table.itertuples(index=False), strict=True)]


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
