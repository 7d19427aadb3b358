"""Subscriptions, the periods they are bought for, and resources added to a running period (R1-R10)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Club
from ..billing.models import Invoice, Offer
from ..extensions import db
from ..storage import UTCDateTime, utcnow


class Subscription(db.Model):
    """What a club buys, renews, changes and gives notice on: one platform use, e.g. a base (R9).

    It holds the terms of its next renewal (offer, term, PO reference, a reduction asked for) and the
    notice; what was bought for each stretch of time is in its periods.
    """

    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("term_years IN (1, 3, 5)", name="subscription_term_known"),
        CheckConstraint("next_resources IS NULL OR next_resources >= 0", name="next_resources_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    #: The offer its next renewal takes (R8: the same offer unless the club chooses another).
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    #: The term its next renewal takes, in years: 1, 3 or 5 (P2).
    term_years: Mapped[int] = mapped_column(Integer, default=1)
    #: The buyer's purchase order reference, printed on the invoices issued from now on (R5).
    po_reference: Mapped[str] = mapped_column(String(70), default="")
    #: The day notice not to renew was given; empty while the subscription renews itself (R7).
    notice_given_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Who gave the notice: the club, a staff member's e-mail, a partner.
    notice_given_by: Mapped[str] = mapped_column(String(254), default="")
    #: Why staff accepted a notice given after the deadline (R7); empty for a notice in time.
    late_notice_reason: Mapped[str] = mapped_column(String(500), default="")
    #: Fewer resources asked for the next period, in time (R7); empty for no reduction.
    next_resources: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The one-time key of the form that started it: the same submission twice starts one (R10).
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    club: Mapped[Club] = relationship(back_populates="subscriptions")
    offer: Mapped[Offer] = relationship(lazy="joined")
    periods: Mapped[list["SubscriptionPeriod"]] = relationship(
        back_populates="subscription", order_by="SubscriptionPeriod.start_date"
    )


class SubscriptionPeriod(db.Model):
    """A stretch of time a subscription is bought for: active once its invoice is paid (R1, R4)."""

    __tablename__ = "subscription_period"
    __table_args__ = (
        # Two renewals of the same period cannot both exist (R2).
        UniqueConstraint("subscription_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="period_dates_in_order"),
        CheckConstraint("resources >= 0", name="period_resources_not_negative"),
        CheckConstraint("term_years IN (1, 3, 5)", name="period_term_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    start_date: Mapped[date] = mapped_column(Date)
    #: Last day covered, inclusive; the renewal job finds the periods ending soon by it (R8).
    end_date: Mapped[date] = mapped_column(Date, index=True)
    #: The term it was bought for, in years: its discount applies to resources added to it (P2, R6).
    term_years: Mapped[int] = mapped_column(Integer, default=1)
    #: Resources bought with the period; those added later are in its additions (R6).
    resources: Mapped[int] = mapped_column(Integer)
    #: Set when the period's invoice is fully paid: the platform is in production (R4).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The invoice that pays for it; empty for periods from before this site.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True)

    subscription: Mapped[Subscription] = relationship(back_populates="periods")
    offer: Mapped[Offer] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    additions: Mapped[list["ResourceAddition"]] = relationship(
        back_populates="period", order_by="ResourceAddition.id", lazy="selectin"
    )

    @property
    def total_resources(self) -> int:
        """Resources bought with the period and added since: they count at once (R6)."""
        return self.resources + sum(addition.resources for addition in self.additions)



class ResourceAddition(db.Model):
    """Resources added to a period, billed on an invoice of their own; cancelling it removes them (R6)."""

    __tablename__ = "resource_addition"
    __table_args__ = (CheckConstraint("resources > 0", name="added_resources_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("subscription_period.id"), index=True)
    resources: Mapped[int] = mapped_column(Integer)
    #: First day the added resources are billed for; the period's end is the last (R6).
    start_date: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    #: The one-time key of the form that added them: the same submission twice adds once (R6).
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period: Mapped[SubscriptionPeriod] = relationship(back_populates="additions")


class InvoicePurpose(enum.StrEnum):
    """What an invoice buys for its subscription (R3); a credit note has the purpose of its invoice."""

    #: The first period of a new subscription, from its start date (R10).
    SUBSCRIPTION = "subscription"
    #: The period after the current one (R1).
    RENEWAL = "renewal"
    #: Resources added to a running period, prorated (R6).
    ADDED_RESOURCES = "added_resources"


class SubscriptionInvoice(db.Model):
    """Which subscription an invoice or credit note bills, and what for; written once, at issue (I2, R9).

    Kept beside the invoice, not in it: an issued invoice's row never changes, and this link outlives
    the period or addition a cancelled invoice bought.
    """

    __tablename__ = "subscription_invoice"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    purpose: Mapped[InvoicePurpose] = mapped_column(Enum(InvoicePurpose, native_enum=False, length=16))
    #: Who bought it, as the audit log names them: `club:<subdomain>`, a staff e-mail, `cli`. A club cancels
    #: its own purchases, not a subscription staff started for it (R2, R10).
    bought_by: Mapped[str] = mapped_column(String(254))

    invoice: Mapped[Invoice] = relationship()
    subscription: Mapped[Subscription] = relationship()
