"""Reads about subscriptions: a club's subscriptions, their periods, invoices, state and floor (R1-R10)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Club
from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..domain.periods import renewal_opens_on
from ..domain.renewals import Stage, stage_day
from ..domain.subscriptions import (
    DatedPeriod,
    RunningPeriod,
    SubscriptionState,
    notice_deadline,
    resource_floor,
    resources_elsewhere,
    subscription_state,
)
from ..extensions import db
from ..payments.operations import position
from .models import (
    InvoicePurpose,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)

#: How the audit log, and an invoice's purchase, name the automatic renewal when it buys (K4, R8).
AUTOMATIC_RENEWAL = "automatic renewal"

#: Unpaid invoices that buy a period: there is at most one per subscription (R2).
UNPAID = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def club_subscriptions(club: Club) -> list[Subscription]:
    """The club's subscriptions, oldest first, with their periods and added resources, in one query."""
    return list(db.session.scalars(_club_subscriptions_query(), {"club_id": club.id}).unique())


@functools.cache
def _club_subscriptions_query():
    """Built once per process: the dashboard asks it at every visit."""
    return (select(Subscription).where(Subscription.club_id == bindparam("club_id")).order_by(Subscription.id)
            .options(joinedload(Subscription.periods).joinedload(SubscriptionPeriod.additions)))


def club_subscription(club: Club, subscription_id: int) -> Subscription | None:
    """One of the club's own subscriptions; another club's is None (never shown)."""
    return db.session.scalar(
        select(Subscription).where(Subscription.id == subscription_id, Subscription.club_id == club.id))


