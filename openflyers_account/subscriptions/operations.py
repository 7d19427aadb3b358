"""Subscription use cases, each one transaction: buy (new, added resources, renewal), PO reference, notice.

One service whoever buys: the club, its partner or staff. The front doors decide who may act on which
club and pass `actor`; the rules, the prices and the audit log are the same for all (R3, K4).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select, update

from .. import audit
from ..accounts.models import Club, StaffUser
from ..audit import Actor
from ..billing import operations as billing
from ..billing.errors import InvoiceNotCancellable
from ..billing.events import invoice_cancelled, invoice_settled
from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..domain.invoice_document import po_reference_problem
from ..domain.periods import next_period
from ..domain.subscriptions import notice_deadline, notice_in_time, notice_withdrawable
from ..extensions import db
from ..payments.models import Payment, PaymentDeclaration
from ..storage import utcnow
from ..transactions import use_case
from . import queries
from .errors import (
    AlreadyThisReference,
    ChooseSubscription,
    LateNoticeNotAllowed,
    NoticeTooLate,
    NotReissuable,
    PeriodHasAddedResources,
    PoReferenceInvalid,
    PriceChanged,
    ReductionNotFewer,
    ReductionTooLate,
    RenewalNotOpen,
    SubscriptionOver,
    UnknownSubscription,
    WithdrawalTooLate,
)
from .models import (
    InvoicePurpose,
    ResourceAddition,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)
from .purchase import (
    Payer,
    Purchase,
    PurchaseFacts,
    SubscriptionOrder,
    check_resources,
    price_addition,
    price_automatic_renewal,
    price_new_subscription,
    price_renewal,
)
from .queries import AUTOMATIC_RENEWAL

#: Why a credit note cancels an invoice at the buyer's request; printed on the credit note, in French.
CANCELLED_ON_REQUEST = "Annulation de la facture à la demande du client"
REISSUED_WITH_PO = "Facture réémise sous le numéro %s avec la nouvelle référence de commande"


def _lock_club(club_id: int) -> Club:
    # Every purchase and change of one club queues here (PostgreSQL row lock; SQLite: the use case's write
    # lock): the floor over all its subscriptions (R9) and one invoice per submission (R2, R6) hold.
    return db.session.scalars(
        select(Club).where(Club.id == club_id).with_for_update(of=Club).execution_options(populate_existing=True)
    ).one()


def _own_subscription(club: Club, subscription_id: int) -> Subscription:
    subscription = queries.lock_subscription(club, subscription_id)
    if subscription is None:
        raise UnknownSubscription()
    return subscription


def _check_price(purchase: Purchase, expected_total: Decimal | None) -> None:
    # The buyer accepted a total on the review page: a different one is accepted anew (R3).
    if expected_total is not None and purchase.quote.total_incl_vat != expected_total:
        raise PriceChanged(total=purchase.quote.total_incl_vat)


def _issue(purchase: Purchase, subscription: Subscription, today: date, term_years: int, offer_code: str,
           actor: Actor) -> Invoice:
    payer = purchase.payer
    invoice = billing.issue_invoice(
        purchase.club, purchase.quote, purchase.descriptions(),
        billing.Billed(purchase.period.start, purchase.period.end, offer_code, purchase.resources, term_years,
                       subscription.po_reference),
        today, purchase.charges, buyer=payer.snapshot if payer else None, partner_id=payer.partner_id if payer else None)
    db.session.add(SubscriptionInvoice(invoice=invoice, subscription_id=subscription.id,
                                       purpose=purchase.purpose, bought_by=audit.actor_label(actor)))
    return invoice


def _issue_period(purchase: Purchase, subscription: Subscription, today: date, actor: Actor) -> Invoice:
    """The invoice for a whole period and the period it pays for, active once paid (R1, R4)."""
    invoice = _issue(purchase, subscription, today, purchase.term.years, purchase.offer.code, actor)
    # Through the subscription: what reads its periods later in the transaction sees this one (R9).
    subscription.periods.append(SubscriptionPeriod(
        offer_id=purchase.offer.id, start_date=purchase.period.start, end_date=purchase.period.end,
        term_years=purchase.term.years, resources=purchase.resources, invoice=invoice))
    return invoice


def _issued(actor: Actor, action: str, club: Club, subscription: Subscription, invoice: Invoice,
            purchase: Purchase, mail: bool = True) -> Invoice:
    """The purchase's last writes: the audit entry saying who bought what, and the invoice e-mailed (K4, K5)."""
    audit.record(actor, action, club, subscription=subscription.id, invoice=invoice.number,
                 offer=purchase.offer.code, resources=purchase.resources, term=purchase.term.years,
                 start=purchase.period.start.isoformat(), end=purchase.period.end.isoformat(),
                 total=str(invoice.total_incl_vat))
    if mail:
        billing.queue_document_mail(club, invoice, "invoice_issued")
    return invoice


