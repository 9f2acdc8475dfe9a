"""Behavioural signals recorded on the worker's page (static/annotators/signals.js), and their check.

Aggregates only: counts and durations, never keystrokes, pasted text or clipboard contents. The
LLM-answer flag reads them beside the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annotators.base import AnswerError

SIGNALS_VERSION = 2  # 2 added typed/inserted characters, characters pasted from the page and rhythm
MAX_COUNT = 10_000_000
MAX_MS = 400 * 24 * 3600 * 1000  # longer than any assignment may last, with room for a page left open


@dataclass(frozen=True)
class SignalField:
    name: str
    unit: str  # "count", "ms" or "version"
    description: str
    nullable: bool = False

    @property
    def maximum(self) -> int:
        return {"count": MAX_COUNT, "ms": MAX_MS, "version": SIGNALS_VERSION}[self.unit]


SIGNAL_FIELDS: list[SignalField] = [
    SignalField("version", "version", "Version of this list of fields (1 or 2; pages send 2)."),
    SignalField("text_fields", "count", "Text-entry fields (textarea, input[type=text]) in the task form."),
    SignalField("time_on_page_ms", "ms", "From the page (or the item, in the batch flow) being shown to "
                "submit."),
    SignalField("first_keystroke_ms", "ms", "From the page being shown to the first keystroke in a text "
                "field; null when the worker typed nothing.", nullable=True),
    SignalField("active_typing_ms", "ms", "Sum of the gaps between consecutive keystrokes of at most 5 s."),
    SignalField("keystrokes", "count", "Key presses that type or delete in a text field (not shortcuts "
                "such as Ctrl+V)."),
    SignalField("deletions", "count", "Edits that delete text: Backspace, Delete, cut."),
    SignalField("pastes", "count", "Paste events into text fields."),
    SignalField("pasted_chars", "count", "Characters pasted, summed over all pastes."),
    SignalField("pastes_from_page", "count", "Pastes whose text occurs in the task page's own text."),
    SignalField("pastes_after_return", "count", "Pastes within 10 s of coming back to the page."),
    SignalField("typed_chars", "count", "Characters typed into text fields (key presses and input methods; "
                "not pasted, dropped or inserted otherwise)."),
    SignalField("inserted_chars", "count", "Characters inserted without typing or pasting: dropped text, "
                "autocorrect and autofill replacements."),
    SignalField("pasted_chars_from_page", "count", "Characters of the pastes whose text occurs on the task page."),
    SignalField("key_interval_median_ms", "ms", "Median gap between consecutive keystrokes of at most 5 s "
                "(typing rhythm); null with fewer than 5 such gaps.", nullable=True),
    SignalField("key_interval_iqr_ms", "ms", "Interquartile range of those gaps (how even the rhythm is); "
                "null with fewer than 5.", nullable=True),
    SignalField("focus_losses", "count", "Times the worker left the page: tab switch, window blur."),
    SignalField("away_ms", "ms", "Total time spent away from the page."),
]
FIELDS_BY_NAME = {f.name: f for f in SIGNAL_FIELDS}


def validate_signals(raw: object) -> dict[str, int | None]:
    """Check a page's signals: known fields only, whole non-negative numbers within bounds, and
    consistent with each other. Fields may be missing (API clients record none); the result holds
    the fields given, as ints. Raises AnswerError naming each bad field (``signals.<field>``)."""
    if not isinstance(raw, Mapping):
        raise AnswerError({"signals": "must be a JSON object"})
    problems: dict[str, str] = {}
    signals: dict[str, int | None] = {}
    for name, value in raw.items():
        field = FIELDS_BY_NAME.get(name)
        if field is None:
            problems[f"signals.{name}"] = "is not a known signal"
            continue
        number, problem = _number(field, value)
        if problem:
            problems[f"signals.{name}"] = problem
        else:
            signals[name] = number
    if not problems:
        problems = _inconsistencies(signals)
    if problems:
        raise AnswerError(problems)
    return signals


def _number(field: SignalField, value: Any) -> tuple[int | None, str | None]:
    if value is None:
        return None, None if field.nullable else "must be a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "must be a number"
    if isinstance(value, float) and not value.is_integer():
        return None, "must be a whole number"
    if field.unit == "version" and value not in range(1, SIGNALS_VERSION + 1):
        return None, f"must be between 1 and {SIGNALS_VERSION}"
    if not 0 <= value <= field.maximum:
        return None, f"must be between 0 and {field.maximum}"
    return int(value), None


def _inconsistencies(signals: Mapping[str, int | None]) -> dict[str, str]:
    problems: dict[str, str] = {}
    pastes = signals.get("pastes")
    for part in ("pastes_from_page", "pastes_after_return"):
        if pastes is not None and (signals.get(part) or 0) > pastes:
            problems[f"signals.{part}"] = "must not be more than pastes"
    if pastes == 0 and (signals.get("pasted_chars") or 0) > 0:
        problems["signals.pasted_chars"] = "must be 0 when nothing was pasted"
    if (signals.get("pasted_chars_from_page") or 0) > (signals.get("pasted_chars") or 0):
        problems["signals.pasted_chars_from_page"] = "must not be more than pasted_chars"
    total = signals.get("time_on_page_ms")
    for part in ("first_keystroke_ms", "active_typing_ms", "away_ms"):
        if total is not None and (signals.get(part) or 0) > total:
            problems[f"signals.{part}"] = "must not be more than time_on_page_ms"
    return problems
