"""The receipt of a fully paid invoice, "facture acquittée" (K1): rendered when asked, from the payments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, render_template
from sqlalchemy import select
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ..billing.documents import document_of
from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..domain.invoice_document import InvoiceDocument
from ..domain.money import ZERO
from ..extensions import db
from ..payments.models import Payment
from ..payments.operations import position


@dataclass(frozen=True)
class Receipt:
    """What a receipt says: the invoice's references and totals, the payments that settled it, and when (K1)."""

    invoice: Invoice
    doc: InvoiceDocument
    #: The payments that stand, oldest first: a reversed payment and its counter-entry are left out.
    payments: list[Payment]
    #: Total incl. VAT less its credit notes.
    amount_owed: Decimal
    #: The day the payments first covered what was owed.
    settled_on: date


def receipt_of(invoice: Invoice) -> Receipt | None:
    """The receipt of a fully paid invoice; None for anything else (unpaid, partly paid, cancelled, a credit
    note): there is nothing to acknowledge yet."""
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status is not InvoiceStatus.PAID:
        return None
    held = position(invoice)
    reversed_ids = {payment.reverses_id for payment in held.payments if payment.reverses_id}
    standing = sorted((payment for payment in held.payments
                       if payment.amount > 0 and payment.id not in reversed_ids),
                      key=lambda payment: (payment.received_on, payment.id))
    credited = list(db.session.execute(select(Invoice.issue_date, Invoice.total_incl_vat)
                                       .where(Invoice.corrects_id == invoice.id)))
    settled_on = settled_day(invoice.total_incl_vat, [(p.received_on, p.amount) for p in standing], credited)
    if settled_on is None:
        return None
    return Receipt(invoice, document_of(invoice), standing, held.amount_owed, settled_on)


def settled_day(total: Decimal, payments: list[tuple[date, Decimal]],
                credit_notes: list[tuple[date, Decimal]]) -> date | None:
    """The first day the money received covered what was owed that day: the total less the credit notes issued by
    then (a credit note after the payments settles the invoice on its own day, not earlier)."""
    days = sorted({day for day, _ in payments} | {day for day, _ in credit_notes})
    for day in days:
        received = sum((amount for paid_on, amount in payments if paid_on <= day), ZERO)
        owed = total - sum((amount for issued, amount in credit_notes if issued <= day), ZERO)
        if received >= owed:
            return day
    return None


def receipt_filename(receipt: Receipt) -> str:
    return f"{receipt.invoice.number}-acquittee.pdf"


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF, in the reader's language (K1)."""
    html = render_template("accounting/receipt_pdf.html", receipt=receipt, doc=receipt.doc)
    # Local files only (the stylesheet): a receipt never reaches the network.
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=fetcher).write_pdf()
