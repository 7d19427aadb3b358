"""The platform's API token, stored hashed (S1)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..storage import UTCDateTime, utcnow


class PlatformToken(db.Model):
    """The one token a club's platform signs its reports with; rotating it replaces it at once (S1)."""

    __tablename__ = "platform_token"

    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), primary_key=True)
    #: SHA-256 of the token, hex: the token itself is shown once and never stored.
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The staff member who created or last rotated it.
    created_by: Mapped[str] = mapped_column(String(254))
