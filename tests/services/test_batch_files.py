"""Batch rows read from uploaded CSV and JSON Lines files: what MTurk and Label Studio users bring
(byte-order marks, CRLF, quoted newlines, a _gold column), and each refusal naming where it is."""

from __future__ import annotations

import pytest

from labelhub.errors import InvalidInputError
from labelhub.services.batch_files import file_format, read_rows


def refusal(data: bytes, fmt: str) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as raised:
        read_rows(data, fmt)
    return raised.value.fields


def test_csv_with_a_byte_order_mark_crlf_quoted_newlines_and_blank_lines():
    data = '\ufefftext,source\r\n"Two\r\nlines, one cell",email\r\n\r\nplain,chat\r\n'.encode()
    assert read_rows(data, "csv") == ({"text": "Two\r\nlines, one cell", "source": "email"},
                                      {"text": "plain", "source": "chat"})


def test_a_gold_column_holds_json_and_an_empty_cell_is_an_ordinary_row():
    data = b'text,_gold\nA cat,"{""label"": ""cat""}"\nA dog,\n'
    assert read_rows(data, "csv") == ({"text": "A cat", "_gold": {"label": "cat"}}, {"text": "A dog"})
    assert refusal(b"text,_gold\nA cat,{label: cat}\n", "csv") == {
        "rows[1]._gold": "is not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"}


@pytest.mark.parametrize(("data", "fields"), [
    (b"text\nfine\ncaf\xe9\n", {"file": "line 3 is not UTF-8 text (byte 0xe9); save the file as UTF-8"}),
    (b"text,source\nfine,email\ntoo,many,values\n", {"rows[2]": "has 3 values for 2 columns (line 3)"}),
    (b"text,text\na,b\n", {"file": "the column name 'text' appears twice in the first line"}),
    (b"text,,source\na,b,c\n", {"file": "column 2 of the first line has no name"}),
    (b"", {"file": "the first line must name the columns"}),
    (b"text\n\n \n", {"file": "has no rows"}),
    (b'text\n"never closed\n', {"file": 'line 2 is not valid CSV: unexpected end of data'}),
])
def test_bad_csv_is_refused_naming_the_line_row_or_column(data, fields):
    assert refusal(data, "csv") == fields


def test_json_lines_keep_their_types_and_a_line_separator_inside_a_string():
    data = '{"text": "one\u2028two", "n": 3}\r\n\n{"text": "b", "_gold": {"label": "x"}}\n'.encode()
    assert read_rows(data, "jsonl") == ({"text": "one\u2028two", "n": 3}, {"text": "b", "_gold": {"label": "x"}})


@pytest.mark.parametrize(("data", "field", "message"), [
    (b'{"text": "a"}\n{"text": \n', "rows[2]", "line 2 is not valid JSON"),
    (b'{"text": "a"}\n\n["a", "list"]\n', "rows[2]", "line 3 is not a JSON object"),
])
def test_bad_json_lines_name_the_row_and_line(data, field, message):
    assert refusal(data, "jsonl")[field].startswith(message)


@pytest.mark.parametrize(("name", "given", "found"), [
    ("rows.csv", None, "csv"), ("ROWS.CSV", None, "csv"), ("rows.jsonl", None, "jsonl"),
    ("rows.ndjson", None, "jsonl"), ("rows.txt", "csv", "csv"),
])
def test_the_format_comes_from_the_name_unless_given(name, given, found):
    assert file_format(name, given) == found


@pytest.mark.parametrize(("name", "given"), [("rows.txt", None), (None, None), ("rows.csv", "xlsx")])
def test_an_unknown_format_is_refused(name, given):
    with pytest.raises(InvalidInputError) as raised:
        file_format(name, given)
    assert "format" in raised.value.fields
