"""The outbox: e-mails written in the transaction that caused them, sent later."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..storage import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An e-mail waiting to go, written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: [{"filename":..., "content_type":..., "source":..., "key":...}], read at sending (`outbox.attachment_from`);
    #: messages queued earlier hold their bytes: "content_b64".
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A sender's claim: another sender skips the message until the claim is stale.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    #: Delivery tries so far, successful or not.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: No sender tries again before this time: the back-off after a failed try.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Given up (refused for good, or MAIL_MAX_ATTEMPTS used up): kept for the operator, never retried.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
