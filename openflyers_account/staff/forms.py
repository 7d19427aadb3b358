"""Back-office forms."""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..accounts.forms import ContactEmailsForm
from ..forms import email_field
from ..messages import MESSAGES
from .payment_forms import new_request_key

#: A one-time form key as `new_request_key` makes it.
_FORM_KEY = re.compile(r"[0-9a-f]{32}")


class StaffLoginForm(FlaskForm):
    email = email_field(_l("E-mail address"))
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=200, message=_l("This is too long."))])
    submit = SubmitField(_l("Sign in"))


class OneTimeForm(FlaskForm):
    """A form that acts once: each rendering carries a fresh key, so a double click or a resent page
    is recognised and not applied (nor billed) twice (A6)."""

    request_key = HiddenField()

    @classmethod
    def blank(cls, **data):
        """The form as a page first shows it, with a new one-time key."""
        return cls(formdata=None, request_key=new_request_key(), **data)

    def validate_request_key(self, field) -> None:
        if not _FORM_KEY.fullmatch(field.data or ""):
            raise ValidationError(_("This form is incomplete. Reload the page and send it again."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A hidden field's message is shown above the form, where staff can read it.
        self.form_errors.extend(self.request_key.errors)
        return valid


class SendResetForm(OneTimeForm):
    submit = SubmitField(_l("Send a password reset link"))


class StaffEmailsForm(OneTimeForm, ContactEmailsForm):
    """The club's two addresses, changed by staff on its behalf (A6)."""


class ActivatedResourcesForm(FlaskForm):
    activated_resources = IntegerField(_l("Activated resources"), validators=[
        InputRequired(message=MESSAGES["required"]),
        NumberRange(min=0, max=100000, message=_l("Enter a whole number from 0 to 100000."))])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=500, message=_l("This is too long."))])
    submit = SubmitField(_l("Set the activated resources"))
