"""Subscription periods, renewal window and proration (rules R1, R2, R6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from openflyers_account.domain.money import require_decimal, round_fraction_cents

#: R2: renewal opens this many days before the current period ends.
RENEWAL_WINDOW_DAYS = 90

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A subscription period; both dates are included (R1)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Number of days covered, both ends included (R6)."""
        return (self.end - self.start).days + 1


def add_years(d: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February in a common year (R1)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def next_period(current_end: date | None, term_years: int, today: date) -> Period:
    """The period a renewal bought `today` covers (R1)."""
    if isinstance(term_years, bool) or not isinstance(term_years, int):
        raise TypeError(f"term_years must be an int, not {type(term_years).__name__}")
    if term_years < 1:
        raise ValueError(f"term_years must be at least 1: {term_years}")
    # R1: a lapsed club (or a new one) restarts on the invoice date, not in the past.
    if current_end is None or today > current_end:
        start = today
    else:
        start = current_end + _ONE_DAY
    return Period(start, add_years(start, term_years) - _ONE_DAY)


def renewal_opens_on(end: date) -> date:
    """First day a club may renew a period ending on `end` (R2)."""
    return end - timedelta(days=RENEWAL_WINDOW_DAYS)


def prorate(amount: Decimal, days_left: int, period_days: int) -> Decimal:
    """Share of `amount` for the days left in a period, rounded half-up to the cent (R6)."""
    for name, value in (("days_left", days_left), ("period_days", period_days)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if period_days < 1:
        raise ValueError(f"period_days must be at least 1: {period_days}")
    if not 0 <= days_left <= period_days:
        raise ValueError(f"days_left must be from 0 to {period_days}: {days_left}")
    # Exact rational arithmetic: amount x days / period rarely terminates in decimal.
    return round_fraction_cents(Fraction(require_decimal(amount)) * days_left / period_days)
