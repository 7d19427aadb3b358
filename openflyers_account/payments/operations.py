"""Payment use cases, each one transaction: record, reverse, declare (M1-M4, R4, I5)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update

from .. import audit
from ..accounts.models import Club, StaffUser
from ..billing.events import invoice_settled
from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..billing.operations import page_of, payer_invoice, recipients_of
from ..domain import payments as rules
from ..domain.money import ZERO
from ..domain.payments import PaymentMethod, Settlement
from ..extensions import db
from ..mail.outbox import queue_mail
from ..transactions import use_case
from ..web import external_url
from .errors import (
    ChequeAlreadyRecorded,
    NotPayable,
    PaymentRefused,
    TransferAlreadyRecorded,
)
from .models import DeclarationStatus, Payment, PaymentDeclaration


@dataclass(frozen=True)
class InvoicePosition:
    """An invoice with what was paid and what is left (I5, M4); derived from the entries, never stored."""

    invoice: Invoice
    payments: list[Payment]
    settlement: Settlement
    #: Total incl. VAT less its credit notes: what the club owes before payments.
    amount_owed: Decimal


def lock_invoice(invoice_id: int) -> Invoice:
    # Payments to one invoice queue here (PostgreSQL row lock; SQLite: the use case's write lock).
    return db.session.scalars(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update(of=Invoice)
        .execution_options(populate_existing=True)
    ).one()


def position(invoice: Invoice) -> InvoicePosition:
    """Paid, left to pay and overpaid for an invoice, from its payments and credit notes (I5, M4)."""
    payments = list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)))
    credited = sum(db.session.scalars(select(Invoice.total_incl_vat).where(Invoice.corrects_id == invoice.id)), ZERO)
    owed = invoice.total_incl_vat - credited
    cancelled = invoice.status is InvoiceStatus.CANCELLED or owed <= 0
    settlement = rules.settle(owed if owed > 0 else invoice.total_incl_vat, [p.amount for p in payments], cancelled)
    return InvoicePosition(invoice, payments, settlement, max(owed, ZERO))


def _settle(invoice: Invoice, settlement: Settlement) -> None:
    """Move the invoice's status; what it bought is in production exactly while it is fully paid (R4)."""
    invoice.status = settlement.state
    if settlement.fully_paid:
        db.session.execute(update(PaymentDeclaration).where(PaymentDeclaration.invoice_id == invoice.id)
                           .values(status=DeclarationStatus.SETTLED))
    invoice_settled.send(invoice=invoice, fully_paid=settlement.fully_paid)


def _actor(recorded_by: StaffUser | str) -> str:
    return recorded_by.email if isinstance(recorded_by, StaffUser) else recorded_by


@use_case
def record_payment(invoice_id: int, amount: Decimal, method: PaymentMethod, received_on: date,
                   recorded_by: StaffUser | str, reference: str = "", bank: str = "", drawer: str = "",
                   note: str = "", provider_event_id: str | None = None, statement_entry_id: int | None = None,
                   request_key: str | None = None) -> Payment:
    """Record money received for an invoice; applied once per provider event or form submission (M1, M4)."""
    invoice = lock_invoice(invoice_id)
    already = _already_recorded(provider_event_id, statement_entry_id, request_key)
    if already is not None:
        return already
    if invoice.kind is not InvoiceKind.INVOICE:
        raise NotPayable()
    before = position(invoice)
    _refuse_same_money_twice(before.payments, method, reference, bank, amount, received_on)
    try:
        after = rules.record_payment(before.amount_owed or invoice.total_incl_vat,
                                     [p.amount for p in before.payments], before.settlement.state
                                     is InvoiceStatus.CANCELLED, amount)
    except rules.InvoiceCancelled as error:
        raise NotPayable() from error
    except rules.PaymentError as error:
        raise PaymentRefused() from error
    payment = Payment(invoice_id=invoice.id, club_id=invoice.club_id, amount=amount, method=method,
                      received_on=received_on, reference=reference[:140], bank=bank[:100], drawer=drawer[:200],
                      note=note[:500], recorded_by=_actor(recorded_by), provider_event_id=provider_event_id,
                      statement_entry_id=statement_entry_id, request_key=request_key)
    db.session.add(payment)
    _settle(invoice, after)
    # Every payment, whoever records it: staff, a statement, or the card provider's notification (K4).
    audit.record(recorded_by, "payment.recorded", invoice.club, invoice=invoice.number, amount=str(amount),
                 method=str(method), received_on=received_on.isoformat(), reference=reference, bank=bank,
                 drawer=drawer)
    _queue_payment_mail(invoice, payment, after)
    return payment


def _refuse_same_money_twice(payments: list[Payment], method: PaymentMethod, reference: str, bank: str,
                             amount: Decimal, received_on: date) -> None:
    """Refuse a cheque or transfer already on the invoice and not reversed (M4).

    Called under the invoice lock: two staff entering the same cheque from their own pages at the
    same moment queue there, and the second one sees the first one's payment.
    """
    identity = rules.payment_identity(method, reference, bank, amount, received_on)
    if identity is None:
        return
    reversed_ids = {payment.reverses_id for payment in payments if payment.reverses_id is not None}
    for earlier in payments:
        if (earlier.amount > 0 and earlier.id not in reversed_ids
                and rules.payment_identity(earlier.method, earlier.reference, earlier.bank, earlier.amount,
                                           earlier.received_on) == identity):
            error = ChequeAlreadyRecorded if method is PaymentMethod.CHEQUE else TransferAlreadyRecorded
            raise error(number=earlier.reference, bank=earlier.bank, reference=earlier.reference,
                        amount=earlier.amount, day=earlier.received_on)


