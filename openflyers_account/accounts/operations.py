"""Account use cases: each public function is one transaction (rules A1-A6, S1)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, or_, select

from .. import audit
from ..billing.models import ChargeableService, Offer, PendingCharge
from ..domain.accounts import (
    is_subdomain,
    login_subdomain,
    password_problem,
    same_email,
)
from ..errors import UserError
from ..extensions import db
from ..mail.outbox import queue_mail
from ..passwords import hash_password, verify_password
from ..storage import utcnow
from ..transactions import use_case
from ..web import external_url
from .models import AuditEntry, Club, ResourceReport, StaffRole, StaffUser

RESET_SALT = "club-password-reset"


class AccountError(UserError):
    """A problem with an account the user caused."""


class InvalidResetLink(AccountError):
    code = "reset_link_invalid"


class ExpiredResetLink(AccountError):
    code = "reset_link_expired"


class WeakPassword(AccountError):
    code = "password_too_short"


class SubdomainTaken(AccountError):
    code = "subdomain_taken"


class UnknownOffer(AccountError):
    code = "unknown_offer"


@dataclass(frozen=True)
class StaffAssistance:
    """What one staff form did for a club (A5, A6)."""

    #: The addresses concerned: where reset links went, or the club's new addresses.
    addresses: tuple[str, ...]
    #: True when this form had already been applied (double click, resent page): nothing was done again.
    repeated: bool = False
    #: False when the form changed nothing (the same addresses as before).
    changed: bool = True


@dataclass(frozen=True)
class ResetTarget:
    """One reset link to send: which club, at which of its addresses (A2)."""

    club_id: int
    email: str


# -- sign-in ---------------------------------------------------------------------------------

def authenticate_club(identifier: str, password: str) -> Club | None:
    """The club these credentials open, or None; the same time is spent either way (A1, A4)."""
    subdomain = login_subdomain(identifier, tuple(current_app.config["PLATFORM_DOMAINS"]))
    club = db.session.scalar(select(Club).where(Club.subdomain == subdomain)) if subdomain else None
    if not verify_password(club.password_hash if club else "", password):
        return None
    return club


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """The active staff member these credentials open, or None (A5)."""
    staff = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
    if not verify_password(staff.password_hash if staff and staff.active else "", password):
        return None
    return staff


@use_case
def record_staff_sign_in(staff: StaffUser) -> None:
    audit.record(staff, "staff.signed_in")


# -- password reset (A2) -----------------------------------------------------------------------

def reset_serializer(salt: str = RESET_SALT) -> URLSafeTimedSerializer:
    """Signs reset links; each kind of account has its own salt, so a club's link never opens a partner's."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_stamp(account) -> str:
    """Changes with every password change: a link dies once it has been used (A2).

    The instant, not its text: the same moment reads back as ...+00:00 or in the connection's time zone
    depending on the database.
    """
    return f"{account.password_changed_at.timestamp():.6f}"


def reset_token(club: Club, email: str) -> str:
    return reset_serializer().dumps({"club": club.id, "email": email, "stamp": password_stamp(club)})


def clubs_for_email(email: str) -> list[ResetTarget]:
    """Every club whose structure or contact address is this one, ignoring case (A2)."""
    wanted = email.strip().lower()
    if not wanted:
        return []
    clubs = db.session.scalars(
        select(Club).where(or_(func.lower(Club.structure_email) == wanted, func.lower(Club.contact_email) == wanted))
    ).all()
    targets = []
    for club in clubs:
        address = club.structure_email if club.structure_email.lower() == wanted else club.contact_email
        targets.append(ResetTarget(club.id, address))
    return targets


def _queue_reset_mail(club: Club, email: str) -> None:
    link = external_url("accounts.reset_password", token=reset_token(club, email))
    queue_mail(email, "password_reset", club=club, link=link,
               minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)


@use_case
def request_password_reset(email: str) -> int:
    """Queue a reset link for every club that has this address; returns how many (A2)."""
    targets = clubs_for_email(email)
    for target in targets:
        _queue_reset_mail(db.session.get(Club, target.club_id), target.email)
    return len(targets)


def club_for_reset_token(token: str) -> Club:
    """The club a reset link is for; raises when the link is tampered, expired or used (A2)."""
    try:
        data = reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired as error:
        raise ExpiredResetLink() from error
    except BadSignature as error:
        raise InvalidResetLink() from error
    if not isinstance(data, dict) or not isinstance(data.get("club"), int):
        raise InvalidResetLink()
    club = db.session.get(Club, data["club"])
    if club is None or data.get("stamp") != password_stamp(club):
        raise InvalidResetLink()
    # The link works only while the address it was sent to is still one of the club's (A2): once an
    # address is replaced, whoever keeps that old mailbox can no longer take the account over.
    email = data.get("email")
    if not isinstance(email, str) or not any(same_email(email, a) for a in (club.structure_email, club.contact_email)):
        raise InvalidResetLink()
    return club


