"""What a club may renew now and at what price: reads only, no writes (R1-R3, P2-P5)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal, gettext as _
from sqlalchemy import select

from ..accounts.operations import pending_charges
from ..domain import pricing
from ..domain.periods import Period, next_period, renewal_opens_on
from ..extensions import db
from ..models import Club, Invoice, InvoiceKind, InvoiceStatus, PendingCharge, SubscriptionPeriod
from . import catalogue
from .errors import BelowResourceFloor, ResourcesOutOfRange, UnknownOffer


@dataclass(frozen=True)
class RenewalOrder:
    """What the treasurer chose (R3): offer, resources, term and an optional PO reference (R5)."""

    offer_code: str
    resources: int
    term: pricing.Term
    po_reference: str = ""


@dataclass(frozen=True)
class RenewalWindow:
    """When the club may renew (R2) and from which day the next period starts (R1)."""

    current_end: date | None
    opens_on: date | None
    is_open: bool


@dataclass(frozen=True)
class Estimate:
    """A priced renewal, before it is issued (R3)."""

    order: RenewalOrder
    offer_id: int
    offer_name: str
    period: Period
    quote: pricing.Quote
    charges: tuple[PendingCharge, ...]


def renewal_window(club: Club, today: date) -> RenewalWindow:
    """Renewal opens 90 days before the end of the last paid period, or at once without one (R2)."""
    current_end = db.session.scalar(
        select(SubscriptionPeriod.end_date)
        .where(SubscriptionPeriod.club_id == club.id, SubscriptionPeriod.activated_at.is_not(None))
        .order_by(SubscriptionPeriod.end_date.desc()).limit(1)
    )
    if current_end is None:
        return RenewalWindow(None, None, True)
    opens_on = renewal_opens_on(current_end)
    return RenewalWindow(current_end, opens_on, today >= opens_on)


def open_renewal_invoice(club: Club) -> Invoice | None:
    """The club's unpaid renewal invoice, if any: there is at most one (R2)."""
    return db.session.scalar(
        select(Invoice).where(
            Invoice.club_id == club.id, Invoice.kind == InvoiceKind.INVOICE, Invoice.period_start.is_not(None),
            Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID]),
        ).order_by(Invoice.id.desc()).limit(1)
    )


def check_order(club: Club, order: RenewalOrder) -> None:
    """Raise the field error for resources out of range or below the platform's count (P4, P5)."""
    try:
        pricing.check_resources(order.resources, club.activated_resources)
    except pricing.BelowResourceFloor as error:
        raise BelowResourceFloor(floor=error.floor) from error
    except pricing.ResourcesOutOfRange as error:
        raise ResourcesOutOfRange(floor=club.activated_resources, maximum=pricing.MAX_RESOURCES) from error


def estimate(club: Club, order: RenewalOrder, today: date) -> Estimate:
    """Price the order for `today` with the catalogue in force and the club's pending charges (P2, P3, A6)."""
    check_order(club, order)
    offer = next((o for o in catalogue.offers() if o.code == order.offer_code), None)
    if offer is None:
        raise UnknownOffer()
    charges = tuple(pending_charges(club))
    quote = pricing.quote(
        catalogue.offer_price(order.offer_code, today), order.resources, order.term, club.discount_percent,
        pricing.vat_treatment(club.country, club.vat_number),
        [pricing.ExtraCharge(c.service_code, c.label, c.quantity, c.unit_price) for c in charges],
    )
    window = renewal_window(club, today)
    return Estimate(order, offer.id, offer.name, next_period(window.current_end, order.term.years, today), quote, charges)


def line_description(line: pricing.QuoteLine, offer_name: str, period: Period | None = None) -> str:
    """A quote line in the current language; invoices are issued with French as the language."""
    if line.kind is pricing.LineKind.BASE_FEE:
        return _("%(offer)s subscription, annual base fee", offer=offer_name)
    if line.kind is pricing.LineKind.RESOURCES:
        return _("Resources (aircraft, simulators), annual fee for %(years)d year(s)", years=line.years)
    if line.kind is pricing.LineKind.TERM_DISCOUNT:
        return _("%(years)d-year term discount (%(percent)s %%)", years=line.years, percent=_percent(line.percent))
    if line.kind is pricing.LineKind.CLUB_DISCOUNT:
        return _("Club discount (%(percent)s %%)", percent=_percent(line.percent))
    return line.label or ""


def _percent(value: Decimal | None) -> str:
    return format_decimal(value) if value is not None else ""
