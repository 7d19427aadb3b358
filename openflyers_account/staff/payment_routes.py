"""Back-office payments: record money received once per form, reverse a mistaken entry (M4, A5)."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import format_currency, gettext as _
from sqlalchemy.exc import IntegrityError

from ..forms import show_refusal
from ..messages import error_message
from ..payments import operations
from ..payments.errors import PaymentsError
from ..web import confirmation_page, needs_confirmation, signed_in_staff, staff_required
from . import bp
from .billing_routes import _document_or_404, _invoice_page
from .payment_forms import RecordPaymentForm, ReversePaymentForm


def _payments_of(number: str) -> str:
    return url_for(".invoice", number=number, _anchor="payments")


@bp.post("/invoices/<number>/payments")
@staff_required
def record_payment(number: str):
    """Record money received for an invoice; the same form sent twice records it once (M4, A5)."""
    invoice = _document_or_404(number)
    if invoice.is_credit_note:
        abort(404)
    form = RecordPaymentForm()
    if not form.validate_on_submit():
        return _invoice_page(invoice, payment_form=form, status=422)
    # Only for the message: the service, under the invoice lock, is what keeps the payment single.
    already = operations.payment_with_request_key(form.request_key.data) is not None
    bank, drawer = form.cheque_detail()
    try:
        payment = operations.record_payment(
            invoice.id, form.amount.amount, form.payment_method, form.received_on.data, signed_in_staff(),
            reference=form.reference(), bank=bank, drawer=drawer, note=form.note.data or "",
            request_key=form.request_key.data)
    except PaymentsError as error:
        show_refusal(form, error)
        return _invoice_page(_document_or_404(number), payment_form=form, status=422)
    except IntegrityError:
        # The key's unique index caught a submission the invoice lock could not see (another invoice's form).
        already = True
        payment = None
    if already or payment is None or payment.invoice_id != invoice.id:
        flash(_("This form had already been sent: the payment is recorded once."), "info")
        return redirect(_payments_of(number))
    flash(_("Payment of %(amount)s recorded for invoice %(number)s.",
            amount=format_currency(payment.amount, "EUR"), number=number), "success")
    overpaid = operations.position(invoice).settlement.overpaid
    if overpaid > 0:
        # M4: an overpayment is kept and flagged, never refused.
        flash(_("The invoice is now overpaid by %(amount)s. It is flagged on the back-office home page.",
                amount=format_currency(overpaid, "EUR")), "warning")
    return redirect(_payments_of(number))


@bp.post("/payments/<id:payment_id>/reverse")
@staff_required(admin=True)
def reverse_payment(payment_id: int):
    """Cancel a mistaken payment with a counter-entry and a reason; nothing is deleted (M4, A5)."""
    payment = operations.payment(payment_id)
    if payment is None:
        abort(404)
    number = payment.invoice.number
    form = ReversePaymentForm()
    if not form.validate_on_submit():
        return _invoice_page(payment.invoice, reversal=(payment_id, form), status=422)
    if needs_confirmation():
        return confirmation_page(
            title=_("Reverse the payment of %(amount)s?", amount=format_currency(payment.amount, "EUR")),
            consequences=[_("A counter-entry cancels this payment on invoice %(number)s, with the reason: %(reason)s. "
                            "The amount is owed again.", number=number, reason=form.reason.data)],
            action=_("Yes, reverse the payment"), back=_payments_of(number), base="staff/base.html")
    try:
        operations.reverse_payment(payment_id, signed_in_staff(), form.reason.data)
    except PaymentsError as error:
        form.form_errors.append(error_message(error.code, **error.params))
        return _invoice_page(_document_or_404(number), reversal=(payment_id, form), status=422)
    flash(_("The payment of %(amount)s is reversed by a counter-entry.",
            amount=format_currency(payment.amount, "EUR")), "success")
    return redirect(_payments_of(number))
