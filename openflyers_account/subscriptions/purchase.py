"""What a purchase costs before it is issued: a new subscription, added resources, a renewal (R1-R3, R6, R9, R10).

Reads only. The same pricing serves every front door (club, partner, staff): they differ in who may
act on which club, never in the price.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import force_locale

from ..accounts.models import Club
from ..accounts.operations import pending_charges
from ..billing import catalogue
from ..billing.catalogue import OfferInfo
from ..billing.errors import UnknownOffer
from ..billing.lines import line_description
from ..billing.models import PendingCharge
from ..domain import pricing
from ..domain.periods import Period, add_years, next_period
from ..domain.subscriptions import proration, start_range
from . import queries
from .errors import (
    AddedOutOfRange,
    BelowResourceFloor,
    NoRunningPeriod,
    NothingToBill,
    ResourcesOutOfRange,
    StartOutOfRange,
)
from .models import InvoicePurpose, Subscription, SubscriptionPeriod


@dataclass(frozen=True)
class SubscriptionOrder:
    """What the buyer chose for a period (R3): offer, resources, term and an optional PO reference (R5)."""

    offer_code: str
    resources: int
    term: pricing.Term
    po_reference: str = ""


@dataclass(frozen=True)
class Purchase:
    """A priced purchase, before it is issued: what it buys, for which days, at what price (R3)."""

    purpose: InvoicePurpose
    club: Club
    #: The subscription it is for; empty for a new one.
    subscription_id: int | None
    offer: OfferInfo
    #: The days billed: the period bought, or from the day resources are added to its end (R6).
    period: Period
    #: Resources bought: the period's, or those added (R6).
    resources: int
    term: pricing.Term
    po_reference: str
    quote: pricing.Quote
    #: Pending charges put on this invoice (A6).
    charges: tuple[PendingCharge, ...] = ()
    #: The period resources are added to (R6).
    target_period_id: int | None = None

    @property
    def offer_name(self) -> str:
        return self.offer.name

    @property
    def order(self) -> SubscriptionOrder:
        return SubscriptionOrder(self.offer.code, self.resources, self.term, self.po_reference)

    @property
    def proration(self) -> pricing.Proration | None:
        return self.quote.lines[0].proration

    def descriptions(self) -> list[str]:
        """The lines in words as the invoice prints them, in French (invoices are French documents)."""
        with force_locale("fr"):
            return [line_description(line, self.offer.name) for line in self.quote.lines]


def _offer(code: str) -> OfferInfo:
    offer = next((o for o in catalogue.offers() if o.code == code), None)
    if offer is None:
        raise UnknownOffer()
    return offer


def check_resources(club: Club, resources: int, first_day: date, subscription_id: int | None) -> None:
    """Resources from the club's floor on the period's first day up to 999 (P4, P5, R9)."""
    least = queries.floor(club, first_day, subscription_id)
    try:
        pricing.check_resources(resources, least)
    except pricing.BelowResourceFloor as error:
        elsewhere = club.activated_resources - least
        # With other subscriptions running that day, the message says how they share the count (R9).
        raise BelowResourceFloor("below_club_floor" if elsewhere else None, floor=least,
                                 activated=club.activated_resources, elsewhere=elsewhere, day=first_day) from error
    except pricing.ResourcesOutOfRange as error:
        raise ResourcesOutOfRange(floor=least, maximum=pricing.MAX_RESOURCES) from error


def _vat(club: Club) -> pricing.VatTreatment:
    return pricing.vat_treatment(club.country, club.vat_number)


def _priced_period(club: Club, subscription_id: int | None, purpose: InvoicePurpose, order: SubscriptionOrder,
                   period: Period, today: date) -> Purchase:
    """A whole period at the catalogue in force on the invoice date, with the club's pending charges (P1, P2, A6)."""
    offer = _offer(order.offer_code)
    check_resources(club, order.resources, period.start, subscription_id)
    charges = tuple(pending_charges(club))
    quote = pricing.quote(
        catalogue.offer_price(offer.code, today), order.resources, order.term, club.discount_percent, _vat(club),
        [pricing.ExtraCharge(c.service_code, c.label, c.quantity, c.unit_price) for c in charges],
    )
    if quote.total_incl_vat <= 0:
        raise NothingToBill()
    return Purchase(purpose, club, subscription_id, offer, period, order.resources, order.term, order.po_reference,
                    quote, charges)


def price_renewal(club: Club, subscription: Subscription | None, order: SubscriptionOrder, today: date) -> Purchase:
    """The next period of `subscription`, or a first subscription from today without one (R1, R3)."""
    window = queries.renewal_window(subscription, today)
    period = next_period(window.current_end, order.term.years, today)
    if subscription is None:
        return _priced_period(club, None, InvoicePurpose.SUBSCRIPTION, order, period, today)
    return _priced_period(club, subscription.id, InvoicePurpose.RENEWAL, order, period, today)


def price_new_subscription(club: Club, order: SubscriptionOrder, start: date, today: date) -> Purchase:
    """A new subscription from `start`, 12 months back to 12 months ahead, for its whole term (R9, R10)."""
    allowed = start_range(today)
    if start not in allowed:
        raise StartOutOfRange(earliest=allowed.earliest, latest=allowed.latest)
    period = Period(start, add_years(start, order.term.years) - timedelta(days=1))
    return _priced_period(club, None, InvoicePurpose.SUBSCRIPTION, order, period, today)


def addition_period(subscription: Subscription, today: date) -> SubscriptionPeriod | None:
    """The period resources are added to: the one running today, else the first one to come (R6)."""
    return queries.period_covering(subscription, today) or next(
        (period for period in subscription.periods if period.start_date > today), None)


def price_addition(club: Club, subscription: Subscription, added: int, today: date) -> Purchase:
    """Resources added to the running period: the per-resource fee in force for its whole term, prorated to the
    days left (both ends included), with its term discount and the club discount (R6, P2)."""
    period = addition_period(subscription, today)
    if period is None:
        raise NoRunningPeriod()
    room = pricing.MAX_RESOURCES - period.total_resources
    if isinstance(added, bool) or not isinstance(added, int) or not 1 <= added <= room:
        raise AddedOutOfRange(maximum=max(room, 0))
    offer = next(o for o in catalogue.offers() if o.id == period.offer_id)
    term = pricing.Term(period.term_years)
    days = proration(Period(period.start_date, period.end_date), today)
    quote = pricing.quote_added_resources(catalogue.offer_price(offer.code, today), added, term,
                                          club.discount_percent, _vat(club), days)
    if quote.total_incl_vat <= 0:
        raise NothingToBill()
    return Purchase(InvoicePurpose.ADDED_RESOURCES, club, subscription.id, offer, Period(days.start, days.end),
                    added, term, subscription.po_reference, quote, target_period_id=period.id)
