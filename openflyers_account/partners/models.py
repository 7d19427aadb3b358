"""Partners: resellers, integrators and federations managing clubs' subscriptions from their own account (B1-B4)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Club
from ..extensions import db
from ..storage import UTCDateTime, utcnow


class Partner(UserMixin, db.Model):
    """A partner's account: it signs in with its e-mail address, buys for the clubs it manages and is billed (B1, B3)."""

    __tablename__ = "partner"
    __table_args__ = (
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="partner_discount_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The sign-in identifier and where its invoices and reset links go (B1, A2).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Legal name, printed as the buyer on what it buys (B3).
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    #: ISO 3166-1 alpha-2; decides the VAT of what it buys (P3).
    country: Mapped[str] = mapped_column(String(2), default="FR")
    siren: Mapped[str] = mapped_column(String(9), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    #: The partner discount in percent: it replaces the club discount on what the partner buys (B1, P2).
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: Why staff granted that discount.
    discount_reason: Mapped[str] = mapped_column(String(500), default="")
    #: The language its e-mails are written in: the one it last chose on the site, French until then.
    language: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    #: Changes with every password change, so reset links and sessions die with the old password (A2).
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Sessions opened before it are over: set by "sign out on every device".
    sessions_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    is_staff = False
    is_partner = True

    def get_id(self) -> str:
        return f"partner:{self.id}:{self.password_changed_at.timestamp():.6f}"

    @property
    def audit_label(self) -> str:
        """How the audit log names the partner when it acts (B4)."""
        return f"partner:{self.email}"


class PartnerClub(db.Model):
    """A club a partner manages; a club has one partner at most, and moving it takes effect at once (B1)."""

    __tablename__ = "partner_club"

    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who linked it: a staff e-mail or the operator's `cli`.
    linked_by: Mapped[str] = mapped_column(String(254))

    club: Mapped[Club] = relationship()
    partner: Mapped[Partner] = relationship()
