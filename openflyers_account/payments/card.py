"""Card payments through the configured provider: open a hosted checkout, apply its signed notifications (M1, R4).

Only a verified notification records money, never the browser coming back from the provider; each
provider event, and each checkout session, is applied once however often and however concurrently
it is delivered (unique Payment.provider_event_id and the invoice lock taken by record_payment).
"""
from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..billing.operations import payer_invoice, recipients_of
from ..domain.payments import PaymentMethod
from ..extensions import db
from ..transactions import use_case
from ..web import external_url
from .errors import NotPayable, PaymentRefused, PaymentsError
from .models import CardCheckout, Payment
from .operations import lock_invoice, position, record_payment
from .providers import (
    BadNotification,
    Notification,
    PaymentData,
    UnknownProvider,
    provider,
)

log = logging.getLogger(__name__)

#: Card payments are taken in euros only: the invoices' currency.
CURRENCY = "EUR"


class InvoiceNotFound(PaymentsError):
    """Not one of the club's own documents (another club's invoice is never shown)."""

    code = "invoice_not_found"


class NotificationOutcome(enum.StrEnum):
    """What a verified notification did; the webhook answers 200 to each of them."""

    #: A payment was recorded.
    APPLIED = "applied"
    #: This event, or another for the same checkout, was applied before: nothing more.
    ALREADY_APPLIED = "already_applied"
    #: An event type we do not act on, or a checkout not paid yet.
    IGNORED = "ignored"
    #: Signed, but not acceptable (unknown session, wrong amount or currency, invoice not payable): logged.
    REFUSED = "refused"


class NotificationRefused(Exception):
    """A signed notification that must change nothing; `level` says how loudly to log it."""

    def __init__(self, reason: str, level: int = logging.ERROR) -> None:
        super().__init__(reason)
        self.reason = reason
        self.level = level


def configured_provider_name() -> str:
    return current_app.config["PAYMENT_PROVIDER"]


def start_card_payment(payer: object, number: str) -> str:
    """Open the provider's hosted page for what the club, or the partner billed, still owes on its invoice; its
    address (M1, B3)."""
    invoice = payer_invoice(payer, number)
    if invoice is None:
        raise InvoiceNotFound()
    amount = _amount_due(invoice)
    gateway = provider(current_app.config)
    # The provider is called outside any transaction: no lock is held while it answers.
    session = gateway.create_checkout(PaymentData(
        invoice_number=invoice.number,
        amount=amount,
        currency=invoice.currency,
        description=_("OpenFlyers invoice %(number)s", number=invoice.number),
        customer_email=recipients_of(invoice)[-1].address,
        success_url=external_url("payments.card_return", number=invoice.number),
        cancel_url=external_url("payments.card_return", number=invoice.number, cancelled=1),
    ))
    _remember_checkout(invoice.id, gateway.name, session.session_ref, amount)
    return session.redirect_url


def _amount_due(invoice: Invoice) -> Decimal:
    """The balance due on a payable invoice; NotPayable for a credit note, a cancelled or a paid invoice."""
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in (InvoiceStatus.ISSUED,
                                                                           InvoiceStatus.PARTIALLY_PAID):
        raise NotPayable()
    due = position(invoice).settlement.balance_due
    if due <= 0 or invoice.currency != CURRENCY:
        raise NotPayable()
    return due


@use_case
def _remember_checkout(invoice_id: int, provider_name: str, session_ref: str, amount: Decimal) -> CardCheckout:
    """Store the opened checkout, if the invoice still owes exactly that amount."""
    invoice = lock_invoice(invoice_id)
    if _amount_due(invoice) != amount:
        raise NotPayable()  # a payment arrived meanwhile: the club starts again with the new balance
    checkout = CardCheckout(invoice_id=invoice.id, provider=provider_name, session_ref=session_ref, amount=amount)
    db.session.add(checkout)
    return checkout


