"""CSV and JSON Lines, written from tables (``exports.tables``): one flat row per record, readable by pandas as
they are."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from exports.base import TableContext
from exports.tables import TableLayout


class JsonlWriter:
    """One JSON object per line, UTF-8; values keep their JSON types (lists of labels, boxes, spans,
    survey answers), input columns are text (see ``exports.tables``), times ISO 8601 in UTC.

    The lines are made by Arrow's compute functions a column at a time (``json_lines``), never a Python
    object per row: a million rows take about a second."""

    def __init__(self, target: Path, context: TableContext) -> None:
        self._layout = context.layout
        self._file = context.resources.enter_context(context.files.claim(target).open("wb"))

    def write_table(self, table: pa.Table) -> None:
        for chunk in json_lines(table, self._layout).chunks:
            self._file.write(string_bytes(chunk))

    def finish(self) -> None:
        pass


def json_lines(table: pa.Table, layout: TableLayout) -> pa.ChunkedArray:
    """Each row of the table as one line of JSON (newline included)."""
    if table.num_rows == 0:
        return pa.chunked_array([], pa.string())
    parts: list[Any] = []
    for number, name in enumerate(table.column_names):
        parts.append(("{" if number == 0 else ",") + json.dumps(name, ensure_ascii=False) + ":")
        parts.append(_json_values(table.column(name), layout.kind(name)))
    return pc.binary_join_element_wise(*parts, "}\n", "")


def _json_values(column: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """A column's values as JSON text, null as null."""
    if kind == "json":
        text = column
    elif kind == "time":  # ISO 8601 text: nothing to escape
        text = pc.binary_join_element_wise('"', column, '"', "")
    elif kind == "float":
        text = pc.cast(pc.if_else(pc.is_finite(column), column, None), pa.string())
        whole = pc.match_substring_regex(text, r"^-?[0-9]+$")  # 32.0 stays a float: 32.0, not 32
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    elif kind in ("int", "bool"):
        text = pc.cast(column, pa.string())
    else:
        text = _json_strings(column)
    return pc.fill_null(text, "null")


CONTROL = re.compile(r"[\x00-\x1f]")
SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_strings(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strings as JSON strings: quoted, with backslash, quote and control characters escaped."""
    text = pc.replace_substring(column, "\\", "\\\\")
    text = pc.replace_substring(text, '"', '\\"')
    if pc.any(pc.match_substring_regex(text, CONTROL.pattern)).as_py():
        for code in range(0x20):
            character = chr(code)
            text = pc.replace_substring(text, character, SHORT_ESCAPES.get(character, f"\\u{code:04x}"))
    return pc.binary_join_element_wise('"', text, '"', "")


def string_bytes(array: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array without nulls, all its values one after the other."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    data = array.buffers()[2]
    return memoryview(data)[offsets[0]:offsets[-1]] if data is not None else memoryview(b"")


class CsvWriter:
    """A header row, then one row per record; lists and objects (multi-label values, boxes, spans,
    survey answers) are JSON text in their cell, times ISO 8601 in UTC, booleans true/false, nothing
    (null) an empty cell. Written by pyarrow's CSV writer (quoting where a cell needs it)."""

    def __init__(self, target: Path, context: TableContext) -> None:
        self._layout = context.layout
        self._file = context.resources.enter_context(context.files.claim(target).open("wb"))
        self._writer: pa_csv.CSVWriter | None = None

    def write_table(self, table: pa.Table) -> None:
        cells = pa.table({name: self._cells(name, table.column(name)) for name in table.column_names})
        if self._writer is None:
            self._writer = pa_csv.CSVWriter(self._file, cells.schema,
                                            write_options=pa_csv.WriteOptions(quoting_style="needed"))
        self._writer.write_table(cells)

    def _cells(self, name: str, column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
        kind = self._layout.kind(name)
        if kind == "json":  # a JSON string's cell is the string itself; lists and objects stay JSON
            return pa.array([text if text is None or not text.startswith('"') else json.loads(text)
                             for text in column.to_pylist()], pa.string())
        return column

    def finish(self) -> None:
        if self._writer is None:
            self.write_table(self._layout.schema.empty_table())
        if self._writer is not None:
            self._writer.close()
