"""The stored records. Models hold data only: queries and commits live in the services."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


Money = Numeric(12, 2)


class Offer(db.Model):
    """A subscription offer of the catalogue (rule P1)."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used in forms and the CLI: first-price, business, premiere, corporate.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Display name, the same in every language (a brand).
    name: Mapped[str] = mapped_column(String(80))
    #: Staff manual resets and e-mail changes are billed on this offer (rule A6).
    bills_staff_assistance: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


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
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    #: Changes with every password change, so reset links die once used (rule A2).
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped[Offer] = relationship(lazy="joined")
    periods: Mapped[list["SubscriptionPeriod"]] = relationship(
        back_populates="club", order_by="SubscriptionPeriod.start_date"
    )

    is_staff = False

    def get_id(self) -> str:
        # The password stamp in the session id signs the club out everywhere when the password changes.
        return f"club:{self.id}:{self.password_changed_at.timestamp():.6f}"


Index("ix_club_structure_email", func.lower(Club.structure_email))
Index("ix_club_contact_email", func.lower(Club.contact_email))


class SubscriptionPeriod(db.Model):
    """A period the club subscribes for: one renewal, active once its invoice is paid (R1, R4)."""

    __tablename__ = "subscription_period"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period_dates_in_order"),
        CheckConstraint("resources >= 0", name="period_resources_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    start_date: Mapped[date] = mapped_column(Date)
    #: Last day covered, inclusive.
    end_date: Mapped[date] = mapped_column(Date)
    #: Resources subscribed for this period.
    resources: Mapped[int] = mapped_column(Integer)
    #: Set when the period's invoice is fully paid: the platform is in production (R4).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    club: Mapped[Club] = relationship(back_populates="periods")
    offer: Mapped[Offer] = relationship()


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    is_staff = True

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


class ChargeableService(db.Model):
    """A billable catalogue item that is not an offer, e.g. staff assistance (rule A6)."""

    __tablename__ = "chargeable_service"
    __table_args__ = (CheckConstraint("unit_price >= 0", name="service_price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: staff-password-reset, staff-email-change.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Invoice label, in French: invoices are French documents.
    label: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)


class PendingCharge(db.Model):
    """A billable event waiting for the club's next invoice (rule A6)."""

    __tablename__ = "pending_charge"
    __table_args__ = (CheckConstraint("quantity > 0", name="pending_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    #: Price excl. VAT when the event happened: later catalogue changes do not reach it.
    unit_price: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    #: Set when the charge is put on an invoice.
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxMessage(db.Model):
    """An e-mail waiting to go, written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: [{"filename":..., "content_type":..., "content_b64":...}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A sender's claim: another sender skips the message until the claim is stale.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
