"""Parquet for pandas, pyarrow and Hugging Face ``datasets``, with a dataset card.

The columns are the tabular rows' (``exports.rows``). Labels are stored as ``datasets`` stores a
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile

import pyarrow as pa
import pyarrow.parquet as pq

from annotators.base import AnswerShape
from exports.base import ExportError, Record, WriteContext, split_name
from exports.card import CardColumn, CardFile, dataset_card
from exports.records import ExportMeta
from exports.rows import Column, RowLayout, cell_text, json_text

ROW_GROUP_ROWS = 10_000
ROW_GROUP_CHARACTERS = 32 * 2**20  # of text held before a row group is written
PAIRWISE_NAMES = ("a", "b", "tie")
TIME = pa.timestamp("us", tz="UTC")
# Column kind -> (Arrow type, datasets' Value dtype)
KINDS: dict[str, tuple[pa.DataType, str]] = {
    "string": (pa.string(), "string"), "int": (pa.int64(), "int64"), "float": (pa.float64(), "float64"),
    "bool": (pa.bool_(), "bool"), "time": (TIME, "timestamp[us, tz=UTC]"),
}
Encode = Callable[[Any, str], Any]  # (value, hit id) -> what pyarrow is given


@dataclass(frozen=True, slots=True)
class ValueType:
    """How values of the batch's answer shape are stored: Arrow type, ``datasets`` feature, encoder."""

    arrow: pa.DataType
    feature: Any
    encode: Encode


def value_type(meta: ExportMeta) -> ValueType:
    names = meta.labels or (PAIRWISE_NAMES if meta.shape is AnswerShape.PAIRWISE else ())
    label = _label_type(names)
    if meta.shape in (AnswerShape.CATEGORICAL, AnswerShape.ORDINAL, AnswerShape.PAIRWISE):
        return label
    if meta.shape is AnswerShape.MULTI_LABEL:
        return ValueType(pa.list_(label.arrow), [label.feature],
                         lambda labels, hit: [label.encode(item, hit) for item in labels])
    if meta.shape is AnswerShape.BOXES:
        return _records_type(("x", "y", "w", "h"), pa.float64(), label)
    if meta.shape is AnswerShape.SPANS:
        return _records_type(("start", "end"), pa.int64(), label)
    if meta.shape is AnswerShape.TEXT:
        return ValueType(pa.string(), _value("string"), lambda text, hit: text)
    return ValueType(pa.string(), _value("string"), lambda value, hit: json_text(value))


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


class _Part:
    """One Parquet file being written, its rows buffered up to a row group."""

    def __init__(self, path: Path, schema: pa.Schema, context: WriteContext) -> None:
        self.path = path
        self.rows = 0
        self._schema = schema
        self._writer = pq.ParquetWriter(path, schema)
        context.resources.callback(self._writer.close)
        self._buffer: list[dict[str, Any]] = []
        self._characters = 0

    def add(self, row: dict[str, Any], characters: int) -> None:
        self._buffer.append(row)
        self._characters += characters
        self.rows += 1
        if len(self._buffer) >= ROW_GROUP_ROWS or self._characters >= ROW_GROUP_CHARACTERS:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            try:
                table = pa.Table.from_pylist(self._buffer, schema=self._schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ExportError(f"a record does not fit the Parquet column types: {exc}") from None
            self._writer.write_table(table)
        self._buffer, self._characters = [], 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


class ParquetWriter:
    def __init__(self, target: Path, context: WriteContext) -> None:
        self._meta = context.required_meta
        self._context = context
        self._target = target
        self._zipped = target.suffix.lower() == ".zip"
        self._layout = RowLayout(answers=context.answers, with_split=context.split_column)
        self._value = value_type(self._meta)
        self._columns: list[tuple[Column, pa.DataType, Any]] = []
        self._encoders: list[tuple[str, Encode]] = []  # the columns whose values need converting
        self._schema: pa.Schema | None = None
        self._parts: dict[str, _Part] = {}
        self._single = target.stem

    def write(self, record: Record) -> bool:
        schema = self._schema or self._start(self._meta.input_columns or tuple(record.item))
        part_name = split_name(record) if self._context.split_files else self._single
        part = self._parts.get(part_name) or self._open(part_name, schema)
        part.add(*self._encode(record))
        return True

    def finish(self) -> None:
        schema = self._schema or self._start(self._meta.input_columns)
        if not self._parts and not self._context.split_files:
            self._open(self._single, schema)
        for part in self._parts.values():
            part.close()
        files = [CardFile(name if self._context.split_files else "train", self._file_name(name), part.rows)
                 for name, part in self._parts.items()]
        card = dataset_card(meta=self._meta, answers=self._context.answers, files=files,
                            columns=[CardColumn(column.name, str(arrow), column.description)
                                     for column, arrow, _ in self._columns])
        if self._zipped:
            self._zip(card)
        else:
            self._context.files.claim(self._target.with_name(f"{self._target.stem}.README.md")).write_text(
                card, encoding="utf-8")

    def _start(self, inputs: tuple[str, ...]) -> pa.Schema:
        """The schema, fixed by the first record: the input columns are the configuration's, else
        that record's (input columns other records add are left out)."""
        columns = [*self._layout.head, *self._layout.input_columns(inputs), *self._layout.tail]
        self._columns = [(column, *self._types(column)) for column in columns]
        self._encoders = [(column.name, self._value.encode if column.kind == "value" else PLAIN_ENCODERS[column.kind])
                          for column in columns if column.kind in ("value", *PLAIN_ENCODERS)]
        features = {column.name: feature for column, _, feature in self._columns}
        metadata = {"huggingface": json.dumps({"info": {"features": features}}, ensure_ascii=False)}
        self._schema = pa.schema([(column.name, arrow) for column, arrow, _ in self._columns], metadata=metadata)
        return self._schema

    def _types(self, column: Column) -> tuple[pa.DataType, Any]:
        if column.kind == "value":
            return self._value.arrow, self._value.feature
        arrow, dtype = KINDS[column.kind]
        return arrow, _value(dtype)

    def _encode(self, record: Record) -> tuple[dict[str, Any], int]:
        """The record's row as pyarrow takes it, and the characters of text it holds."""
        row = self._layout.row(record)
        for name, encode in self._encoders:
            value = row.get(name)
            if value is not None:
                row[name] = encode(value, record.hit_id)
        return row, sum(len(value) for value in row.values() if isinstance(value, str))

    def _open(self, name: str, schema: pa.Schema) -> _Part:
        if self._zipped:
            path = self._context.files.scratch(self._target)
        else:
            path = self._context.files.claim(self._target.parent / self._file_name(name))
        self._parts[name] = part = _Part(path, schema, self._context)
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


def _text(value: Any, hit_id: str) -> str:
    return value if isinstance(value, str) else cell_text(value)


def _utc(value: Any, hit_id: str) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


PLAIN_ENCODERS: dict[str, Encode] = {"string": _text, "time": _utc}
