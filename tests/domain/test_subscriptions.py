"""A subscription's dates and resources: proration, notice, start dates, the club's floor, states (R6-R10)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from openflyers_account.domain.periods import Period, add_years
from openflyers_account.domain.pricing import (
    LineKind,
    OfferPrice,
    Proration,
    ResourcesOutOfRange,
    Term,
    VatMention,
    VatTreatment,
    quote,
    quote_added_resources,
)
from openflyers_account.domain.subscriptions import (
    DatedPeriod,
    RunningPeriod,
    SubscriptionState,
    notice_deadline,
    notice_in_time,
    notice_withdrawable,
    proration,
    resource_floor,
    resources_elsewhere,
    start_range,
    subscription_state,
)

BUSINESS = OfferPrice("business", Decimal("300.00"), Decimal("60.00"))
FRANCE = VatTreatment(Decimal("20"), VatMention.NONE)


def term_period(start: date, years: int) -> Period:
    return Period(start, add_years(start, years) - timedelta(days=1))


# -- proration (R6) -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "day", "expected"), [
    # The first day: the whole period.
    (term_period(date(2026, 1, 1), 1), date(2026, 1, 1), (date(2026, 1, 1), 365, 365)),
    # The last day counts: one day of 365.
    (term_period(date(2026, 1, 1), 1), date(2026, 12, 31), (date(2026, 12, 31), 1, 365)),
    # Both ends included: 1 July to 31 December is 184 days.
    (term_period(date(2026, 1, 1), 1), date(2026, 7, 1), (date(2026, 7, 1), 184, 365)),
    # A leap year has 366 days.
    (term_period(date(2028, 1, 1), 1), date(2028, 12, 1), (date(2028, 12, 1), 31, 366)),
    # A period across 29 February 2028.
    (term_period(date(2027, 6, 1), 1), date(2028, 2, 29), (date(2028, 2, 29), 93, 366)),
    # A multi-year period: the whole remaining term, out of all its days.
    (term_period(date(2025, 3, 1), 3), date(2026, 3, 1), (date(2026, 3, 1), 731, 1096)),
    (term_period(date(2024, 1, 1), 5), date(2028, 12, 31), (date(2028, 12, 31), 1, 1827)),
    # A period not begun yet is billed whole.
    (term_period(date(2027, 1, 1), 1), date(2026, 10, 1), (date(2027, 1, 1), 365, 365)),
])
def test_r6_proration_counts_the_days_left_both_ends_included(period, day, expected):
    days = proration(period, day)
    assert (days.start, days.days, days.period_days) == expected
    assert days.end == period.end


def test_r6_no_proration_after_the_period():
    with pytest.raises(ValueError):
        proration(term_period(date(2026, 1, 1), 1), date(2027, 1, 1))


@pytest.mark.parametrize(("added", "term", "day", "unit", "total_excl_vat"), [
    # 60.00 a year x 184/365 = 30.2465... -> 30.25 per resource; 2 resources.
    (2, Term.ONE_YEAR, date(2026, 7, 1), Decimal("30.25"), Decimal("60.50")),
    # Last day: 60 x 1/365 = 0.1643... -> 0.16.
    (1, Term.ONE_YEAR, date(2026, 12, 31), Decimal("0.16"), Decimal("0.16")),
    # Whole period: the full fee.
    (3, Term.ONE_YEAR, date(2026, 1, 1), Decimal("60.00"), Decimal("180.00")),
])
def test_r6_added_resources_are_the_fee_prorated_per_resource(added, term, day, unit, total_excl_vat):
    days = proration(term_period(date(2026, 1, 1), term.years), day)
    priced = quote_added_resources(BUSINESS, added, term, Decimal("0"), FRANCE, days)
    (line,) = priced.lines
    assert (line.kind, line.quantity, line.unit_price, line.amount) == (LineKind.ADDED_RESOURCES, added, unit,
                                                                        unit * added)
    assert priced.total_excl_vat == total_excl_vat
    assert priced.total_vat == (total_excl_vat * Decimal("0.2")).quantize(Decimal("0.01"))


def test_r6_p2_added_resources_take_the_periods_term_discount_then_the_club_discount():
    # A 3-year period from 1 March 2025, 731 days left of 1096: 3 x 60 x 731 / 1096 = 120.0547... -> 120.05.
    days = proration(term_period(date(2025, 3, 1), 3), date(2026, 3, 1))
    priced = quote_added_resources(BUSINESS, 2, Term.THREE_YEARS, Decimal("5"), FRANCE, days)
    kinds = [(line.kind, line.amount) for line in priced.lines]
    # 240.10, -10 % = -24.01, then -5 % of 216.09 = -10.80 (10.8045).
    assert kinds == [(LineKind.ADDED_RESOURCES, Decimal("240.10")), (LineKind.TERM_DISCOUNT, Decimal("-24.01")),
                     (LineKind.CLUB_DISCOUNT, Decimal("-10.80"))]
    assert priced.total_excl_vat == Decimal("205.29")


@pytest.mark.parametrize("added", [0, -1, 1000, True, 2.5])
def test_r6_p5_added_resources_are_whole_numbers_from_one(added):
    days = proration(term_period(date(2026, 1, 1), 1), date(2026, 6, 1))
    with pytest.raises(ResourcesOutOfRange):
        quote_added_resources(BUSINESS, added, Term.ONE_YEAR, Decimal("0"), FRANCE, days)


def test_r6_a_proration_must_say_its_days_right():
    with pytest.raises(ValueError):
        Proration(date(2026, 1, 1), date(2026, 1, 31), 30, 365)
    with pytest.raises(ValueError):
        Proration(date(2026, 1, 1), date(2026, 12, 31), 365, 364)


@given(start=st.dates(date(2024, 1, 1), date(2032, 12, 31)), years=st.sampled_from(list(Term)),
       offset=st.integers(0, 2000), added=st.integers(1, 50),
       fee=st.decimals(Decimal("0.01"), Decimal("5000"), places=2),
       club_discount=st.decimals(Decimal("0"), Decimal("100"), places=2))
def test_r6_hypothesis_an_addition_never_costs_more_than_the_same_resources_for_the_whole_term(
        start, years, offset, added, fee, club_discount):
    period = term_period(start, years.years)
    day = start + timedelta(days=offset)
    assume(day <= period.end)
    offer = OfferPrice("business", Decimal("0"), fee)
    days = proration(period, day)
    assert days.days == (period.end - day).days + 1 and days.period_days == period.days
    added_price = quote_added_resources(offer, added, years, club_discount, FRANCE, days)
    # The same resources bought with the period (base fee 0): the full-term price, same discounts.
    full_price = quote(offer, added, years, club_discount, FRANCE)
    assert Decimal(0) <= added_price.total_incl_vat <= full_price.total_incl_vat
    line = added_price.lines[0]
    assert line.quantity * line.unit_price == line.amount


@given(start=st.dates(date(2024, 1, 1), date(2030, 12, 31)), years=st.sampled_from(list(Term)),
       cuts=st.lists(st.integers(1, 1826), min_size=1, max_size=6, unique=True),
       fee=st.decimals(Decimal("0.01"), Decimal("5000"), places=2))
def test_r6_hypothesis_resources_added_one_after_another_never_sum_above_the_full_term(start, years, cuts, fee):
    """One resource added on each of several days: each costs at most its days' share, and all of them together
    never more than that many resources for the whole term (rounding never adds a cent beyond it)."""
    period = term_period(start, years.years)
    days = sorted({start + timedelta(days=cut) for cut in cuts if start + timedelta(days=cut) <= period.end})
    assume(days)
    offer = OfferPrice("business", Decimal("0"), fee)
    total = sum((quote_added_resources(offer, 1, Term.ONE_YEAR, Decimal("0"), FRANCE, proration(period, day))
                 .total_excl_vat for day in days), Decimal(0))
    assert total <= fee * len(days)


# -- notice and reductions (R7) -------------------------------------------------------------------------------

@pytest.mark.parametrize(("end", "today", "in_time"), [
    (date(2027, 3, 31), date(2026, 12, 31), True),   # 90 days before: the last day
    (date(2027, 3, 31), date(2027, 1, 1), False),    # 89 days before: too late
    (date(2027, 3, 31), date(2026, 6, 1), True),
    (date(2028, 5, 29), date(2028, 2, 29), True),    # across a leap day: 29 February is the deadline
    (date(2028, 5, 29), date(2028, 3, 1), False),
])
def test_r7_notice_comes_at_least_90_days_before_the_end_date(end, today, in_time):
    assert notice_deadline(end) == end - timedelta(days=90)
    assert notice_in_time(end, today) is in_time


@pytest.mark.parametrize(("end", "today", "withdrawable"), [
    (date(2027, 3, 31), date(2027, 3, 31), True), (date(2027, 3, 31), date(2027, 4, 1), False),
    (date(2027, 3, 31), date(2027, 1, 1), True),
])
def test_r7_notice_can_be_withdrawn_until_the_end_date(end, today, withdrawable):
    assert notice_withdrawable(end, today) is withdrawable


# -- start dates (R10) and the club's floor (R9) -----------------------------------------------------------------

@pytest.mark.parametrize(("today", "day", "allowed"), [
    (date(2026, 12, 7), date(2025, 12, 7), True), (date(2026, 12, 7), date(2025, 12, 6), False),
    (date(2026, 12, 7), date(2027, 12, 7), True), (date(2026, 12, 7), date(2027, 12, 8), False),
    (date(2028, 2, 29), date(2027, 2, 28), True), (date(2028, 2, 29), date(2029, 2, 28), True),
    (date(2028, 2, 29), date(2027, 2, 27), False),
])
def test_r10_a_subscription_starts_at_most_12_months_back_or_ahead(today, day, allowed):
    assert (day in start_range(today)) is allowed


@pytest.mark.parametrize(("activated", "others", "day", "floor"), [
    (5, [], date(2026, 6, 1), 5),
    # Another subscription running that day covers part of the count.
    (5, [RunningPeriod(date(2026, 1, 1), date(2026, 12, 31), 3)], date(2026, 6, 1), 2),
    # Both ends of the other period count as running.
    (5, [RunningPeriod(date(2026, 1, 1), date(2026, 12, 31), 3)], date(2026, 12, 31), 2),
    # Not running that day: it covers nothing then.
    (5, [RunningPeriod(date(2026, 1, 1), date(2026, 12, 31), 3)], date(2027, 1, 1), 5),
    # Never below zero.
    (2, [RunningPeriod(date(2026, 1, 1), date(2026, 12, 31), 4)], date(2026, 6, 1), 0),
    (6, [RunningPeriod(date(2026, 1, 1), date(2026, 12, 31), 2),
         RunningPeriod(date(2026, 3, 1), date(2027, 2, 28), 1)], date(2026, 6, 1), 3),
])
def test_r9_the_floor_is_the_clubs_total_less_its_other_subscriptions_running_that_day(activated, others, day, floor):
    assert resource_floor(activated, resources_elsewhere(others, day)) == floor


# -- states ---------------------------------------------------------------------------------------------------

TODAY = date(2026, 12, 7)


def dated(start_offset: int, end_offset: int, paid: bool = True) -> DatedPeriod:
    return DatedPeriod(TODAY + timedelta(days=start_offset), TODAY + timedelta(days=end_offset), paid)


@pytest.mark.parametrize(("periods", "under_notice", "state"), [
    ([], False, SubscriptionState.CANCELLED),
    ([dated(10, 374)], False, SubscriptionState.PLANNED),
    ([dated(-100, 264)], False, SubscriptionState.ACTIVE),
    ([dated(-300, 64)], False, SubscriptionState.RENEWAL_OPEN),
    ([dated(-300, 90)], False, SubscriptionState.RENEWAL_OPEN),
    ([dated(-300, 91)], False, SubscriptionState.ACTIVE),
    # Under notice, the end is near but nothing is to renew.
    ([dated(-300, 64)], True, SubscriptionState.ACTIVE),
    # Already renewed: the current period is not the last one.
    ([dated(-300, 64), dated(65, 429, paid=False)], False, SubscriptionState.ACTIVE),
    ([dated(-100, 264, paid=False)], False, SubscriptionState.AWAITING_PAYMENT),
    ([dated(-400, -1)], False, SubscriptionState.EXPIRED),
    ([dated(-400, -1)], True, SubscriptionState.ENDED),
    # The end date itself is still in the period.
    ([dated(-364, 0)], True, SubscriptionState.ACTIVE),
])
def test_r1_r4_r7_a_subscriptions_state_follows_its_periods_and_notice(periods, under_notice, state):
    assert subscription_state(reversed(periods), under_notice, TODAY) is state