@use_case
def issue_renewal(club_id: int, subscription_id: int | None, order: SubscriptionOrder, today: date, actor: Actor,
                  expected_total: Decimal | None = None, payer: Payer | None = None) -> Invoice:
    """Issue the renewal the buyer reviewed and accepted; a second confirm returns the first (R1-R3, R5).

    A club with no subscription starts its first one today. The renewal takes the chosen offer, term and
    PO reference as the subscription's from now on, and ends a notice: the buyer chose to go on (R7).
    """
    club = _lock_club(club_id)
    subscription = _renewed_subscription(club, subscription_id)
    if subscription is not None:
        existing = queries.open_purchase_invoice(subscription)
        if existing is not None:
            return existing
        window = queries.renewal_window(subscription, today)
        if not window.is_open:
            raise RenewalNotOpen(opens_on=window.opens_on)
    # Priced again here, not only in the form: the platform may have reported more resources (P4).
    purchase = price_renewal(club, subscription, order, today, payer)
    _check_price(purchase, expected_total)
    if subscription is None:
        subscription = _new_subscription(purchase)
        action = "subscription.started"
    else:
        action = "subscription.renewed"
        if subscription.notice_given_on is not None:
            audit.record(actor, "subscription.notice_withdrawn", club, subscription=subscription.id,
                         by_renewal=True)
        before = (subscription.offer.code, subscription.term_years, subscription.po_reference)
        if before != (order.offer_code, order.term.years, order.po_reference):
            # The renewal's choice becomes the subscription's terms: the log keeps what they were (K4, R5).
            audit.record(actor, "subscription.terms_changed", club, subscription=subscription.id,
                         before=dict(zip(("offer", "term", "po_reference"), before)),
                         after={"offer": order.offer_code, "term": order.term.years,
                                "po_reference": order.po_reference})
        subscription.offer_id, subscription.term_years = purchase.offer.id, order.term.years
        subscription.po_reference, subscription.next_resources = order.po_reference, None
        subscription.notice_given_on, subscription.notice_given_by, subscription.late_notice_reason = None, "", ""
    return _issued(actor, action, club, subscription, _issue_period(purchase, subscription, today, actor), purchase)


def renew_automatically(club: Club, subscription: Subscription, period_end: date, today: date,
                        payer: Payer | None, facts: PurchaseFacts) -> Invoice | None:
    """The automatic renewal of a subscription whose last period ends on `period_end`, with no notice and no
    renewal invoice: same offer, term, PO reference and discounts, resources less a reduction asked in time,
    never below the floor (R7, R8). None when that no longer holds: the club renewed or gave notice meanwhile.

    In the caller's transaction, which read the club and the subscription under the club's lock (the renewal
    job, one transaction for many clubs), with the `facts` the price depends on, read with them. The caller e-mails
    the invoice with the renewal's own message (K5), so none is queued here.
    """
    if queries.end_date(subscription) != period_end or subscription.notice_given_on is not None:
        return None
    purchase = price_automatic_renewal(club, subscription, today, payer, facts)
    invoice = _issue_period(purchase, subscription, today, AUTOMATIC_RENEWAL)
    subscription.next_resources = None
    return _issued(AUTOMATIC_RENEWAL, "subscription.renewed_automatically", club, subscription, invoice, purchase,
                   mail=False)


