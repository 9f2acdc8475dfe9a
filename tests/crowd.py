"""A simulated crowd for consensus and quality tests: a text-classification batch whose items have a
known truth, and workers of known accuracy who work through it with the worker pages' own
"accept the next HIT of this batch" service and submit through the assignments service."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import assignments, batches, hits, worker_pages
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.batches import CreateBatch
from labelhub.services.commands import HITTypeSpec, RequirementSpec
from tests.factories import Factory, RequesterHandle, WorkerHandle

LABELS = ("positive", "negative", "neutral")


@dataclass
class Crowd:
    rt: Runtime
    requester: RequesterHandle
    batch_id: str
    truth: dict[str, str]  # item text -> true label
    gold_items: set[str]
    first_hit: str
    seed: int = 3
    answered: dict[str, int] = field(default_factory=dict)

    def work(self, worker: WorkerHandle, accuracy: float | None, *, constant: str | None = None,
             limit: int = 10_000, signals: dict | None = None) -> int:
        """Take HITs of the batch one after another until none is left (or ``limit``), answering
        right with probability ``accuracy``; ``constant`` answers that label every time. The draws are
        seeded by the crowd's seed and the worker's turn, so a test sees the same answers every run."""
        draw = random.Random(f"{self.seed}-{len(self.answered)}")
        done = 0
        while done < limit:
            taken = worker_pages.accept_next(self.rt, worker.actor, self.first_hit)
            if taken is None:
                break
            truth = self.truth[taken.hit.data["text"]]
            if constant is not None:
                label = constant
            elif draw.random() < accuracy:
                label = truth
            else:
                label = draw.choice([other for other in LABELS if other != truth])
            assignments.submit(self.rt, worker.actor, taken.public_id, {"label": label}, signals)
            done += 1
        self.answered[worker.actor.public_id] = done
        return done


def hit_type(requirements: tuple[RequirementSpec, ...] = (), **overrides) -> HITTypeSpec:
    return Factory.hit_type_spec(title="Tone of a sentence", description="Is it positive, negative or neutral?",
                                 reward_micros=parse_amount("0.02"), requirements=requirements, **overrides)


def make_crowd(rt: Runtime, factory: Factory, *, items: int = 40, gold: int = 8, max_assignments: int | None = None,
               quality: QualitySettings | None = None, gold_assignments: int = 9, seed: int = 3,
               requester: RequesterHandle | None = None, spec: HITTypeSpec | None = None) -> Crowd:
    draw = random.Random(seed)
    requester = requester or factory.requester(deposit="500.00")
    truth = {f"sentence {i}": draw.choice(LABELS) for i in range(items + gold)}
    texts = list(truth)
    gold_items = set(texts[items:])
    rows = tuple({"text": text} | ({"_gold": {"label": truth[text]}} if text in gold_items else {})
                 for text in texts)
    batch = batches.create_batch(rt, requester.actor, CreateBatch(
        name=f"Tone {seed}", template_kind="text_classification", question_template="<p>${text}</p>",
        hit_type=spec or hit_type(), rows=rows, lifetime_seconds=86_400, max_assignments=max_assignments,
        template_config={"labels": list(LABELS), "text_field": "text"}, quality=quality,
        gold_assignments=gold_assignments))
    listed = hits.list_hits(rt, requester.actor, batch_id=batches.batch_id_for(rt, requester.actor,
                                                                              batch.public_id))
    first = next(h.public_id for h in listed.items if not h.is_gold)
    return Crowd(rt, requester, batch.public_id, truth, gold_items, first, seed)
