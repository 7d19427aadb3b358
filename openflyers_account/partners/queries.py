"""Reads about partners: who they are, which clubs they manage (B1, B2)."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from ..accounts.models import Club
from ..extensions import db
from .models import Partner, PartnerClub


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def partner(partner_id: int) -> Partner | None:
    return db.session.get(Partner, partner_id)


def partner_by_email(email: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(func.lower(Partner.email) == email.strip().lower()))


def search_partners(text: str, limit: int = 50) -> list[Partner]:
    """Partners whose name or e-mail address contains the text (staff)."""
    query = select(Partner).order_by(Partner.name).limit(limit)
    text = text.strip()
    if text:
        query = query.where(or_(func.lower(Partner.name).like(_like(text), escape="\\"),
                                func.lower(Partner.email).like(_like(text), escape="\\")))
    return list(db.session.scalars(query))


def clubs_of(partner: Partner) -> list[Club]:
    """The clubs the partner manages, by subdomain (staff's view of the partner)."""
    return list(db.session.scalars(
        select(Club).join(PartnerClub, PartnerClub.club_id == Club.id)
        .where(PartnerClub.partner_id == partner.id).order_by(Club.subdomain)))


def partner_of(club: Club) -> Partner | None:
    """The partner managing the club, if any (B1)."""
    return db.session.scalar(select(Partner).join(PartnerClub, PartnerClub.partner_id == Partner.id)
                             .where(PartnerClub.club_id == club.id))