def _renewed_subscription(club: Club, subscription_id: int | None) -> Subscription | None:
    """The subscription renewed: the one named, the club's only one, or none for a first subscription (R9)."""
    if subscription_id is not None:
        return _own_subscription(club, subscription_id)
    ids = db.session.scalars(select(Subscription.id).where(Subscription.club_id == club.id)).all()
    if len(ids) > 1:
        raise ChooseSubscription()
    return _own_subscription(club, ids[0]) if ids else None


def _new_subscription(purchase: Purchase, request_key: str | None = None) -> Subscription:
    subscription = Subscription(club_id=purchase.club.id, offer_id=purchase.offer.id, term_years=purchase.term.years,
                                po_reference=purchase.po_reference, request_key=request_key)
    db.session.add(subscription)
    db.session.flush()
    return subscription


@use_case
def start_subscription(club_id: int, order: SubscriptionOrder, start: date, today: date, actor: Actor,
                       expected_total: Decimal | None = None, request_key: str | None = None,
                       payer: Payer | None = None) -> Invoice:
    """Start a new subscription for the club from a date 12 months back to 12 months ahead; its first invoice
    covers the whole term from that date (R9, R10). The same form sent twice starts one."""
    club = _lock_club(club_id)
    if request_key is not None:
        started = db.session.scalar(select(Subscription).where(Subscription.request_key == request_key))
        if started is not None:
            return _first_invoice(started)
    purchase = price_new_subscription(club, order, start, today, payer)
    _check_price(purchase, expected_total)
    subscription = _new_subscription(purchase, request_key)
    return _issued(actor, "subscription.started", club, subscription, _issue_period(purchase, subscription, today, actor),
                   purchase)


def _first_invoice(subscription: Subscription) -> Invoice:
    return db.session.scalars(
        select(Invoice).join(SubscriptionInvoice, SubscriptionInvoice.invoice_id == Invoice.id)
        .where(SubscriptionInvoice.subscription_id == subscription.id,
               SubscriptionInvoice.purpose == InvoicePurpose.SUBSCRIPTION)
        .order_by(Invoice.id).limit(1)
    ).one()


@use_case
def add_resources(club_id: int, subscription_id: int, added: int, today: date, actor: Actor,
                  expected_total: Decimal | None = None, request_key: str | None = None,
                  payer: Payer | None = None) -> Invoice:
    """Add resources to the running period on an invoice of their own, prorated; they count at once and the
    period's dates do not change (R6). The same form sent twice adds once."""
    club = _lock_club(club_id)
    if request_key is not None:
        done = db.session.scalar(select(ResourceAddition).where(ResourceAddition.request_key == request_key))
        if done is not None:
            return db.session.get(Invoice, done.invoice_id)
    subscription = _own_subscription(club, subscription_id)
    purchase = price_addition(club, subscription, added, today, payer)
    _check_price(purchase, expected_total)
    period = db.session.get(SubscriptionPeriod, purchase.target_period_id)
    invoice = _issue(purchase, subscription, today, period.term_years, purchase.offer.code, actor)
    db.session.add(ResourceAddition(period_id=period.id, resources=added, start_date=purchase.period.start,
                                    invoice_id=invoice.id, request_key=request_key))
    return _issued(actor, "subscription.resources_added", club, subscription, invoice, purchase)


