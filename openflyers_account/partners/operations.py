"""Partner use cases, each one transaction: create a partner, set its discount, link and move clubs (B1, B4)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from .. import audit
from ..accounts.models import Club
from ..audit import Actor
from ..billing.documents import buyer_snapshot, party_snapshot
from ..domain.accounts import password_problem
from ..domain.money import require_decimal
from ..errors import UserError
from ..extensions import db
from ..passwords import hash_password
from ..storage import utcnow
from ..subscriptions.purchase import Payer
from ..transactions import use_case
from .models import Partner, PartnerClub

#: Longest reason for a partner discount: the column holds 500 characters (B1).
REASON_MAX_LENGTH = 500


class PartnerError(UserError):
    """A partner change the rules refuse."""


class PartnerEmailTaken(PartnerError):
    code = "partner_email_taken"
    field = "email"


class UnknownPartner(PartnerError):
    code = "unknown_partner"


class UnknownClub(PartnerError):
    code = "unknown_club"
    field = "subdomain"


class DiscountInvalid(PartnerError):
    """A discount is a percentage from 0 to 100, to the hundredth (B1, P2)."""

    code = "partner_discount_invalid"
    field = "discount_percent"


class DiscountReasonMissing(PartnerError):
    """A discount is granted with a reason, kept in the audit log (B1)."""

    code = "partner_discount_reason"
    field = "discount_reason"


class PartnerPasswordTooWeak(PartnerError):
    code = "password_too_short"
    field = "password"


def _discount(percent: Decimal, reason: str) -> tuple[Decimal, str]:
    try:
        value = require_decimal(percent, "discount")
    except (TypeError, ValueError) as error:
        raise DiscountInvalid() from error
    if not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        raise DiscountInvalid()
    reason = (reason or "").strip()
    if value and not reason:
        raise DiscountReasonMissing()
    return value.quantize(Decimal("0.01")), reason[:REASON_MAX_LENGTH]


def _taken(email: str) -> bool:
    return db.session.scalar(select(Partner.id).where(func.lower(Partner.email) == email.lower())) is not None


@use_case
def add_partner(email: str, name: str, actor: Actor, discount_percent: Decimal = Decimal("0"),
                discount_reason: str = "", password: str | None = None, **record) -> Partner:
    """Create a partner's account; `record` sets the address, country, SIREN and VAT number (B1)."""
    if _taken(email):
        raise PartnerEmailTaken()
    percent, reason = _discount(discount_percent, discount_reason)
    partner = Partner(email=email, name=name, discount_percent=percent, discount_reason=reason, **record)
    if password:
        problem = password_problem(password)
        if problem:
            raise PartnerPasswordTooWeak(f"password_{problem}")
        partner.password_hash = hash_password(password)
    db.session.add(partner)
    db.session.flush()
    audit.record(actor, "partner.created", partner=partner.email, name=name, discount=str(percent),
                 reason=reason)
    return partner


def _lock_partner(partner_id: int) -> Partner:
    partner = db.session.scalars(select(Partner).where(Partner.id == partner_id).with_for_update()
                                 .execution_options(populate_existing=True)).one_or_none()
    if partner is None:
        raise UnknownPartner()
    return partner


@use_case
def set_discount(partner_id: int, discount_percent: Decimal, discount_reason: str, actor: Actor) -> bool:
    """Set the partner discount with its reason; it applies to what the partner buys from now on (B1)."""
    partner = _lock_partner(partner_id)
    percent, reason = _discount(discount_percent, discount_reason)
    if (percent, reason) == (partner.discount_percent, partner.discount_reason):
        return False
    audit.record(actor, "partner.discount_changed", partner=partner.email,
                 before=str(partner.discount_percent), after=str(percent), reason=reason)
    partner.discount_percent, partner.discount_reason = percent, reason
    return True


def _club(subdomain: str) -> Club:
    club = db.session.scalars(select(Club).where(Club.subdomain == subdomain).with_for_update(of=Club)
                              .execution_options(populate_existing=True)).one_or_none()
    if club is None:
        raise UnknownClub(subdomain=subdomain)
    return club


@use_case
def link_club(partner_id: int, subdomain: str, actor: Actor) -> bool:
    """The partner manages the club from now on; a club managed by another partner moves at once (B1).
    False when it already manages it."""
    partner = _lock_partner(partner_id)
    club = _club(subdomain)
    link = db.session.get(PartnerClub, club.id)
    if link is not None and link.partner_id == partner.id:
        return False
    before = db.session.get(Partner, link.partner_id).email if link is not None else None
    if link is None:
        db.session.add(PartnerClub(club_id=club.id, partner_id=partner.id, linked_by=audit.actor_label(actor)))
    else:
        link.partner_id, link.linked_by, link.linked_at = partner.id, audit.actor_label(actor), utcnow()
    audit.record(actor, "partner.club_linked", club, partner=partner.email, before=before)
    return True


@use_case
def unlink_club(partner_id: int, subdomain: str, actor: Actor) -> bool:
    """The partner no longer manages the club (B1); False when it did not."""
    partner = _lock_partner(partner_id)
    club = _club(subdomain)
    link = db.session.get(PartnerClub, club.id)
    if link is None or link.partner_id != partner.id:
        return False
    db.session.delete(link)
    audit.record(actor, "partner.club_unlinked", club, partner=partner.email)
    return True


def partner_payer(partner: Partner, club: Club) -> Payer:
    """The partner billed for what it buys for the club: its identity and VAT case on the invoice, the club named
    as the end customer, its discount in place of the club's (B1, B3)."""
    snapshot = party_snapshot(partner, partner.email, end_customer=buyer_snapshot(club))
    return Payer(partner.id, snapshot, partner.discount_percent, partner.country, partner.vat_number)
