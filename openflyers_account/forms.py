"""Form pieces shared by the club's and the staff's forms."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_currency, gettext as _, lazy_gettext as _l
from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, HiddenField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from .domain.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from .errors import UserError
from .i18n import wtforms_translations
from .messages import MESSAGES, error_message


class Form(FlaskForm):
    """Every form of the site: Flask-WTF's, with WTForms' own messages translated from a catalogue read once."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations


def normalized_email(value: str) -> str:
    """The address as it will be stored; raises ValidationError with the user's words (A2)."""
    try:
        # No DNS look-up: a club's mail domain may be down the day it changes its address.
        return validate_email(value, check_deliverability=False).normalized
    except (EmailNotValidError, UnicodeError) as error:
        raise ValidationError(MESSAGES["email_invalid"]) from error


class EmailAddress:
    """Validate and normalise an e-mail field."""

    def __call__(self, form, field) -> None:
        if field.data:
            field.data = normalized_email(field.data.strip())


def email_field(label, required: bool = True) -> EmailField:
    first = DataRequired(message=MESSAGES["required"]) if required else Optional()
    return EmailField(label, validators=[first, Length(max=254, message=_l("This is too long.")), EmailAddress()],
                      filters=[lambda value: value.strip() if isinstance(value, str) else value])


def new_password_validators() -> list:
    return [
        DataRequired(message=MESSAGES["required"]),
        Length(min=PASSWORD_MIN_LENGTH, message=MESSAGES["password_too_short"]),
        Length(max=PASSWORD_MAX_LENGTH, message=MESSAGES["password_too_long"]),
    ]


_EUROS = re.compile(r"(-?)([0-9]+)(?:[.,]([0-9]+))?")
#: Spaces people put between thousands (plain, no-break, narrow no-break: Babel's French format) and "€".
_EURO_NOISE = str.maketrans("", "", " \u00a0\u202f€")


def parse_euros(text: str, maximum: Decimal) -> Decimal:
    """Euros typed by staff as Decimal: "300", "300.00", "300,00", "1 200,50", "100 €"; may be negative.

    Raises ValidationError with the user's words for anything else: not a number, more than two
    decimals (P3: money is exact to the cent), or beyond `maximum` either way (a typo, not an amount).
    """
    match = _EUROS.fullmatch((text or "").translate(_EURO_NOISE))
    if match is None:
        raise ValidationError(_("Enter an amount in euros, such as 300 or 300,00."))
    sign, units, cents = match.groups()
    if cents is not None and len(cents) > 2:
        raise ValidationError(_("Enter the amount to the cent: two decimals at most."))
    amount = Decimal(f"{sign}{units}.{cents or '0'}")
    # Compared before rounding: quantize() refuses numbers of more digits than the context holds (28).
    if abs(amount) > maximum:
        raise ValidationError(_("Enter at most %(maximum)s.", maximum=format_currency(maximum, "EUR")))
    return amount.quantize(Decimal("0.01"))


class EuroField(StringField):
    """An amount in euros typed by staff; the text typed stays on the page, `amount` holds the Decimal."""

    amount: Decimal | None = None

    def __init__(self, label, parse: Callable[[str], Decimal], **kwargs):
        super().__init__(label, validators=[DataRequired(message=MESSAGES["required"])], **kwargs)
        self.parse = parse

    def pre_validate(self, form) -> None:
        self.amount = None
        if (self.data or "").strip():
            self.amount = self.parse(self.data)


#: A one-time form key as `new_request_key` makes it.
_REQUEST_KEY = re.compile(r"[0-9a-f]{32}")


def new_request_key() -> str:
    """A one-time key for one rendering of a form: the same submission twice is applied once (A6, M4)."""
    return uuid.uuid4().hex


class OneTimeForm(Form):
    """A form that acts once: each rendering carries a fresh key, so a double click or a resent page
    is recognised and not applied (nor billed) twice (A6, M4)."""

    request_key = HiddenField()
    #: Shown above the form when the key is missing or altered.
    incomplete_message = _l("This form is incomplete. Reload the page and send it again.")

    @classmethod
    def blank(cls, **data):
        """The form as a page first shows it, with a new one-time key."""
        return cls(formdata=None, request_key=new_request_key(), **data)

    def validate_request_key(self, field) -> None:
        if not _REQUEST_KEY.fullmatch(field.data or ""):
            raise ValidationError(str(self.incomplete_message))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A hidden field's message is shown above the form, where the reader sees it.
        self.form_errors.extend(self.request_key.errors)
        return valid


def show_refusal(form, error: UserError) -> None:
    """A service's refusal on the field it names, or above the form when it names none."""
    message = error_message(error.code, **error.params)
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


class DayField(DateField):
    """An ISO date (the browser's date picker sends YYYY-MM-DD), with our own messages."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[DataRequired(message=MESSAGES["required"])],
                         invalid_value_message=_l("Enter a date, such as 2026-09-01."), **kwargs)

    def pre_validate(self, form) -> None:
        if self.raw_data is not None and not "".join(self.raw_data).strip():
            self.errors.clear()
            raise StopValidation(str(MESSAGES["required"]))
        if self.process_errors:
            raise StopValidation()  # the date could not be read: that message says it all
