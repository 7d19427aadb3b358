"""Renewal forms: the choice (GET, re-priced as the club types) and the confirmation (POST)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..domain.invoice_document import PO_REFERENCE_MAX_LENGTH
from ..domain.pricing import MAX_RESOURCES, Term
from ..messages import MESSAGES
from . import catalogue
from .renewal import RenewalOrder

TERM_LABELS = {
    Term.ONE_YEAR: _l("1 year"),
    Term.THREE_YEARS: _l("3 years (-10 %)"),
    Term.FIVE_YEARS: _l("5 years (-15 %)"),
}


class WholeNumber:
    """Resources are whole numbers (P5): "4" yes; "4.5", "-1", "1e3", "four" no, with a message."""

    def __call__(self, form, field) -> None:
        text = (field.data or "").strip()
        if not re.fullmatch(r"[0-9]{1,4}", text):
            raise ValidationError(MESSAGES["resources_whole_number"] % {"maximum": MAX_RESOURCES})
        field.data = str(int(text))


class OneOfTheChoices:
    """A select's value is one it offers, or the message says what to choose (a tampered or stale form)."""

    def __init__(self, message_code: str):
        self.message_code = message_code

    def __call__(self, form, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(MESSAGES[self.message_code])


def _no_control_characters(form, field) -> None:
    if field.data and any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in field.data):
        raise ValidationError(MESSAGES["po_reference_characters"])


class RenewalChoiceFields:
    """The fields of a renewal order, shared by the choice form and the confirmation's hidden copy."""

    def order(self) -> RenewalOrder:
        return RenewalOrder(offer_code=self.offer.data, resources=int(self.resources.data),
                            term=Term(int(self.term.data)), po_reference=(self.po_reference.data or "").strip())


class RenewalForm(FlaskForm, RenewalChoiceFields):
    """Offer, resources, term, PO reference (R3, R5, P4, P5); read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    offer = SelectField(_l("Offer"), validate_choice=False,
                        validators=[DataRequired(message=MESSAGES["required"]), OneOfTheChoices("unknown_offer_choice")])
    resources = StringField(_l("Number of resources"), validators=[WholeNumber()],
                            description=_l("Aircraft and simulators activated on your platform."))
    term = SelectField(_l("Term"), choices=[SelectChoice(str(t.value), label) for t, label in TERM_LABELS.items()],
                       validate_choice=False,
                       validators=[DataRequired(message=MESSAGES["required"]), OneOfTheChoices("unknown_term_choice")])
    po_reference = StringField(_l("Purchase order reference (optional)"), validators=[
        Length(max=PO_REFERENCE_MAX_LENGTH, message=MESSAGES["po_reference_too_long"]), _no_control_characters],
        description=_l("Printed on the invoice if your club needs it for its accounts."))
    recalculate = SubmitField(_l("Recalculate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer.choices = [SelectChoice(offer.code, offer.name) for offer in catalogue.offers()]


class ConfirmForm(FlaskForm, RenewalChoiceFields):
    """The reviewed order, its total as shown, and the acceptance of the terms (R2, R3)."""

    offer = HiddenField(validators=[DataRequired()])
    resources = HiddenField(validators=[WholeNumber()])
    term = HiddenField(validators=[DataRequired()])
    po_reference = HiddenField(validators=[Length(max=PO_REFERENCE_MAX_LENGTH), _no_control_characters])
    expected_total = HiddenField()
    accept_terms = BooleanField(_l("I have read and accept the terms and conditions of sale."),
                                validators=[DataRequired(message=MESSAGES["accept_terms"])])
    submit = SubmitField(_l("Confirm and issue the invoice"))

    def validate_term(self, field) -> None:
        if field.data not in {str(t.value) for t in Term}:
            raise ValidationError(MESSAGES["invalid"])

    def shown_total(self) -> Decimal | None:
        try:
            return Decimal(self.expected_total.data) if self.expected_total.data else None
        except InvalidOperation:
            return None


class CancelForm(FlaskForm):
    submit = SubmitField(_l("Cancel this invoice"))
