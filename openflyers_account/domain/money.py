"""Money as Decimal euros rounded half-up to the cent; never float (rule P3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def require_decimal(value: object, name: str = "amount") -> Decimal:
    """Return `value` as a finite Decimal; floats are refused because they cannot hold cents exactly (P3)."""
    # bool is an int subclass: True euros is always a bug.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite number, not {amount}")
    return amount


def round_cents(x: Decimal) -> Decimal:
    """Round to the cent, half away from zero, as French invoices do (P3)."""
    rounded = require_decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)
    # Decimal keeps the sign of zero; "-0.00" must never reach an invoice.
    return ZERO if rounded == 0 else rounded


def round_fraction_cents(x: Fraction) -> Decimal:
    """Round an exact rational amount half-up to the cent, for divisions Decimal cannot hold exactly (P3, R6)."""
    if not isinstance(x, Fraction):
        raise TypeError(f"amount must be a Fraction, not {type(x).__name__}")
    # Work on the magnitude so that half-up means "away from zero", like ROUND_HALF_UP.
    cents = (abs(x) * 100 + Fraction(1, 2)).__floor__()
    return from_cents(cents if x >= 0 else -cents)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, computed exactly then rounded half-up to the cent (P2, P3)."""
    amount, percent = require_decimal(amount), require_decimal(percent, "percent")
    product = amount * percent
    if len(product.as_tuple().digits) < getcontext().prec:
        # Fewer digits than the context keeps: the product is exact, and so is moving its point two places.
        return round_cents(product.scaleb(-2))
    return round_fraction_cents(Fraction(amount) * Fraction(percent) / 100)


def is_whole_cents(x: Decimal) -> bool:
    """True when `x` needs no rounding to be written on an invoice (P3)."""
    amount = require_decimal(x)
    return amount == amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(x: Decimal) -> int:
    """Integer cents, for payment providers' minor units; refuses to round silently (P3)."""
    amount = require_decimal(x)
    if not is_whole_cents(amount):
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(amount.scaleb(2))


def from_cents(cents: int) -> Decimal:
    """Decimal euros with two decimals from integer cents (P3)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, not {type(cents).__name__}")
    return Decimal(cents).scaleb(-2)