def lock_subscription(club: Club, subscription_id: int) -> Subscription | None:
    """The club's subscription, read again under the caller's lock (the club row's, R2, R6)."""
    return db.session.scalars(
        select(Subscription).where(Subscription.id == subscription_id, Subscription.club_id == club.id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def is_paid(period: SubscriptionPeriod) -> bool:
    """A period is in production once its invoice is fully paid (R4)."""
    return period.activated_at is not None


def period_covering(subscription: Subscription, day: date) -> SubscriptionPeriod | None:
    return next((p for p in subscription.periods if p.start_date <= day <= p.end_date), None)


def last_period(subscription: Subscription) -> SubscriptionPeriod | None:
    return subscription.periods[-1] if subscription.periods else None


def end_date(subscription: Subscription) -> date | None:
    """The last day the subscription is bought for: notice and reductions count back from it (R7)."""
    last = last_period(subscription)
    return last.end_date if last else None


def state(subscription: Subscription, today: date) -> SubscriptionState:
    periods = [DatedPeriod(p.start_date, p.end_date, is_paid(p)) for p in subscription.periods]
    return subscription_state(periods, subscription.notice_given_on is not None, today)


def other_running_periods(club: Club, subscription_id: int | None) -> list[RunningPeriod]:
    """The periods of the club's other subscriptions, with their added resources (R9)."""
    query = (select(SubscriptionPeriod).join(Subscription)
             .where(Subscription.club_id == club.id).options(selectinload(SubscriptionPeriod.additions)))
    if subscription_id is not None:
        query = query.where(Subscription.id != subscription_id)
    return [RunningPeriod(p.start_date, p.end_date, p.total_resources) for p in db.session.scalars(query)]


def running_periods_among(subscriptions: list[Subscription], subscription_id: int | None) -> list[RunningPeriod]:
    """`other_running_periods` from the club's subscriptions loaded already, with their periods (R9)."""
    return [RunningPeriod(p.start_date, p.end_date, p.total_resources)
            for subscription in subscriptions if subscription.id != subscription_id for p in subscription.periods]


def floor(club: Club, first_day: date, subscription_id: int | None) -> int:
    """Fewest resources a period of this subscription starting on `first_day` may have (P4, R9)."""
    return resource_floor(club.activated_resources, resources_elsewhere(other_running_periods(club, subscription_id),
                                                                        first_day))


def open_purchase_invoice(subscription: Subscription) -> Invoice | None:
    """The subscription's unpaid invoice for a period (its first one or a renewal), if any (R2)."""
    return db.session.scalar(_open_purchase_invoice_query(), {"subscription_id": subscription.id})


@functools.cache
def _open_purchase_invoice_query():
    """Built once per process: the dashboard asks it for each subscription at every visit."""
    return (select(Invoice).join(SubscriptionInvoice, SubscriptionInvoice.invoice_id == Invoice.id)
            .where(SubscriptionInvoice.subscription_id == bindparam("subscription_id"),
                   SubscriptionInvoice.purpose.in_([InvoicePurpose.SUBSCRIPTION, InvoicePurpose.RENEWAL]),
                   Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(UNPAID))
            .order_by(Invoice.id.desc()).limit(1))


#: How many of a subscription's documents a client page shows in its card; the rest are on the documents' pages (U4).
LATEST_INVOICES = 5


def invoices_of(subscription: Subscription, limit: int | None = None) -> list[Invoice]:
    """The subscription's invoices and the credit notes correcting them, newest first; the `limit` newest ones."""
    billed = select(SubscriptionInvoice.invoice_id).where(SubscriptionInvoice.subscription_id == subscription.id)
    return list(db.session.scalars(
        select(Invoice).where(or_(Invoice.id.in_(billed), Invoice.corrects_id.in_(billed)))
        .order_by(Invoice.id.desc()).limit(limit)
    ))


def latest_invoices_of(subscription: Subscription) -> tuple[list[Invoice], bool]:
    """The LATEST_INVOICES newest documents of the subscription, and whether it has older ones (U4)."""
    latest = invoices_of(subscription, LATEST_INVOICES + 1)
    return latest[:LATEST_INVOICES], len(latest) > LATEST_INVOICES


def renewed_automatically(invoice: Invoice) -> bool:
    """Whether the renewal job issued this invoice (R8)."""
    link = db.session.get(SubscriptionInvoice, invoice.id)
    return link is not None and link.bought_by == AUTOMATIC_RENEWAL


def purpose_of(invoice: Invoice) -> SubscriptionInvoice | None:
    """Which subscription an invoice bills and what for, if it bills one."""
    return db.session.get(SubscriptionInvoice, invoice.corrects_id if invoice.is_credit_note else invoice.id)


@dataclass(frozen=True)
class RenewalWindow:
    """When a subscription may be renewed (R2) and from which day its next period starts (R1)."""

    current_end: date | None
    opens_on: date | None
    is_open: bool


def renewal_window(subscription: Subscription | None, today: date) -> RenewalWindow:
    """Renewal opens 90 days before the end of the last period, or at once without one (R2)."""
    current_end = end_date(subscription) if subscription is not None else None
    if current_end is None:
        return RenewalWindow(None, None, True)
    opens_on = renewal_opens_on(current_end)
    return RenewalWindow(current_end, opens_on, today >= opens_on)


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription on a day, as the pages show it (R1-R7)."""

    subscription: Subscription
    today: date
    state: SubscriptionState
    #: The period covering today, else the first one to come, else the last one.
    current: SubscriptionPeriod | None
    #: The period after the current one: already renewed (R1).
    following: SubscriptionPeriod | None
    #: The unpaid invoice for its first period or its renewal (R2).
    open_invoice: Invoice | None
    #: What is still owed on it, after its payments (M4).
    left_to_pay: Decimal | None

    @property
    def end_date(self) -> date | None:
        return end_date(self.subscription)

    @property
    def resources(self) -> int:
        """Resources of the current period, added ones included (R6)."""
        return self.current.total_resources if self.current else 0

    @property
    def running_resources(self) -> int:
        """Resources subscribed for today: the current period's, if it covers today."""
        current = self.current
        return current.total_resources if current and current.start_date <= self.today <= current.end_date else 0

    @property
    def renewal_opens_on(self) -> date | None:
        return renewal_opens_on(self.end_date) if self.end_date else None

    @property
    def notice_deadline(self) -> date | None:
        return notice_deadline(self.end_date) if self.end_date else None

    @property
    def under_notice(self) -> bool:
        return self.subscription.notice_given_on is not None

    @property
    def is_over(self) -> bool:
        return self.state in (SubscriptionState.EXPIRED, SubscriptionState.ENDED, SubscriptionState.CANCELLED)

    @property
    def renews_itself_on(self) -> date | None:
        """The day the renewal job renews it, while nothing stops it: no notice, no renewal yet, its period paid
        (R7, R8)."""
        current = self.current
        if self.under_notice or self.following is not None or self.is_over or current is None or not is_paid(current):
            return None
        return stage_day(Stage.RENEWAL, current.end_date)


def view(subscription: Subscription, today: date, period_to_pay: bool = True) -> SubscriptionView:
    """The subscription as its pages show it on `today`; without looking for an invoice to pay when the club is
    known to have none (accounts.facts)."""
    periods = subscription.periods
    current = period_covering(subscription, today) or next((p for p in periods if p.start_date > today), None) \
        or (periods[-1] if periods else None)
    following = next((p for p in periods if current is not None and p.start_date > current.end_date), None)
    invoice = open_purchase_invoice(subscription) if period_to_pay else None
    return SubscriptionView(
        subscription=subscription, today=today, state=state(subscription, today), current=current,
        following=following, open_invoice=invoice,
        left_to_pay=position(invoice).settlement.balance_due if invoice else None,
    )