def _already_recorded(provider_event_id, statement_entry_id, request_key) -> Payment | None:
    for column, value in ((Payment.provider_event_id, provider_event_id),
                          (Payment.statement_entry_id, statement_entry_id), (Payment.request_key, request_key)):
        if value is not None:
            existing = db.session.scalar(select(Payment).where(column == value))
            if existing is not None:
                return existing
    return None


@use_case
def reverse_payment(payment_id: int, staff: StaffUser, reason: str) -> Payment:
    """Cancel a mistaken entry with a counter-entry; nothing is deleted (M4)."""
    original = db.session.get(Payment, payment_id)
    if original is None or original.amount < 0:
        raise PaymentRefused()
    invoice = lock_invoice(original.invoice_id)
    if db.session.scalar(select(Payment).where(Payment.reverses_id == original.id)) is not None:
        raise PaymentRefused("payment_already_reversed")
    before = position(invoice)
    after = rules.settle(before.amount_owed or invoice.total_incl_vat,
                         [*(p.amount for p in before.payments), -original.amount],
                         before.settlement.state is InvoiceStatus.CANCELLED)
    counter = Payment(invoice_id=invoice.id, club_id=invoice.club_id, amount=-original.amount,
                      method=original.method, received_on=date.today(), reference=original.reference,
                      note=reason[:500], recorded_by=staff.email, reverses_id=original.id)
    db.session.add(counter)
    _settle(invoice, after)
    _queue_payment_mail(invoice, original, after, "payment_reversed")
    audit.record(staff, "payment.reversed", invoice.club, invoice=invoice.number, amount=str(original.amount),
                 reason=reason)
    return counter


def _queue_payment_mail(invoice: Invoice, payment: Payment, settlement: Settlement,
                        template: str = "payment_recorded") -> None:
    """Tell the buyer, the club or the partner billed, that money arrived or that a payment was reversed (K5, M4,
    B3)."""
    club = db.session.get(Club, invoice.club_id)
    link = external_url(page_of(invoice), number=invoice.number)
    for recipient in recipients_of(invoice):
        queue_mail(recipient.address, template, language=recipient.language, club=club, invoice=invoice,
                   payment=payment, settlement=settlement, link=link)


@use_case
def declare_payment(payer: object, number: str, method: PaymentMethod, note: str = "") -> PaymentDeclaration:
    """The club, or the partner billed, says it sent a transfer or a cheque; one open declaration per invoice and
    method (M2, M3, B3)."""
    invoice = payer_invoice(payer, number)
    if invoice is not None:
        invoice = lock_invoice(invoice.id)  # two declarations sent at once queue here: one is kept
    if invoice is None or invoice.kind is not InvoiceKind.INVOICE or invoice.status not in (
            InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
        raise NotPayable()
    existing = db.session.scalar(select(PaymentDeclaration).where(
        PaymentDeclaration.invoice_id == invoice.id, PaymentDeclaration.method == method,
        PaymentDeclaration.status == DeclarationStatus.OPEN))
    if existing is not None:
        return existing
    declaration = PaymentDeclaration(invoice_id=invoice.id, club_id=invoice.club_id, method=method, note=note[:200])
    db.session.add(declaration)
    return declaration


def open_declarations(invoice: Invoice | None = None) -> list[PaymentDeclaration]:
    """Payments the clubs say they sent and staff have not seen arrive, oldest first (M2, M3): only for invoices
    still waiting for money, never one cancelled or paid by other means since."""
    query = (select(PaymentDeclaration).join(Invoice, Invoice.id == PaymentDeclaration.invoice_id)
             .where(PaymentDeclaration.status == DeclarationStatus.OPEN,
                    Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID])))
    if invoice is not None:
        query = query.where(PaymentDeclaration.invoice_id == invoice.id)
    return list(db.session.scalars(query.order_by(PaymentDeclaration.declared_at)))


def overpaid_invoices() -> list[InvoicePosition]:
    """Invoices holding more money than they are owed: flagged until staff refund or reverse (M4)."""
    received = (select(Payment.invoice_id).group_by(Payment.invoice_id)
                .having(func.sum(Payment.amount) > 0).scalar_subquery())
    candidates = db.session.scalars(select(Invoice).where(
        Invoice.id.in_(received), Invoice.status.in_([InvoiceStatus.PAID, InvoiceStatus.CANCELLED]))
        .order_by(Invoice.issue_date, Invoice.id))
    positions = (position(invoice) for invoice in candidates)
    return [held for held in positions if held.settlement.overpaid > 0]


def payment(payment_id: int) -> Payment | None:
    return db.session.get(Payment, payment_id)


def payment_with_request_key(request_key: str) -> Payment | None:
    """The payment a staff form recorded, if that form was already sent (M4)."""
    return db.session.scalar(select(Payment).where(Payment.request_key == request_key))


def unpaid_invoices() -> list[Invoice]:
    """Invoices waiting for money, oldest due date first (the staff's list)."""
    return list(db.session.scalars(select(Invoice).where(
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID])).order_by(Invoice.due_date)))
