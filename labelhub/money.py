"""Money as integer micro-units (1 USD = 1,000,000): parsing, formatting and cent rounding.

Money is never a float anywhere in LabelHub; adapters convert at their boundary with these helpers.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, DecimalException

MICROS_PER_UNIT = 1_000_000
MICROS_PER_CENT = 10_000
# No single amount above one billion, so an amount (and a sum of thousands of them) fits a 64-bit column.
# Every adapter refuses a larger amount naming its field (REST: labelhub.api.inputs; MTurk: mturk.params).
MAX_AMOUNT_MICROS = 1_000_000_000 * MICROS_PER_UNIT
MAX_AMOUNT = Decimal(MAX_AMOUNT_MICROS) / MICROS_PER_UNIT
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{0,2})?$")


def parse_amount(text: str | Decimal | int) -> int:
    """'0.50' -> 500000. Non-negative, at most two decimals (MTurk's CurrencyAmount)."""
    raw = str(text).strip()
    if not _AMOUNT.match(raw):
        raise ValueError(f"{_shown(text)} is not an amount like 0.50 (digits, at most two decimals)")
    # Compared before scaling: a number of a million digits would overflow the decimal context (or take
    # seconds to turn into an int) instead of being refused.
    if Decimal(raw) > MAX_AMOUNT:
        raise ValueError(f"{_shown(text)} is more than the largest amount, {format_amount(MAX_AMOUNT_MICROS)}")
    return decimal_to_micros(Decimal(raw))


def _shown(text: str | Decimal | int) -> str:
    """The amount as given, for an error message; a huge one is cut short."""
    raw = str(text)
    return repr(text) if len(raw) <= 40 else repr(f"{raw[:20]}...({len(raw):,} characters)")


def decimal_to_micros(value: Decimal) -> int:
    if not value.is_finite():
        raise ValueError(f"{value!r} is not a number")
    try:
        return int((value * MICROS_PER_UNIT).to_integral_value(rounding=ROUND_HALF_UP))
    except DecimalException:  # InvalidOperation, or Overflow past the context's exponent limit
        raise ValueError(f"{value!r} is not a number") from None


def format_amount(micros: int) -> str:
    """500000 -> '0.50' (rounded half-up to the cent, as MTurk shows money)."""
    return str((Decimal(micros) / MICROS_PER_UNIT).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def round_to_cent(micros: Decimal | int) -> int:
    """Round a micro-unit amount half-up to a whole cent (0.105 -> 0.11, 0.104 -> 0.10)."""
    cents = (Decimal(micros) / MICROS_PER_CENT).to_integral_value(rounding=ROUND_HALF_UP)
    return int(cents) * MICROS_PER_CENT
