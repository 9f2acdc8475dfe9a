"""Hand-made batches for the quality dashboard's tests: who answered what on which HIT, and how long
each answer took, through the real services (so the aggregation runs as it does in production)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import assignments, batches, hits
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.commands import HITTypeSpec
from tests.conftest import Clock
from tests.factories import Factory, RequesterHandle, WorkerHandle

LABELS = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class AnsweredBatch:
    batch_id: str
    name: str
    hit_ids: list[str]
    workers: dict[str, WorkerHandle]  # by the test's name for them


def answered_batch(runtime: Runtime, clock: Clock, factory: Factory, requester: RequesterHandle,
                   answers: Mapping[str, Sequence[str | None]], *, seconds: Mapping[str, int] | None = None,
                   quality: QualitySettings | None = None, name: str = "Tone",
                   template_kind: str = "text_classification", config: dict[str, Any] | None = None,
                   answer_of: Any = None) -> AnsweredBatch:
    """A batch with one HIT per position of the ``answers`` lists; worker ``w`` answers HIT ``i`` with
    ``answers[w][i]`` (None: not at all), taking ``seconds[w]`` from accept to submit (default 20)."""
    rows = max(len(labels) for labels in answers.values())
    spec = HITTypeSpec(title="Tone of a sentence", description="Is it positive, negative or neutral?",
                       reward_micros=parse_amount("0.05"), assignment_duration_seconds=600)
    made = batches.create_batch(runtime, requester.actor, batches.CreateBatch(
        name=name, template_kind=template_kind, question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": f"sentence {n}", "a": f"left {n}", "b": f"right {n}"} for n in range(rows)),
        lifetime_seconds=86_400, max_assignments=None if quality and quality.overlap else len(answers),
        template_config={"labels": list(LABELS)} if config is None else config, quality=quality))
    hit_ids = [h.public_id for h in hits.list_hits(runtime, requester.actor, batch_id=made.id, limit=100).items]
    workers = {who: factory.worker() for who in answers}
    for who, labels in answers.items():
        for hit_id, label in zip(hit_ids, labels, strict=False):
            if label is None:
                continue
            taken = assignments.accept(runtime, workers[who].actor, hit_id)
            clock.advance(seconds=(seconds or {}).get(who, 20))
            answer = answer_of(label) if answer_of else {"label": label}
            assignments.submit(runtime, workers[who].actor, taken.public_id, answer)
    return AnsweredBatch(made.public_id, name, hit_ids, workers)
