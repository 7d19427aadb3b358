"""The statement of account of a club or a partner (K2): its documents and payments, as a page, a PDF, a CSV."""
from __future__ import annotations

import csv
import io
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
from .spreadsheets import safe_row



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
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out, delimiter=";", lineterminator="\r\n"))

    def amount(value) -> str:
        return format_decimal(value, format="0.00", locale="fr") if value else ""

    writer.writerow([_("Date"), _("Document"), _("Nature of the entry"), _("Detail"), _("Debit"), _("Credit"),
                     _("Balance")])
    writer.writerow([format_date(statement.start, "short"), "", _("Opening balance"), "", "", "",
                     format_decimal(statement.opening, format="0.00", locale="fr")])
    for line in statement.lines:
        movement = line.movement
        writer.writerow([format_date(movement.day, "short"), movement.reference, kind_label(movement.kind),
                         movement.detail, amount(movement.debit), amount(movement.credit),
                         format_decimal(line.balance, format="0.00", locale="fr")])
    writer.writerow([format_date(statement.end, "short"), "", _("Closing balance"), "",
                     amount(statement.total_debit), amount(statement.total_credit),
                     format_decimal(statement.closing, format="0.00", locale="fr")])
    return "\ufeff".encode() + out.getvalue().encode()


class _SafeWriter:
    """A csv writer whose cells cannot start a formula in a spreadsheet."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def writerow(self, row) -> None:
        self.writer.writerow(safe_row(row))


def render_statement_pdf(statement: AccountStatement, holder: object) -> bytes:
    html = render_template("accounting/statement_pdf.html", statement=statement, holder=holder,
                           kind_label=kind_label)
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=fetcher).write_pdf()
