"""Back-office billing pages: the catalogue's price lists (P1, A5) and invoices with their credit notes (I2, I5)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from ..billing import catalogue, operations
from ..billing.documents import document_of
from ..billing.errors import BillingError, PriceListInvalid
from ..domain.money import ZERO
from ..forms import show_refusal
from ..messages import error_message
from ..models import Invoice, InvoiceStatus, PriceList
from ..payments import operations as payment_operations
from ..web import confirmation_page, needs_confirmation, pdf_download, render_page, signed_in_staff, staff_required
from . import bp
from .billing_forms import (
    PRICE_LIST_REFUSALS,
    CreditNoteForm,
    PriceListForm,
    price_list_form,
)
from .payment_forms import RecordPaymentForm, ReversePaymentForm, record_payment_form


@bp.context_processor
def _today() -> dict:
    # Invoice statuses show "overdue" from the due date (I5): staff templates need today's date.
    return {"today": date.today()}


# -- catalogue (P1) ------------------------------------------------------------------------------

def _prices_of(price_list: PriceList) -> dict[str, tuple[Decimal, Decimal]]:
    return {price.offer.code: (price.base_fee, price.per_resource_fee) for price in price_list.prices}


def _service_prices_of(price_list: PriceList) -> dict[str, Decimal]:
    return {price.service.code: price.unit_price for price in price_list.service_prices}


def _catalogue_page(form: PriceListForm | None, status: int = 200):
    today = date.today()
    try:
        in_force = catalogue.price_list_on(today)
    except LookupError:
        in_force = None
    lists = catalogue.price_lists()
    return render_page("staff/catalogue.html", offers=catalogue.offers(), services=catalogue.services(),
                       in_force=in_force, price_lists=[(price_list, _prices_of(price_list), _service_prices_of(price_list))
                                                       for price_list in lists],
                       form=form, status=status)


@bp.get("/catalogue")
@staff_required
def catalogue_page():
    """The prices in force and their history; admins publish new ones (P1, A5)."""
    form = None
    if signed_in_staff().is_admin:
        today = date.today()
        try:
            in_force = catalogue.price_list_on(today)
            current, current_services = _prices_of(in_force), _service_prices_of(in_force)
        except LookupError:
            current, current_services = {}, {}
        form = price_list_form(catalogue.offers(), catalogue.services(), current, current_services, today)
    return _catalogue_page(form)


@bp.post("/catalogue")
@staff_required(admin=True)
def publish_prices():
    """Publish a price list from a date; invoices already issued keep their prices (P1, A5)."""
    form = price_list_form(catalogue.offers(), catalogue.services())
    if not form.validate_on_submit():
        return _catalogue_page(form, status=422)
    try:
        published = catalogue.publish_price_list(signed_in_staff(), form.valid_from.data, form.prices(),
                                                  today=date.today(), note=form.note.data or "",
                                                  service_prices=form.service_prices())
    except PriceListInvalid as error:
        field, message = PRICE_LIST_REFUSALS.get(error.params.get("reason"), (None, None))
        if field is None:
            form.form_errors.append(str(message) if message else error_message(error.code, **error.params))
        else:
            form[field].errors = [*form[field].errors, str(message)]
        return _catalogue_page(form, status=422)
    flash(_("The price list applying from %(day)s is published.", day=format_date(published.valid_from, "long")),
          "success")
    return redirect(url_for(".catalogue_page"))


# -- invoices and credit notes (I2, I4, I5) ---------------------------------------------------------

def _document_or_404(number: str) -> Invoice:
    document = operations.document(number)
    if document is None:
        abort(404)
    return document


def _credit_form(invoice: Invoice) -> CreditNoteForm | None:
    """The credit-note form for an invoice that still has lines to credit, or None (I2, I5)."""
    if invoice.is_credit_note:
        return None
    return CreditNoteForm(operations.creditable_lines(invoice, operations.credited_line_ids(invoice)),
                          operations.discount_line_ids(invoice))


def _invoice_page(document: Invoice, form: CreditNoteForm | None = None, status: int = 200,
                  payment_form: RecordPaymentForm | None = None,
                  reversal: tuple[int, ReversePaymentForm] | None = None):
    """The staff invoice page; a refused credit note, payment or reversal comes back with its form (I5, M4)."""
    credited = set() if document.is_credit_note else operations.credited_line_ids(document)
    admin = signed_in_staff().is_admin
    if form is None and admin:
        form = _credit_form(document)
    position = None if document.is_credit_note else payment_operations.position(document)
    declarations = [] if document.is_credit_note else payment_operations.open_declarations(document)
    if payment_form is None and position is not None and document.status != InvoiceStatus.CANCELLED:
        payment_form = record_payment_form(document.club, position.settlement.balance_due,
                                           declarations[-1] if declarations else None)
    return render_page("staff/invoice.html", invoice=document, doc=document_of(document), position=position,
                       balance=position.settlement.balance_due if position else ZERO,
                       credit_notes=[] if document.is_credit_note else operations.credit_notes_of(document),
                       credited=credited, form=form, payment_form=payment_form,
                       reverse_form=ReversePaymentForm(formdata=None) if admin else None, reversal=reversal,
                       reversed_ids={p.reverses_id for p in position.payments if p.reverses_id} if position else set(),
                       declarations=declarations, staff_view=True, status=status)


@bp.get("/invoices/<number>")
@staff_required
def invoice(number: str):
    """An invoice or credit note, its status, payments, balance and credit notes; admins credit it (I2, I5, M4)."""
    return _invoice_page(_document_or_404(number))


@bp.get("/invoices/<number>.pdf")
@staff_required
def invoice_pdf(number: str):
    """The PDF stored at issue, the same bytes the club downloads (I4)."""
    document = _document_or_404(number)
    return pdf_download(operations.pdf_of(document), f"{document.number}.pdf", etag=document.pdf_sha256)


@bp.post("/invoices/<number>/credit-note")
@staff_required(admin=True)
def credit_note(number: str):
    """Issue a credit note for the lines chosen, with a reason; all lines of an unpaid invoice cancel it (I2, I5)."""
    document = _document_or_404(number)
    form = _credit_form(document)
    if form is None:
        form = CreditNoteForm([])
        form.form_errors.append(_("A credit note cannot itself be credited."))
        return _invoice_page(document, form, status=422)
    if document.status == InvoiceStatus.CANCELLED:
        form.validate_on_submit()
        form.form_errors.append(_("This invoice is cancelled: there is nothing left to credit."))
        return _invoice_page(document, form, status=422)
    if not form.validate_on_submit():
        return _invoice_page(document, form, status=422)
    if needs_confirmation():
        return confirmation_page(
            title=_("Issue a credit note for invoice %(number)s?", number=number),
            consequences=[_("A credit note is issued for the lines chosen, with the reason: %(reason)s. It is final: a "
                            "credit note is never withdrawn, and the club is told.", reason=form.reason.data)],
            action=_("Yes, issue the credit note"), back=url_for(".invoice", number=number) + "#credit-note",
            base="staff/base.html")
    try:
        credit = operations.issue_credit_note(signed_in_staff(), number, form.line_ids(), form.reason.data,
                                              today=date.today())
    except BillingError as error:
        # The service, under its lock, has the last word: lines credited meanwhile, the cap, a zero credit.
        document = _document_or_404(number)
        form = _credit_form(document) or CreditNoteForm([])
        show_refusal(form, error)
        return _invoice_page(document, form, status=422)
    flash(_("Credit note %(credit)s issued for invoice %(invoice)s.", credit=credit.number, invoice=number),
          "success")
    return redirect(url_for(".invoice", number=credit.number))
