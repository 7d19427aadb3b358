"""The club's account forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain.accounts import IDENTIFIER_MAX_LENGTH, PASSWORD_MAX_LENGTH
from ..forms import Form, email_field, new_password_validators
from ..messages import MESSAGES


class LoginForm(Form):
    identifier = StringField(
        _l("Platform address"),
        description=_l("Your platform's subdomain, e.g. mermoz for mermoz.openflyers.fr"),
        validators=[DataRequired(message=MESSAGES["required"]),
                    Length(max=IDENTIFIER_MAX_LENGTH, message=_l("This is too long."))],
    )
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=MESSAGES["required"]), Length(max=PASSWORD_MAX_LENGTH, message=_l("This is too long."))])
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(Form):
    email = email_field(_l("E-mail address"))
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(Form):
    password = PasswordField(_l("New password"), description=_l("At least 10 characters."),
                             validators=new_password_validators())
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(message=MESSAGES["required"]), EqualTo("password", message=MESSAGES["passwords_differ"])])
    submit = SubmitField(_l("Change the password"))


class ContactEmailsForm(Form):
    structure_email = email_field(_l("Club e-mail address"))
    contact_email = email_field(_l("Contact e-mail address"), required=False)
    submit = SubmitField(_l("Save the addresses"))