def _set_password(club: Club, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise WeakPassword(f"password_{problem}")
    club.password_hash = hash_password(password)
    club.password_changed_at = utcnow()


@use_case
def reset_password(token: str, password: str) -> Club:
    """Set a new password through a reset link, which then stops working (A2, A4)."""
    club = club_for_reset_token(token)
    _set_password(club, password)
    return club


# -- customer record -----------------------------------------------------------------------------

def _add_staff_assistance_charge(club: Club, staff: StaffUser, service_code: str) -> PendingCharge | None:
    """Bill a staff intervention on the club's next invoice, for offers that pay for it (A6)."""
    if not club.offer.bills_staff_assistance:
        return None
    service = db.session.scalar(select(ChargeableService).where(ChargeableService.code == service_code))
    if service is None:
        raise LookupError(f"chargeable service {service_code} is missing from the catalogue")
    from ..billing.catalogue import (
        service_price,  # the catalogue in force today (P1); billing sits above
    )

    charge = PendingCharge(
        club_id=club.id, service_code=service.code, label=service.label, quantity=1,
        unit_price=service_price(service.code, date.today()), staff_id=staff.id,
    )
    db.session.add(charge)
    return charge


def _lock_club(club_id: int) -> Club:
    # Staff forms for one club queue here (PostgreSQL row lock; SQLite: the use case's write lock), so the
    # second of two simultaneous submissions sees what the first one recorded.
    return db.session.scalars(
        select(Club).where(Club.id == club_id).with_for_update(of=Club).execution_options(populate_existing=True)
    ).one()


def _form_already_applied(club: Club, action: str, request_key: str | None) -> bool:
    # The form's one-time key is kept in the audit entry of the action it did (A5).
    if request_key is None:
        return False
    return db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.club_id == club.id, AuditEntry.action == action,
                                    AuditEntry.details["request_key"].as_string() == request_key).limit(1)
    ) is not None


def _key(request_key: str | None) -> dict[str, str]:
    return {"request_key": request_key} if request_key is not None else {}


def _set_emails(club: Club, structure_email: str, contact_email: str) -> dict[str, dict[str, str]] | None:
    """Change the two addresses; the before and after values, or None when nothing changes."""
    before = {"structure_email": club.structure_email, "contact_email": club.contact_email}
    after = {"structure_email": structure_email, "contact_email": contact_email}
    if before == after:
        return None
    club.structure_email = structure_email
    club.contact_email = contact_email
    return {"before": before, "after": after}


@use_case
def choose_language(account: object, language: str) -> bool:
    """The language a club's or a partner's e-mails are written in from now on: the one it chose on the site (R8,
    K5); False when it was already this one."""
    account = db.session.merge(account)
    if account.language == language:
        return False
    account.language = language
    return True


@use_case
def change_emails(club: Club, structure_email: str, contact_email: str) -> bool:
    """The club changes its two addresses; False when they were already these (A2)."""
    return _set_emails(club, structure_email, contact_email) is not None


@use_case
def change_emails_by_staff(club: Club, structure_email: str, contact_email: str, staff: StaffUser,
                           request_key: str | None = None) -> StaffAssistance:
    """Staff change the club's addresses; audited, may be billed, applied once per form (A5, A6)."""
    club = _lock_club(club.id)
    addresses = (structure_email, contact_email)
    if _form_already_applied(club, "club.emails_changed", request_key):
        return StaffAssistance(addresses, repeated=True)
    change = _set_emails(club, structure_email, contact_email)
    if change is None:
        return StaffAssistance(addresses, changed=False)
    charge = _add_staff_assistance_charge(club, staff, "staff-email-change")
    audit.record(staff, "club.emails_changed", club, **change, billed=charge is not None, **_key(request_key))
    return StaffAssistance(addresses)


@use_case
def send_reset_by_staff(club: Club, staff: StaffUser, request_key: str | None = None) -> StaffAssistance:
    """Staff send the club a reset link at each of its addresses; audited, may be billed, once per form
    (A2, A5, A6)."""
    club = _lock_club(club.id)
    addresses = tuple(dict.fromkeys(a for a in (club.structure_email, club.contact_email) if a))
    if _form_already_applied(club, "club.password_reset_sent", request_key):
        return StaffAssistance(addresses, repeated=True)
    for address in addresses:
        _queue_reset_mail(club, address)
    charge = _add_staff_assistance_charge(club, staff, "staff-password-reset")
    audit.record(staff, "club.password_reset_sent", club, addresses=list(addresses), billed=charge is not None,
                 **_key(request_key))
    return StaffAssistance(addresses)


def pending_charges(club: Club) -> list[PendingCharge]:
    """Charges waiting for the club's next invoice (A6)."""
    return list(db.session.scalars(_pending_charges_query(), {"club_id": club.id}))


