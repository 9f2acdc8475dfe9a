"""Gold (control) HITs: HITs of a batch with a known answer, mixed into each worker's stream.

A gold HIT is never listed to workers and never gets a consensus label; its answers score the
worker. When a worker accepts a HIT of a batch that has gold HITs, ``substitute`` decides with
probability ``gold_share`` (the batch's, or ``[quality] gold_share``) to hand them a gold HIT of the
same batch instead, one they have not worked on, so gold arrives unannounced and at most once per
worker. The draw comes from ``Runtime.random`` (the operating system's generator), so a worker
cannot predict which position in their stream is gold.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import annotators
from aggregation.consensus import CATEGORICAL_SHAPES
from labelhub.errors import InvalidInputError, InvalidStateError
from labelhub.models import HIT, Assignment, Batch, ConsensusLabel, HITStatus
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings, batch_shape, request_aggregation
from labelhub.services.common import record_event
from labelhub.services.hits import owned_hit


def label_of(batch: Batch, answer: dict[str, Any]) -> Any:
    """The value aggregation compares for a (canonical) answer of this batch's task type."""
    config = (batch.template or {}).get("config", {})
    return annotators.get(batch.template_kind).label_of(config, answer)


def canonical_gold_answer(batch: Batch, answer: object, item: dict[str, Any] | None, *,
                          where: str = "answer") -> dict[str, Any]:
    """Validate a known answer as the task type validates a worker's; InvalidInputError otherwise."""
    if batch_shape(batch) not in CATEGORICAL_SHAPES:
        raise InvalidInputError({where: "gold answers need a task type with one label per answer "
                                        "(classification, ordinal scales, pairwise)"}, entity="hit")
    return canonical_answer(batch, answer, item, where=where)


def canonical_answer(batch: Batch, answer: object, item: dict[str, Any] | None, *,
                     where: str = "answer") -> dict[str, Any]:
    """A requester's answer to a HIT of the batch (a gold answer, a fixed label), validated and put in
    canonical form exactly as the task type does a worker's; InvalidInputError names what is wrong."""
    if batch.template_kind not in annotators.REGISTRY:
        raise InvalidInputError({where: "this batch has no task type to check an answer against"}, entity="hit")
    if not isinstance(answer, dict):
        raise InvalidInputError({where: "must be a JSON object (an answer of the task type)"}, entity="hit")
    annotator = annotators.get(batch.template_kind)
    try:
        return annotator.parse_answer((batch.template or {}).get("config", {}), answer, item=item)
    except annotators.AnswerError as exc:
        raise InvalidInputError({f"{where}.{key}": value for key, value in exc.problems.items()},
                                entity="hit") from None


def _batch_hit(db: Session, actor: Actor, hit_public_id: str) -> tuple[HIT, Batch]:
    hit = owned_hit(db, actor, hit_public_id, lock=True)
    if hit.batch_id is None:
        raise InvalidStateError(f"HIT {hit_public_id} is not part of a batch: gold HITs are batch HITs",
                                entity="hit")
    if hit.status is HITStatus.DISPOSED:
        raise InvalidStateError("This HIT has been deleted", entity="hit")
    return hit, db.get_one(Batch, hit.batch_id)


def mark_gold(rt: Runtime, actor: Actor, hit_public_id: str, answer: object) -> HIT:
    """Make a batch HIT gold with its known answer (or change the answer). Its consensus label is
    dropped and the batch is aggregated again. Raises NotFoundError, PermissionDeniedError,
    InvalidStateError (not a batch HIT, deleted), InvalidInputError (an answer the task type refuses)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit, batch = _batch_hit(db, actor, hit_public_id)
        hit.gold_answer = canonical_gold_answer(batch, answer, hit.data)
        hit.is_gold = True
        db.execute(delete(ConsensusLabel).where(ConsensusLabel.hit_id == hit.id))
        record_event(db, actor, "HITMarkedGold", entity="hit", entity_id=hit.public_id, now=now)
        request_aggregation(db, batch, now=now)
    return hit


def clear_gold(rt: Runtime, actor: Actor, hit_public_id: str) -> HIT:
    """Make a gold HIT an ordinary one again (it gets a consensus at the next aggregation)."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit, batch = _batch_hit(db, actor, hit_public_id)
        if hit.is_gold:
            hit.is_gold, hit.gold_answer = False, None
            record_event(db, actor, "HITUnmarkedGold", entity="hit", entity_id=hit.public_id, now=now)
            request_aggregation(db, batch, now=now)
    return hit


def substitute(rt: Runtime, actor: Actor, hit_public_id: str) -> str | None:
    """The gold HIT to hand the worker instead of ``hit_public_id``, or None (see the module doc)."""
    with rt.sessions() as db:
        hit = db.scalars(select(HIT).where(HIT.public_id == hit_public_id,
                                           HIT.marketplace == actor.marketplace)).one_or_none()
        if hit is None or hit.batch_id is None or hit.is_gold:
            return None
        batch = db.get_one(Batch, hit.batch_id)
        share = QualitySettings.stored(batch.quality).effective_gold_share(rt)
        if share <= 0 or rt.random() >= share:
            return None
        done = select(Assignment.hit_id).where(Assignment.worker_id == actor.id)
        return db.scalar(select(HIT.public_id).where(
            HIT.batch_id == batch.id, HIT.is_gold, HIT.status == HITStatus.ASSIGNABLE,
            HIT.expires_at > rt.clock(), HIT.id.not_in(done))
            .order_by(HIT.submitted_count + HIT.approved_count, HIT.id).limit(1))
