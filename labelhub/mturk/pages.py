"""MTurk pagination over the services' cursors: MaxResults 1..100 (default 100) and opaque NextTokens.

Two client habits shape the tokens (mturk_api.md §1.6): boto3's paginator fails if a token repeats, so
each token carries a random nonce; Mephisto reads ``page["NextToken"]`` from every non-empty page, so
every non-empty page has one, and a page without further data gets an "end" token that yields one
empty page without a NextToken.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from labelhub.errors import InvalidInputError
from labelhub.mturk.params import Params
from labelhub.services.common import Page

T = TypeVar("T")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TOKEN_LENGTH = 100, 100, 255


def _encode(operation: str, cursor: str | None) -> str:
    raw = json.dumps({"o": operation, "c": cursor, "n": secrets.token_hex(6)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(operation: str, token: str) -> tuple[bool, str | None]:
    """(finished, service cursor) for a token this server issued for ``operation``."""
    bad = InvalidInputError({"NextToken": "is not a token this server issued for this operation"})
    if len(token) > MAX_TOKEN_LENGTH:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(data, dict) or data.get("o") != operation or not isinstance(data.get("c"), str | None):
        raise bad
    return data["c"] is None, data["c"]


def paged(p: Params, operation: str, result_key: str, fetch: Callable[[str | None, int], Page[T]],
          shape: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """Read NextToken/MaxResults, call ``fetch(cursor, limit)`` (a service list) and shape the page."""
    limit = p.integer("MaxResults", default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    token = p.string("NextToken")
    finished, cursor = _decode(operation, token) if token else (False, None)
    if finished:
        return {"NumResults": 0, result_key: []}
    page = fetch(cursor, limit or DEFAULT_PAGE_SIZE)
    items = [shape(item) for item in page.items]
    out: dict[str, Any] = {"NumResults": len(items), result_key: items}
    if items:
        out["NextToken"] = _encode(operation, page.next_cursor)
    return out
