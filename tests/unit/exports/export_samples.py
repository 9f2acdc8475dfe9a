"""Hand-built batches for the export tests: one per annotator type and answer shape, each with
consensus records (one per HIT) and answer records (three workers per HIT), values drawn from the
annotator's own canonical answers; image batches get real PNG files of known, varied sizes."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image

import annotators
from annotators.base import AnswerShape
from exports import AnswerRecord, ConsensusRecord, ExportMeta, HITFacts

# name -> (annotator kind, configuration changes)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "image_categorical": ("image_classification", {}),
    "image_multi_label": ("image_classification", {"multi_label": True}),
    "image_ordinal": ("image_classification", {"ordinal": True, "labels": ["bad", "fair", "good", "great"]}),
    "text_categorical": ("text_classification", {}),
    "text_multi_label": ("text_classification", {"multi_label": True}),
    "text_ordinal": ("text_classification", {"ordinal": True, "labels": ["1 star", "2 stars", "3 stars"]}),
    "boxes": ("bounding_boxes", {"min_boxes": 0}),
    "spans": ("text_spans", {}),
    "free_text": ("free_text", {}),
    "survey": ("survey", {}),
    "pairwise": ("pairwise", {}),
}
IMAGE_VARIANTS = ("image_categorical", "image_multi_label", "image_ordinal", "boxes")
TEXTS = [
    "Ada Lovelace met Charles Babbage in London in 1833.",
    "Grace Hopper worked at Harvard.\nShe found a moth in the Mark II in 1947.",
    "Alan Turing's paper appeared in 1936; Manchester followed.",
    "Nothing to see here.",
]
WORKERS = ("W1", "W2", "W3")
CONSENSUS_COLUMNS = ["value", "confidence", "answers", "agreement", "method", "is_gold", "gold", "llm_share",
                     "reviewed_value", "label_source"]
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Batch:
    variant: str
    config: dict[str, Any]
    meta: ExportMeta
    consensus: list[ConsensusRecord]
    answers: list[AnswerRecord]
    images: dict[str, Path]  # hit id -> stored image file

    @property
    def shape(self) -> AnswerShape:
        return self.meta.shape


def make_batch(variant: str, folder: Path, *, hits: int = 6, seed: int = 1) -> Batch:
    """A batch of ``hits`` HITs; image files (when the type shows images) are written to ``folder``."""
    kind, changes = VARIANTS[variant]
    annotator = annotators.get(kind)
    config = annotator.parse_config({**annotator.example_config(), **changes})
    shape = annotator.shape_for(config)
    fields = annotator.item_fields(config)
    rng = random.Random(seed)
    images: dict[str, Path] = {}
    files: dict[str, Path] = {}
    consensus, answers = [], []
    for n in range(hits):
        hit_id = f"3HIT{variant.upper()}{n:03d}"
        item = _item(kind, config, n)
        if variant in IMAGE_VARIANTS:
            width, height = 40 + 7 * n, 30 + 5 * n
            path = folder / f"stored-{variant}-{n}.png"
            Image.new("RGB", (width, height), (n * 30 % 255, 90, 160)).save(path)
            url = f"https://images.example/{variant}/{n}.png"
            item = {"image_url": url, "caption": f"picture {n}"}
            images[hit_id] = files[url] = path
            answer = _answer(kind, config, rng, item, size=(width, height))
        else:
            answer = _answer(kind, config, rng, item)
        value = value_of(shape, answer)
        consensus.append(ConsensusRecord(
            hit_id=hit_id, item=item, value=value, confidence=round(rng.random(), 3), answers=3,
            agreement=round(rng.random(), 3), method="ds", is_gold=n == 0, gold=value if n == 0 else None,
            llm_share=0.0 if shape is AnswerShape.TEXT else None))
        answers += [_answer_record(hit_id, item, worker, answer, value, n, w) for w, worker in enumerate(WORKERS)]
    image_column = "image_url" if variant in IMAGE_VARIANTS else None
    text_column = fields[0] if kind in ("text_classification", "text_spans", "free_text") else None
    meta = ExportMeta(
        batch_id=f"B-{variant}", batch_name=f"Batch {variant}", annotator=kind, shape=shape,
        labels=tuple(config.get("labels") or ()), input_columns=tuple(consensus[0].item),
        image_column=image_column, text_column=text_column,
        image_file=files.get if files else None)
    return Batch(variant, config, meta, consensus, answers, images)


def value_of(shape: AnswerShape, answer: dict[str, Any]) -> Any:
    key = {AnswerShape.CATEGORICAL: "label", AnswerShape.ORDINAL: "label", AnswerShape.MULTI_LABEL: "labels",
           AnswerShape.BOXES: "boxes", AnswerShape.SPANS: "spans", AnswerShape.TEXT: "text",
           AnswerShape.FORM: "answers", AnswerShape.PAIRWISE: "choice"}[shape]
    return answer[key]


def _item(kind: str, config: dict[str, Any], n: int) -> dict[str, Any]:
    if kind in ("text_classification", "text_spans", "free_text"):
        return {"text": TEXTS[n % len(TEXTS)], "source": f"doc-{n}"}
    if kind == "pairwise":
        return {"a": f"Answer A{n}", "b": f"Answer B{n}"}
    if kind == "survey":
        return {"participant_group": "pilot" if n % 2 else "main"}
    return annotators.get(kind).example_item(config)


def _answer(kind: str, config: dict[str, Any], rng: random.Random, item: dict[str, Any], *,
            size: tuple[int, int] | None = None) -> dict[str, Any]:
    """A canonical answer (checked by the annotator itself)."""
    labels = config.get("labels") or []
    if kind in ("image_classification", "text_classification"):
        raw: dict[str, Any] = ({"labels": rng.sample(labels, rng.randint(1, len(labels)))} if config["multi_label"]
                               else {"label": rng.choice(labels)})
    elif kind == "bounding_boxes":
        assert size is not None
        raw = {"boxes": [_box(rng, size, labels) for _ in range(rng.randint(0, 3))]}
    elif kind == "text_spans":
        words = list(re.finditer(r"[A-Z]\w+|\d{4}", item["text"]))
        chosen = sorted(rng.sample(words, min(len(words), rng.randint(1, 3))), key=lambda m: m.start())
        raw = {"spans": [[m.start(), m.end(), rng.choice(labels)] for m in chosen]}
    elif kind == "free_text":
        raw = {"text": rng.choice(["A short summary of the text.", "Buses at night, paid for by parking.",
                                   "Line one of two,\nand line two"])}
    elif kind == "pairwise":
        raw = {"choice": rng.choice(["a", "b", "tie"])}
    else:
        raw = annotators.get(kind).example_answer(config)
    return annotators.get(kind).parse_answer(config, raw, item=item)


def _box(rng: random.Random, size: tuple[int, int], labels: list[str]) -> list[Any]:
    width, height = size
    w, h = round(rng.uniform(3, width / 2), 2), round(rng.uniform(3, height / 2), 2)
    x, y = round(rng.uniform(0, width - w), 2), round(rng.uniform(0, height - h), 2)
    return [x, y, w, h, rng.choice(labels)]


def _answer_record(hit_id: str, item: dict[str, Any], worker: str, answer: dict[str, Any], value: Any,
                   n: int, w: int) -> AnswerRecord:
    accepted = START + timedelta(minutes=10 * n + w)
    approved = w != 2
    return AnswerRecord(
        hit_id=hit_id, assignment_id=f"3ASG{n:03d}{worker}", worker_id=worker, item=item, answer=answer,
        value=value, status="Approved" if approved else "Rejected", accepted_at=accepted,
        submitted_at=accepted + timedelta(seconds=42 + w), work_seconds=42.0 + w,
        worker_accuracy=0.9 - 0.1 * w, worker_accuracy_low=0.8 - 0.1 * w, worker_accuracy_high=0.95 - 0.1 * w,
        llm_probability=0.05 * w, llm_band="low", auto_approval_at=accepted + timedelta(days=3),
        approved_at=accepted + timedelta(hours=1) if approved else None,
        rejected_at=None if approved else accepted + timedelta(hours=2),
        requester_feedback=None if approved else "Please read the instructions.", approval_rate=0.97,
        hit=HITFacts(hit_type_id="3TYPE", title="Label a thing", description="Pick what fits, carefully.",
                     keywords="label, image", reward=Decimal("0.05"), created_at=START, max_assignments=3,
                     requester_annotation="batch-7", assignment_duration_seconds=600,
                     auto_approval_delay_seconds=259200, expires_at=START + timedelta(days=7),
                     lifetime_seconds=604800))