def receive_notification(provider_name: str, payload: bytes, headers: Mapping[str, str]) -> NotificationOutcome:
    """Verify a provider's notification and record the card payment it reports, once (M1, R4).

    Raises UnknownProvider when `provider_name` is not the configured provider, and BadNotification
    (logged) for a bad signature, a stale timestamp or a malformed body.
    """
    if provider_name != configured_provider_name():
        raise UnknownProvider(provider_name)
    try:
        notification = provider(current_app.config, provider_name).parse_notification(payload, headers)
    except BadNotification as error:
        log.warning("%s notification rejected: %s", provider_name, error.reason)
        raise
    if notification is None:
        log.info("%s notification ignored: event type not handled", provider_name)
        return NotificationOutcome.IGNORED
    if not notification.paid:
        log.info("%s event %s ignored: checkout %s is not paid yet", provider_name, notification.event_id,
                 notification.session_ref)
        return NotificationOutcome.IGNORED
    event_id = f"{provider_name}:{notification.event_id}"
    try:
        outcome = _apply(provider_name, notification, event_id)
    except NotificationRefused as refusal:
        log.log(refusal.level, "%s event %s refused, nothing recorded: %s", provider_name, notification.event_id,
                refusal.reason)
        return NotificationOutcome.REFUSED
    except IntegrityError:
        # The same event delivered at the same moment: the other delivery's payment won the unique key.
        if db.session.scalar(select(Payment.id).where(Payment.provider_event_id == event_id)) is None:
            raise
        outcome = NotificationOutcome.ALREADY_APPLIED
    log.info("%s event %s for checkout %s: %s", provider_name, notification.event_id, notification.session_ref,
             outcome)
    return outcome


@use_case
def _apply(provider_name: str, notification: Notification, event_id: str) -> NotificationOutcome:
    """Check the notification against the checkout it names, then record the payment (one transaction)."""
    checkout = db.session.scalar(select(CardCheckout).where(CardCheckout.provider == provider_name,
                                                            CardCheckout.session_ref == notification.session_ref))
    if checkout is None:
        raise NotificationRefused(f"unknown checkout session {notification.session_ref!r}", logging.WARNING)
    invoice = lock_invoice(checkout.invoice_id)
    if notification.invoice_number and notification.invoice_number != invoice.number:
        raise NotificationRefused(f"checkout {checkout.session_ref} is for invoice {invoice.number}, "
                                  f"the notification names {notification.invoice_number!r}")
    if notification.currency != CURRENCY or invoice.currency != CURRENCY:
        raise NotificationRefused(f"currency {notification.currency!r}, expected {CURRENCY} "
                                  f"(invoice {invoice.number})")
    if notification.amount != checkout.amount:
        raise NotificationRefused(f"amount {notification.amount} {notification.currency}, the checkout for invoice "
                                  f"{invoice.number} was opened for {checkout.amount}")
    if _already_applied(provider_name, checkout, event_id):
        return NotificationOutcome.ALREADY_APPLIED
    try:
        record_payment(invoice.id, notification.amount, PaymentMethod.CARD, date.today(), provider_name,
                       reference=checkout.session_ref, provider_event_id=event_id)
    except (NotPayable, PaymentRefused) as error:
        raise NotificationRefused(f"invoice {invoice.number} takes no payment ({error.code}): "
                                  f"{notification.amount} {notification.currency} was taken, refund it or "
                                  f"record it by hand") from error
    return NotificationOutcome.APPLIED


def _already_applied(provider_name: str, checkout: CardCheckout, event_id: str) -> bool:
    """This event was applied, or another event already paid the same checkout (a session pays once)."""
    return db.session.scalar(select(Payment.id).where(or_(
        Payment.provider_event_id == event_id,
        and_(Payment.method == PaymentMethod.CARD, Payment.recorded_by == provider_name,
             Payment.reference == checkout.session_ref, Payment.amount > 0),
    )).limit(1)) is not None