@use_case
def change_po_reference(club_id: int, subscription_id: int, po_reference: str, actor: Actor) -> bool:
    """Set the PO reference invoices issued from now on carry; False when it was already this one (R5)."""
    club = _lock_club(club_id)
    subscription = _own_subscription(club, subscription_id)
    reference = po_reference.strip()
    problem = po_reference_problem(reference)
    if problem:
        raise PoReferenceInvalid(f"po_reference_{problem}")
    if reference == subscription.po_reference:
        return False
    audit.record(actor, "subscription.po_reference_changed", club, subscription=subscription.id,
                 before=subscription.po_reference, after=reference)
    subscription.po_reference = reference
    return True


def reissuable(invoice: Invoice) -> bool:
    """An invoice with no payment recorded nor announced may be reissued with a new PO reference (R5): money
    already on its way names its number and reference."""
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status is not InvoiceStatus.ISSUED:
        return False
    paid = db.session.scalar(select(Payment.id).where(Payment.invoice_id == invoice.id).limit(1))
    announced = db.session.scalar(select(PaymentDeclaration.id).where(PaymentDeclaration.invoice_id == invoice.id)
                                  .limit(1))
    return paid is None and announced is None


def cancellable_by(invoice: Invoice, actor: Actor) -> bool:
    """The buyer may cancel an unpaid purchase to start again (R2, R6), with no money recorded nor announced for
    it; a club does not cancel a subscription staff or a partner started for it (R10)."""
    link = db.session.get(SubscriptionInvoice, invoice.id)
    if link is None or not reissuable(invoice):
        return False
    return link.purpose is not InvoicePurpose.SUBSCRIPTION or link.bought_by == audit.actor_label(actor)


@use_case
def reissue_with_po_reference(club_id: int, subscription_id: int, number: str, today: date, actor: Actor) -> Invoice:
    """Reissue an unpaid invoice of the subscription with its current PO reference: a credit note cancels it and
    a new invoice has the same lines, amounts and due date; what it bought moves to the new one (R5, I2)."""
    club = _lock_club(club_id)
    subscription = _own_subscription(club, subscription_id)
    invoice = billing.club_invoice(club, number, lock=True, billed_to=actor if not isinstance(actor, str) else None)
    link = db.session.get(SubscriptionInvoice, invoice.id) if invoice is not None else None
    if invoice is None or link is None or link.subscription_id != subscription.id or not reissuable(invoice):
        raise NotReissuable()
    if invoice.po_reference == subscription.po_reference:
        raise AlreadyThisReference()
    copy = billing.issue_copy(invoice, subscription.po_reference, today)
    db.session.add(SubscriptionInvoice(invoice_id=copy.id, subscription_id=subscription.id, purpose=link.purpose,
                                       bought_by=link.bought_by))
    for model in (SubscriptionPeriod, ResourceAddition):
        db.session.execute(update(model).where(model.invoice_id == invoice.id).values(invoice_id=copy.id))
    credit = billing.credit_in_full(invoice, REISSUED_WITH_PO % copy.number, today)
    audit.record(actor, "invoice.reissued", club, subscription=subscription.id, invoice=invoice.number,
                 credit_note=credit.number, new_invoice=copy.number, po_reference=copy.po_reference)
    billing.queue_document_mail(club, credit, "credit_note_issued")
    billing.queue_document_mail(club, copy, "invoice_issued")
    return copy


@use_case
def cancel_purchase(club_id: int, number: str, today: date, actor: Actor) -> Invoice:
    """Cancel an unpaid invoice of a subscription at the buyer's request: a credit note is issued and what the
    invoice bought is taken back, to start again (R2, R6, I5)."""
    club = _lock_club(club_id)
    invoice = billing.club_invoice(club, number, lock=True, billed_to=actor if not isinstance(actor, str) else None)
    if invoice is None or not cancellable_by(invoice, actor):
        raise InvoiceNotCancellable()
    credit = billing.credit_in_full(invoice, CANCELLED_ON_REQUEST, today)
    audit.record(actor, "invoice.cancelled", club, invoice=invoice.number, credit_note=credit.number)
    billing.queue_document_mail(club, credit, "credit_note_issued")
    return credit


