"""Behavioural signals: the field list shared with signals.js, and the checks on what a page sends."""

from __future__ import annotations

import re
from typing import Any

import pytest

from annotators import SIGNAL_FIELDS, STATIC_FOLDER, AnswerError, validate_signals
from annotators.signals import MAX_COUNT, MAX_MS

GOOD = {"version": 1, "text_fields": 1, "time_on_page_ms": 60_000, "first_keystroke_ms": 4_000,
        "active_typing_ms": 30_000, "keystrokes": 400, "deletions": 12, "pastes": 2, "pasted_chars": 80,
        "pastes_from_page": 1, "pastes_after_return": 1, "focus_losses": 3, "away_ms": 5_000}


def problems_of(raw: Any) -> dict[str, str]:
    with pytest.raises(AnswerError) as caught:
        validate_signals(raw)
    return caught.value.problems


def test_signal_fields_are_the_ones_signals_js_writes() -> None:
    source = (STATIC_FOLDER / "annotators" / "signals.js").read_text()
    snapshot = source[source.index("export function snapshot"):source.index("export function reset")]
    written = re.findall(r"^\s+(\w+): ", snapshot, re.M)
    assert written == [field.name for field in SIGNAL_FIELDS]
    assert all(field.description.strip() for field in SIGNAL_FIELDS)


def test_a_full_record_passes_unchanged() -> None:
    assert validate_signals(GOOD) == GOOD
    assert validate_signals(GOOD | {"first_keystroke_ms": None})["first_keystroke_ms"] is None


def test_fields_may_be_missing_and_whole_floats_become_ints() -> None:
    assert validate_signals({}) == {}
    assert validate_signals({"keystrokes": 12.0, "pastes": 0}) == {"keystrokes": 12, "pastes": 0}
    assert type(validate_signals({"keystrokes": 12.0})["keystrokes"]) is int


@pytest.mark.parametrize(("changes", "problems"), [
    ({"keystrokes": -1}, {"signals.keystrokes": f"must be between 0 and {MAX_COUNT}"}),
    ({"away_ms": MAX_MS + 1}, {"signals.away_ms": f"must be between 0 and {MAX_MS}"}),
    ({"pastes": True}, {"signals.pastes": "must be a number"}),
    ({"pastes": "2"}, {"signals.pastes": "must be a number"}),
    ({"deletions": 1.5}, {"signals.deletions": "must be a whole number"}),
    ({"keystrokes": None}, {"signals.keystrokes": "must be a number"}),
    ({"version": 3}, {"signals.version": "must be between 1 and 2"}),
    ({"pasted_chars": 10, "pasted_chars_from_page": 11},
     {"signals.pasted_chars_from_page": "must not be more than pasted_chars"}),
    ({"keylog": "hello"}, {"signals.keylog": "is not a known signal"}),
    ({"pastes_from_page": 3}, {"signals.pastes_from_page": "must not be more than pastes"}),
    ({"pastes_after_return": 3}, {"signals.pastes_after_return": "must not be more than pastes"}),
    ({"pastes": 0, "pastes_from_page": 0, "pastes_after_return": 0},
     {"signals.pasted_chars": "must be 0 when nothing was pasted"}),
    ({"first_keystroke_ms": 70_000}, {"signals.first_keystroke_ms": "must not be more than time_on_page_ms"}),
    ({"active_typing_ms": 70_000}, {"signals.active_typing_ms": "must not be more than time_on_page_ms"}),
])
def test_bad_signal_is_refused_naming_it(changes: dict[str, Any], problems: dict[str, str]) -> None:
    assert problems_of(GOOD | changes) == problems


@pytest.mark.parametrize("raw", [None, [], "keystrokes=3"])
def test_signals_that_are_not_an_object_are_refused(raw: Any) -> None:
    assert problems_of(raw) == {"signals": "must be a JSON object"}
