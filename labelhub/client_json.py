"""JSON sent by a client, read once for every adapter (REST bodies, MTurk requests, the pages' answer
fields): what no handler can take is refused before any handler sees it, naming where it is.

- text that is not JSON, nests so deep that Python's parser recurses out, or holds an integer longer
  than Python reads (``sys.get_int_max_str_digits``);
- values nested deeper than MAX_DEPTH (validators and serializers walk them recursively);
- strings or member names holding a lone surrogate (``"\\ud800"``: valid JSON, but no UTF-8 text
  column can store it).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 32  # an annotator's answer or an MTurk request needs a handful of levels
_SURROGATE = re.compile(r"[\ud800-\udfff]")
LONE_SURROGATE = "must be valid Unicode text (it holds a lone surrogate)"
SURROGATE_NAME = "has a member name that is not valid Unicode text (a lone surrogate)"
TOO_DEEP = f"is nested more than {MAX_DEPTH} levels deep"


class UnreadableJSON(ValueError):
    """The text cannot be read as JSON; the message says why, to follow the field's name."""


def loads(text: str | bytes) -> Any:
    """``json.loads`` with every failure an UnreadableJSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableJSON(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise UnreadableJSON(TOO_DEEP) from None
    except UnicodeDecodeError:
        raise UnreadableJSON("is not UTF-8 text") from None
    except ValueError:  # an integer longer than Python reads
        raise UnreadableJSON(f"has an integer of more than {sys.get_int_max_str_digits():,} digits") from None


def problems(value: Any, *, root: str) -> Iterator[tuple[str, str]]:
    """(field path, what is wrong) for each string or member name holding a lone surrogate, or once for
    ``root`` if the value nests deeper than MAX_DEPTH. Paths read ``a[0].b``; ``root`` names the whole."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                yield path or root, LONE_SURROGATE
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            yield root, TOO_DEEP
            return
        if isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in reversed(list(enumerate(item))))
            continue
        if any(_has_surrogate(name) for name in item):
            yield path or root, SURROGATE_NAME
        stack.extend((child, f"{path}.{name}" if path else name, depth + 1)
                     for name, child in reversed(list(item.items())) if not _has_surrogate(name))


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None
