"""Subscription forms: the choices (GET, re-priced as the buyer types), the confirmations and the changes (POST).

The same forms serve every front door (club, partner, staff).
"""
from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..billing import catalogue
from ..domain.invoice_document import po_reference_problem
from ..domain.pricing import MAX_RESOURCES, Term
from ..forms import DayField, Form, OneTimeForm
from ..messages import MESSAGES
from .purchase import SubscriptionOrder

TERM_LABELS = {
    Term.ONE_YEAR: _l("1 year"),
    Term.THREE_YEARS: _l("3 years (-10 %)"),
    Term.FIVE_YEARS: _l("5 years (-15 %)"),
}

#: Longest reason staff give for accepting a late notice: the column holds 500 characters (R7).
REASON_MAX_LENGTH = 500


class WholeNumber:
    """Resources are whole numbers (P5): "4" yes; "4.5", "-1", "1e3", "four" no, with a message."""

    def __init__(self, message_code: str = "resources_whole_number"):
        self.message_code = message_code

    def __call__(self, form, field) -> None:
        text = (field.data or "").strip()
        if not re.fullmatch(r"[0-9]{1,4}", text):
            raise ValidationError(MESSAGES[self.message_code] % {"maximum": MAX_RESOURCES})
        field.data = str(int(text))


