"""Receipts for every front door (K1): the club's, the partner's for what it paid, and staff's."""
from __future__ import annotations

from flask import abort

from ..billing import operations as billing
from ..billing.models import Invoice
from ..partners import bp as partner_bp
from ..staff import bp as staff_bp
from ..web import club_required, current_club, partner_required, pdf_download, signed_in_partner, staff_required
from . import bp
from .receipts import receipt_filename, receipt_of, render_receipt_pdf


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
