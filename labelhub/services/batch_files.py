"""A batch's rows from an uploaded file, as MTurk and Label Studio users bring them.

- CSV: a header row naming the columns, then one row per HIT (MTurk's batch input file). Values are
  text. A ``_gold`` column holds a gold row's known answer as JSON (``{"label": "cat"}``); left empty,
  the row is an ordinary one.
- JSON Lines: one JSON object per line (the rows of ``POST /requester/batches``).

UTF-8 with or without a byte-order mark; lines end in LF or CRLF; blank lines are skipped. Every
refusal names where: the line of a byte that is not UTF-8, ``rows[N]`` (counted as the batch counts
them, from 1) and its line for a row that cannot be read, the column for a bad header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from labelhub import client_json
from labelhub.errors import InvalidInputError
from labelhub.services.batch_builds import GOLD_COLUMN

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}  # file name ending -> format


def file_format(filename: str | None, given: str | None = None) -> str:
    """``given`` (csv or jsonl), else the format the file's name ends with."""
    if given is not None:
        if given not in FORMATS.values():
            raise InvalidInputError({"format": "must be csv or jsonl"})
        return given
    name = (filename or "").lower()
    for suffix, found in FORMATS.items():
        if name.endswith(suffix):
            return found
    raise InvalidInputError({"format": f"cannot tell from the file name {filename or '(none)'!r}: name it "
                                       ".csv or .jsonl, or give format"})


def read_rows(data: bytes, file_format: str) -> tuple[dict[str, Any], ...]:
    """The file's rows. Raises InvalidInputError naming the line, row or column that is wrong."""
    text = decode_text(data)
    rows = tuple(_csv_rows(text) if file_format == "csv" else _jsonl_rows(text))
    if not rows:
        raise InvalidInputError({"file": "has no rows"})
    return rows


def decode_text(data: bytes) -> str:
    """An uploaded file's UTF-8 text (a byte-order mark dropped). Raises InvalidInputError naming the
    line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InvalidInputError({"file": f"line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); save "
                                         "the file as UTF-8"}) from None


def _csv_rows(text: str) -> Iterator[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(name.strip() for name in header):
            raise InvalidInputError({"file": "the first line must name the columns"})
        columns = _columns(header)
        number = 0
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            number += 1
            if len(values) != len(columns):
                raise InvalidInputError({f"rows[{number}]": f"has {len(values)} values for {len(columns)} columns "
                                                            f"(line {reader.line_num})"})
            yield _with_gold(dict(zip(columns, values, strict=True)), number)
    except csv.Error as exc:
        raise InvalidInputError({"file": f"line {reader.line_num} is not valid CSV: {exc}"}) from None


def _columns(header: list[str]) -> list[str]:
    columns = [name.strip() for name in header]
    for position, name in enumerate(columns, start=1):
        if not name:
            raise InvalidInputError({"file": f"column {position} of the first line has no name"})
        if columns.index(name) != position - 1:
            raise InvalidInputError({"file": f"the column name {name!r} appears twice in the first line"})
    return columns


def _with_gold(row: dict[str, Any], number: int) -> dict[str, Any]:
    """A CSV row's ``_gold`` cell parsed as JSON; an empty one dropped (not a gold row)."""
    known = row.pop(GOLD_COLUMN, "").strip()
    if not known:
        return row
    try:
        row[GOLD_COLUMN] = client_json.loads(known)
    except client_json.UnreadableJSON as exc:
        raise InvalidInputError({f"rows[{number}].{GOLD_COLUMN}": str(exc)}) from None
    return row


def _jsonl_rows(text: str) -> Iterator[dict[str, Any]]:
    number = 0
    for line_number, line in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 may be in a string
        if not line.strip():
            continue
        number += 1
        try:
            row = client_json.loads(line)
        except client_json.UnreadableJSON as exc:
            raise InvalidInputError({f"rows[{number}]": f"line {line_number} {exc}"}) from None
        if not isinstance(row, dict):
            raise InvalidInputError({f"rows[{number}]": f"line {line_number} is not a JSON object"})
        yield row
