"""The club's renewal (R2-R5, P4) and invoices (I3-I5) pages."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..messages import error_message
from ..models import Invoice
from ..payments import operations as payments
from ..payments.routes import is_payable
from ..web import club_required, current_club, pdf_download, render_page
from . import bp, operations
from .documents import document_of
from .errors import BillingError, PriceChanged, RenewalNotOpen
from .forms import CancelForm, ConfirmForm, RenewalForm
from .renewal import RenewalOrder, estimate, open_renewal_invoice, renewal_window


def _renewal_form() -> RenewalForm:
    """The choice from the query string, or the defaults: the club's offer and its activated count (P4)."""
    if request.args:
        return RenewalForm(request.args)
    return RenewalForm(data={"offer": current_club.offer.code, "resources": str(current_club.activated_resources),
                             "term": "1"})


def _priced(form: RenewalForm):
    """The estimate for a valid form, or None with the errors on the form's fields."""
    if not form.validate():
        return None
    try:
        return estimate(current_club, form.order(), date.today())
    except BillingError as error:
        target = getattr(form, error.field) if error.field else form.resources
        target.errors = [*target.errors, error_message(error.code, **error.params)]
        return None


def _closed_renewal():
    """Where to send a club that cannot start a renewal now, or None when it can (R2)."""
    existing = open_renewal_invoice(current_club)
    if existing is not None:
        flash(_("You already have a renewal invoice. Pay it, or cancel it to start again."), "info")
        return redirect(url_for(".invoice", number=existing.number))
    window = renewal_window(current_club, date.today())
    if not window.is_open:
        flash(error_message(RenewalNotOpen.code, opens_on=window.opens_on), "info")
        return redirect(url_for("accounts.dashboard"))
    return None


@bp.get("/renewal")
@club_required
def renewal():
    """Choose offer, resources, term and PO reference, with the price as you type (R3)."""
    closed = _closed_renewal()
    if closed:
        return closed
    form = _renewal_form()
    priced = _priced(form)
    return render_page("billing/renewal.html", form=form, estimate=priced,
                       status=422 if request.args and priced is None else 200)


@bp.get("/renewal/price")
@club_required
def price():
    """The estimate alone, for HTMX as the club types (R3)."""
    form = _renewal_form()
    return render_page("billing/renewal.html", block="estimate", fragment=True, form=form, estimate=_priced(form),
                       partial=True)


@bp.get("/renewal/review")
@club_required
def review():
    """Read the summary and the terms before confirming (R3)."""
    closed = _closed_renewal()
    if closed:
        return closed
    form = _renewal_form()
    priced = _priced(form)
    if priced is None:
        return render_page("billing/renewal.html", form=form, estimate=None, status=422)
    confirm = ConfirmForm(formdata=None, data={**form.data, "expected_total": str(priced.quote.total_incl_vat)})
    return render_page("billing/review.html", estimate=priced, confirm=confirm)


@bp.post("/renewal/confirm")
@club_required
def confirm():
    """Issue the renewal invoice the club reviewed (R2, R3)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        if form.offer.errors or form.resources.errors or form.term.errors or form.po_reference.errors:
            # Hidden fields only go wrong when tampered with: the choice again, as posted, with what is wrong.
            return _choose_again()
        return _review_again(form, None)
    order = form.order()
    try:
        invoice = operations.issue_renewal(current_club.id, order, date.today(), form.shown_total())
    except RenewalNotOpen:
        return _closed_renewal() or redirect(url_for(".renewal"))
    except PriceChanged as error:
        form.accept_terms.data = False  # a new price is accepted anew
        return _review_again(form, error_message(error.code, **error.params))
    except BillingError as error:
        if error.field:
            return _choose_again()
        return _review_again(form, error_message(error.code, **error.params))
    except Exception:  # noqa: BLE001 - the use case rolled everything back: say so and let the club retry
        current_app.logger.exception("The renewal invoice of %s could not be issued", current_club.subdomain)
        return _review_again(form, _("Your invoice could not be issued because of a problem on our side. "
                                     "Nothing was issued and nothing is owed: please confirm again in a moment."),
                             status=500)
    if not _issued_for(invoice, order):
        # R2: one unpaid renewal invoice; another tab's different choice does not replace it silently.
        flash(_("Your renewal invoice %(number)s was already issued for another choice and is kept. To change "
                "it, cancel this invoice, then start your renewal again.", number=invoice.number), "info")
    return redirect(url_for(".invoice", number=invoice.number))


def _issued_for(invoice: Invoice, order: RenewalOrder) -> bool:
    return (invoice.offer_code, invoice.resources, invoice.term_years, invoice.po_reference) == (
        order.offer_code, order.resources, order.term.years, order.po_reference)


def _choose_again():
    """The choice page with the order as posted and each problem on its own field (P4, P5, R3)."""
    choice = RenewalForm(request.form)
    priced = _priced(choice)
    return render_page("billing/renewal.html", form=choice, estimate=priced, status=200 if priced else 422)


def _review_again(form: ConfirmForm, message: str | None, status: int = 422):
    """The review page again, re-priced, with what went wrong (price change, unticked box, failure)."""
    try:
        priced = estimate(current_club, form.order(), date.today())
    except BillingError:
        return _choose_again()  # a stale page: the platform reported more resources, an offer went
    form.expected_total.data = str(priced.quote.total_incl_vat)
    return render_page("billing/review.html", estimate=priced, confirm=form, message=message, status=status)


@bp.get("/invoices")
@club_required
def invoices():
    """The club's invoices and credit notes, newest first."""
    return render_page("billing/invoices.html", documents=operations.club_documents(current_club),
                       today=date.today())


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
    position = None if document.is_credit_note else payments.position(document)
    return render_page("billing/invoice.html", invoice=document, doc=document_of(document), position=position,
                       payable=position is not None and is_payable(position), cancel_form=CancelForm(),
                       today=date.today())


@bp.get("/invoices/<number>.pdf")
@club_required
def invoice_pdf(number: str):
    """The PDF stored at issue, the same bytes every time (I4)."""
    document = _own_document(number)
    return pdf_download(document.pdf, f"{document.number}.pdf", etag=document.pdf_sha256)


@bp.post("/invoices/<number>/cancel")
@club_required
def cancel(number: str):
    """Cancel an unpaid renewal invoice; a credit note is issued for it (R2, I5)."""
    _own_document(number)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        credit = operations.cancel_renewal(current_club, number, date.today())
    except BillingError as error:
        flash(error_message(error.code, **error.params), "error")
        return redirect(url_for(".invoice", number=number))
    flash(_("The invoice is cancelled by credit note %(number)s. You can start your renewal again.",
            number=credit.number), "success")
    return redirect(url_for(".invoice", number=credit.number))
