"""Who uses the site: clubs, staff, and what they did (rules A1-A6, S1)."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..storage import UTCDateTime, utcnow

if TYPE_CHECKING:  # the areas above name clubs; clubs name them only in annotations
    from ..billing.models import Offer
    from ..subscriptions.models import Subscription


class Club(UserMixin, db.Model):
    """A customer: one aero club, identified by its platform subdomain (rule A1)."""

    __tablename__ = "club"
    __table_args__ = (CheckConstraint("activated_resources >= 0", name="activated_resources_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The platform subdomain (`mermoz` for mermoz.openflyers.fr), a DNS label; the login identifier.
    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    #: ISO 3166-1 alpha-2; decides the VAT treatment (rule P3).
    country: Mapped[str] = mapped_column(String(2), default="FR")
    #: French company number (9 digits), empty for a foreign club.
    siren: Mapped[str] = mapped_column(String(9), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    #: The club's own address; password resets may go there (rule A2).
    structure_email: Mapped[str] = mapped_column(String(254))
    #: The treasurer's or another contact's address; resets may go there too (rule A2).
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    #: Negotiated discount in percent (federation, partner), applied after the term discount (P2).
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: Resources activated on the platform, as last reported: the renewal floor (rules P4, S1).
    activated_resources: Mapped[int] = mapped_column(Integer, default=0)
    #: The language its e-mails are written in: the one it last chose on the site, French until then (R8, K5).
    language: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    #: Changes with every password change, so reset links die once used (rule A2).
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Sessions opened before it are over: set by "sign out on every device".
    sessions_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The offer the club signed up with: it decides whether staff assistance is billed (A6).
    offer: Mapped["Offer"] = relationship(lazy="joined")
    subscriptions: Mapped[list["Subscription"]] = relationship(back_populates="club", order_by="Subscription.id")

    is_staff = False
    is_partner = False

    def get_id(self) -> str:
        # The password stamp in the session id signs the club out everywhere when the password changes.
        return f"club:{self.id}:{self.password_changed_at.timestamp():.6f}"


Index("ix_club_structure_email", func.lower(Club.structure_email))
Index("ix_club_contact_email", func.lower(Club.contact_email))


class ResourceReport(db.Model):
    """One report of the activated resource count: the history behind Club.activated_resources (S1)."""

    __tablename__ = "resource_report"
    __table_args__ = (CheckConstraint("activated_resources >= 0", name="report_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    activated_resources: Mapped[int] = mapped_column(Integer)
    #: Who reported it: platform, staff or cli.
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffRole(enum.StrEnum):
    #: Payments and clients.
    STAFF = "staff"
    #: Also the catalogue and staff accounts.
    ADMIN = "admin"


class StaffUser(UserMixin, db.Model):
    """A vendor employee with a back-office account (rule A5)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[StaffRole] = mapped_column(Enum(StaffRole, native_enum=False, length=10))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: Sessions opened before it are over: set by "sign out on every device".
    sessions_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    is_staff = True
    is_partner = False

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN


class AuditEntry(db.Model):
    """Who did what, when: every staff action and every operator command (rule A5)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The staff member; empty for the operator's shell commands and the platform.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    #: Who acted, as text, kept even if the staff account goes away.
    actor: Mapped[str] = mapped_column(String(254))
    #: A stable code, e.g. club.password_reset_sent; translated for display.
    action: Mapped[str] = mapped_column(String(60))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("club.id"), nullable=True, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    staff: Mapped[StaffUser | None] = relationship()
    club: Mapped[Club | None] = relationship()


class SignedOutSession(db.Model):
    """A session its owner ended: a copy of its cookie no longer signs anyone in.

    Kept while such a cookie could still be valid (SESSION_MAX_AGE), then purged at a later sign-out.
    """

    __tablename__ = "signed_out_session"

    #: The random id given to the session at sign-in.
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