class OneOfTheChoices:
    """A select's value is one it offers, or the message says what to choose (a tampered or stale form)."""

    def __init__(self, message_code: str):
        self.message_code = message_code

    def __call__(self, form, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(MESSAGES[self.message_code])


def _printable_po_reference(form, field) -> None:
    problem = po_reference_problem(field.data or "")
    if problem:
        raise ValidationError(MESSAGES[f"po_reference_{problem}"])


def _po_reference_field(label=_l("Purchase order reference (optional)")) -> StringField:
    return StringField(label, validators=[
        _printable_po_reference],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l("Printed on the invoices if your club needs it for its accounts."))


def _offer_field() -> SelectField:
    return SelectField(_l("Offer"), validate_choice=False, validators=[
        DataRequired(message=MESSAGES["required"]), OneOfTheChoices("unknown_offer_choice")])


def _term_field() -> SelectField:
    return SelectField(_l("Term"), choices=[SelectChoice(str(t.value), label) for t, label in TERM_LABELS.items()],
                       validate_choice=False, validators=[
                           DataRequired(message=MESSAGES["required"]), OneOfTheChoices("unknown_term_choice")])


@functools.lru_cache(maxsize=4)
def _offer_choices(offers: tuple) -> tuple[SelectChoice, ...]:
    """The offers as a select's choices, made once for each state of the catalogue."""
    return tuple(SelectChoice(offer.code, offer.name) for offer in offers)


class OrderFields:
    """The fields of a period's order, shared by the choice forms and the confirmations' hidden copies."""

    def order(self) -> SubscriptionOrder:
        return SubscriptionOrder(offer_code=self.offer.data, resources=int(self.resources.data),
                                 term=Term(int(self.term.data)), po_reference=(self.po_reference.data or "").strip())

    def with_offers(self) -> None:
        self.offer.choices = _offer_choices(catalogue.offers())


class RenewalForm(Form, OrderFields):
    """Which subscription, offer, resources, term, PO reference (R3, R5, P4, P5, R9); read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    subscription = HiddenField()
    #: What the live estimate needs besides the choice, signed by the renewal page (subscriptions.estimate).
    facts = HiddenField()
    offer = _offer_field()
    resources = StringField(_l("Number of resources"), validators=[WholeNumber()],
                            description=_l("Aircraft and simulators activated on your platform."))
    term = _term_field()
    po_reference = _po_reference_field()
    recalculate = SubmitField(_l("Recalculate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_offers()



def _amount(form, field) -> None:
    """The reviewed total: a finite amount in cents, as the review page wrote it; anything else is a stale or
    tampered page, reviewed again."""
    try:
        amount = Decimal(field.data or "")
    except InvalidOperation as error:
        raise ValidationError(MESSAGES["invalid"]) from error
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= 10 ** 12:
        raise ValidationError(MESSAGES["invalid"])


class ReviewedTotal:
    """The total the buyer saw on the review page, sent back with the confirmation (R3)."""

    expected_total = HiddenField(validators=[_amount])

    def shown_total(self) -> Decimal:
        """The reviewed total; call after `validate()`."""
        return Decimal(self.expected_total.data)


def _accept_terms() -> BooleanField:
    return BooleanField(_l("I have read and accept the terms and conditions of sale."),
                        validators=[DataRequired(message=MESSAGES["accept_terms"])])


class ReviewedOrder(OrderFields, ReviewedTotal):
    """A reviewed period's order in hidden fields, its total as shown, and the terms to accept (R3)."""

    offer = HiddenField(validators=[DataRequired()])
    resources = HiddenField(validators=[WholeNumber()])
    term = HiddenField(validators=[DataRequired()])
    po_reference = HiddenField(validators=[_printable_po_reference])
    accept_terms = _accept_terms()
    submit = SubmitField(_l("Confirm and issue the invoice"))

    def validate_term(self, field) -> None:
        if field.data not in {str(t.value) for t in Term}:
            raise ValidationError(MESSAGES["invalid"])

    def tampered(self) -> bool:
        """A hidden field only goes wrong when the page was tampered with: the choice is shown again."""
        return any(self[name].errors for name in ("offer", "resources", "term", "po_reference"))


class ConfirmForm(Form, ReviewedOrder):
    """The reviewed renewal of a subscription (R2, R3)."""

    subscription = HiddenField()


class StartForm(Form, OrderFields):
    """A new subscription: start date, offer, resources, term, PO reference (R9, R10); read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    start = DayField(_l("Start date"), description=_l("From 12 months back (resources already in use) to 12 "
                                                      "months ahead (planned)."))
    offer = _offer_field()
    resources = StringField(_l("Number of resources"), validators=[WholeNumber()])
    term = _term_field()
    po_reference = _po_reference_field(_l("Purchase order reference (optional)"))
    recalculate = SubmitField(_l("Recalculate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_offers()


class StartConfirmForm(OneTimeForm, ReviewedOrder):
    """The reviewed new subscription; acts once (R3, R10)."""

    start = HiddenField(validators=[DataRequired()])

    def validate_start(self, field) -> None:
        try:
            date.fromisoformat(field.data or "")
        except ValueError as error:
            raise ValidationError(MESSAGES["invalid"]) from error

    def tampered(self) -> bool:
        return bool(self.start.errors) or super().tampered()

    def start_date(self) -> date:
        return date.fromisoformat(self.start.data)


class AddResourcesForm(Form):
    """How many resources to add to the running period (R6); read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    added = StringField(_l("Resources to add"), validators=[WholeNumber("added_whole_number")],
                        description=_l("Added to the current period until its end date, billed for the days left."))
    recalculate = SubmitField(_l("Recalculate"))


class AddConfirmForm(OneTimeForm, ReviewedTotal):
    """The reviewed addition, its total as shown, the terms accepted; acts once (R3, R6)."""

    added = HiddenField(validators=[WholeNumber("added_whole_number")])
    accept_terms = _accept_terms()
    submit = SubmitField(_l("Confirm and issue the invoice"))


class PoReferenceForm(Form):
    """The subscription's PO reference, for the invoices issued from now on (R5)."""

    po_reference = _po_reference_field(_l("Purchase order reference"))
    submit = SubmitField(_l("Save the reference"))


class ReissueForm(Form):
    """Reissue an unpaid invoice with the subscription's PO reference (R5)."""

    submit = SubmitField(_l("Reissue with the new reference"))


class NoticeForm(Form):
    """Give notice not to renew (R7)."""

    submit = SubmitField(_l("Give notice not to renew"))


class LateNoticeForm(Form):
    """Staff accept a notice given after the deadline, with the reason (R7)."""

    reason = TextAreaField(_l("Why the late notice is accepted"), validators=[
        DataRequired(message=MESSAGES["required"]),
        Length(max=REASON_MAX_LENGTH, message=_l("The reason has 500 characters at most."))])
    submit = SubmitField(_l("Accept the late notice"))


class WithdrawNoticeForm(Form):
    """Withdraw the notice: the subscription renews itself again (R7)."""

    submit = SubmitField(_l("Withdraw the notice"))


class ReductionForm(Form):
    """Fewer resources for the next period (R7); the current count clears the request."""

    resources = StringField(_l("Resources for the next period"), validators=[WholeNumber()])
    submit = SubmitField(_l("Ask for this number"))


class CancelForm(Form):
    submit = SubmitField(_l("Cancel this invoice"))
