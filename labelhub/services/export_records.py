"""How a page of HITs becomes export records: one ``ConsensusRecord`` per HIT or one ``AnswerRecord``
per assignment, with the export's filters and splits, the workers' scores and the HIT's MTurk facts.

Every statement here is Core over the tables, and rows are plain tuples: an export reads a million
rows, and the ORM's per-row work (entities, enum and JSON processing) would cost more than the rest of
the export. JSON columns are read as text and parsed here (identical short answers once per export),
and on PostgreSQL times come as the driver gives them: the reading transaction is in UTC
(``labelhub.services.export_reading``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

import exports
from annotators.base import AnswerShape
from exports.records import AnswerRecord, ConsensusRecord, ExportMeta, HITFacts
from exports.tables import TEXT_VALUE_SHAPES, TIME, TableLayout
from labelhub.models import (
    ANSWERED_STATUSES,
    COUNTED_STATUSES,
    HIT,
    AnswerFlag,
    Assignment,
    AssignmentStatus,
    Batch,
    ConsensusLabel,
    HITType,
    Worker,
)
from labelhub.models import WorkerScore as Score
from labelhub.money import format_amount
from labelhub.services.export_commands import ExportFilters, ExportRequest
from labelhub.services.worker_scores import COUNTS, accuracy_of

COUNTED = tuple(status.value for status in COUNTED_STATUSES)  # compared as text (type_coerce)
SUBMITTED = tuple(status.value for status in ANSWERED_STATUSES)
APPROVED = AssignmentStatus.APPROVED.value
FLAGGED = "high"  # the LLM band that counts as flagged (labelhub.services.llm_flags)
APPROVAL_RATE_FORMATS = ("mturk-csv",)  # the formats that show a worker's lifetime approval rate
COMPARABLE = (AnswerShape.CATEGORICAL, AnswerShape.ORDINAL, AnswerShape.PAIRWISE, AnswerShape.MULTI_LABEL)
VALUE_KEYS = {AnswerShape.CATEGORICAL: "label", AnswerShape.ORDINAL: "label", AnswerShape.PAIRWISE: "choice",
              AnswerShape.BOXES: "boxes", AnswerShape.SPANS: "spans", AnswerShape.TEXT: "text"}
CACHED_JSON = 256  # answers up to this many characters are parsed once per export
MAX_CACHED = 100_000

Record = ConsensusRecord | AnswerRecord
TEXT_TIME = pa.string()  # a time as ISO 8601 text in UTC, as the export tables hold it
TIMES = ("accepted_at", "submitted_at", "auto_approval_at", "approved_at", "rejected_at", "created_at", "expires_at")
ANSWER_FIELDS = ("hit_id", "assignment_id", "worker_id", "item", "answer", "value", "status", "accepted_at",
                 "submitted_at", "work_seconds", "worker_accuracy", "worker_accuracy_low", "worker_accuracy_high",
                 "llm_probability", "llm_band", "is_gold", "auto_approval_at", "approved_at", "rejected_at",
                 "requester_feedback", "approval_rate", "hit", "split")
if tuple(f.name for f in fields(AnswerRecord)) != ANSWER_FIELDS:  # RecordBuilder builds them positionally
    raise ImportError("exports.records.AnswerRecord's fields changed: update labelhub.services.export_records")
H, A, C, F, W = (HIT.__table__.c, Assignment.__table__.c, ConsensusLabel.__table__.c, AnswerFlag.__table__.c,
                 Worker.__table__.c)


def value_reader(shape: AnswerShape) -> Callable[[dict[str, Any] | None], Any]:
    """A stored (canonical) answer -> its value in the batch's shape: a label (an ordinal scale's label,
    not its rank), a pairwise choice, a list of labels, boxes, spans, a text, or a form's whole answer."""
    if shape is AnswerShape.MULTI_LABEL:
        return lambda answer: None if answer is None else list(answer.get("labels", ()))
    key = VALUE_KEYS.get(shape)
    if key is None:
        return lambda answer: answer
    return lambda answer: None if answer is None else answer.get(key)


