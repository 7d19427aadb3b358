"""Subscription periods, renewal window and proration (rules R1, R2, R6)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.subscriptions import DatedPeriod, SubscriptionState, subscription_state
from openflyers_account.domain.periods import (
    RENEWAL_WINDOW_DAYS,
    Period,
    add_years,
    next_period,
    prorate,
    renewal_opens_on,
)


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2026, 1, 1), 1, date(2027, 1, 1)),
        (date(2026, 3, 15), 3, date(2029, 3, 15)),
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2028, 2, 29), 4, date(2032, 2, 29)),
        (date(2028, 2, 29), 5, date(2033, 2, 28)),
        (date(2026, 12, 31), 5, date(2031, 12, 31)),
    ],
)
def test_r1_add_years_keeps_the_day_and_folds_29_february(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("current_end", "years", "today", "expected"),
    [
        # Renewed in the window: starts the day after the current end, whatever today is.
        (date(2026, 6, 30), 1, date(2026, 5, 1), Period(date(2026, 7, 1), date(2027, 6, 30))),
        (date(2026, 6, 30), 3, date(2026, 4, 1), Period(date(2026, 7, 1), date(2029, 6, 30))),
        (date(2026, 12, 31), 5, date(2026, 12, 31), Period(date(2027, 1, 1), date(2031, 12, 31))),
        # Lapsed: restarts on the invoice date.
        (date(2026, 6, 30), 1, date(2026, 7, 1), Period(date(2026, 7, 1), date(2027, 6, 30))),
        (date(2026, 6, 30), 1, date(2026, 9, 15), Period(date(2026, 9, 15), date(2027, 9, 14))),
        # New club.
        (None, 3, date(2026, 2, 10), Period(date(2026, 2, 10), date(2029, 2, 9))),
        # Leap days.
        (date(2028, 2, 28), 1, date(2028, 1, 10), Period(date(2028, 2, 29), date(2029, 2, 27))),
        (date(2027, 2, 28), 1, date(2027, 1, 10), Period(date(2027, 3, 1), date(2028, 2, 29))),
    ],
)
def test_r1_next_period_follows_the_current_one_or_restarts_today(
    current_end: date | None, years: int, today: date, expected: Period
) -> None:
    assert next_period(current_end, years, today) == expected


@pytest.mark.parametrize(("years", "error"), [(0, ValueError), (-1, ValueError), (1.0, TypeError), (True, TypeError)])
def test_r1_next_period_rejects_a_bad_term(years, error) -> None:
    with pytest.raises(error):
        next_period(None, years, date(2026, 1, 1))


def test_r1_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        Period(date(2026, 1, 2), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("period", "days"),
    [
        (Period(date(2026, 1, 1), date(2026, 1, 1)), 1),
        (Period(date(2026, 1, 1), date(2026, 12, 31)), 365),
        (Period(date(2028, 1, 1), date(2028, 12, 31)), 366),
    ],
)
def test_r6_period_days_include_both_ends(period: Period, days: int) -> None:
    assert period.days == days


@pytest.mark.parametrize(
    ("end", "opens"),
    [(date(2026, 12, 31), date(2026, 10, 2)), (date(2026, 3, 31), date(2025, 12, 31))],
)
def test_r2_renewal_opens_90_days_before_the_end(end: date, opens: date) -> None:
    assert RENEWAL_WINDOW_DAYS == 90
    assert renewal_opens_on(end) == opens


_PERIOD = Period(date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("current", "today", "status"),
    [
        (None, date(2026, 5, 1), SubscriptionState.CANCELLED),
        (_PERIOD, date(2026, 1, 1), SubscriptionState.ACTIVE),
        (_PERIOD, date(2026, 10, 1), SubscriptionState.ACTIVE),
        (_PERIOD, date(2026, 10, 2), SubscriptionState.RENEWAL_OPEN),
        (_PERIOD, date(2026, 12, 31), SubscriptionState.RENEWAL_OPEN),
        (_PERIOD, date(2027, 1, 1), SubscriptionState.EXPIRED),
        (_PERIOD, date(2030, 1, 1), SubscriptionState.EXPIRED),
    ],
)
def test_r2_subscription_state_by_date(current: Period | None, today: date, status: SubscriptionState) -> None:
    periods = [DatedPeriod(current.start, current.end, paid=True)] if current else []
    assert subscription_state(periods, False, today) is status


@pytest.mark.parametrize(
    ("amount", "days_left", "period_days", "expected"),
    [
        ("365.00", 365, 365, "365.00"),
        ("365.00", 0, 365, "0.00"),
        ("365.00", 100, 365, "100.00"),
        ("100.00", 1, 3, "33.33"),
        ("100.00", 2, 3, "66.67"),
        ("37.50", 183, 365, "18.80"),  # 18.8013...
        ("0.01", 1, 2, "0.01"),  # exactly half a cent: half-up
        ("1096.00", 365, 1096, "365.00"),  # a 3-year period with a leap day
    ],
)
def test_r6_prorate_to_days_left(amount: str, days_left: int, period_days: int, expected: str) -> None:
    assert prorate(Decimal(amount), days_left, period_days) == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "days_left", "period_days", "error"),
    [
        (37.5, 10, 365, TypeError),
        (Decimal("37.50"), 10.0, 365, TypeError),
        (Decimal("37.50"), 10, 0, ValueError),
        (Decimal("37.50"), -1, 365, ValueError),
        (Decimal("37.50"), 366, 365, ValueError),
    ],
)
def test_r6_prorate_rejects_bad_input(amount, days_left, period_days, error) -> None:
    with pytest.raises(error):
        prorate(amount, days_left, period_days)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.sampled_from([1, 3, 5]),
    st.integers(min_value=-400, max_value=400),
)
def test_r1_next_period_never_overlaps_nor_starts_in_the_past(current_end: date, years: int, offset: int) -> None:
    today = current_end + timedelta(days=offset)
    period = next_period(current_end, years, today)
    assert period.start > current_end
    assert period.start >= today or period.start == current_end + timedelta(days=1)
    # A term of N years lasts 365 or 366 days per year, leap days included.
    assert 365 * years <= period.days <= 366 * years
    assert next_period(period.end, years, period.end).start == period.end + timedelta(days=1)


@given(
    st.integers(min_value=0, max_value=10**8),
    st.integers(min_value=1, max_value=1827),
    st.data(),
)
def test_r6_prorate_is_within_half_a_cent_of_the_exact_share(cents: int, period_days: int, data) -> None:
    days_left = data.draw(st.integers(min_value=0, max_value=period_days))
    amount = Decimal(cents) / 100
    share = prorate(amount, days_left, period_days)
    exact = Fraction(cents, 100) * days_left / period_days
    assert share.as_tuple().exponent == -2
    assert abs(Fraction(share) - exact) <= Fraction(1, 200)
    assert Decimal(0) <= share <= amount
