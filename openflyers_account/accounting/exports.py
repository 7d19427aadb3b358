"""The accountant's exports (K3): the sales and bank journals of a date range, as a FEC and as a CSV.

Read in chunks from the database and written as they come: a year of invoices takes constant memory.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..billing.models import Invoice, InvoiceKind
from ..domain import fec
from ..payments.models import Payment
from ..transactions import streaming_read
from .spreadsheets import csv_stream

#: Rows fetched from the database at a time.
CHUNK = 2000
_METHOD_WORDS = {"card": "carte", "transfer": "virement", "cheque": "chèque"}


def settings() -> fec.Settings:
    """Accounts and journals from the configuration (FEC_* settings), the French chart's by default."""
    config = current_app.config
    return fec.Settings(**{name: config[key] for name, key in _SETTING_KEYS.items() if config.get(key)})


#: fec.Settings field -> configuration key.
_SETTING_KEYS = {
    "customers_account": "FEC_CUSTOMERS_ACCOUNT", "sales_account": "FEC_SALES_ACCOUNT",
    "vat_account": "FEC_VAT_ACCOUNT", "bank_account": "FEC_BANK_ACCOUNT", "cheques_account": "FEC_CHEQUES_ACCOUNT",
    "sales_journal": "FEC_SALES_JOURNAL", "bank_journal": "FEC_BANK_JOURNAL",
}


def _customer(buyer_name: str | None, partner_id: int | None, club_id: int) -> tuple[str, str]:
    """The auxiliary account of whoever pays: the partner billed, else the club (B3)."""
    code = f"P{partner_id:06d}" if partner_id else f"C{club_id:06d}"
    return code, buyer_name or code


def sale_documents(start: date, end: date) -> Iterator[fec.SaleDocument]:
    """Invoices and credit notes issued from `start` to `end`, by day then number (K3)."""
    # The buyer's name only, not its whole snapshot: read as text by the database, never decoded here.
    query = (select(Invoice.number, Invoice.kind, Invoice.issue_date, Invoice.club_id, Invoice.partner_id,
                    Invoice.buyer["name"].as_string(), Invoice.total_excl_vat, Invoice.total_vat,
                    Invoice.total_incl_vat)
             .where(Invoice.issue_date >= start, Invoice.issue_date <= end)
             .order_by(Invoice.issue_date, Invoice.id).execution_options(yield_per=CHUNK))
    with streaming_read() as connection:
        for number, kind, issued, club_id, partner_id, buyer, excl, vat, incl in connection.execute(query):
            code, name = _customer(buyer, partner_id, club_id)
            credit_note = kind is InvoiceKind.CREDIT_NOTE
            yield fec.SaleDocument(
                number=number, is_credit_note=credit_note, issue_date=issued, customer_code=code, customer_name=name,
                total_excl_vat=excl, vat_total=vat, total_incl_vat=incl,
                label=f"{'Avoir' if credit_note else 'Facture'} {number} {name}")


def bank_movements(start: date, end: date) -> Iterator[fec.BankMovement]:
    """Payments and their reversals received from `start` to `end`, by day then order of recording (K3)."""
    query = (select(Payment.id, Payment.received_on, Payment.method, Payment.amount, Payment.reference,
                    Invoice.number, Invoice.club_id, Invoice.partner_id, Invoice.buyer["name"].as_string())
             .join(Invoice, Invoice.id == Payment.invoice_id)
             .where(Payment.received_on >= start, Payment.received_on <= end)
             .order_by(Payment.received_on, Payment.id).execution_options(yield_per=CHUNK))
    with streaming_read() as connection:
        for payment_id, received, method, amount, reference, number, club_id, partner_id, buyer in connection.execute(
                query):
            code, name = _customer(buyer, partner_id, club_id)
            what = "Contre-passation" if amount < 0 else "Règlement"
            yield fec.BankMovement(
                reference=reference or f"PAI-{payment_id}", day=received, method=method, amount=amount,
                invoice_number=number, customer_code=code, customer_name=name,
                label=f"{what} {number} {_METHOD_WORDS.get(method.value, method.value)} {name}")


def fec_file(start: date, end: date) -> Iterator[bytes]:
    """The FEC of the range, line by line, in UTF-8 (K3)."""
    for line in fec.fec_lines(sale_documents(start, end), bank_movements(start, end), settings(), end):
        yield line.encode()


def fec_name(end: date) -> str:
    return fec.fec_filename(current_app.config["SELLER_SIREN"], end)


def journals_csv(start: date, end: date) -> Iterator[bytes]:
    """The same journal lines for a spreadsheet: `;`, decimal comma, UTF-8 with a BOM (K3)."""
    return csv_stream(fec.csv_rows(sale_documents(start, end), bank_movements(start, end), settings(), end))
