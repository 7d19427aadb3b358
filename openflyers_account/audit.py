"""The audit log: one entry per action that changes an account, in the action's transaction (A5, K4)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from .accounts.models import AuditEntry, Club, StaffUser
from .extensions import db
from .transactions import streaming_read

#: Who acts: a staff member, a club acting for itself, a partner (any account with an `audit_label`), or a label
#: (cli, platform, demo).
Actor = StaffUser | Club | object | str


def actor_label(actor: Actor) -> str:
    """How the log names who acted: a staff e-mail, `club:<subdomain>`, `partner:<e-mail>`, or the label itself."""
    if isinstance(actor, StaffUser):
        return actor.email
    if isinstance(actor, Club):
        return f"club:{actor.subdomain}"
    return getattr(actor, "audit_label", None) or str(actor)


def record(actor: Actor, action: str, club: Club | None = None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        staff_id=actor.id if isinstance(actor, StaffUser) else None,
        actor=actor_label(actor),
        action=action,
        club_id=club.id if club else None,
        details=details,
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What staff look for in the log (K4): a club, who acted (part of the label), an action, a range of days."""

    subdomain: str = ""
    actor: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None

    def apply(self, query):
        if self.subdomain:
            query = query.join(Club, Club.id == AuditEntry.club_id).where(Club.subdomain == self.subdomain)
        if self.actor:
            pattern = "%" + self.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(AuditEntry.actor.ilike(pattern, escape="\\"))
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.start is not None:
            query = query.where(AuditEntry.at >= datetime.combine(self.start, time(), UTC))
        if self.end is not None:
            query = query.where(AuditEntry.at < datetime.combine(self.end + timedelta(days=1), time(), UTC))
        return query


def entries(club: Club | None = None, limit: int = 50, offset: int = 0,
            filters: AuditFilter | None = None) -> list[AuditEntry]:
    """The audit log, newest first; one club's entries when `club` is given, those matching `filters` (K4)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    if club is not None:
        query = query.where(AuditEntry.club_id == club.id)
    if filters is not None:
        query = filters.apply(query)
    return list(db.session.scalars(query))


def every_entry(filters: AuditFilter) -> Iterator[AuditEntry]:
    """Every entry matching `filters`, newest first, read in chunks: for the CSV export (K4)."""
    # The club with each entry, in the same query: one query however long the log.
    query = (filters.apply(select(AuditEntry)).options(joinedload(AuditEntry.club)).order_by(AuditEntry.id.desc())
             .execution_options(yield_per=1000))
    with streaming_read() as connection, Session(bind=connection) as session:
        yield from session.scalars(query)


def entries_about_partner(email: str, limit: int = 50) -> list[AuditEntry]:
    """The entries naming a partner: its creation, discount, clubs, and what it did (B4)."""
    query = (select(AuditEntry).where(or_(AuditEntry.details["partner"].as_string() == email,
                                          AuditEntry.actor == f"partner:{email}"))
             .order_by(AuditEntry.id.desc()).limit(limit))
    return list(db.session.scalars(query))
