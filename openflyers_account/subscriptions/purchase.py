"""What a purchase costs before it is issued: a new subscription, added resources, a renewal (R1-R3, R6, R9, R10).

Reads only. The same pricing serves every front door (club, partner, staff): they differ in who may
act on which club, never in the price.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale

from ..accounts.models import Club
from ..accounts.operations import pending_charges
from ..billing import catalogue
from ..billing.catalogue import OfferInfo
from ..billing.documents import buyer_snapshot
from ..billing.errors import UnknownOffer
from ..billing.lines import line_description
from ..billing.models import PendingCharge
from ..domain import pricing
from ..domain.periods import Period, add_years, next_period
from ..domain.subscriptions import proration, resource_floor, resources_elsewhere, start_range
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
class Payer:
    """Who is billed for a purchase and pays it: the club itself, or the partner buying for it (B1, B3)."""

    #: The partner billed; empty when the club pays for itself.
    partner_id: int | None
    #: The buyer's identity as the invoice prints it (I2, I3); a partner's names the club as end customer.
    snapshot: dict
    #: Its negotiated discount in percent: the club's, or the partner's, which replaces it (P2, B1).
    discount_percent: Decimal
    #: Where it is: its VAT treatment follows (P3).
    country: str
    vat_number: str

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None

    @property
    def vat(self) -> pricing.VatTreatment:
        return pricing.vat_treatment(self.country, self.vat_number)


def club_payer(club: Club) -> Payer:
    """The club paying for itself, with its own discount (P2)."""
    return Payer(None, buyer_snapshot(club), club.discount_percent, club.country, club.vat_number)


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
    #: Who is billed; the club unless a partner buys (B3).
    payer: Payer | None = None

    @property
    def offer_name(self) -> str:
        return self.offer.name

    @property
    def order(self) -> SubscriptionOrder:
        return SubscriptionOrder(self.offer.code, self.resources, self.term, self.po_reference)

    @property
    def proration(self) -> pricing.Proration | None:
        return self.quote.lines[0].proration

    @property
    def by_partner(self) -> bool:
        return self.payer is not None and self.payer.is_partner

    def line_label(self, line: pricing.QuoteLine) -> str:
        """A line in words, in the current language; a partner's lines name the club they are for (B3)."""
        label = line_description(line, self.offer.name, partner=self.by_partner)
        if self.by_partner and line.kind is not pricing.LineKind.CLUB_DISCOUNT:
            return f"{self.club.name} ({self.club.subdomain})\u00a0: {label}"
        return label

    def descriptions(self) -> list[str]:
        """The lines in words as the invoice prints them, in French (invoices are French documents)."""
        with force_locale("fr"):
            return [self.line_label(line) for line in self.quote.lines]


def _offer(code: str) -> OfferInfo:
    offer = next((o for o in catalogue.offers() if o.code == code), None)
    if offer is None:
        raise UnknownOffer()
    return offer


@dataclass(frozen=True)
class PurchaseFacts:
    """What a period's price depends on besides the order, the payer and the catalogue: the resources the club's
    other subscriptions hold on the period's first day (P4, R9) and the charges waiting for the club's next invoice,
    when the club pays (A6). Each has `service_code`, `label`, `quantity` and `unit_price`."""

    elsewhere: int
    charges: tuple = ()


def purchase_facts(club: Club, first_day: date, subscription_id: int | None, payer: Payer | None = None,
                   subscriptions: list[Subscription] | None = None,
                   charges: list[PendingCharge] | None = None) -> PurchaseFacts:
    """The facts as the database holds them now; from the club's `subscriptions` (with their periods) and its
    pending `charges` when the caller read them already in this transaction (the renewal job reads them for many
    clubs at once)."""
    others = (queries.other_running_periods(club, subscription_id) if subscriptions is None
              else queries.running_periods_among(subscriptions, subscription_id))
    if payer is not None and payer.is_partner:
        charges = ()
    elif charges is None:
        charges = pending_charges(club)
    # A charge put on an invoice earlier in the transaction names it before its id is written (A6).
    return PurchaseFacts(resources_elsewhere(others, first_day),
                         tuple(charge for charge in charges if charge.invoice_id is None and charge.invoice is None))


def check_resources(club: Club, resources: int, first_day: date, subscription_id: int | None,
                    elsewhere: int | None = None) -> None:
    """Resources from the club's floor on the period's first day up to 999 (P4, P5, R9); `elsewhere` when the other
    subscriptions' resources that day are known already."""
    if elsewhere is None:
        elsewhere = resources_elsewhere(queries.other_running_periods(club, subscription_id), first_day)
    least = resource_floor(club.activated_resources, elsewhere)
    try:
        pricing.check_resources(resources, least)
    except pricing.BelowResourceFloor as error:
        elsewhere = club.activated_resources - least
        # With other subscriptions running that day, the message says how they share the count (R9).
        raise BelowResourceFloor("below_club_floor" if elsewhere else None, floor=least,
                                 activated=club.activated_resources, elsewhere=elsewhere, day=first_day) from error
    except pricing.ResourcesOutOfRange as error:
        raise ResourcesOutOfRange(floor=least, maximum=pricing.MAX_RESOURCES) from error


