"""``write``: stream records into one export format, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from exports.base import ExportError, ExportFormatError, OutputFiles, Record, WriteContext, Writer, split_name
from exports.formats import Format, check_fits, formats_without_meta, get_format, holds
from exports.records import AnswerRecord, ConsensusRecord, ExportMeta


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
    written = skipped = 0
    with OutputFiles() as files, ExitStack() as resources:
        context = WriteContext(meta=meta, answers=is_answers, has_splits=first is not None and first.split is not None,
                               split_files=split_files, include_images=include_images, files=files,
                               resources=resources)
        writer: Writer = spec.open(target, context) if spec.own_splits or not split_files \
            else SplitFiles(spec, target, context)
        for record in _same_kind(chain([first], stream) if first is not None else stream, answers=is_answers):
            if writer.write(record):
                written += 1
            else:
                skipped += 1
            if on_record is not None:
                on_record()
        writer.finish()
    return ExportSummary(path=target, paths=files.outputs, records=written, skipped=skipped,
                         bytes=sum(output.stat().st_size for output in files.outputs))


class SplitFiles:
    """One writer per split, each to ``<stem>.<split><suffix>`` beside the path asked for."""

    def __init__(self, spec: Format, target: Path, context: WriteContext) -> None:
        self._spec, self._target, self._context = spec, target, context
        self._writers: dict[str, Writer] = {}

    def write(self, record: Record) -> bool:
        split = split_name(record)
        if split not in self._writers:
            path = self._target.with_name(f"{self._target.stem}.{split}{self._target.suffix}")
            self._writers[split] = self._spec.open(path, self._context)
        return self._writers[split].write(record)

    def finish(self) -> None:
        for writer in self._writers.values():
            writer.finish()


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