@functools.cache
def _pending_charges_query():
    """Built once per process: the dashboard asks it at every visit."""
    return (select(PendingCharge).where(PendingCharge.club_id == bindparam("club_id"), PendingCharge.invoice_id.is_(None))
            .order_by(PendingCharge.id))


def resource_history(club: Club, limit: int = 20) -> list[ResourceReport]:
    """The club's activated-resource reports, newest first (S1)."""
    return list(db.session.scalars(
        select(ResourceReport).where(ResourceReport.club_id == club.id).order_by(ResourceReport.id.desc()).limit(limit)
    ))


def find_club(subdomain: str) -> Club | None:
    return db.session.scalar(select(Club).where(Club.subdomain == subdomain)) if is_subdomain(subdomain) else None


def search_clubs(text: str, limit: int = 50) -> list[Club]:
    """Clubs whose subdomain, name or an address contains the text (staff search); on PostgreSQL, trigram indexes on
    these lowercased columns answer it (migration 0012)."""
    query = select(Club).order_by(Club.subdomain).limit(limit)
    text = text.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            func.lower(Club.subdomain).like(pattern, escape="\\"), func.lower(Club.name).like(pattern, escape="\\"),
            func.lower(Club.structure_email).like(pattern, escape="\\"),
            func.lower(Club.contact_email).like(pattern, escape="\\"),
        ))
    return list(db.session.scalars(query))


# -- operator commands -----------------------------------------------------------------------------

@use_case
def add_club(subdomain: str, name: str, structure_email: str, offer_code: str, activated_resources: int = 0,
             contact_email: str = "", password: str | None = None, actor: str = "cli", **record) -> Club:
    """Create a customer account (operator command); `record` sets address, SIREN, VAT number..."""
    if not is_subdomain(subdomain):
        raise AccountError("subdomain_invalid")
    if find_club(subdomain) is not None:
        raise SubdomainTaken()
    offer = db.session.scalar(select(Offer).where(Offer.code == offer_code))
    if offer is None:
        raise UnknownOffer(offers=", ".join(db.session.scalars(select(Offer.code).order_by(Offer.position))))
    if activated_resources < 0:
        raise AccountError("resources_negative")
    club = Club(subdomain=subdomain, name=name, structure_email=structure_email, contact_email=contact_email,
                offer=offer, activated_resources=activated_resources, **record)
    if password:
        _set_password(club, password)
    db.session.add(club)
    db.session.flush()
    db.session.add(ResourceReport(club_id=club.id, activated_resources=activated_resources, source=actor,
                                  reason="account created"))
    audit.record(actor, "club.created", club, offer=offer_code, activated_resources=activated_resources)
    return club


@use_case
def set_activated_resources(club: Club, count: int, source: str, reason: str = "",
                            staff: StaffUser | None = None) -> ResourceReport:
    """Record the platform's activated resource count, the renewal floor; the history is kept (S1, P4)."""
    if count < 0:
        raise AccountError("resources_negative")
    report = ResourceReport(club_id=club.id, activated_resources=count, source=source, reason=reason)
    db.session.add(report)
    audit.record(staff or source, "club.resources_reported", club, before=club.activated_resources, after=count,
                 reason=reason)
    club.activated_resources = count
    return report


@use_case
def add_staff(email: str, role: StaffRole, password: str, name: str = "", actor: str = "cli") -> StaffUser:
    """Create a back-office account (operator command, rule A5)."""
    if db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.lower())):
        raise AccountError("staff_email_taken")
    problem = password_problem(password)
    if problem:
        raise WeakPassword(f"password_{problem}")
    staff = StaffUser(email=email, role=role, name=name, password_hash=hash_password(password))
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "staff.created", email=email, role=str(role))
    return staff


@use_case
def set_club_discount(club: Club, percent: Decimal, reason: str, staff: StaffUser) -> bool:
    """The club's negotiated discount from now on, with the reason in the audit log (P2); issued invoices keep
    theirs. False when it was already this one."""
    if not staff.is_admin:
        raise PermissionError("only administrators set a club's discount")
    if not Decimal("0") <= percent <= Decimal("100") or percent != percent.quantize(Decimal("0.01")):
        raise AccountError("partner_discount_invalid")
    percent = percent.quantize(Decimal("0.01"))
    locked = _lock_club(club.id)
    if locked.discount_percent == percent:
        return False
    audit.record(staff, "club.discount_changed", locked, before=str(locked.discount_percent), after=str(percent),
                 reason=reason.strip()[:500])
    locked.discount_percent = percent
    return True


@use_case
def set_club_password(club: Club, password: str, actor: str = "cli") -> None:
    """Set a club's password from the shell (operator command)."""
    _set_password(club, password)
    audit.record(actor, "club.password_set", club)
