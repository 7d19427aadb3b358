"""Platform tokens: created or rotated by staff, shown once, checked on every report (S1)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from .. import audit
from ..accounts.models import Club, StaffUser
from ..extensions import db
from ..transactions import use_case
from .models import PlatformToken

#: Tokens start with this, so a leaked one is recognised by secret scanners and in logs.
PREFIX = "ofp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@use_case
def rotate_token(club: Club, staff: StaffUser) -> str:
    """A new token for the club's platform, replacing any earlier one at once; returned once, stored hashed (S1)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = db.session.get(PlatformToken, club.id, with_for_update=True)
    audit.record(staff, "club.api_token_rotated" if row else "club.api_token_created", club)
    if row is None:
        db.session.add(PlatformToken(club_id=club.id, token_sha256=_digest(token), created_by=staff.email))
    else:
        row.token_sha256, row.created_by = _digest(token), staff.email
    return token


def platform_club(subdomain: str, token: str) -> Club | None:
    """The club whose platform this token is; None for a wrong token, an unknown club or a club without one, alike
    (S1: the answer never tells which)."""
    row = db.session.execute(select(Club, PlatformToken.token_sha256)
                             .join(PlatformToken, PlatformToken.club_id == Club.id)
                             .where(Club.subdomain == subdomain)).first()
    expected = row[1] if row else "0" * 64
    matches = hmac.compare_digest(_digest(token), expected)
    return row[0] if row and matches else None


def token_created(club: Club) -> PlatformToken | None:
    return db.session.get(PlatformToken, club.id)