def label_source(*, fixed: bool, gold: bool) -> str:
    """Where a HIT's label comes from: the requester's fixed label (labelhub.services.label_fixes) wins
    over a gold answer, which wins over the consensus. The one rule behind ``label_source`` in the
    exports and the REST consensus listing."""
    return "fixed" if fixed else "gold" if gold else "consensus"


def stratum(value: Any) -> Any:
    """A hashable form of a label value (lists become tuples), for comparing and stratifying."""
    if isinstance(value, list | tuple):
        return tuple(stratum(v) for v in value)
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def json_reader() -> Callable[[str | None], Any]:
    """``json.loads`` for one export; short texts (answers such as {"label": "cat"}) are parsed once and
    their value shared by the records, which nothing changes."""
    cache: dict[str, Any] = {}

    def load(text: str | None) -> Any:
        if text is None:
            return None
        found = cache.get(text)
        if found is None:
            found = json.loads(text)
            if len(text) <= CACHED_JSON and len(cache) < MAX_CACHED:
                cache[text] = found
        return found

    return load


def _json(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A JSON column as its text: the driver does not parse it (PostgreSQL's would, for every row)."""
    return cast(column, Text)


@dataclass
class RecordBuilder:
    """Everything one export reads once (the batch, its meta, the splits and the workers' figures) and
    turns pages of HITs into records."""

    batch: Batch
    meta: ExportMeta
    request: ExportRequest
    postgres: bool
    llm_excluded: bool  # the batch's own consensus already leaves flagged answers out
    splits: dict[str, str] = field(default_factory=dict)
    accuracy: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    workers: dict[int, tuple[str, float | None]] = field(default_factory=dict)  # id -> (public id, approval rate)
    hit_types: dict[int, tuple[HITType, Decimal]] = field(default_factory=dict)
    value_of: Callable[[dict[str, Any] | None], Any] = field(init=False)
    load: Callable[[str | None], Any] = field(init=False, default_factory=json_reader)
    layout: TableLayout = field(init=False)

    def __post_init__(self) -> None:
        self.value_of = value_reader(self.meta.shape)
        self.layout = TableLayout.for_records(self.meta, answers=self.request.answers,
                                              with_split=self.request.filters.split is not None, first_item={})

    @property
    def filters(self) -> ExportFilters:
        return self.request.filters

    def _among(self, column: ColumnElement[Any], hit_ids: list[int]) -> ColumnElement[bool]:
        """``column IN (ids)``; on PostgreSQL one array parameter (= ANY), not thousands of them, which
        the driver would have to splice into the statement for every page."""
        if self.postgres:
            return column == any_(bindparam("hit_ids", hit_ids, type_=ARRAY(Integer)))
        return column.in_(hit_ids)

    def _rows(self, db: Session, stmt: Select[Any]) -> Sequence[Any]:
        """The statement's rows. On PostgreSQL straight from the driver's cursor, as the tuples psycopg
        makes: every column here needs no conversion there (JSON as text, times aware), and building
        SQLAlchemy's Row objects was a fifth of the cost of an answer record."""
        if not self.postgres:
            return db.execute(stmt).all()
        compiled = stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"render_postcompile": True})
        cursor = db.connection().connection.cursor()
        try:
            cursor.execute(str(compiled), compiled.params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def _time(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        # PostgreSQL's timestamptz arrives aware (the transaction's zone is UTC): the UTCDateTime
        # decorator's per-value work is not needed there. SQLite's naive values do need it.
        return type_coerce(column, DateTime(timezone=True)) if self.postgres else column

    # statements

    def hit_conditions(self) -> list[Any]:
        """The HIT-level filters (gold, minimum confidence; a consensus record needs a consensus or a
        known answer: gold or a fixed label), on hits left-joined with consensus_labels."""
        conditions: list[Any] = [H.batch_id == self.batch.id]
        if self.filters.gold == "exclude":
            conditions.append(H.is_gold.is_(False))
        elif self.filters.gold == "only":
            conditions.append(H.is_gold.is_(True))
        if not self.request.answers:
            conditions.append(or_(H.is_gold.is_(True), H.reviewed_at.is_not(None), C.id.is_not(None)))
        if self.filters.min_confidence is not None:
            conditions.append(or_(H.is_gold.is_(True), H.reviewed_at.is_not(None),
                                  C.confidence >= self.filters.min_confidence))
        return conditions

    def answer_conditions(self) -> list[Any]:
        statuses = (APPROVED,) if self.filters.status == "approved" else SUBMITTED
        conditions: list[Any] = [type_coerce(A.status, String).in_(statuses)]
        if self.filters.exclude_llm_flagged:
            conditions.append(or_(F.band.is_(None), F.band != FLAGGED))
        return conditions

    def hit_statement(self) -> Select[Any]:
        """The HITs in id order: id first (the SQLite pages go by it)."""
        return (select(H.id, H.public_id, _json(H.data), H.is_gold, _json(H.gold_answer), _json(H.reviewed_answer),
                       H.hit_type_id,
                       self._time(H.created_at), self._time(H.expires_at), H.max_assignments,
                       H.requester_annotation, _json(C.value), C.confidence, C.answers)
                .select_from(HIT.__table__.outerjoin(ConsensusLabel.__table__, C.hit_id == H.id))
                .where(*self.hit_conditions()).order_by(H.id))

    def count(self, db: Session) -> int:
        """Rows the export reads: its HITs, or for answer records its answers (the progress total)."""
        joined = HIT.__table__.outerjoin(ConsensusLabel.__table__, C.hit_id == H.id)
        conditions = self.hit_conditions()
        if self.request.answers:
            joined = joined.join(Assignment.__table__, A.hit_id == H.id).outerjoin(
                AnswerFlag.__table__, F.assignment_id == A.id)
            conditions += self.answer_conditions()
        return int(db.scalar(select(func.count()).select_from(joined).where(*conditions)) or 0)

    def read(self, db: Session, hits: Sequence[Any]) -> tuple[int, list[Record]]:
        """One page of HITs (rows of ``hit_statement``) -> (HITs read, their consensus records)."""
        return len(hits), self._consensus_records(db, hits)

    # consensus records

    def _consensus_records(self, db: Session, hits: Sequence[Any]) -> list[Record]:
        rows = self._rows(db, select(A.hit_id, _json(A.answer), type_coerce(A.status, String), F.band)
                          .select_from(Assignment.__table__.outerjoin(AnswerFlag.__table__, F.assignment_id == A.id))
                          .where(self._among(A.hit_id, [hit[0] for hit in hits]),
                                 type_coerce(A.status, String).in_(COUNTED)))
        answers: dict[int, list[tuple[Any, str, str | None]]] = defaultdict(list)
        for hit_id, answer, status, band in rows:
            answers[hit_id].append((self.load(answer), status, band))
        records = (self._consensus_record(hit, answers.get(hit[0], [])) for hit in hits)
        return [record for record in records if record is not None]

    def _consensus_record(self, hit: Any, answers: list[tuple[Any, str, str | None]]) -> ConsensusRecord | None:
        _, public_id, data, is_gold, gold_answer, reviewed_answer, *_, value, confidence, count = hit
        if self.filters.status == "approved" and (not answers or any(s != APPROVED for _, s, _ in answers)):
            return None
        scored = [band for _, _, band in answers if band is not None]
        flagged = scored.count(FLAGGED)
        if self.filters.exclude_llm_flagged and flagged and not self.llm_excluded:
            return None
        value, method = self.load(value), self.batch.aggregation_method if value is not None else None
        gold = self.value_of(self.load(gold_answer)) if is_gold else None
        if is_gold:
            value, confidence, method, count = gold, None, "gold", len(answers)
        fixed = self.load(reviewed_answer)
        reviewed = None if fixed is None else self.value_of(fixed)
        if fixed is not None:
            value, count = reviewed, len(answers) if count is None else count
        return ConsensusRecord(
            hit_id=public_id, item=self.load(data) or {}, value=value, confidence=confidence, answers=count,
            agreement=self._agreement(value, answers), method=method, is_gold=is_gold, gold=gold,
            llm_share=flagged / len(scored) if scored else None, reviewed_value=reviewed,
            label_source=label_source(fixed=fixed is not None, gold=is_gold), split=self.splits.get(public_id))

    def _agreement(self, value: Any, answers: list[tuple[Any, str, str | None]]) -> float | None:
        """The share of the HIT's counted answers equal to its consensus (single and multi labels)."""
        if self.meta.shape not in COMPARABLE or not answers:
            return None
        target = stratum(value)
        return sum(stratum(self.value_of(answer)) == target for answer, _, _ in answers) / len(answers)

    # answer records: read as columns (one row per assignment), never a Python object per row unless
    # records are asked for (``answer_records``)

    def answer_statement(self, *, full: bool) -> Select[Any]:
        """One row per answer the export keeps, in HIT then assignment order, with the columns of
        ``answer_table`` (``full``: and those ``answer_records`` needs besides)."""
        value = self._answer_value()
        inputs = [cast(H.data[raw].as_string(), Text).label(f"input_{n}")
                  for n, raw in enumerate(self.meta.input_columns)]
        columns: list[Any] = [
            H.id.label("hit_pk"), H.public_id.label("hit_id"), A.public_id.label("assignment_id"),
            A.worker_id.label("worker_pk"), *inputs, value.label("value"),
            type_coerce(A.status, String).label("status"), self._time(A.accepted_at).label("accepted_at"),
            self._time(A.submitted_at).label("submitted_at"), F.probability.label("llm_probability"),
            F.band.label("llm_band"), H.is_gold.label("is_gold")]
        if full:
            columns += [_json(A.answer).label("answer"), _json(H.data).label("data"),
                        H.hit_type_id.label("hit_type_pk"), A.requester_feedback.label("requester_feedback"),
                        H.max_assignments.label("max_assignments"),
                        H.requester_annotation.label("requester_annotation"),
                        *(self._time(column).label(column.name) for column in (
                            A.auto_approval_at, A.approved_at, A.rejected_at, H.created_at, H.expires_at))]
        joined = (HIT.__table__.outerjoin(ConsensusLabel.__table__, C.hit_id == H.id)
                  .join(Assignment.__table__, A.hit_id == H.id)
                  .outerjoin(AnswerFlag.__table__, F.assignment_id == A.id))
        return (select(*columns).select_from(joined).where(*self.hit_conditions(), *self.answer_conditions())
                .order_by(H.id, A.id))

    def _answer_value(self) -> ColumnElement[Any]:
        """The answer's value in the batch's shape, as the tables hold it: a label or text, else JSON text."""
        key = VALUE_KEYS.get(self.meta.shape)
        if self.meta.shape is AnswerShape.MULTI_LABEL:
            key = "labels"
        if key is None:
            return _json(A.answer)
        if self.meta.shape in TEXT_VALUE_SHAPES:
            return cast(A.answer[key].as_string(), Text)
        return cast(A.answer[key], Text)

    def answer_row_types(self, *, full: bool) -> pa.Schema:
        """The types of ``answer_statement``'s columns, as its rows are read into tables; times are ISO
        8601 text in UTC (``TEXT_TIME``), as the tables hold them (``exports.tables``)."""
        types: list[tuple[str, pa.DataType]] = [
            ("hit_pk", pa.int64()), ("hit_id", pa.string()), ("assignment_id", pa.string()), ("worker_pk", pa.int64()),
            *((f"input_{n}", pa.string()) for n in range(len(self.meta.input_columns))), ("value", pa.string()),
            ("status", pa.string()), ("accepted_at", TEXT_TIME), ("submitted_at", TEXT_TIME),
            ("llm_probability", pa.float64()),
            ("llm_band", pa.string()), ("is_gold", pa.bool_())]
        if full:
            types += [("answer", pa.string()), ("data", pa.string()), ("hit_type_pk", pa.int64()),
                      ("requester_feedback", pa.string()), ("max_assignments", pa.int64()),
                      ("requester_annotation", pa.string()), ("auto_approval_at", TEXT_TIME),
                      ("approved_at", TEXT_TIME), ("rejected_at", TEXT_TIME), ("created_at", TEXT_TIME),
                      ("expires_at", TEXT_TIME)]
        return pa.schema(types)

    def answer_table(self, raw: pa.Table) -> pa.Table:
        """Rows of ``answer_statement`` (as a table of its columns) -> a table of the export's layout."""
        layout = self.layout
        workers = pa.array(list(self.workers), pa.int64())
        row_worker = pc.index_in(raw.column("worker_pk"), value_set=workers)
        unscored = (None, None, None)
        scores = [self.accuracy.get(worker, unscored) for worker in self.workers]
        by_name: dict[str, Any] = {
            "hit_id": raw.column("hit_id"), "assignment_id": raw.column("assignment_id"),
            "worker_id": pc.take(pa.array([public for public, _ in self.workers.values()], pa.string()), row_worker),
            "value": raw.column("value"), "status": raw.column("status"),
            "accepted_at": raw.column("accepted_at"), "submitted_at": raw.column("submitted_at"),
            "work_seconds": pc.divide(pc.cast(pc.subtract(pc.cast(raw.column("submitted_at"), TIME),
                                                          pc.cast(raw.column("accepted_at"), TIME)), pa.int64()), 1e6),
            "llm_probability": raw.column("llm_probability"), "llm_band": raw.column("llm_band"),
            "is_gold": raw.column("is_gold"),
            **{name: pc.take(pa.array([score[n] for score in scores], pa.float64()), row_worker) for n, name in
               enumerate(("worker_accuracy", "worker_accuracy_low", "worker_accuracy_high"))},
            **{column: raw.column(f"input_{n}") for n, column in enumerate(layout.inputs.values())},
        }
        if "split" in layout.schema.names:
            hits = pa.array(list(self.splits), pa.string())
            by_name["split"] = pc.take(pa.array(list(self.splits.values()), pa.string()),
                                       pc.index_in(raw.column("hit_id"), value_set=hits))
        return pa.Table.from_arrays([by_name[name] for name in layout.schema.names], schema=layout.schema)

    def answer_records(self, raw: pa.Table) -> list[Record]:
        """Rows of ``answer_statement(full=True)`` -> AnswerRecords (the MTurk results CSV's and notebooks')."""
        table = self.answer_table(raw)
        records: list[Record] = []
        columns = ("hit_id", "assignment_id", "worker_id", "status", "work_seconds", "worker_accuracy",
                   "worker_accuracy_low", "worker_accuracy_high", "llm_probability", "llm_band", "is_gold")
        extra = ("answer", "data", "hit_type_pk", "requester_feedback", "max_assignments", "requester_annotation",
                 "worker_pk")
        rows = zip(*(table.column(name).to_pylist() for name in columns),
                   *(raw.column(name).to_pylist() for name in extra),
                   *(_moments(raw.column(name)) for name in TIMES), strict=True)
        for (hit_id, assignment_id, worker_id, status, seconds, mean, low, high, probability, band, is_gold,
             answer_text, data, hit_type_pk, feedback, max_assignments, annotation, worker_pk,
             accepted, submitted, auto_approval, approved, rejected, created, expires) in rows:
            answer = self.load(answer_text)
            facts = self._facts(hit_type_pk, created, expires, max_assignments, annotation)
            # Positional, in ANSWER_FIELDS' order.
            records.append(AnswerRecord(
                hit_id, assignment_id, worker_id, self.load(data) or {}, answer, self.value_of(answer), status,
                accepted, submitted, seconds, mean, low, high, probability, band, is_gold, auto_approval, approved,
                rejected, feedback, self.workers[worker_pk][1], facts, self.splits.get(hit_id)))
        return records

    def _facts(self, hit_type_pk: int, created: datetime, expires: datetime, max_assignments: int,
               annotation: str | None) -> HITFacts:
        """A HIT's MTurk facts: its HIT type's (``hit_types``) and its own."""
        hit_type, reward = self.hit_types[hit_type_pk]
        return HITFacts(hit_type_id=hit_type.public_id, title=hit_type.title, description=hit_type.description,
                        keywords=hit_type.keywords, reward=reward, created_at=created, max_assignments=max_assignments,
                        requester_annotation=annotation,
                        assignment_duration_seconds=hit_type.assignment_duration_seconds,
                        auto_approval_delay_seconds=hit_type.auto_approval_delay_seconds, expires_at=expires,
                        lifetime_seconds=int((expires - created).total_seconds()))


def _moments(column: pa.ChunkedArray) -> list[Any]:
    """ISO 8601 texts -> aware datetimes (None stays None)."""
    return [None if text is None else datetime.fromisoformat(text) for text in column.to_pylist()]


def hit_types(db: Session, batch: Batch) -> dict[int, tuple[HITType, Decimal]]:
    """The HIT types of the batch's HITs (one, unless HITs were moved), with their rewards."""
    found = db.scalars(select(HITType).where(HITType.id.in_(select(H.hit_type_id).where(H.batch_id == batch.id))))
    return {hit_type.id: (hit_type, Decimal(format_amount(hit_type.reward_micros))) for hit_type in found}


def worker_accuracy(db: Session, batch: Batch) -> dict[int, tuple[float, float, float]]:
    """Each worker's accuracy in this batch (posterior mean) with its 95% interval, from the last
    aggregation's evidence; empty before any."""
    rows = db.execute(select(Score.worker_id, *(getattr(Score, name) for name in COUNTS))
                      .where(Score.batch_id == batch.id)).all()
    if not rows:
        return {}
    table = accuracy_of(rows)
    return {int(row.worker_id): (round(float(a), 4), round(float(low), 4), round(float(high), 4))
            for row, a, low, high in zip(rows, table["accuracy"], table["accuracy_low"], table["accuracy_high"],
                                         strict=True)}


def worker_figures(db: Session, batch: Batch, *, approval: bool) -> dict[int, tuple[str, float | None]]:
    """Each worker of the batch: public id and, with ``approval``, lifetime approval rate (approved /
    decided in the batch's marketplace; None with nothing decided yet). The rate reads every assignment
    those workers ever had, so it is read only for the formats that show it (APPROVAL_RATE_FORMATS)."""
    workers = select(A.worker_id).join(HIT.__table__, H.id == A.hit_id).where(H.batch_id == batch.id).distinct()
    if not approval:
        return {worker: (public_id, None) for worker, public_id in db.execute(
            select(W.id, W.public_id).where(W.id.in_(workers))).tuples()}
    status = type_coerce(A.status, String)
    rows = db.execute(select(A.worker_id, W.public_id, func.count().filter(status == APPROVED),
                             func.count().filter(status.in_((APPROVED, AssignmentStatus.REJECTED.value))))
                      .join(HIT.__table__, H.id == A.hit_id).join(Worker.__table__, W.id == A.worker_id)
                      .where(H.marketplace == batch.marketplace.value, A.worker_id.in_(workers))
                      .group_by(A.worker_id, W.public_id)).tuples()
    return {worker: (public_id, approved / decided if decided else None)
            for worker, public_id, approved, decided in rows}


def splits(db: Session, batch: Batch, filters: ExportFilters, shape: AnswerShape) -> dict[str, str]:
    """Every HIT of the batch -> its split, stratified by its consensus (or known) label. Drawn over the
    whole batch whatever the filters, so a HIT keeps its split (same seed) in every export of the batch."""
    ratios = filters.ratios()
    if ratios is None:
        return {}
    value_of, load = value_reader(shape), json_reader()
    rows = db.execute(select(H.public_id, H.is_gold, _json(H.gold_answer), _json(H.reviewed_answer), _json(C.value))
                      .select_from(HIT.__table__.outerjoin(ConsensusLabel.__table__, C.hit_id == H.id))
                      .where(H.batch_id == batch.id), execution_options={"yield_per": 10_000})
    comparable = shape in COMPARABLE

    def label(is_gold: bool, gold: str | None, fixed: str | None, value: str | None) -> Any:
        known = load(fixed)
        if known is None and is_gold:
            known = load(gold)
        return value_of(known) if known is not None else load(value)

    keys = ((public_id, stratum(label(*rest)) if comparable else None) for public_id, *rest in rows)
    return dict(exports.assign_splits(keys, ratios, filters.seed))