def _priced_period(club: Club, subscription_id: int | None, purpose: InvoicePurpose, order: SubscriptionOrder,
                   period: Period, today: date, payer: Payer | None, facts: PurchaseFacts | None = None) -> Purchase:
    """A whole period at the catalogue in force on the invoice date, with the payer's discount; the club's pending
    charges go on what the club pays itself (P1, P2, A6, B1). `facts` when they are known already (the live
    estimate); else they are read now."""
    payer = payer or club_payer(club)
    offer = _offer(order.offer_code)
    facts = facts or purchase_facts(club, period.start, subscription_id, payer)
    check_resources(club, order.resources, period.start, subscription_id, facts.elsewhere)
    charges = () if payer.is_partner else facts.charges
    quote = pricing.quote(
        catalogue.offer_price(offer.code, today), order.resources, order.term, payer.discount_percent, payer.vat,
        [pricing.ExtraCharge(c.service_code, c.label, c.quantity, c.unit_price) for c in charges],
    )
    if quote.total_incl_vat <= 0:
        raise NothingToBill()
    return Purchase(purpose, club, subscription_id, offer, period, order.resources, order.term, order.po_reference,
                    quote, charges, payer=payer)


def price_renewal(club: Club, subscription: Subscription | None, order: SubscriptionOrder, today: date,
                  payer: Payer | None = None) -> Purchase:
    """The next period of `subscription`, or a first subscription from today without one (R1, R3)."""
    window = queries.renewal_window(subscription, today)
    return price_next_period(club, subscription.id if subscription else None, window.current_end, order, today, payer)


def price_next_period(club: Club, subscription_id: int | None, current_end: date | None, order: SubscriptionOrder,
                      today: date, payer: Payer | None = None, facts: PurchaseFacts | None = None) -> Purchase:
    """The period after the one ending on `current_end`, or a first subscription from today without one (R1, R3)."""
    period = next_period(current_end, order.term.years, today)
    purpose = InvoicePurpose.SUBSCRIPTION if subscription_id is None else InvoicePurpose.RENEWAL
    return _priced_period(club, subscription_id, purpose, order, period, today, payer, facts)


def automatic_renewal_order(club: Club, subscription: Subscription, elsewhere: int) -> SubscriptionOrder:
    """What the automatic renewal buys: the subscription's offer, term and PO reference, and its resources less the
    reduction asked for in time, never below the club's floor on the new period's first day, where its other
    subscriptions hold `elsewhere` resources (R7, R8, R9, P4)."""
    last = queries.last_period(subscription)
    wanted = subscription.next_resources if subscription.next_resources is not None else last.total_resources
    least = resource_floor(club.activated_resources, elsewhere)
    return SubscriptionOrder(subscription.offer.code, max(wanted, least), pricing.Term(subscription.term_years),
                             subscription.po_reference)


def price_automatic_renewal(club: Club, subscription: Subscription, today: date, payer: Payer | None,
                            facts: PurchaseFacts) -> Purchase:
    """The period after the last one, from the day after it ends even when the job runs late: the subscription
    renewed itself then (R1, R8); `facts` as the job read them for that day."""
    start = queries.end_date(subscription) + timedelta(days=1)
    order = automatic_renewal_order(club, subscription, facts.elsewhere)
    period = Period(start, add_years(start, order.term.years) - timedelta(days=1))
    return _priced_period(club, subscription.id, InvoicePurpose.RENEWAL, order, period, today, payer, facts)


def price_new_subscription(club: Club, order: SubscriptionOrder, start: date, today: date,
                           payer: Payer | None = None) -> Purchase:
    """A new subscription from `start`, 12 months back to 12 months ahead, for its whole term (R9, R10)."""
    allowed = start_range(today)
    if start not in allowed:
        raise StartOutOfRange(earliest=allowed.earliest, latest=allowed.latest)
    period = Period(start, add_years(start, order.term.years) - timedelta(days=1))
    return _priced_period(club, None, InvoicePurpose.SUBSCRIPTION, order, period, today, payer)


def addition_period(subscription: Subscription, today: date) -> SubscriptionPeriod | None:
    """The period resources are added to: the one running today, else the first one to come (R6)."""
    return queries.period_covering(subscription, today) or next(
        (period for period in subscription.periods if period.start_date > today), None)


def price_addition(club: Club, subscription: Subscription, added: int, today: date,
                   payer: Payer | None = None) -> Purchase:
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
    payer = payer or club_payer(club)
    quote = pricing.quote_added_resources(catalogue.offer_price(offer.code, today), added, term,
                                          payer.discount_percent, payer.vat, days)
    if quote.total_incl_vat <= 0:
        raise NothingToBill()
    return Purchase(InvoicePurpose.ADDED_RESOURCES, club, subscription.id, offer, Period(days.start, days.end),
                    added, term, subscription.po_reference, quote, target_period_id=period.id, payer=payer)