def _running(subscription: Subscription, today: date) -> date:
    """The subscription's end date, refusing a subscription that has ended or has no period."""
    end = queries.end_date(subscription)
    if end is None or today > end:
        raise SubscriptionOver()
    return end


@use_case
def give_notice(club_id: int, subscription_id: int, today: date, actor: Actor, late_reason: str | None = None) -> None:
    """Notice not to renew, at least 90 days before the end date; later only staff accept it, with a reason
    kept in the audit log (R7). Nothing is removed from the running period, nothing refunded."""
    club = _lock_club(club_id)
    subscription = _own_subscription(club, subscription_id)
    end = _running(subscription, today)
    if subscription.notice_given_on is not None:
        return
    late = not notice_in_time(end, today)
    if late and not late_reason:
        raise NoticeTooLate(deadline=notice_deadline(end), end=end)
    if late and not isinstance(actor, StaffUser):
        raise LateNoticeNotAllowed()
    subscription.notice_given_on = today
    subscription.notice_given_by = audit.actor_label(actor)
    subscription.late_notice_reason = (late_reason or "")[:500] if late else ""
    audit.record(actor, "subscription.notice_given", club, subscription=subscription.id, end=end.isoformat(),
                 **({"late": True, "reason": subscription.late_notice_reason} if late else {}))


@use_case
def withdraw_notice(club_id: int, subscription_id: int, today: date, actor: Actor) -> None:
    """Withdraw the notice: possible until the end date; the subscription renews itself again (R7)."""
    club = _lock_club(club_id)
    subscription = _own_subscription(club, subscription_id)
    end = queries.end_date(subscription)
    if subscription.notice_given_on is None:
        return
    if end is None:
        raise SubscriptionOver()
    if not notice_withdrawable(end, today):
        raise WithdrawalTooLate(end=end)
    subscription.notice_given_on, subscription.notice_given_by, subscription.late_notice_reason = None, "", ""
    audit.record(actor, "subscription.notice_withdrawn", club, subscription=subscription.id)


@use_case
def request_reduction(club_id: int, subscription_id: int, resources: int, today: date, actor: Actor) -> None:
    """Ask for fewer resources for the next period, at least 90 days before the end date, never below the floor
    on its first day; the current count again clears the request (R7, P4, R9)."""
    club = _lock_club(club_id)
    subscription = _own_subscription(club, subscription_id)
    end = _running(subscription, today)
    if not notice_in_time(end, today):
        raise ReductionTooLate(deadline=notice_deadline(end))
    current = queries.last_period(subscription).total_resources
    if resources > current:
        raise ReductionNotFewer(current=current)
    wanted = None if resources == current else resources
    if wanted is not None:
        check_resources(club, wanted, next_period(end, 1, today).start, subscription.id)
    if wanted == subscription.next_resources:
        return
    audit.record(actor, "subscription.reduction_requested", club, subscription=subscription.id,
                 before=subscription.next_resources, after=wanted)
    subscription.next_resources = wanted


# -- what invoices tell subscriptions (billing.events) ------------------------------------------------------

@invoice_cancelled.connect
def _take_back(sender, invoice: Invoice, **_) -> None:
    """A cancelled invoice's period and added resources go (R2, R6); a period with resources added since
    is not cancelled before their invoices are."""
    periods = db.session.scalars(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id)).all()
    if any(period.additions for period in periods):
        raise PeriodHasAddedResources()
    for period in periods:
        db.session.delete(period)
    db.session.execute(delete(ResourceAddition).where(ResourceAddition.invoice_id == invoice.id)
                       .execution_options(synchronize_session="fetch"))


@invoice_settled.connect
def _in_production(sender, invoice: Invoice, fully_paid: bool, **_) -> None:
    """A period is in production exactly while its invoice is fully paid (R4)."""
    periods = update(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id)
    if fully_paid:
        db.session.execute(periods.where(SubscriptionPeriod.activated_at.is_(None)).values(activated_at=utcnow()))
    else:
        db.session.execute(periods.values(activated_at=None))
