"""The user's words for every error a user can cause: one place, every language (STYLE: typed errors)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "invalid": _l("This value is not valid."),
    "login_failed": _l("Unknown account or wrong password. Check the platform address and the password."),
    "staff_login_failed": _l("Unknown e-mail address or wrong password."),
    "reset_link_invalid": _l("This reset link is not valid or has already been used. Ask for a new one."),
    "reset_link_expired": _l("This reset link has expired (links last one hour). Ask for a new one."),
    "password_too_short": _l("The password must be at least 10 characters long."),
    "password_too_long": _l("The password must be at most 200 characters long."),
    "password_control_characters": _l("The password contains characters that cannot be typed."),
    "passwords_differ": _l("The two passwords are different."),
    "subdomain_invalid": _l("A platform subdomain has only lower-case letters, digits and hyphens (1 to 63)."),
    "subdomain_taken": _l("This subdomain already has an account."),
    "unknown_offer": _l("Unknown offer. Known offers: %(offers)s."),
    "resources_negative": _l("The number of resources cannot be negative."),
    "staff_email_taken": _l("A staff account already uses this e-mail address."),
    "email_invalid": _l("Enter a valid e-mail address, such as tresorier@aeroclub.fr."),
    "required": _l("This field is required."),
    "too_long": _l("This is too long (%(max)d characters at most)."),
}


def error_message(code: str, **params) -> str:
    """The translated sentence for an error code."""
    message = MESSAGES.get(code, MESSAGES["invalid"])
    return str(message) % params if params else str(message)


AUDIT_ACTIONS = {
    "club.created": _l("Club account created"),
    "club.emails_changed": _l("E-mail addresses changed"),
    "club.password_reset_sent": _l("Password reset link sent"),
    "club.password_set": _l("Password set"),
    "club.resources_reported": _l("Activated resources reported"),
    "staff.created": _l("Staff account created"),
    "staff.signed_in": _l("Staff signed in"),
}


def audit_action_label(action: str) -> str:
    """The translated name of an audit log action; unknown codes show as they are."""
    return str(AUDIT_ACTIONS.get(action, action))
