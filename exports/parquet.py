"""Parquet for pandas, pyarrow and Hugging Face ``datasets``, with a dataset card.

The columns are the tables' (``exports.tables``). Labels are stored as ``datasets`` stores a
``ClassLabel``: int64 class ids in the configuration's order, the names kept in the schema's
``huggingface`` metadata, so ``Dataset.from_parquet`` yields ``ClassLabel`` features (lists of them for
multi-label, and inside boxes and spans). Input columns are strings as uploaded; times are UTC
timestamps; survey answers are JSON text. Rows are written in row groups of bounded size.

A path ending in ``.zip`` gets a Hugging Face dataset repository: ``README.md`` (the card) and
``data/<split>.parquet``. Any other path gets the Parquet file(s) and the card as ``<stem>.README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from annotators.base import AnswerShape
from exports.base import ExportError, TableContext
from exports.card import CardColumn, CardFile, dataset_card
from exports.records import ExportMeta
from exports.rows import SPLIT, Column, json_text
from exports.tables import TIME, split_parts

ROW_GROUP_ROWS = 10_000
PAIRWISE_NAMES = ("a", "b", "tie")
# Column kind -> (Arrow type, datasets' Value dtype)
KINDS: dict[str, tuple[pa.DataType, str]] = {
    "string": (pa.string(), "string"), "int": (pa.int64(), "int64"), "float": (pa.float64(), "float64"),
    "bool": (pa.bool_(), "bool"), "time": (TIME, "timestamp[us, tz=UTC]"),
}
Encode = Callable[[Any, str], Any]  # (value, hit id) -> what pyarrow is given


@dataclass(frozen=True, slots=True)
class ValueType:
    """How values of the batch's answer shape are stored: Arrow type, ``datasets`` feature, and how a
    value column of the tables (``exports.tables``: a label, a text or JSON text) becomes one."""

    arrow: pa.DataType
    feature: Any
    encode: Encode  # one value (parsed) -> what pyarrow is given
    class_ids: pa.Array | None = None  # single labels: the names, whose positions are the class ids
    from_json: bool = True  # the tables hold the value as JSON text, to be parsed and encoded

    def column(self, values: pa.ChunkedArray, hit_ids: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
        if self.class_ids is not None:
            return self._class_ids(values, hit_ids)
        if not self.from_json:
            return values
        encoded = [None if text is None else self.encode(json.loads(text), hit)
                   for text, hit in zip(values.to_pylist(), hit_ids.to_pylist(), strict=True)]
        try:
            return pa.array(encoded, self.arrow)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise ExportError(f"a value does not fit the Parquet column type {self.arrow}: {exc}") from None

    def _class_ids(self, labels: pa.ChunkedArray, hit_ids: pa.ChunkedArray) -> pa.ChunkedArray:
        ids = pc.index_in(labels, value_set=self.class_ids)
        unknown = pc.and_(pc.is_valid(labels), pc.is_null(ids))
        if pc.any(unknown).as_py():
            row = pc.index(unknown, True).as_py()
            self.encode(labels[row].as_py(), hit_ids[row].as_py())  # raises ExportError naming the label
        return ids.cast(pa.int64())


def value_type(meta: ExportMeta) -> ValueType:
    names = meta.labels or (PAIRWISE_NAMES if meta.shape is AnswerShape.PAIRWISE else ())
    label = _label_type(names)
    if meta.shape in (AnswerShape.CATEGORICAL, AnswerShape.ORDINAL, AnswerShape.PAIRWISE):
        return replace(label, class_ids=pa.array(names, pa.string()) if names else None, from_json=False)
    if meta.shape is AnswerShape.MULTI_LABEL:
        return ValueType(pa.list_(label.arrow), [label.feature],
                         lambda labels, hit: [label.encode(item, hit) for item in labels])
    if meta.shape is AnswerShape.BOXES:
        return _records_type(("x", "y", "w", "h"), pa.float64(), label)
    if meta.shape is AnswerShape.SPANS:
        return _records_type(("start", "end"), pa.int64(), label)
    if meta.shape is AnswerShape.TEXT:
        return ValueType(pa.string(), _value("string"), lambda text, hit: text, from_json=False)
    return ValueType(pa.string(), _value("string"), lambda value, hit: json_text(value), from_json=False)


def _label_type(names: tuple[str, ...]) -> ValueType:
    if not names:
        return ValueType(pa.string(), _value("string"), lambda label, hit: label)
    ids = {name: n for n, name in enumerate(names)}

    def encode(label: Any, hit_id: str) -> int:
        try:
            return ids[label]
        except (KeyError, TypeError):
            raise ExportError(f"HIT {hit_id}'s label {label!r} is not one of the batch's labels "
                              f"({', '.join(names)})") from None
    return ValueType(pa.int64(), {"_type": "ClassLabel", "names": list(names)}, encode)


def _records_type(numbers: tuple[str, ...], number: pa.DataType, label: ValueType) -> ValueType:
    """A list of [number..., label] rows (boxes, spans) as a list of structs."""
    dtype = "float64" if number == pa.float64() else "int64"
    arrow = pa.list_(pa.struct([*((name, number) for name in numbers), ("label", label.arrow)]))
    feature = [{**{name: _value(dtype) for name in numbers}, "label": label.feature}]

    def encode(rows: Any, hit_id: str) -> list[dict[str, Any]]:
        return [dict(zip(numbers, row[:-1], strict=True)) | {"label": label.encode(row[-1], hit_id)}
                for row in rows]
    return ValueType(arrow, feature, encode)


def _value(dtype: str) -> dict[str, str]:
    return {"_type": "Value", "dtype": dtype}


class ParquetWriter:
    """The tables' rows with each value column encoded for ``datasets`` (``value_type``), one file per
    split with ``split_files`` (this format keeps its splits itself), and the dataset card."""

    def __init__(self, target: Path, context: TableContext) -> None:
        self._meta = context.required_meta
        self._context = context
        self._target = target
        self._zipped = target.suffix.lower() == ".zip"
        self._value = value_type(self._meta)
        self._columns = [(column, *self._types(column)) for column in context.layout.columns
                         if not (context.split_files and column.name == SPLIT.name)]
        features = {column.name: feature for column, _, feature in self._columns}
        metadata = {"huggingface": json.dumps({"info": {"features": features}}, ensure_ascii=False)}
        self._schema = pa.schema([(column.name, arrow) for column, arrow, _ in self._columns], metadata=metadata)
        self._parts: dict[str, _Part] = {}

    def write_table(self, table: pa.Table) -> None:
        parts = split_parts(table) if self._context.split_files else [(self._target.stem, table)]
        for name, rows in parts:
            part = self._parts.get(name) or self._open(name)
            part.write(self._encoded(rows))

    def finish(self) -> None:
        if not self._parts and not self._context.split_files:
            self._open(self._target.stem)
        for part in self._parts.values():
            part.close()
        files = [CardFile(name if self._context.split_files else "train", self._file_name(name), part.rows)
                 for name, part in self._parts.items()]
        card = dataset_card(meta=self._meta, answers=self._context.layout.answers, files=files,
                            columns=[CardColumn(column.name, str(arrow), column.description)
                                     for column, arrow, _ in self._columns])
        if self._zipped:
            self._zip(card)
        else:
            self._context.files.claim(self._target.with_name(f"{self._target.stem}.README.md")).write_text(
                card, encoding="utf-8")

    def _types(self, column: Column) -> tuple[pa.DataType, Any]:
        if column.kind == "value":
            return self._value.arrow, self._value.feature
        arrow, dtype = KINDS[column.kind]
        return arrow, _value(dtype)

    def _encoded(self, table: pa.Table) -> pa.Table:
        """The table in this file's schema: value columns as class ids, lists of them or structs."""
        hit_ids = table.column("hit_id")
        arrays = [self._value.column(table.column(column.name), hit_ids) if column.kind == "value"
                  else pc.cast(table.column(column.name), TIME) if column.kind == "time"
                  else table.column(column.name) for column, _, _ in self._columns]
        return pa.Table.from_arrays(arrays, schema=self._schema)

    def _open(self, name: str) -> _Part:
        if self._zipped:
            path = self._context.files.scratch(self._target)
        else:
            path = self._context.files.claim(self._target.parent / self._file_name(name))
        self._parts[name] = part = _Part(path, self._schema, self._context)
        return part

    def _file_name(self, name: str) -> str:
        """The part's file name: in the zip ``data/<name>.parquet``, else beside the target."""
        if self._zipped:
            return f"data/{name}.parquet"
        if not self._context.split_files:
            return self._target.name
        return f"{self._target.stem}.{name}{self._target.suffix or '.parquet'}"

    def _zip(self, card: str) -> None:
        with ZipFile(self._context.files.claim(self._target), "w", ZIP_DEFLATED) as archive:
            archive.writestr("README.md", card)
            for name, part in self._parts.items():
                archive.write(part.path, self._file_name(name), compress_type=ZIP_STORED)


class _Part:
    """One Parquet file being written, in row groups of at most ROW_GROUP_ROWS."""

    def __init__(self, path: Path, schema: pa.Schema, context: TableContext) -> None:
        self.path = path
        self.rows = 0
        self._writer = pq.ParquetWriter(path, schema)
        context.resources.callback(self._writer.close)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
