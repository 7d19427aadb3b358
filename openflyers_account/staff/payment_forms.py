"""Back-office payment forms: record money received, reverse a mistaken entry (M4), build a deposit slip (M6)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..domain.payments import PaymentMethod
from ..forms import DayField, EuroField, Form, OneTimeForm, new_request_key, parse_euros
from ..messages import MESSAGES
from ..models import Club, PaymentDeclaration

#: The largest payment staff may type, in euros: anything above is a typo, not a cheque (M4).
MAX_PAYMENT = Decimal("1000000")


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def parse_payment_amount(text: str) -> Decimal:
    """An amount received, typed by staff, as Decimal euros, more than zero, at most MAX_PAYMENT (M4, P3)."""
    amount = parse_euros(text, MAX_PAYMENT)
    if amount <= 0:
        # M4: a mistaken entry is reversed by a counter-entry, never by typing a negative amount.
        raise ValidationError(_("Enter the amount received, more than zero. To cancel a payment, reverse it."))
    return amount


def _optional_text(label, max_length: int, **kwargs) -> StringField:
    return StringField(label, filters=[_stripped], validators=[
        Optional(), Length(max=max_length, message=_l("This is too long (%(max)d characters at most).",
                                                      max=max_length))], **kwargs)


class RecordPaymentForm(OneTimeForm):
    """Money received for an invoice: amount, day, method and what identifies it (M4)."""

    amount = EuroField(_l("Amount received (€)"), parse=parse_payment_amount,
                       description=_l("For example 100, 100.50 or 100,50."))
    received_on = DayField(_l("Received on"))
    # Card payments are recorded by the provider's signed notification only (M1), never by hand.
    method = SelectField(_l("Method"), choices=[SelectChoice(PaymentMethod.CHEQUE.value, _l("Cheque")),
                                                SelectChoice(PaymentMethod.TRANSFER.value, _l("Transfer"))],
                         validate_choice=False)
    cheque_number = _optional_text(_l("Cheque number"), 30)
    bank = _optional_text(_l("Bank the cheque is drawn on"), 100)
    drawer = _optional_text(_l("Drawer (who signed the cheque)"), 200)
    transfer_reference = _optional_text(_l("Transfer reference"), 140,
                                        description=_l("As printed on the bank statement."))
    note = _optional_text(_l("Note (optional)"), 500)
    submit = SubmitField(_l("Record the payment"))
    incomplete_message = _l("This form is incomplete. Reload the page and enter the payment again.")

    def validate_method(self, field) -> None:
        if field.data not in {PaymentMethod.CHEQUE.value, PaymentMethod.TRANSFER.value}:
            raise ValidationError(_("Choose cheque or transfer."))

    def validate_received_on(self, field) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError(_("The payment cannot be received in the future: enter today or an earlier day."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.method.data == PaymentMethod.CHEQUE.value:
            # M6: the deposit slip lists each cheque's number, bank and drawer.
            for required in (self.cheque_number, self.bank, self.drawer):
                if not required.data and not required.errors:
                    required.errors = [*required.errors, _("Required for a cheque.")]
                    valid = False
        return valid

    @property
    def payment_method(self) -> PaymentMethod:
        return PaymentMethod(self.method.data)

    def reference(self) -> str:
        """The cheque number or the transfer reference, whichever the method uses."""
        if self.payment_method is PaymentMethod.CHEQUE:
            return self.cheque_number.data or ""
        return self.transfer_reference.data or ""

    def cheque_detail(self) -> tuple[str, str]:
        """Bank and drawer, kept for cheques only."""
        if self.payment_method is PaymentMethod.CHEQUE:
            return self.bank.data or "", self.drawer.data or ""
        return "", ""


def record_payment_form(club: Club, left_to_pay: Decimal,
                        declared: PaymentDeclaration | None = None) -> RecordPaymentForm:
    """A blank form with a fresh one-time key, pre-filled with what usually applies, and with what the club
    declared it sent (the method, the cheque's number) when it did (M2, M3)."""
    data = {"request_key": new_request_key(), "received_on": date.today(), "method": PaymentMethod.CHEQUE.value,
            "amount": str(left_to_pay) if left_to_pay > 0 else "", "drawer": club.name[:200]}
    if declared is not None:
        data["method"] = declared.method.value
        if declared.method is PaymentMethod.CHEQUE:
            data["cheque_number"] = declared.note[:30]
        else:
            data["note"] = declared.note
    return RecordPaymentForm(formdata=None, data=data)


class ReversePaymentForm(Form):
    """Why a payment is cancelled by a counter-entry (M4); kept with it and in the audit log."""

    reason = TextAreaField(_l("Reason for the reversal"), filters=[_stripped], validators=[
        DataRequired(message=MESSAGES["required"]),
        Length(max=500, message=_l("This is too long (500 characters at most)."))],
        description=_l("For example \"cheque bounced\" or \"entered on the wrong invoice\"."))
    submit = SubmitField(_l("Reverse this payment"))


class DepositSlipForm(Form):
    """The received cheques to put on a new deposit slip (M6)."""

    # Checked in `validate_cheques` with our own message: a wrong id means a stale or tampered page.
    cheques = SelectMultipleField(_l("Cheques to deposit"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Create the deposit slip"))

    def validate_cheques(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Tick at least one cheque."))
        if not all(value.isascii() and value.isdigit() and len(value) < 12 for value in field.data):
            raise ValidationError(_("A chosen cheque is not in the list. Reload the page and choose again."))

    def payment_ids(self) -> set[int]:
        return {int(value) for value in self.cheques.data}

    def chosen(self, payment_id: int) -> bool:
        return str(payment_id) in (self.cheques.data or [])
