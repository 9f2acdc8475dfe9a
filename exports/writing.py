"""``write``: stream records into one export format, all or nothing; ``write_tables``: the same from tables
(``exports.tables``) for the tabular formats."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import pyarrow as pa

from exports.base import (
    ExportError,
    ExportFormatError,
    OutputFiles,
    Record,
    TableContext,
    TableWriter,
    TableWriterFactory,
    WriteContext,
    Writer,
    WriterFactory,
    checked_split,
    split_name,
)
from exports.formats import TABULAR, Format, check_fits, formats_without_meta, get_format, holds
from exports.records import AnswerRecord, ConsensusRecord, ExportMeta
from exports.rows import SPLIT
from exports.tables import TableLayout, split_parts


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """``path``: the path asked for; ``paths``: the files written (one per split with ``split_files``,
    a Parquet card beside its data). ``records``: records written; ``skipped``: records without a
    value the format could hold (no consensus yet). ``bytes``: the files' total size."""

    path: Path
    paths: tuple[Path, ...]
    records: int
    skipped: int
    bytes: int


def write(records: Iterable[ConsensusRecord | AnswerRecord], format: str, path: str | Path, *,
          meta: ExportMeta | None = None, split_files: bool = False,
          on_record: Callable[[], None] | None = None, answers: bool | None = None,
          include_images: bool = False) -> ExportSummary:
    """Write ``records`` to ``path`` in ``format`` (one of ``FORMATS``), streaming: memory stays flat
    however many records the iterator yields.

    ``meta`` describes the batch; csv, jsonl and mturk-csv can do without it. ``answers``: the records
    are AnswerRecords (default: judged from the first record). ``split_files``: one file per record
    split, ``<stem>.<split><suffix>`` (Parquet: those files and one card; YOLO and VOC keep splits as
    folders in their zip whether or not this is set).
    ``on_record`` is called after each record. ``include_images`` copies stored images into YOLO and VOC
    zips. Every file goes to a temporary name and is renamed into place only when all succeeded.
    Raises ExportFormatError (unknown format, or one that does not fit) and ExportError (records that
    cannot be written), before or instead of writing anything."""
    spec = get_format(format)
    stream = iter(records)
    first = next(stream, None)
    is_answers = isinstance(first, AnswerRecord) if answers is None else answers
    _check_request(spec, meta, answers=is_answers)
    target = _checked_target(Path(path))
    has_splits = first is not None and first.split is not None
    checked = _same_kind(chain([first], stream) if first is not None else stream, answers=is_answers)
    if spec.open_tables is not None:
        layout = TableLayout.for_records(meta, answers=is_answers, with_split=has_splits,
                                         first_item=first.item if first is not None else {})
        return _write_tables(spec, layout.tables(_counted(checked, on_record)), layout, target, meta=meta,
                             split_files=split_files)
    if spec.open is None:
        raise ExportFormatError(f"the {spec.name} format has no writer")
    open_writer = spec.open
    written = skipped = 0
    with OutputFiles() as files, ExitStack() as resources:
        context = WriteContext(meta=meta, answers=is_answers, has_splits=has_splits, split_files=split_files,
                               include_images=include_images, files=files, resources=resources)
        writer: Writer = open_writer(target, context) if spec.own_splits or not split_files \
            else SplitFiles(open_writer, target, context)
        for record in checked:
            if writer.write(record):
                written += 1
            else:
                skipped += 1
            if on_record is not None:
                on_record()
        writer.finish()
    return ExportSummary(path=target, paths=files.outputs, records=written, skipped=skipped,
                         bytes=sum(output.stat().st_size for output in files.outputs))


def write_tables(tables: Iterable[pa.Table], format: str, path: str | Path, *, layout: TableLayout,
                 meta: ExportMeta | None = None, split_files: bool = False) -> ExportSummary:
    """Write tables of ``layout`` (``exports.tables``) to ``path`` in a tabular format (csv, jsonl,
    parquet): what a caller that reads its records' columns straight from a database gives instead of
    records. Otherwise as ``write``; ExportError for a table that is not of the layout."""
    spec = get_format(format)
    if spec.open_tables is None:
        raise ExportFormatError(f"the {format} format is written from records, not tables; tabular formats: "
                                f"{', '.join(TABULAR)}")
    _check_request(spec, meta, answers=layout.answers)
    return _write_tables(spec, tables, layout, _checked_target(Path(path)), meta=meta, split_files=split_files)


