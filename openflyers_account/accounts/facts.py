"""What a club's pages ask about it besides its own row, read with the session's account in the same statement (U4).

Each is usually absent (no charge waiting, no partner, no invoice to pay), and each absent one is a query its
pages no longer make: the dashboard then costs the account's read and its subscriptions'.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select

from ..billing.models import Invoice, InvoiceKind, InvoiceStatus, PendingCharge
from ..partners.models import PartnerClub
from ..subscriptions.models import InvoicePurpose, Subscription, SubscriptionInvoice


@dataclass(frozen=True)
class ClubFacts:
    #: Charges wait for the club's next invoice (A6).
    charges_waiting: bool
    #: The partner managing the club, if any (B1).
    partner_id: int | None
    #: One of its subscriptions has an unpaid invoice for a period (R2).
    period_to_pay: bool


def columns(club_id: ColumnElement) -> list[ColumnElement]:
    """The facts of the club whose id is `club_id`, as columns to select with it, labelled as ClubFacts names them."""
    return [
        exists().where(PendingCharge.club_id == club_id, PendingCharge.invoice_id.is_(None)).label("charges_waiting"),
        select(PartnerClub.partner_id).where(PartnerClub.club_id == club_id).limit(1).scalar_subquery()
        .label("partner_id"),
        exists().where(and_(
            Subscription.club_id == club_id, SubscriptionInvoice.subscription_id == Subscription.id,
            # Equalities, not IN lists: the statement is compiled once and run on the driver (driver_reads).
            or_(SubscriptionInvoice.purpose == InvoicePurpose.SUBSCRIPTION,
                SubscriptionInvoice.purpose == InvoicePurpose.RENEWAL),
            Invoice.id == SubscriptionInvoice.invoice_id, Invoice.kind == InvoiceKind.INVOICE,
            or_(Invoice.status == InvoiceStatus.ISSUED, Invoice.status == InvoiceStatus.PARTIALLY_PAID),
        )).label("period_to_pay"),
    ]


def taken_from(row: dict) -> ClubFacts:
    """The facts `columns` added to `row`, taken out of it."""
    return ClubFacts(bool(row.pop("charges_waiting")), row.pop("partner_id"), bool(row.pop("period_to_pay")))
