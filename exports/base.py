"""The writer contract: what every format's writer is given (``WriteContext``), what it must do
(``Writer``), and the errors an export raises."""

from __future__ import annotations

import os
import re
import secrets
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from exports.records import AnswerRecord, ConsensusRecord, ExportMeta

if TYPE_CHECKING:
    import pyarrow as pa

    from exports.tables import TableLayout

Record = ConsensusRecord | AnswerRecord
SPLIT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ExportError(ValueError):
    """Records or arguments an export cannot be written from; nothing was written."""


class ExportFormatError(ExportError):
    """An unknown format, or one that does not fit the batch's answer shape or record kind. The message
    names the formats that do."""


class Writer(Protocol):
    """One output of one format. Created with its final path and the context; ``write`` is called once
    per record, then ``finish`` once. Files are opened through ``context.files`` so a failed export
    leaves nothing behind."""

    def write(self, record: Record) -> bool:
        """Add one record; False when the record has nothing this format can hold (no consensus yet)."""
        ...

    def finish(self) -> None:
        """Complete the output after the last record."""
        ...


class OutputFiles:
    """Every file an export writes goes to a hidden temporary name beside its final path and is renamed
    over it only when the whole export succeeded; scratch files are removed either way."""

    def __init__(self) -> None:
        self._claimed: dict[Path, Path] = {}
        self._scratch: list[Path] = []

    def claim(self, final: Path) -> Path:
        """The temporary path to write ``final``'s content to."""
        if final in self._claimed:
            raise ExportError(f"two outputs of this export would both be {final}")
        temporary = final.with_name(f".{final.name}.{secrets.token_hex(6)}.partial")
        self._claimed[final] = temporary
        return temporary

    def scratch(self, near: Path) -> Path:
        """A temporary path in ``near``'s folder for intermediate data (removed at the end)."""
        path = near.with_name(f".{near.name}.{secrets.token_hex(6)}.scratch")
        self._scratch.append(path)
        return path

    @property
    def outputs(self) -> tuple[Path, ...]:
        return tuple(self._claimed)

    def __enter__(self) -> OutputFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for path in self._scratch:
            path.unlink(missing_ok=True)
        if kind is None:
            for final, temporary in self._claimed.items():
                os.replace(temporary, final)
        else:
            for temporary in self._claimed.values():
                temporary.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class WriteContext:
    """What a writer needs besides its path. ``answers``: the records are AnswerRecords.
    ``has_splits``: the records carry splits; ``split_files``: one output per split, else rows carry
    a ``split`` column (``split_column``). ``resources`` closes open files before the outputs are
    renamed or removed."""

    meta: ExportMeta | None
    answers: bool
    has_splits: bool
    split_files: bool
    include_images: bool
    files: OutputFiles
    resources: ExitStack

    @property
    def split_column(self) -> bool:
        return self.has_splits and not self.split_files

    @property
    def required_meta(self) -> ExportMeta:
        if self.meta is None:  # write() refuses earlier; this guards direct use of a writer
            raise ExportError("this format needs the batch's ExportMeta")
        return self.meta


def split_name(record: Record) -> str:
    """The record's split, checked to be usable as a file or folder name."""
    return checked_split(record.split, record.hit_id)


def checked_split(split: str | None, hit_id: str) -> str:
    """A split of HIT ``hit_id``, checked to be there and usable as a file or folder name."""
    if split is None:
        raise ExportError(f"HIT {hit_id} has no split, but the export puts each split in its own "
                          "file or folder: give every record one (exports.assign_splits)")
    if not SPLIT_NAME.match(split):
        raise ExportError(f"HIT {hit_id}'s split {split!r} is not a usable name "
                          "(letters, digits, _ and -)")
    return split


def consensus_only(record: Record, format_name: str) -> ConsensusRecord:
    if not isinstance(record, ConsensusRecord):
        raise ExportError(f"{format_name} holds consensus records (one per HIT), not answers")
    return record


class WriterFactory(Protocol):
    def __call__(self, target: Path, context: WriteContext) -> Writer: ...


class TableWriter(Protocol):
    """One output of a tabular format (CSV, JSONL, Parquet): ``write_table`` is called with each table
    of the export's layout (``exports.tables``), then ``finish`` once."""

    def write_table(self, table: pa.Table) -> None: ...

    def finish(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TableContext:
    """What a table writer needs besides its path: the tables' layout, the batch (Parquet needs it),
    whether each split goes to its own output (the tables given then have no ``split`` column, except
    to a format that keeps splits itself), and the export's files and open resources."""

    layout: TableLayout
    meta: ExportMeta | None
    split_files: bool
    files: OutputFiles
    resources: ExitStack

    @property
    def required_meta(self) -> ExportMeta:
        if self.meta is None:  # write() refuses earlier; this guards direct use of a writer
            raise ExportError("this format needs the batch's ExportMeta")
        return self.meta


class TableWriterFactory(Protocol):
    def __call__(self, target: Path, context: TableContext) -> TableWriter: ...
