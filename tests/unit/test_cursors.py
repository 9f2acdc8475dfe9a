"""Page cursors: what encode_cursor issues decodes back; anything else, including a position past the
id columns' range (PostgreSQL's integer), is refused as a cursor this server did not issue."""

from __future__ import annotations

import base64

import pytest

from labelhub.errors import InvalidInputError
from labelhub.services.common import MAX_ROW_ID, decode_cursor, encode_cursor


@pytest.mark.parametrize("position", [1, 42, MAX_ROW_ID])
def test_an_issued_cursor_decodes_to_its_position(position):
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("text", [f"v1:{MAX_ROW_ID + 1}", "v1:-1", "v2:5", "v1:five", "v1:" + "9" * 5000])
def test_a_cursor_this_server_would_not_issue_is_refused_by_name(text):
    cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    with pytest.raises(InvalidInputError) as refused:
        decode_cursor(cursor)

    assert refused.value.fields == {"cursor": "is not a cursor this server issued"}
