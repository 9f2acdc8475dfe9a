"""What an export writes: plain records, one per HIT (consensus) or one per assignment (answers), and
the facts about the batch every record shares. The service layer builds them from the database; the
writers in this package never see anything else, so they can be used on records built by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from annotators.base import AnswerShape


@dataclass(frozen=True, slots=True)
class ExportMeta:
    """The batch an export comes from.

    ``labels``: the label names in the configuration's order (categorical, multi-label, ordinal, boxes
    and spans), so class ids are stable and Parquet keeps them as a ClassLabel. ``image_column`` /
    ``text_column``: the item column holding the image URL or the text the answers refer to.
    ``image_file`` resolves an image URL to the stored file (None: not stored here), for reading
    width and height from its header. Where no stored file is there, the size is the configuration's
    ``image_size`` (bounding boxes' fixed image_width/image_height), else the item's ``size_columns``."""

    batch_id: str
    batch_name: str
    annotator: str
    shape: AnswerShape
    labels: tuple[str, ...] = ()
    input_columns: tuple[str, ...] = ()
    image_column: str | None = None
    text_column: str | None = None
    image_file: Callable[[str], Path | None] | None = None
    image_size: tuple[int, int] | None = None
    size_columns: tuple[str, str] = ("image_width", "image_height")


@dataclass(frozen=True, slots=True)
class HITFacts:
    """A HIT's own columns, as MTurk's batch results CSV shows them beside every assignment."""

    hit_type_id: str
    title: str
    description: str
    keywords: str
    reward: Decimal
    created_at: datetime
    max_assignments: int
    requester_annotation: str | None
    assignment_duration_seconds: int
    auto_approval_delay_seconds: int
    expires_at: datetime
    lifetime_seconds: int


@dataclass(frozen=True, slots=True)
class ConsensusRecord:
    """One HIT: the row it was made from, what its workers agreed on, and its label.

    ``value`` is the HIT's label, in the batch's answer shape (a label, a list of labels, boxes
    ``[x, y, w, h, label]``, spans ``[start, end, label]``, a text...): the requester's fixed label
    (``reviewed_value``) where there is one, else a gold HIT's known answer (``gold``), else the
    consensus; ``label_source`` says which ("fixed", "gold" or "consensus"). ``confidence`` and
    ``method`` are the consensus's. ``llm_share``: the share of its text answers flagged as likely
    LLM-written (None when nothing was scored)."""

    hit_id: str
    item: dict[str, Any]
    value: Any
    confidence: float | None
    answers: int
    agreement: float | None
    method: str | None
    is_gold: bool = False
    gold: Any = None
    llm_share: float | None = None
    reviewed_value: Any = None
    label_source: str = "consensus"
    split: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One assignment: who answered what, when, and how far that worker and that answer are trusted.

    ``answer`` is the submitted answer object as stored; ``value`` its label/boxes/spans/text in the
    batch's answer shape. The worker's accuracy is the batch estimate with its interval (None before
    aggregation). ``approval_rate``: the worker's lifetime approval rate as a fraction."""

    hit_id: str
    assignment_id: str
    worker_id: str
    item: dict[str, Any]
    answer: dict[str, Any] | None
    value: Any
    status: str
    accepted_at: datetime
    submitted_at: datetime | None
    work_seconds: float | None
    worker_accuracy: float | None = None
    worker_accuracy_low: float | None = None
    worker_accuracy_high: float | None = None
    llm_probability: float | None = None
    llm_band: str | None = None
    is_gold: bool = False
    auto_approval_at: datetime | None = None
    approved_at: datetime | None = None
    rejected_at: datetime | None = None
    requester_feedback: str | None = None
    approval_rate: float | None = None
    hit: HITFacts | None = field(default=None)
    split: str | None = None
