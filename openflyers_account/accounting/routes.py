"""Receipts (K1) for every front door, and the statement of account (K2) of a club or a partner."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, request

from ..billing import operations as billing
from ..billing.models import Invoice
from ..partners import bp as partner_bp
from ..staff import bp as staff_bp
from ..web import (
    club_required,
    current_club,
    partner_required,
    pdf_download,
    render_page,
    signed_in_partner,
    staff_required,
)
from . import bp
from .ranges import requested_range
from .receipts import receipt_filename, receipt_of, render_receipt_pdf
from .statement import kind_label, render_statement_pdf, statement_csv, statement_of


def _receipt_download(invoice: Invoice | None):
    receipt = receipt_of(invoice) if invoice is not None else None
    if receipt is None:
        abort(404)  # none of the reader's, or not paid in full: no receipt yet
    return pdf_download(render_receipt_pdf(receipt), receipt_filename(receipt))


@bp.get("/invoices/<number>/receipt.pdf")
@club_required
def receipt(number: str):
    """The receipt of one of the club's invoices, once paid in full (K1)."""
    return _receipt_download(billing.club_invoice(current_club, number))


@partner_bp.get("/invoices/<number>/receipt.pdf")
@partner_required
def partner_receipt(number: str):
    """The receipt of an invoice billed to the partner, once paid in full (K1, B3)."""
    return _receipt_download(billing.payer_invoice(signed_in_partner(), number))


@staff_bp.get("/invoices/<number>/receipt.pdf")
@staff_required
def staff_receipt(number: str):
    """The receipt of any paid invoice, as its payer gets it (K1)."""
    return _receipt_download(billing.document(number))


# -- statement of account (K2) ---------------------------------------------------------------------------


def _statement_page(account: object, base: str, download: str, holder: object):
    # This year so far, unless asked otherwise.
    start, end, error = requested_range(date(date.today().year, 1, 1), date.today())
    fmt = {"pdf": "pdf", "csv": "csv"}.get((request.endpoint or "").rsplit("_", 1)[-1], "html")
    if error and fmt != "html":
        abort(404)
    found = statement_of(account, start, end)
    if fmt == "csv":
        response = Response(statement_csv(found), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="releve-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
        return response
    if fmt == "pdf":
        return pdf_download(render_statement_pdf(found, holder), f"releve-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
    return render_page("accounting/statement.html", base=base, statement=found, error=error, download=download,
                       kind_label=kind_label, status=422 if error else 200)


@bp.get("/statement")
@bp.get("/statement.pdf", endpoint="statement_pdf")
@bp.get("/statement.csv", endpoint="statement_csv")
@club_required
def statement():
    """The club's statement of account for a range of dates: page, PDF and CSV (K2)."""
    club = current_club._get_current_object()
    return _statement_page(club, "base.html", "/statement", club)


@partner_bp.get("/statement", endpoint="partner_statement")
@partner_bp.get("/statement.pdf", endpoint="partner_statement_pdf")
@partner_bp.get("/statement.csv", endpoint="partner_statement_csv")
@partner_required
def partner_statement():
    """The partner's statement of account: what it was billed for its clubs and what it paid (K2, B3)."""
    partner = signed_in_partner()
    return _statement_page(partner, "partners/base.html", "/partner/statement", partner)
