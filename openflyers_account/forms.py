"""Form pieces shared by the club's and the staff's forms."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from .domain.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from .messages import MESSAGES


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
