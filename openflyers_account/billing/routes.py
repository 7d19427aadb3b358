"""The club's invoices and credit notes (I3-I5): the list, each one with its payments, its PDF."""
from __future__ import annotations

from datetime import date

from flask import abort

from ..domain.pricing import Term
from ..payments import operations as payments
from ..payments.routes import is_payable
from ..subscriptions.forms import CancelForm
from ..subscriptions.operations import cancellable_by
from ..subscriptions.queries import purpose_of
from ..subscriptions.routes import club_door
from ..web import club_required, current_club, pdf_download, render_page, requested_page
from . import bp, catalogue, operations
from .documents import document_of


@bp.get("/invoices")
@club_required
def invoices():
    """The club's invoices and credit notes, newest first."""
    shown = operations.club_documents(current_club, page=requested_page())
    return render_page("billing/invoices.html", documents=shown.documents, shown=shown, today=date.today())


def _own_document(number: str):
    document = operations.club_invoice(current_club, number)
    if document is None:
        abort(404)
    return document


@bp.get("/invoices/<number>")
@club_required
def invoice(number: str):
    """One invoice or credit note, with every mention of the PDF (I3), its payments and what is left (I5, M4)."""
    document = _own_document(number)
    # An unpaid purchase of the club's may be cancelled by it, to start again (R2, R6).
    cancellable = not document.is_credit_note and cancellable_by(document, current_club._get_current_object())
    return invoice_page(club_door(), document, cancellable)


def invoice_page(door, document, cancellable: bool = False):
    """The page of one document for its buyer: payments, what is left, the way to pay it (I3, I5, M4, B3)."""
    position = None if document.is_credit_note else payments.position(document)
    return render_page("billing/invoice.html", door=door, invoice=document, doc=document_of(document),
                       position=position, payable=position is not None and is_payable(position),
                       cancellable=cancellable, cancel_form=CancelForm(), purpose=purpose_of(document),
                       today=date.today())


@bp.get("/invoices/<number>.pdf")
@club_required
def invoice_pdf(number: str):
    """The PDF stored at issue, the same bytes every time (I4)."""
    document = _own_document(number)
    return pdf_download(operations.pdf_of(document), f"{document.number}.pdf", etag=document.pdf_sha256)


@bp.get("/catalogue")
def public_catalogue():
    """The price catalogue, public: offers, fees, terms and discounts, services; today's and the next (P6)."""
    today = date.today()
    snapshot = catalogue.snapshot()
    try:
        in_force = snapshot.price_list_on(today)
    except LookupError:
        in_force = None
    return render_page("billing/catalogue.html", offers=snapshot.offers, services=snapshot.services,
                       price_lists=[p for p in (in_force, snapshot.next_after(today)) if p is not None],
                       in_force=in_force, terms=list(Term), today=today)
