"""A small text-classification batch answered by known workers, for the review queue's and the review
decisions' tests (services, pages and the browser): who answered what is given as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labelhub.money import parse_amount
from labelhub.runtime import Runtime
from labelhub.services import assignments, batches, hits
from labelhub.services.batches import CreateBatch
from tests.factories import Factory, RequesterHandle, WorkerHandle

LABELS = ("positive", "negative", "neutral")


@dataclass
class ReviewBatch:
    requester: RequesterHandle
    batch_id: str
    hit_ids: list[str]  # in row order
    workers: list[WorkerHandle]
    assignment: dict[tuple[int, int], str]  # (worker number, row number) -> assignment id

    def of(self, worker: int, row: int) -> str:
        return self.assignment[worker, row]


def review_batch(rt: Runtime, factory: Factory, answers: Sequence[Sequence[str | None]], *,
                 requester: RequesterHandle | None = None, max_assignments: int = 3,
                 deposit: str = "100.00") -> ReviewBatch:
    """A batch with one row per column of ``answers``; worker number w submits ``answers[w][row]``
    (None: that worker skips the row)."""
    requester = requester or factory.requester(deposit=deposit)
    rows = len(answers[0])
    spec = factory.hit_type_spec(title="Tone of a sentence", description="Is it positive, negative or neutral?",
                                 reward_micros=parse_amount("0.50"))
    batch = batches.create_batch(rt, requester.actor, CreateBatch(
        name="Tones", template_kind="text_classification", question_template="<p>${text}</p>", hit_type=spec,
        rows=tuple({"text": f"sentence {number}"} for number in range(rows)), lifetime_seconds=86_400,
        max_assignments=max_assignments, template_config={"labels": list(LABELS), "text_field": "text"}))
    listed = hits.list_hits(rt, requester.actor, batch_id=batches.batch_id_for(rt, requester.actor, batch.public_id))
    hit_ids = [hit.public_id for hit in sorted(listed.items, key=lambda hit: hit.id)]
    workers = [factory.worker() for _ in answers]
    made: dict[tuple[int, int], str] = {}
    for number, (worker, row_answers) in enumerate(zip(workers, answers, strict=True)):
        for row, label in enumerate(row_answers):
            if label is None:
                continue
            taken = assignments.accept(rt, worker.actor, hit_ids[row])
            assignments.submit(rt, worker.actor, taken.public_id, {"label": label})
            made[number, row] = taken.public_id
    return ReviewBatch(requester, batch.public_id, hit_ids, workers, made)
