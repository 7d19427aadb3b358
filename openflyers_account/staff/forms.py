"""Back-office forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..accounts.forms import ContactEmailsForm
from ..forms import Form, OneTimeForm, email_field
from ..messages import MESSAGES
from ..partners.forms import Percent


class StaffLoginForm(Form):
    email = email_field(_l("E-mail address"))
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=200, message=_l("This is too long."))])
    submit = SubmitField(_l("Sign in"))


class SendResetForm(OneTimeForm):
    submit = SubmitField(_l("Send a password reset link"))


class StaffEmailsForm(OneTimeForm, ContactEmailsForm):
    """The club's two addresses, changed by staff on its behalf (A6)."""


class ActivatedResourcesForm(Form):
    activated_resources = IntegerField(_l("Activated resources"), validators=[
        InputRequired(message=MESSAGES["required"]),
        NumberRange(min=0, max=100000, message=_l("Enter a whole number from 0 to 100000."))])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=500, message=_l("This is too long."))])
    submit = SubmitField(_l("Set the activated resources"))


class ClubDiscountForm(Form):
    """The club's negotiated discount, set by an administrator with the reason kept in the audit log (P2)."""

    discount_percent = StringField(_l("Club discount (%)"), validators=[Percent()],
                                   description=_l("Applied after the term discount to what the club buys from now "
                                                  "on; 0 for none."))
    discount_reason = StringField(_l("Why this discount"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=500, message=_l("This is too long."))])
    submit = SubmitField(_l("Save the club discount"))


class ApiTokenForm(Form):
    """Create or replace the token of the club's platform (S1)."""

    submit = SubmitField(_l("Create a new token"))
