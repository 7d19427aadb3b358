"""What the renewal job did for each period's end, and what it could not do (R8, O1)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..billing.models import Invoice
from ..domain.renewals import Message, Stage
from ..extensions import db
from ..storage import UTCDateTime, utcnow
from ..subscriptions.models import Subscription


class SubscriptionMessage(db.Model):
    """A stage done for a period's end: the message sent, and the automatic invoice it issued (R8).

    The unique key is what makes every message and every automatic invoice happen at most once: two
    runners, or one started again after a crash, cannot both insert it, and it is written in the same
    transaction as the invoice and the e-mails.
    """

    __tablename__ = "subscription_message"
    __table_args__ = (UniqueConstraint("subscription_id", "period_end", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    #: The end date of the period the message is about.
    period_end: Mapped[date] = mapped_column(Date, index=True)
    stage: Mapped[Stage] = mapped_column(Enum(Stage, native_enum=False, length=16))
    message: Mapped[Message] = mapped_column(Enum(Message, native_enum=False, length=20))
    #: The day the run was for: today's date, or the day `--date` replayed.
    run_day: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The invoice it is about: the automatic renewal's, or the unpaid renewal it chases.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True)
    #: The addresses it went to.
    recipients: Mapped[list] = mapped_column(JSON, default=list)

    subscription: Mapped[Subscription] = relationship()
    invoice: Mapped[Invoice | None] = relationship()


class RenewalFailure(db.Model):
    """A stage the job could not do (a resource count above 999, a catalogue without the offer...): kept for
    `flask renewals status` and tried again by every run, and gone once done (O1)."""

    __tablename__ = "renewal_failure"
    __table_args__ = (UniqueConstraint("subscription_id", "period_end", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    period_end: Mapped[date] = mapped_column(Date)
    stage: Mapped[Stage] = mapped_column(Enum(Stage, native_enum=False, length=16))
    run_day: Mapped[date] = mapped_column(Date)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(String(500))

    subscription: Mapped[Subscription] = relationship()
