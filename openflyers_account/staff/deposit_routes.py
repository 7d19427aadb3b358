"""Back-office deposit slips: received cheques grouped under a number, printable and as PDF (M6, A5)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from ..billing.documents import seller_snapshot
from ..messages import error_message
from ..payments import deposits
from ..payments.errors import PaymentsError
from ..web import pdf_download, render_page, signed_in_staff, staff_required
from . import bp
from .payment_forms import DepositSlipForm


def _deposits_page(form: DepositSlipForm, status: int = 200):
    return render_page("staff/deposits.html", form=form, cheques=deposits.cheques_to_deposit(),
                       slips=deposits.deposit_slips(), status=status)


@bp.get("/deposits")
@staff_required
def deposits_page():
    """Cheques received and not yet deposited, to tick onto a new slip; the slips made so far (M6)."""
    return _deposits_page(DepositSlipForm(formdata=None))


@bp.post("/deposits")
@staff_required
def create_deposit_slip():
    """Put the ticked cheques on a new numbered slip; a cheque goes on one slip only (M6, A5)."""
    form = DepositSlipForm()
    if not form.validate_on_submit():
        return _deposits_page(form, status=422)
    try:
        slip = deposits.create_deposit_slip(form.payment_ids(), signed_in_staff(), date.today())
    except PaymentsError as error:
        # Another staff member put one of them on a slip meanwhile, or it was reversed: nothing was made.
        form.form_errors.append(error_message(error.code, **error.params))
        return _deposits_page(form, status=409)
    flash(_("Deposit slip %(number)s created.", number=slip.number), "success")
    return redirect(url_for(".deposit_slip", number=slip.number))


def _slip_or_404(number: str) -> deposits.DepositSlipContents:
    contents = deposits.deposit_slip(number)
    if contents is None:
        abort(404)
    return contents


@bp.get("/deposits/<number>")
@staff_required
def deposit_slip(number: str):
    """The slip to print: each cheque's number, bank, drawer and amount, the count and the total (M6)."""
    return render_page("staff/deposit.html", contents=_slip_or_404(number), seller=seller_snapshot())


@bp.get("/deposits/<number>.pdf")
@staff_required
def deposit_slip_pdf(number: str):
    """The slip as a PDF, to print or keep with the bank's receipt (M6)."""
    contents = _slip_or_404(number)
    return pdf_download(deposits.render_slip_pdf(contents), f"{contents.slip.number}.pdf")
