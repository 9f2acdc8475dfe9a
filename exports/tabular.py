"""CSV and JSON Lines: one flat row per record (see ``exports.rows``), readable by pandas as they are."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from exports.base import Record, WriteContext
from exports.rows import RowLayout, cell_text, json_text


class JsonlWriter:
    """One JSON object per line, UTF-8; values keep their JSON types (lists of labels, boxes, spans)."""

    def __init__(self, target: Path, context: WriteContext) -> None:
        self._layout = RowLayout(answers=context.answers, with_split=context.split_column)
        self._file = context.resources.enter_context(
            context.files.claim(target).open("w", encoding="utf-8", newline="\n"))

    def write(self, record: Record) -> bool:
        self._file.write(json_text(self._layout.row(record)) + "\n")
        return True

    def finish(self) -> None:
        pass


class CsvSpool:
    """Rows kept in a scratch JSON-lines file until every column is known: a CSV's header comes
    first, but the input (and MTurk answer) columns are known only once every record has been seen."""

    def __init__(self, target: Path, context: WriteContext) -> None:
        self._target = context.files.claim(target)
        self._file = context.resources.enter_context(
            context.files.scratch(target).open("w+", encoding="utf-8", newline="\n"))
        self._seen: dict[str, None] = {}

    def add(self, row: dict[str, Any]) -> None:
        for name in row:
            self._seen.setdefault(name)
        self._file.write(json_text(row) + "\n")

    @property
    def columns_seen(self) -> list[str]:
        """Every column name added, in first-seen order."""
        return list(self._seen)

    def write_csv(self, header: list[str], *, quote_all: bool = False) -> None:
        self._file.seek(0)
        with self._target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=header, restval="",
                                    quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
            writer.writeheader()
            for line in self._file:
                writer.writerow({name: cell_text(value) for name, value in json.loads(line).items()})


class CsvWriter:
    """A header row, then one row per record; lists and objects (multi-label values, boxes, spans,
    survey answers) are JSON text in their cell, times ISO 8601 in UTC, booleans true/false."""

    def __init__(self, target: Path, context: WriteContext) -> None:
        self._layout = RowLayout(answers=context.answers, with_split=context.split_column)
        self._spool = CsvSpool(target, context)

    def write(self, record: Record) -> bool:
        self._spool.add(self._layout.row(record))
        return True

    def finish(self) -> None:
        head = [column.name for column in self._layout.head]
        tail = [column.name for column in self._layout.tail]
        self._spool.write_csv(ordered(head, self._spool.columns_seen, tail))


def ordered(head: list[str], seen: Iterable[str], tail: list[str],
            middle_order: Callable[[list[str]], list[str]] = list) -> list[str]:
    """``head``, then the columns seen that are in neither (in ``middle_order``), then ``tail``."""
    fixed = set(head) | set(tail)
    return [*head, *middle_order([name for name in seen if name not in fixed]), *tail]
