"""The audit log: one entry per staff action or operator command, in the action's transaction (A5)."""
from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import AuditEntry, Club, StaffUser


def record(actor: StaffUser | str, action: str, club: Club | None = None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction; `actor` is a staff member or a label (cli, platform)."""
    staff = actor if isinstance(actor, StaffUser) else None
    entry = AuditEntry(
        staff_id=staff.id if staff else None,
        actor=staff.email if staff else str(actor),
        action=action,
        club_id=club.id if club else None,
        details=details,
    )
    db.session.add(entry)
    return entry


def entries(club: Club | None = None, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """The audit log, newest first; one club's entries when `club` is given."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    if club is not None:
        query = query.where(AuditEntry.club_id == club.id)
    return list(db.session.scalars(query))
