"""The club's payment pages: choose how to pay, transfer and cheque instructions, "I sent it" (M1-M3)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from markupsafe import Markup

from ..billing.documents import seller_snapshot
from ..billing.models import InvoiceStatus
from ..billing.operations import page_of, payer_invoice
from ..domain.epc_qr import epc_qr_svg, sepa_transfer
from ..domain.payments import PaymentMethod
from ..domain.references import creditor_reference, format_reference
from ..messages import error_message
from ..web import current_payer, payer_required, render_page
from . import bp, operations
from .errors import PaymentsError
from .forms import ChequeSentForm, TransferSentForm
from .operations import InvoicePosition


@bp.context_processor
def _payer_pages() -> dict:
    """The payment pages look like their payer's area: the club's, or the partner's (B3)."""
    partner = current_payer.is_authenticated and current_payer.is_partner
    return {"payer_base": "partners/base.html" if partner else "base.html", "page_of": page_of}


def is_payable(position: InvoicePosition) -> bool:
    """True while the club still owes money on the invoice: not paid, not cancelled, not a credit note (I5)."""
    return (not position.invoice.is_credit_note
            and position.invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
            and position.settlement.balance_due > 0)


def _own_position(number: str) -> InvoicePosition:
    """One of the payer's invoices with its payments: the club's own, or those billed to the partner; any other,
    or a credit note, is 404 (B3, B4)."""
    invoice = payer_invoice(current_payer, number)
    if invoice is None or invoice.is_credit_note:
        abort(404)
    return operations.position(invoice)


def _no_payment_needed(position: InvoicePosition):
    """The instruction pages of a paid or cancelled invoice send the club back to the summary."""
    return redirect(url_for(".pay", number=position.invoice.number))


@bp.get("/invoices/<number>/pay")
@payer_required
def pay(number: str):
    """Choose card, transfer or cheque, with what is left to pay and what was already received (M1-M3)."""
    position = _own_position(number)
    return render_page("payments/pay.html", position=position, payable=is_payable(position),
                       declarations=operations.open_declarations(position.invoice), card_path=url_for(".card_checkout", number=number),
                       today=date.today())


def _transfer_page(position: InvoicePosition, form: TransferSentForm, status: int = 200):
    seller = seller_snapshot()
    invoice = position.invoice
    amount = position.settlement.balance_due
    transfer = sepa_transfer(seller["name"], seller["iban"], seller["bic"], amount,
                             invoice.creditor_reference or creditor_reference(invoice.number))
    # segno's SVG carries no style attribute or element: it passes the CSP's style-src 'self'.
    qr_code = Markup(epc_qr_svg(transfer, title=_("QR code to scan in your banking app: transfer of %(amount)s "
                                                  "for invoice %(number)s", amount=format_currency(amount, "EUR"),
                                                  number=invoice.number)))
    return render_page("payments/transfer.html", position=position, transfer=transfer,
                       reference=format_reference(transfer.reference), qr_code=qr_code, form=form,
                       declarations=operations.open_declarations(position.invoice), status=status)


@bp.get("/invoices/<number>/pay/transfer")
@payer_required
def transfer(number: str):
    """Beneficiary, IBAN, BIC, exact amount, RF reference and EPC QR code for a SEPA transfer (M2)."""
    position = _own_position(number)
    if not is_payable(position):
        return _no_payment_needed(position)
    return _transfer_page(position, TransferSentForm(formdata=None))


@bp.post("/invoices/<number>/pay/transfer")
@payer_required
def declare_transfer(number: str):
    """The club says it sent the transfer; staff watch for it on the bank statement (M2)."""
    position = _own_position(number)
    if not is_payable(position):
        return _declare(number, PaymentMethod.TRANSFER, "")
    form = TransferSentForm()
    if not form.validate_on_submit():
        return _transfer_page(position, form, status=422)
    return _declare(number, PaymentMethod.TRANSFER, form.declaration_note())


def _cheque_page(position: InvoicePosition, form: ChequeSentForm, status: int = 200):
    seller = seller_snapshot()
    address = [*seller["address_lines"], f"{seller['postcode']} {seller['city']}"]
    return render_page("payments/cheque.html", position=position, payee=seller["name"], address=address,
                       form=form, declarations=operations.open_declarations(position.invoice), today=date.today(), status=status)


@bp.get("/invoices/<number>/pay/cheque")
@payer_required
def cheque(number: str):
    """Payee, postal address, amount and what to write on the back of the cheque (M3)."""
    position = _own_position(number)
    if not is_payable(position):
        return _no_payment_needed(position)
    return _cheque_page(position, ChequeSentForm(formdata=None))


@bp.post("/invoices/<number>/pay/cheque")
@payer_required
def declare_cheque(number: str):
    """The club says the cheque is in the post, with its number if it wants (M3)."""
    position = _own_position(number)
    if not is_payable(position):
        return _declare(number, PaymentMethod.CHEQUE, "")
    form = ChequeSentForm()
    if not form.validate_on_submit():
        return _cheque_page(position, form, status=422)
    return _declare(number, PaymentMethod.CHEQUE, form.declaration_note())


def _declare(number: str, method: PaymentMethod, note: str):
    """Record the declaration once, however often it is sent, then back to the payment summary (M2, M3)."""
    try:
        operations.declare_payment(current_payer._get_current_object(), number, method, note)
    except PaymentsError as error:
        flash(error_message(error.code, **error.params), "error")
        return redirect(url_for(".pay", number=number))
    if method is PaymentMethod.TRANSFER:
        flash(_("Thank you. We will confirm by e-mail when the transfer reaches our account, usually within "
                "three working days."), "success")
    else:
        flash(_("Thank you. We will confirm by e-mail when your cheque arrives."), "success")
    return redirect(url_for(".pay", number=number))
