"""The statement of account of a club or a partner (K2): its documents and payments, as a page, a PDF, a CSV."""
from __future__ import annotations

from datetime import date

from flask import current_app, render_template
from babel.numbers import format_decimal
from flask_babel import format_date, gettext as _
from sqlalchemy import select
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ..billing.models import Invoice, InvoiceKind
from ..billing.operations import payer_documents
from ..domain.account_statement import AccountStatement, Movement, MovementKind, account_statement
from ..extensions import db
from ..payments.models import Payment
from .spreadsheets import csv_stream



def movements_of(account: object, end: date) -> list[Movement]:
    """Every document and payment on the account up to `end`, in two queries (K2)."""
    paid_by = payer_documents(account)
    movements = [
        Movement(issued, MovementKind.CREDIT_NOTE if kind is InvoiceKind.CREDIT_NOTE else MovementKind.INVOICE,
                 number, "", total, sequence=invoice_id)
        for invoice_id, number, kind, issued, total in db.session.execute(
            select(Invoice.id, Invoice.number, Invoice.kind, Invoice.issue_date, Invoice.total_incl_vat)
            .where(paid_by, Invoice.issue_date <= end))
    ]
    for payment_id, number, received, amount, method, reference in db.session.execute(
            select(Payment.id, Invoice.number, Payment.received_on, Payment.amount, Payment.method, Payment.reference)
            .join(Invoice, Invoice.id == Payment.invoice_id).where(paid_by, Payment.received_on <= end)):
        kind = MovementKind.PAYMENT if amount > 0 else MovementKind.REVERSAL
        movements.append(Movement(received, kind, number, _detail(method.value, reference), abs(amount),
                                  sequence=payment_id))
    return movements


def _detail(method: str, reference: str) -> str:
    words = {"card": _("card"), "transfer": _("transfer"), "cheque": _("cheque")}.get(method, method)
    return f"{words} {reference}".strip()


def statement_of(account: object, start: date, end: date) -> AccountStatement:
    return account_statement(start, end, movements_of(account, end))


def kind_label(kind: MovementKind) -> str:
    return {MovementKind.INVOICE: _("Invoice"), MovementKind.CREDIT_NOTE: _("Credit note"),
            MovementKind.PAYMENT: _("Payment"), MovementKind.REVERSAL: _("Payment reversed")}[kind]


def statement_csv(statement: AccountStatement) -> bytes:
    """The statement for a spreadsheet: `;` separated, decimal comma, UTF-8 with a BOM so Excel reads the accents."""

    def amount(value) -> str:
        return format_decimal(value, format="0.00", locale="fr") if value else ""

    def balance(value) -> str:
        return format_decimal(value, format="0.00", locale="fr")

    rows = [[_("Date"), _("Document"), _("Nature of the entry"), _("Detail"), _("Debit"), _("Credit"), _("Balance")],
            [format_date(statement.start, "short"), "", _("Opening balance"), "", "", "", balance(statement.opening)]]
    rows += [[format_date(line.movement.day, "short"), line.movement.reference, kind_label(line.movement.kind),
              line.movement.detail, amount(line.movement.debit), amount(line.movement.credit), balance(line.balance)]
             for line in statement.lines]
    rows.append([format_date(statement.end, "short"), "", _("Closing balance"), "", amount(statement.total_debit),
                 amount(statement.total_credit), balance(statement.closing)])
    return b"".join(csv_stream(rows))


def render_statement_pdf(statement: AccountStatement, holder: object) -> bytes:
    html = render_template("accounting/statement_pdf.html", statement=statement, holder=holder,
                           kind_label=kind_label)
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=fetcher).write_pdf()
