"""Money helpers: Decimal only, half-up to the cent (rule P3)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.money import (
    from_cents,
    is_whole_cents,
    percent_of,
    round_cents,
    round_fraction_cents,
    to_cents,
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "0.00"),
        ("1.004", "1.00"),
        ("1.005", "1.01"),  # half-up, where half-even would give 1.00
        ("2.675", "2.68"),  # the classic float trap: 2.675 is 2.67499999... as a float
        ("0.125", "0.13"),
        ("-1.005", "-1.01"),  # half away from zero, symmetric for discounts
        ("-0.004", "0.00"),  # never a negative zero
        ("12345678.994999", "12345678.99"),
        ("7", "7.00"),
    ],
)
def test_p3_round_cents_rounds_half_up(amount: str, expected: str) -> None:
    result = round_cents(Decimal(amount))
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize("func", [round_cents, to_cents, is_whole_cents])
@pytest.mark.parametrize("bad", [1.5, 0.1, True, "1.00", None])
def test_p3_money_refuses_floats_and_other_types(func, bad) -> None:
    with pytest.raises(TypeError):
        func(bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_p3_money_refuses_non_finite_amounts(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        round_cents(bad)


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.00", 0), ("0.01", 1), ("12.34", 1234), ("-5.10", -510), ("1.500", 150), ("100", 10000)],
)
def test_p3_to_cents_and_back(amount: str, cents: int) -> None:
    assert to_cents(Decimal(amount)) == cents
    assert from_cents(cents) == Decimal(amount)
    assert from_cents(cents).as_tuple().exponent == -2


@pytest.mark.parametrize("amount", ["0.001", "12.345", "-0.005"])
def test_p3_to_cents_refuses_to_round_silently(amount: str) -> None:
    with pytest.raises(ValueError):
        to_cents(Decimal(amount))


@pytest.mark.parametrize("bad", [1.0, True, Decimal("1")])
def test_p3_from_cents_takes_only_ints(bad) -> None:
    with pytest.raises(TypeError):
        from_cents(bad)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("1050.00", "10", "105.00"),
        ("945.00", "5", "47.25"),
        ("100.10", "5", "5.01"),  # 5.005: half-up
        ("611.25", "15", "91.69"),  # 91.6875
        ("0.01", "100", "0.01"),
        ("123.45", "0", "0.00"),
        ("519.56", "7.5", "38.97"),  # 38.967
    ],
)
def test_p3_percent_of_rounds_half_up(amount: str, percent: str, expected: str) -> None:
    assert percent_of(Decimal(amount), Decimal(percent)) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(1, 3), "0.33"), (Fraction(2, 3), "0.67"), (Fraction(1, 200), "0.01"), (Fraction(-1, 200), "-0.01")],
)
def test_p3_round_fraction_cents(value: Fraction, expected: str) -> None:
    assert round_fraction_cents(value) == Decimal(expected)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_p3_cents_round_trip(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_p3_round_cents_moves_at_most_half_a_cent(amount: Decimal) -> None:
    rounded = round_cents(amount)
    assert is_whole_cents(rounded)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert round_fraction_cents(Fraction(amount)) == rounded
