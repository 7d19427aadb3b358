"""A subscription's dates and resources: notice, reductions, start dates, proration, the club's floor (R6-R10)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from openflyers_account.domain.periods import Period, add_years, renewal_opens_on
from openflyers_account.domain.pricing import Proration

#: R7: notice not to renew, and a reduction for the next period, come at least this many days before the end.
NOTICE_DAYS = 90

#: R10: a subscription may start at most this many years (12 months) before or after today.
START_RANGE_YEARS = 1


def notice_deadline(end: date) -> date:
    """Last day notice not to renew (or a reduction) may be given for a subscription ending on `end` (R7)."""
    return end - timedelta(days=NOTICE_DAYS)


def notice_in_time(end: date, today: date) -> bool:
    """True while notice may still be given without staff accepting it late (R7)."""
    return today <= notice_deadline(end)


def notice_withdrawable(end: date, today: date) -> bool:
    """Notice can be withdrawn until the end date itself (R7)."""
    return today <= end


@dataclass(frozen=True)
class StartRange:
    """The days a subscription started by staff or a partner may start on (R10)."""

    earliest: date
    latest: date

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def start_range(today: date) -> StartRange:
    """From 12 months back (resources already in use) to 12 months ahead (planned), both included (R10)."""
    return StartRange(add_years(today, -START_RANGE_YEARS), add_years(today, START_RANGE_YEARS))


@dataclass(frozen=True)
class RunningPeriod:
    """Another subscription's period, as the floor needs it: its dates and resources (R9)."""

    start: date
    end: date
    resources: int


def resources_elsewhere(others: Iterable[RunningPeriod], first_day: date) -> int:
    """The resources of the club's other subscriptions running on `first_day` (R9)."""
    return sum(other.resources for other in others if other.start <= first_day <= other.end)


def resource_floor(activated: int, elsewhere: int) -> int:
    """Fewest resources a period may have: the platform's activated count less the resources the club's other
    subscriptions hold on its first day, never below zero (P4, R9)."""
    if isinstance(activated, bool) or not isinstance(activated, int) or activated < 0:
        raise ValueError(f"activated must be a whole number, not {activated!r}")
    return max(0, activated - elsewhere)


def proration(period: Period, from_day: date) -> Proration:
    """The days billed for resources added on `from_day` to `period`: from that day (or the period's start,
    for a period not begun yet) to its end, both included, out of all its days (R6)."""
    if from_day > period.end:
        raise ValueError(f"the period ended on {period.end}, before {from_day}")
    start = max(from_day, period.start)
    return Proration(start, period.end, (period.end - start).days + 1, period.days)


class SubscriptionState(enum.StrEnum):
    """Where a subscription stands on a day, derived from its periods and notice (R1, R2, R4, R7, R10)."""

    #: Its first period starts later (R10).
    PLANNED = "planned"
    #: Today is in a period whose invoice is not fully paid yet (R4).
    AWAITING_PAYMENT = "awaiting_payment"
    #: Today is in a paid period; renewal not open yet.
    ACTIVE = "active"
    #: Today is in a paid period that ends within 90 days, with no next period: time to renew (R2).
    RENEWAL_OPEN = "renewal_open"
    #: The last period has ended without notice: it lapsed.
    EXPIRED = "expired"
    #: The last period has ended under notice: it is over (R7).
    ENDED = "ended"
    #: It has no period: its only invoice was cancelled.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DatedPeriod:
    """A period as the state needs it: dates, and whether its invoice is fully paid (R4)."""

    start: date
    end: date
    paid: bool


def subscription_state(periods: Iterable[DatedPeriod], under_notice: bool, today: date) -> SubscriptionState:
    """The state of a subscription on `today` from its periods, in any order (R1, R2, R4, R7, R10)."""
    periods = sorted(periods, key=lambda period: period.start)
    if not periods:
        return SubscriptionState.CANCELLED
    if today < periods[0].start:
        return SubscriptionState.PLANNED
    last = periods[-1]
    if today > last.end:
        return SubscriptionState.ENDED if under_notice else SubscriptionState.EXPIRED
    current = next((period for period in periods if period.start <= today <= period.end), None)
    if current is None or not current.paid:
        # Between two periods, or in one not paid yet: the platform waits for the payment (R4).
        return SubscriptionState.AWAITING_PAYMENT
    if current is last and not under_notice and today >= renewal_opens_on(current.end):
        return SubscriptionState.RENEWAL_OPEN
    return SubscriptionState.ACTIVE
