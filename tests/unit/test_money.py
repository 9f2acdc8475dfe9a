"""Money helpers: parsing MTurk-style amounts into integer micro-units, formatting and cent rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelhub.money import MAX_AMOUNT_MICROS, decimal_to_micros, format_amount, parse_amount, round_to_cent


@pytest.mark.parametrize(("text", "micros"), [
    ("0.50", 500_000), ("0", 0), ("1", 1_000_000), ("1.5", 1_500_000), ("12.34", 12_340_000),
    (" 2.00 ", 2_000_000), ("1.", 1_000_000), (Decimal("0.05"), 50_000), (3, 3_000_000),
])
def test_parse_amount_gives_micro_units(text, micros):
    assert parse_amount(text) == micros


@pytest.mark.parametrize("text", ["", "-1.00", "0.505", "1,00", "abc", ".50", "1e3", "NaN", "1.2.3", "+1"])
def test_parse_amount_rejects_what_is_not_an_amount(text):
    with pytest.raises(ValueError, match="is not an amount like 0.50"):
        parse_amount(text)


@pytest.mark.parametrize(("micros", "text"), [
    (500_000, "0.50"), (0, "0.00"), (1_000_000, "1.00"), (5_000, "0.01"), (4_999, "0.00"),
    (123_456_789, "123.46"), (-500_000, "-0.50"),
])
def test_format_amount_rounds_half_up_to_the_cent(micros, text):
    assert format_amount(micros) == text


@pytest.mark.parametrize(("micros", "rounded"), [
    (105_000, 110_000), (104_999, 100_000), (100_000, 100_000), (0, 0), (Decimal("5000"), 10_000),
    (Decimal("4999.9"), 0),
])
def test_round_to_cent_is_half_up(micros, rounded):
    assert round_to_cent(micros) == rounded


def test_parse_amount_accepts_up_to_the_largest_amount():
    assert parse_amount("1000000000.00") == MAX_AMOUNT_MICROS
    assert MAX_AMOUNT_MICROS * 9_000 < 2**63  # thousands of them still sum inside a 64-bit column


@pytest.mark.parametrize("text", ["1000000000.01", "99999999999999999999"])
def test_parse_amount_rejects_more_than_the_largest_amount(text):
    with pytest.raises(ValueError, match="is more than the largest amount, 1000000000.00"):
        parse_amount(text)


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_decimal_to_micros_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="is not a number"):
        decimal_to_micros(Decimal(value))


@given(st.integers(min_value=0, max_value=MAX_AMOUNT_MICROS // 10_000))
def test_format_then_parse_round_trips_whole_cents(cents):
    micros = cents * 10_000
    assert parse_amount(format_amount(micros)) == micros
