"""Partner forms: the staff's record of a partner, its discount and its clubs (B1)."""
from __future__ import annotations

import re
from decimal import Decimal

import pycountry
from flask_babel import lazy_gettext as _l
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.fr import siren
from wtforms import PasswordField, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, email_field
from ..messages import MESSAGES
from .operations import REASON_MAX_LENGTH

_PERCENT = re.compile(r"([0-9]{1,3})(?:[.,]([0-9]{1,2}))?")


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


class Percent:
    """A discount typed by staff: "10", "12,5", "7.25 %"; from 0 to 100, to the hundredth (B1)."""

    def __call__(self, form, field) -> None:
        match = _PERCENT.fullmatch((field.data or "").replace("%", "").replace(" ", "").replace("\u00a0", ""))
        value = Decimal(f"{match.group(1)}.{match.group(2) or '0'}") if match else None
        if value is None or value > 100:
            raise ValidationError(MESSAGES["partner_discount_invalid"])
        field.percent = value


def _country(form, field) -> None:
    code = field.data or ""
    # ASCII before upper(): "ı".upper() is "I".
    if not (len(code) == 2 and code.isascii() and code.isalpha() and pycountry.countries.get(alpha_2=code.upper())):
        raise ValidationError(MESSAGES["country_invalid"])
    field.data = code.upper()


def _official(number, message: str):
    def check(form, field) -> None:
        if field.data:
            try:
                field.data = number.validate(field.data)
            except NumberInvalid as error:
                raise ValidationError(MESSAGES[message]) from error

    return check


class PartnerLoginForm(Form):
    email = email_field(_l("E-mail address"))
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=200, message=_l("This is too long."))])
    submit = SubmitField(_l("Sign in"))


class DiscountFields:
    discount_percent = StringField(_l("Partner discount (%)"), default="0", validators=[Percent()],
                                   filters=[_trimmed],
                                   description=_l("Replaces the club discount on what the partner buys."))
    discount_reason = TextAreaField(_l("Why this discount"), filters=[_trimmed], validators=[
        Length(max=REASON_MAX_LENGTH, message=_l("The reason has 500 characters at most."))])

    def percent(self) -> Decimal:
        return self.discount_percent.percent


class PartnerForm(Form, DiscountFields):
    """A new partner's record (B1)."""

    name = StringField(_l("Name"), filters=[_trimmed], validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=200, message=_l("This is too long."))])
    email = email_field(_l("E-mail address"))
    address = StringField(_l("Address"), filters=[_trimmed], validators=[
        Optional(), Length(max=300, message=_l("This is too long."))])
    postcode = StringField(_l("Postcode"), filters=[_trimmed], validators=[
        Optional(), Length(max=20, message=_l("This is too long."))])
    city = StringField(_l("City"), filters=[_trimmed], validators=[
        Optional(), Length(max=100, message=_l("This is too long."))])
    country = StringField(_l("Country (ISO code)"), default="FR", filters=[_trimmed], validators=[_country])
    siren = StringField(_l("SIREN"), filters=[_trimmed], validators=[_official(siren, "siren_invalid")])
    vat_number = StringField(_l("VAT number"), filters=[_trimmed], validators=[_official(vat, "vat_number_invalid")])
    submit = SubmitField(_l("Create the partner"))

    def record(self) -> dict:
        return {name: self[name].data or "" for name in ("address", "postcode", "city", "country", "siren",
                                                          "vat_number")}


class DiscountForm(Form, DiscountFields):
    submit = SubmitField(_l("Save the discount"))


class LinkClubForm(Form):
    subdomain = StringField(_l("Club's subdomain"), filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
                            validators=[DataRequired(message=MESSAGES["required"]),
                                        Length(max=63, message=MESSAGES["subdomain_invalid"])])
    submit = SubmitField(_l("Link the club"))


class UnlinkClubForm(Form):
    submit = SubmitField(_l("No longer managed"))
