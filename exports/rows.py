"""Flat rows for the tabular formats (CSV, JSONL, Parquet), one column per record field with the HIT's
input columns beside them, and the text of a value in a CSV cell or a JSON line."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from exports.records import ConsensusRecord

ColumnKind = Literal["string", "int", "float", "bool", "time", "value"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the tabular formats. ``kind`` "value" holds a value in the batch's answer shape."""

    name: str
    kind: ColumnKind
    description: str


CONSENSUS_IDS = (Column("hit_id", "string", "The HIT's id."),)
CONSENSUS_FIELDS = (
    Column("value", "value", "The HIT's label, in the batch's answer shape: the requester's fixed label, else "
                             "a gold HIT's known answer, else the consensus of its workers (see label_source)."),
    Column("confidence", "float", "The aggregation method's confidence in the consensus, 0 to 1."),
    Column("answers", "int", "How many answers the consensus was made from."),
    Column("agreement", "float", "How far the HIT's answers agree, 0 to 1."),
    Column("method", "string", "The aggregation method that made the consensus."),
    Column("is_gold", "bool", "The HIT is a gold (known-answer) HIT."),
    Column("gold", "value", "The gold answer of a gold HIT."),
    Column("llm_share", "float", "The share of the HIT's text answers flagged as likely LLM-written."),
    Column("reviewed_value", "value", "The value the requester set on review, where they did."),
    Column("label_source", "string", "Where value comes from: fixed (the requester's review), gold or consensus."),
)
ANSWER_IDS = (
    Column("hit_id", "string", "The HIT's id."),
    Column("assignment_id", "string", "The assignment's id: one worker's answer to the HIT."),
    Column("worker_id", "string", "The worker's id."),
)
ANSWER_FIELDS = (
    Column("value", "value", "The worker's answer, in the batch's answer shape."),
    Column("status", "string", "The assignment's status: Submitted, Approved, Rejected..."),
    Column("accepted_at", "time", "When the worker accepted the HIT (UTC)."),
    Column("submitted_at", "time", "When the worker submitted the answer (UTC)."),
    Column("work_seconds", "float", "Seconds from accepting to submitting."),
    Column("worker_accuracy", "float", "The worker's estimated accuracy on this batch."),
    Column("worker_accuracy_low", "float", "The low end of the accuracy's interval."),
    Column("worker_accuracy_high", "float", "The high end of the accuracy's interval."),
    Column("llm_probability", "float", "The estimated probability that the answer was written by an LLM."),
    Column("llm_band", "string", "That probability's band (low, medium, high)."),
    Column("is_gold", "bool", "The HIT is a gold (known-answer) HIT."),
)
SPLIT = Column("split", "string", "The split the row belongs to: train, validation or test.")
INPUT_PREFIX = "input."


class RowLayout:
    """The columns of one kind of record: ids, then the HIT's input columns under their own names
    (``input.<name>`` where a name is taken by a record column), then the record's fields."""

    def __init__(self, *, answers: bool, with_split: bool) -> None:
        self.answers = answers
        self.head = ANSWER_IDS if answers else CONSENSUS_IDS
        fields = ANSWER_FIELDS if answers else CONSENSUS_FIELDS
        self.tail = (*fields, SPLIT) if with_split else fields
        self._taken = {c.name for c in (*self.head, *self.tail)} | {SPLIT.name}
        self._input_names: dict[str, str] = {}

    def input_name(self, column: str) -> str:
        name = self._input_names.get(column)
        if name is None:
            clash = column in self._taken or column.startswith(INPUT_PREFIX)
            name = self._input_names[column] = INPUT_PREFIX + column if clash else column
        return name

    def input_columns(self, names: Iterable[str]) -> tuple[Column, ...]:
        return tuple(Column(self.input_name(name), "string", f"The HIT's input column {name!r}.")
                     for name in names)


def finite(value: float | None) -> float | None:
    """NaN and infinities are not JSON; a missing measurement is None."""
    return None if value is None or not math.isfinite(value) else float(value)


def final_value(record: ConsensusRecord) -> Any:
    """The value the ML formats (COCO, YOLO, VOC, CoNLL, span JSONL) write for a HIT: the requester's
    reviewed value where there is one, else the gold answer of a gold HIT, else the consensus."""
    if record.reviewed_value is not None:
        return record.reviewed_value
    if record.is_gold and record.gold is not None:
        return record.gold
    return record.value


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC; a naive datetime is taken to be UTC already."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=json_default, allow_nan=False)


def cell_text(value: Any) -> str:
    """A value in a CSV cell: empty for None, true/false, ISO times, lists and objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return json_text(value)
