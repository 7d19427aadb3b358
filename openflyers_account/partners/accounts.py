"""A partner's sign-in and password reset, with the clubs' rules: argon2id, signed links that expire and die
once used, the same answer whether or not the address is known (B1, A2, A4)."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired

from ..accounts.operations import (
    ExpiredResetLink,
    InvalidResetLink,
    WeakPassword,
    password_stamp,
    reset_serializer,
)
from ..domain.accounts import password_problem, same_email
from ..extensions import db
from ..mail.outbox import queue_mail
from ..passwords import hash_password, verify_password
from ..storage import utcnow
from ..transactions import use_case
from ..web import external_url
from . import queries
from .models import Partner

RESET_SALT = "partner-password-reset"


def authenticate_partner(email: str, password: str) -> Partner | None:
    """The partner these credentials open, or None; the same time is spent either way (A4)."""
    partner = queries.partner_by_email(email)
    if not verify_password(partner.password_hash if partner else "", password):
        return None
    return partner


def reset_token(partner: Partner) -> str:
    return reset_serializer(RESET_SALT).dumps({"partner": partner.id, "email": partner.email,
                                               "stamp": password_stamp(partner)})


@use_case
def request_reset(email: str) -> bool:
    """Queue a reset link when a partner signs in with this address; True when one was (A2)."""
    partner = queries.partner_by_email(email)
    if partner is None:
        return False
    queue_mail(partner.email, "partner_password_reset", partner=partner,
               link=external_url("partner.reset_password", token=reset_token(partner)),
               minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
    return True


def partner_for_reset_token(token: str) -> Partner:
    """The partner a reset link is for; raises when the link is tampered, expired, used or its address changed."""
    try:
        data = reset_serializer(RESET_SALT).loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired as error:
        raise ExpiredResetLink() from error
    except BadSignature as error:
        raise InvalidResetLink() from error
    if not isinstance(data, dict) or not isinstance(data.get("partner"), int):
        raise InvalidResetLink()
    partner = db.session.get(Partner, data["partner"])
    if partner is None or data.get("stamp") != password_stamp(partner) \
            or not isinstance(data.get("email"), str) or not same_email(data["email"], partner.email):
        raise InvalidResetLink()
    return partner


@use_case
def reset_password(token: str, password: str) -> Partner:
    """Set a new password through a reset link, which then stops working (A2, A4)."""
    partner = partner_for_reset_token(token)
    problem = password_problem(password)
    if problem:
        raise WeakPassword(f"password_{problem}")
    partner.password_hash = hash_password(password)
    partner.password_changed_at = utcnow()
    return partner
