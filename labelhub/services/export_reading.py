"""Reading a batch for an export: the checks (whose batch, its state, the format's fit), the facts
every record shares (``exports.ExportMeta``) and the records, read a page of HITs at a time, never all
at once (``labelhub.services.export_records`` turns each page into records).

Answer records (one per assignment: a million rows in a large batch) are read as columns into Arrow
tables (``exports.tables``), which the tabular formats write as they are; records are made from them only
for the formats that need records (the MTurk results CSV). Consensus records (one per HIT) are made a
page of HITs at a time.

- PostgreSQL: one REPEATABLE READ transaction, so the whole export sees one snapshot of the batch.
  Answers stream out of one ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by pyarrow's CSV reader in
  blocks; HITs for consensus records come through a server-side cursor (``yield_per``).
- SQLite: every transaction takes the database's single write lock (``BEGIN IMMEDIATE``,
  labelhub.db), so the pages are read by HIT id (keyset), each in its own short transaction, and
  workers' submissions go on between them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

import annotators
import exports
from annotators.base import AnswerShape
from exports.records import ExportMeta
from exports.rows import utc_text
from labelhub.errors import InvalidInputError, InvalidStateError, NotFoundError
from labelhub.models import HIT, Batch, BatchState
from labelhub.runtime import Runtime
from labelhub.services import export_records
from labelhub.services.actors import Actor, require_requester
from labelhub.services.batch_quality import QualitySettings
from labelhub.services.export_commands import ExportRequest
from labelhub.services.export_records import H, Record, RecordBuilder
from labelhub.services.media import STORED_NAME, media_path
from labelhub.settings import Settings

LABELLED = (AnswerShape.CATEGORICAL, AnswerShape.MULTI_LABEL, AnswerShape.ORDINAL, AnswerShape.BOXES,
            AnswerShape.SPANS)


# --- the batch and its meta ---------------------------------------------------------------------------


def export_batch(db: Session, actor: Actor, batch_public_id: str) -> Batch:
    """The batch to export: the requester's own, in the actor's marketplace (the system actor's: any).
    Another requester's batch is reported as missing (NotFoundError), so its id is not confirmed;
    PermissionDeniedError for a worker; InvalidStateError while the batch is still being built."""
    stmt = select(Batch).where(Batch.public_id == batch_public_id)
    if actor.kind != "system":
        require_requester(actor)
        stmt = stmt.where(Batch.requester_id == actor.id, Batch.marketplace == actor.marketplace)
    batch = db.scalars(stmt).one_or_none()
    if batch is None:
        raise NotFoundError(f"Batch {batch_public_id} does not exist", entity="batch")
    if batch.state is not BatchState.READY:
        raise InvalidStateError(f"Batch {batch_public_id} is {batch.state.value}: it can be exported once "
                                "all its HITs are there", entity="batch")
    return batch


def _config(batch: Batch) -> dict[str, Any]:
    return (batch.template or {}).get("config", {})


def _shape(batch: Batch) -> AnswerShape:
    """The answers' shape; HTML batches without a registered task type have forms of fields."""
    if batch.template_kind not in annotators.REGISTRY:
        return AnswerShape.FORM
    return annotators.get(batch.template_kind).shape_for(_config(batch))


def _labels(batch: Batch, shape: AnswerShape) -> tuple[str, ...]:
    config = _config(batch)
    if shape is AnswerShape.PAIRWISE:
        return ("a", "b", "tie") if config.get("allow_tie") else ("a", "b")
    return tuple(str(label) for label in config.get("labels", ())) if shape in LABELLED else ()


def _input_columns(db: Session, batch: Batch) -> tuple[str, ...]:
    """The batch rows' columns: the first row's in its order, then any other row's (sorted)."""
    first = db.scalar(select(HIT.data).where(HIT.batch_id == batch.id).order_by(HIT.id).limit(1))
    columns = list(first) if isinstance(first, dict) else []
    if db.get_bind().dialect.name == "postgresql":
        keys = text("SELECT DISTINCT json_object_keys(data) FROM hits WHERE batch_id = :batch "
                    "AND json_typeof(data) = 'object'")
    else:
        keys = text("SELECT DISTINCT j.key FROM hits, json_each(hits.data) AS j WHERE hits.batch_id = :batch "
                    "AND json_type(hits.data) = 'object'")
    others = set(db.scalars(keys, {"batch": batch.id})) - set(columns)
    return tuple(columns + sorted(others))


def image_resolver(settings: Settings) -> Callable[[str], Path | None]:
    """An image URL of a batch row -> the file LabelHub stores for it (uploads under /media/, the
    instance's images under /images/), or None when it is stored elsewhere."""
    images = (Path(settings.storage.instance_path) / "images").resolve()

    def resolve(url: str) -> Path | None:
        path = urlsplit(str(url)).path
        if "/media/" in path:
            name = path.rsplit("/media/", 1)[1]
            found = media_path(settings) / name[:2] / name
            return found if STORED_NAME.match(name) and found.is_file() else None
        if path.startswith("/images/"):
            found = (images / path.removeprefix("/images/")).resolve()
            return found if found.is_relative_to(images) and found.is_file() else None
        return None

    return resolve


def build_meta(db: Session, settings: Settings, batch: Batch, *, columns: bool = True) -> ExportMeta:
    """The batch's ExportMeta; ``columns=False`` skips reading the rows' columns (enough for check_fits)."""
    shape, config = _shape(batch), _config(batch)
    return ExportMeta(batch_id=batch.public_id, batch_name=batch.name, annotator=batch.template_kind, shape=shape,
                      labels=_labels(batch, shape), input_columns=_input_columns(db, batch) if columns else (),
                      image_column=config.get("image_field"), text_column=config.get("text_field"),
                      image_file=image_resolver(settings), image_size=_image_size(config),
                      size_columns=(config.get("width_field", "image_width"),
                                    config.get("height_field", "image_height")))


def _image_size(config: dict[str, Any]) -> tuple[int, int] | None:
    """Bounding boxes' fixed image size, when the configuration gives one."""
    width, height = config.get("image_width"), config.get("image_height")
    return (int(width), int(height)) if width and height else None


def check_fits(request: ExportRequest, meta: ExportMeta) -> None:
    """The format must suit the batch's answer shape; InvalidInputError names the formats that do."""
    try:
        exports.check_fits(request.format, meta, answers=request.answers)
    except exports.ExportFormatError as exc:
        raise InvalidInputError({"format": str(exc)}, entity="export") from None


def _prepare(db: Session, settings: Settings, actor: Actor, batch_public_id: str, request: ExportRequest,
             *, postgres: bool) -> tuple[RecordBuilder, int]:
    batch = export_batch(db, actor, batch_public_id)
    meta = build_meta(db, settings, batch)
    check_fits(request, meta)
    builder = RecordBuilder(batch, meta, request, postgres=postgres,
                            llm_excluded=QualitySettings.stored(batch.quality).llm.action == "exclude")
    builder.splits = export_records.splits(db, batch, request.filters, meta.shape)
    if request.answers:
        builder.accuracy = export_records.worker_accuracy(db, batch)
        builder.workers = export_records.worker_figures(
            db, batch, approval=request.format in export_records.APPROVAL_RATE_FORMATS)
        builder.hit_types = export_records.hit_types(db, batch)
    return builder, builder.count(db)


# --- streaming ---------------------------------------------------------------------------------------------

COPY_BLOCK = 4 * 2**20  # bytes of CSV parsed into one table


@dataclass(frozen=True)
class RecordStream:
    """An export's meta, how many rows it reads (HITs, or answers for answer records), and its rows as
    tables of the export's layout (``tables``) or as records (``records``)."""

    meta: ExportMeta
    total: int
    layout: exports.TableLayout
    record_pages: Callable[[], Iterator[tuple[int, list[Record]]]]
    table_pages: Callable[[], Iterator[tuple[int, pa.Table]]]

    def records(self, progress: Callable[[int, int], None] | None = None) -> Iterator[Record]:
        """The records in HIT order; ``progress(rows read, total)`` after each page."""
        for page in self._progress(self.record_pages(), progress):
            yield from page

    def tables(self, progress: Callable[[int, int], None] | None = None) -> Iterator[pa.Table]:
        """The rows as tables of the export's layout, in HIT order; ``progress`` as for ``records``."""
        yield from self._progress(self.table_pages(), progress)

    def _progress(self, pages: Iterator[tuple[int, Any]], progress: Callable[[int, int], None] | None) -> Iterator[Any]:
        done = 0
        for read, page in pages:
            yield page
            done += read
            if progress is not None:
                progress(done, self.total)


@contextmanager
def reading(rt: Runtime, actor: Actor, batch_public_id: str, request: ExportRequest) -> Iterator[RecordStream]:
    """Check the request against the batch (authorization, state, the format's fit) and stream its
    records while the block runs. Raises NotFoundError (unknown batch, or another requester's),
    InvalidStateError (a batch still being built), InvalidInputError (a format that does not fit)."""
    page_size = rt.settings.exports.page_size
    postgres = rt.engine.dialect.name == "postgresql"
    with rt.sessions() as db:
        if postgres:
            db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            db.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        builder, total = _prepare(db, rt.settings, actor, batch_public_id, request, postgres=postgres)
        if postgres:
            yield _stream(builder, total, lambda full: _copied(db, builder, full),
                          lambda: _cursor_pages(db, builder, page_size))
            return
    yield _stream(builder, total, lambda full: _keyset_answers(rt, builder, page_size, full),
                  lambda: _keyset_pages(rt, builder, page_size))


def _stream(builder: RecordBuilder, total: int, answers: Callable[[bool], Iterator[pa.Table]],
            consensus: Callable[[], Iterator[tuple[int, list[Record]]]]) -> RecordStream:
    """Answers are read as tables (records made from them); consensus records are made a page at a
    time (tables made from them)."""
    if builder.request.answers:
        return RecordStream(builder.meta, total, builder.layout,
                            lambda: ((raw.num_rows, builder.answer_records(raw)) for raw in answers(True)),
                            lambda: ((raw.num_rows, builder.answer_table(raw)) for raw in answers(False)))
    return RecordStream(builder.meta, total, builder.layout, consensus,
                        lambda: ((read, builder.layout.table(page)) for read, page in consensus()))


def _cursor_pages(db: Session, builder: RecordBuilder, page_size: int) -> Iterator[tuple[int, list[Record]]]:
    """PostgreSQL: the HITs through a server-side cursor, in the snapshot the export started with."""
    result = db.execute(builder.hit_statement(), execution_options={"yield_per": page_size})
    for hits in result.partitions():
        yield builder.read(db, hits)


def _keyset_pages(rt: Runtime, builder: RecordBuilder, page_size: int) -> Iterator[tuple[int, list[Record]]]:
    """SQLite: pages of HITs by id, each read (with its answers) in a transaction of its own."""
    after = 0
    while True:
        with rt.sessions() as db:
            hits = db.execute(builder.hit_statement().where(H.id > after).limit(page_size)).all()
            if not hits:
                return
            page = builder.read(db, hits)
        after = hits[-1][0]
        yield page


def _copied(db: Session, builder: RecordBuilder, full: bool) -> Iterator[pa.Table]:
    """PostgreSQL: the answers out of one COPY, as CSV parsed by pyarrow a block at a time (no Python
    object per row), in the export's snapshot."""
    statement = builder.answer_statement(full=full)
    schema = builder.answer_row_types(full=full)
    sql = str(statement.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    cursor = db.connection().connection.cursor()
    try:
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            stream = io.BufferedReader(_CopyStream(copy), COPY_BLOCK)
            if not stream.peek(1):  # no answers: pyarrow refuses an empty CSV
                return
            reader = pa_csv.open_csv(
                stream,
                read_options=pa_csv.ReadOptions(column_names=schema.names, block_size=COPY_BLOCK),
                convert_options=pa_csv.ConvertOptions(
                    column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False,
                    true_values=["t"], false_values=["f"]))
            for batch in reader:
                yield _iso_times(pa.Table.from_batches([batch]))
    finally:
        cursor.close()


def _iso_times(table: pa.Table) -> pa.Table:
    """PostgreSQL's text for a time in UTC (2026-03-02 09:30:00.25+00) as ISO 8601 (2026-03-02T09:30:00.25+00:00)."""
    for name in export_records.TIMES:
        if name in table.column_names:
            fixed = pc.binary_join_element_wise(pc.replace_substring(table.column(name), " ", "T"), ":00", "")
            table = table.set_column(table.schema.get_field_index(name), name, fixed)
    return table


class _CopyStream(io.RawIOBase):
    """A COPY's output as a readable binary stream (what pyarrow's CSV reader takes)."""

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill the buffer from as many of the COPY's chunks as fit (fewer calls from Python)."""
        filled = 0
        while filled < len(buffer):
            if not self._pending:
                chunk = self._copy.read()
                if not chunk:
                    break
                self._pending = memoryview(chunk)
            size = min(len(buffer) - filled, len(self._pending))
            buffer[filled:filled + size] = self._pending[:size]
            self._pending = self._pending[size:]
            filled += size
        return filled


def _keyset_answers(rt: Runtime, builder: RecordBuilder, page_size: int, full: bool) -> Iterator[pa.Table]:
    """SQLite: the answers of a page of HITs at a time, each page read in a transaction of its own."""
    schema = builder.answer_row_types(full=full)
    statement: Select[Any] = builder.answer_statement(full=full)
    after = 0
    while True:
        with rt.sessions() as db:
            hit_ids = db.scalars(select(H.id).where(H.batch_id == builder.batch.id, H.id > after)
                                 .order_by(H.id).limit(page_size)).all()
            if not hit_ids:
                return
            rows = db.execute(statement.where(H.id.between(hit_ids[0], hit_ids[-1]))).all()
        after = hit_ids[-1]
        if rows:
            columns = dict(zip(schema.names, zip(*rows, strict=True), strict=True))
            for name in export_records.TIMES:
                if name in columns:
                    columns[name] = tuple(None if moment is None else utc_text(moment) for moment in columns[name])
            yield pa.Table.from_arrays([pa.array(columns[field.name], field.type) for field in schema], schema=schema)
