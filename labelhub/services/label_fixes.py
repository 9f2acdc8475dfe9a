"""Fixed labels ("fix and accept"): the requester corrects the label of one of their batch HITs.

The fix is an answer of the batch's task type, validated and made canonical exactly as a gold answer
is (``gold.canonical_answer``). It then wins everywhere a HIT's label is read: in exports (over the
consensus and over a gold answer, ``label_source`` "fixed"), in the REST consensus listing, and, for
single-label task types, as a known answer of the aggregation, so the workers' accuracy counts their
answers against it exactly as against gold. Fixing or clearing a fix queues the batch's aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotators.base import AnswerShape
from labelhub.errors import InvalidStateError
from labelhub.models import COUNTED_STATUSES, HIT, Assignment, Batch, ConsensusLabel, HITStatus
from labelhub.runtime import Runtime
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import batch_shape, request_aggregation
from labelhub.services.common import record_event
from labelhub.services.export_records import label_source, value_reader
from labelhub.services.gold import canonical_answer
from labelhub.services.hits import owned_hit


def _fixable_hit(db: Session, actor: Actor, hit_public_id: str, *, lock: bool) -> tuple[HIT, Batch]:
    """The requester's batch HIT whose label can be fixed. NotFoundError for another requester's HIT,
    InvalidStateError for a HIT outside a batch, a deleted one or a task type without a consensus."""
    hit = owned_hit(db, actor, hit_public_id, lock=lock)
    if hit.batch_id is None:
        raise InvalidStateError(f"HIT {hit_public_id} is not part of a batch: only batch HITs have a label to fix",
                                entity="hit")
    if hit.status is HITStatus.DISPOSED:
        raise InvalidStateError("This HIT has been deleted", entity="hit")
    batch = db.get_one(Batch, hit.batch_id)
    if batch_shape(batch) is None:
        raise InvalidStateError("This batch's task type has no consensus label to fix (surveys and untyped HTML "
                                "batches)", entity="hit")
    return hit, batch


def fix_label(rt: Runtime, actor: Actor, hit_public_id: str, answer: object) -> HIT:
    """Set (or replace) the HIT's fixed label: ``answer`` is an answer of the batch's task type, as a
    worker would submit it. The batch is aggregated again. Raises NotFoundError (also for another
    requester's HIT), PermissionDeniedError (not a requester), InvalidStateError (see ``_fixable_hit``),
    InvalidInputError naming what the task type refuses."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit, batch = _fixable_hit(db, actor, hit_public_id, lock=True)
        hit.reviewed_answer = canonical_answer(batch, answer, hit.data)
        hit.reviewed_at, hit.reviewed_by = now, actor.id
        record_event(db, actor, "HITLabelFixed", entity="hit", entity_id=hit.public_id, hit=hit, now=now)
        request_aggregation(db, batch, now=now)
    return hit


def clear_fix(rt: Runtime, actor: Actor, hit_public_id: str) -> HIT:
    """Drop the HIT's fixed label: the consensus (or its gold answer) is its label again after the
    batch's next aggregation, which is queued. Clearing a HIT without a fix changes nothing. Raises as
    ``fix_label`` does."""
    require_requester(actor)
    now = rt.clock()
    with rt.sessions.begin() as db:
        hit, batch = _fixable_hit(db, actor, hit_public_id, lock=True)
        if hit.reviewed_at is not None:
            hit.reviewed_answer, hit.reviewed_at, hit.reviewed_by = None, None, None
            record_event(db, actor, "HITLabelFixCleared", entity="hit", entity_id=hit.public_id, hit=hit, now=now)
            request_aggregation(db, batch, now=now)
    return hit


@dataclass(frozen=True)
class LabelView:
    """A HIT's label as the fix page shows it: the HIT, its batch's task, the consensus (None: none yet,
    or replaced by a known answer at the last aggregation), the gold and fixed answers, and how many
    answers the consensus reads."""

    hit: HIT
    batch: Batch
    consensus: Any
    confidence: float | None
    gold_answer: dict[str, Any] | None
    fixed_answer: dict[str, Any] | None
    fixed_at: datetime | None
    answers: int

    @property
    def source(self) -> str:
        return label_source(fixed=self.fixed_answer is not None, gold=self.hit.is_gold)

    @property
    def config(self) -> dict[str, Any]:
        return (self.batch.template or {}).get("config") or {}

    def value(self, answer: dict[str, Any] | None) -> Any:
        """An answer's value in the batch's shape (a label, boxes, spans...), as the consensus holds it."""
        shape = batch_shape(self.batch)
        return None if answer is None or shape is None else value_reader(AnswerShape(shape))(answer)


def label_view(rt: Runtime, actor: Actor, hit_public_id: str) -> LabelView:
    """The HIT's current labels for the fix page. Raises as ``fix_label`` does (no input to refuse)."""
    require_requester(actor)
    with rt.sessions() as db:
        hit, batch = _fixable_hit(db, actor, hit_public_id, lock=False)
        consensus = db.scalars(select(ConsensusLabel).where(ConsensusLabel.hit_id == hit.id)).one_or_none()
        answers = db.scalar(select(func.count(Assignment.id)).where(Assignment.hit_id == hit.id,
                                                                    Assignment.status.in_(COUNTED_STATUSES)))
    fixed = hit.reviewed_answer if hit.reviewed_at is not None else None
    return LabelView(hit, batch, None if consensus is None else consensus.value,
                     None if consensus is None else consensus.confidence, hit.gold_answer if hit.is_gold else None,
                     fixed, hit.reviewed_at, int(answers or 0))
