"""The tabular formats (CSV, JSONL, Parquet) write Arrow tables of one fixed layout: the record's ids,
the HIT's input columns, then the record's fields (``exports.rows`` names and describes them).

``TableLayout.table`` makes such a table from records. A caller that reads its records' columns
straight from a database builds tables of the same layout itself (``TableLayout.schema``): a million
answer rows then never become a million Python objects, which is what lets them be written in seconds.

How values are held in a table:

- input columns: text. A string as uploaded; any other JSON value (a number, true, a list) as its JSON
  text, the way a CSV cell shows it.
- ``value``, ``gold`` and ``reviewed_value``: for single labels, pairwise choices and texts
  (``TableLayout.values_as_text``) the label or text itself; for every other shape (lists of labels,
  boxes, spans, survey answers, and batches without an ExportMeta) the value's JSON text.
- times: ISO 8601 text in UTC (``2026-03-02T09:30:00.25+00:00``), as JSON Lines and CSV show them;
  Parquet parses them into timestamps, which costs a fraction of formatting timestamps as text.
- floats that are NaN or infinite: null.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from annotators.base import AnswerShape
from exports.base import ExportError, Record, checked_split
from exports.records import ExportMeta
from exports.rows import SPLIT, Column, RowLayout, finite, json_text, utc_text

TIME = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[str, pa.DataType] = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(),
                                       "bool": pa.bool_(), "time": pa.string(), "value": pa.string()}
TEXT_VALUE_SHAPES = frozenset({AnswerShape.CATEGORICAL, AnswerShape.ORDINAL, AnswerShape.PAIRWISE,
                               AnswerShape.TEXT})
TABLE_ROWS = 10_000  # records turned into one table at a time


def input_text(value: Any) -> str | None:
    """An input column's value as the tables hold it: a string as it is, anything else as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json_text(value)


class TableLayout:
    """The columns of one export's tables: ids, the input columns (``input.<name>`` where a name is taken
    by a record column), the record's fields, and ``split`` when the records carry splits."""

    def __init__(self, *, answers: bool, inputs: Iterable[str], with_split: bool,
                 values_as_text: bool = False) -> None:
        rows = RowLayout(answers=answers, with_split=with_split)
        self.answers = answers
        self.values_as_text = values_as_text
        self.inputs: dict[str, str] = {raw: rows.input_name(raw) for raw in inputs}  # raw name -> column
        self.head: tuple[Column, ...] = rows.head
        self.tail: tuple[Column, ...] = rows.tail
        self.columns: tuple[Column, ...] = (*rows.head, *rows.input_columns(self.inputs), *rows.tail)
        self.schema = pa.schema([(column.name, ARROW_TYPES[column.kind]) for column in self.columns])
        self._kinds = {column.name: column.kind for column in self.columns}
        self._raw_inputs = {column: raw for raw, column in self.inputs.items()}

    @classmethod
    def for_records(cls, meta: ExportMeta | None, *, answers: bool, with_split: bool,
                    first_item: dict[str, Any]) -> TableLayout:
        """The layout for an export's records: the input columns are the batch's (``meta.input_columns``),
        else the first record's item keys."""
        inputs = meta.input_columns if meta is not None and meta.input_columns else tuple(first_item)
        return cls(answers=answers, inputs=inputs, with_split=with_split,
                   values_as_text=meta is not None and meta.shape in TEXT_VALUE_SHAPES)

    def kind(self, name: str) -> str:
        """The column's kind: string, int, float, bool, time, or label/json for the value columns."""
        kind = self._kinds.get(name, "string")
        if kind == "value":
            return "label" if self.values_as_text else "json"
        return kind

    def value_text(self, value: Any) -> str | None:
        """A value column's cell (see the module's docstring)."""
        if value is None:
            return None
        if self.values_as_text and isinstance(value, str):
            return value
        return json_text(value)

    def table(self, records: Sequence[Record]) -> pa.Table:
        """The records as one table of this layout. Raises ExportError for a field of the wrong type."""
        arrays = []
        for column in self.columns:
            try:
                arrays.append(pa.array(self._values(records, column), ARROW_TYPES[column.kind]))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
                raise ExportError(f"the records' {column.name} cannot be written as {column.kind}: {exc}") from None
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def _values(self, records: Sequence[Record], column: Column) -> list[Any]:
        name = column.name
        raw = self._raw_inputs.get(name)
        if raw is not None:
            return [input_text(record.item.get(raw)) for record in records]
        if column.kind == "value":
            return [self.value_text(getattr(record, name)) for record in records]
        if column.kind == "float":
            return [finite(getattr(record, name)) for record in records]
        if column.kind == "time":
            return [None if (moment := getattr(record, name)) is None else utc_text(moment) for record in records]
        return [getattr(record, name) for record in records]

    def tables(self, records: Iterable[Record]) -> Iterator[pa.Table]:
        """The records as tables of at most TABLE_ROWS rows each, streaming."""
        stream = iter(records)
        while chunk := list(islice(stream, TABLE_ROWS)):
            yield self.table(chunk)


def split_parts(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """The table's rows by split (its ``split`` column, dropped), each split checked to be there and
    usable as a file or folder name."""
    splits = table.column(SPLIT.name)
    for name in pc.unique(splits).to_pylist():
        rows = pc.is_null(splits) if name is None else pc.equal(splits, name)
        part = table.filter(rows)
        yield checked_split(name, part.column("hit_id")[0].as_py()), part.drop_columns([SPLIT.name])