def _write_tables(spec: Format, tables: Iterable[pa.Table], layout: TableLayout, target: Path, *,
                  meta: ExportMeta | None, split_files: bool) -> ExportSummary:
    assert spec.open_tables is not None
    open_writer = spec.open_tables
    rows = 0
    with OutputFiles() as files, ExitStack() as resources:
        context = TableContext(layout=layout, meta=meta, split_files=split_files, files=files, resources=resources)
        writer: TableWriter = open_writer(target, context) if spec.own_splits or not split_files \
            else SplitTables(open_writer, target, context)
        for table in tables:
            if not table.schema.equals(layout.schema):
                raise ExportError(f"a table's columns are not the export's: {table.schema.names} instead of "
                                  f"{layout.schema.names}")
            if split_files and SPLIT.name not in table.column_names and table.num_rows:
                checked_split(None, table.column("hit_id")[0].as_py())
            writer.write_table(table)
            rows += table.num_rows
        writer.finish()
    return ExportSummary(path=target, paths=files.outputs, records=rows, skipped=0,
                         bytes=sum(output.stat().st_size for output in files.outputs))


def _counted(records: Iterable[Record], on_record: Callable[[], None] | None) -> Iterator[Record]:
    for record in records:
        yield record
        if on_record is not None:
            on_record()


class SplitFiles:
    """One writer per split, each to ``<stem>.<split><suffix>`` beside the path asked for."""

    def __init__(self, open_writer: WriterFactory, target: Path, context: WriteContext) -> None:
        self._open, self._target, self._context = open_writer, target, context
        self._writers: dict[str, Writer] = {}

    def write(self, record: Record) -> bool:
        split = split_name(record)
        if split not in self._writers:
            self._writers[split] = self._open(split_path(self._target, split), self._context)
        return self._writers[split].write(record)

    def finish(self) -> None:
        for writer in self._writers.values():
            writer.finish()


class SplitTables:
    """SplitFiles for tables: each table's rows go to their split's writer, without the split column."""

    def __init__(self, open_writer: TableWriterFactory, target: Path, context: TableContext) -> None:
        self._open, self._target, self._context = open_writer, target, context
        self._writers: dict[str, TableWriter] = {}

    def write_table(self, table: pa.Table) -> None:
        for split, part in split_parts(table):
            if split not in self._writers:
                self._writers[split] = self._open(split_path(self._target, split), self._context)
            self._writers[split].write_table(part)

    def finish(self) -> None:
        for writer in self._writers.values():
            writer.finish()


def split_path(target: Path, split: str) -> Path:
    return target.with_name(f"{target.stem}.{split}{target.suffix}")


def _check_request(spec: Format, meta: ExportMeta | None, *, answers: bool) -> None:
    if meta is not None:
        check_fits(spec.name, meta, answers=answers)
        return
    if spec.needs_meta:
        raise ExportFormatError(f"the {spec.name} format needs the batch's ExportMeta (its answer shape, labels "
                                "and item columns): pass meta=...; without it: "
                                f"{', '.join(formats_without_meta(answers=answers))}")
    if not holds(spec, answers=answers):
        kind = "answers" if answers else "consensus labels"
        raise ExportFormatError(f"the {spec.name} format does not hold {kind}; formats that do: "
                                f"{', '.join(formats_without_meta(answers=answers))}")


def _checked_target(target: Path) -> Path:
    if target.is_dir():
        raise ExportError(f"{target} is a folder: give the path of the file to write")
    if not target.parent.is_dir():
        raise ExportError(f"the folder {target.parent} does not exist")
    return target


def _same_kind(records: Iterable[object], *, answers: bool) -> Iterator[Record]:
    kind = AnswerRecord if answers else ConsensusRecord
    for number, record in enumerate(records, start=1):
        if not isinstance(record, kind):
            raise ExportError(f"record {number} ({type(record).__name__}) does not belong in an export of "
                              f"{kind.__name__}s: consensus and answers go to separate exports")
        yield record
