"""Reads about partners: who they are, which clubs they manage (B1, B2)."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, case, func, or_, select

from ..accounts.facts import ClubFacts
from ..accounts.models import Club
from ..domain.periods import renewal_opens_on
from ..extensions import db
from ..subscriptions.models import ResourceAddition, Subscription, SubscriptionPeriod
from .models import Partner, PartnerClub


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def partner(partner_id: int) -> Partner | None:
    return db.session.get(Partner, partner_id)


def partner_by_email(email: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(func.lower(Partner.email) == email.strip().lower()))


def search_partners(text: str, limit: int = 50) -> list[Partner]:
    """Partners whose name or e-mail address contains the text (staff)."""
    query = select(Partner).order_by(Partner.name).limit(limit)
    text = text.strip()
    if text:
        query = query.where(or_(func.lower(Partner.name).like(_like(text), escape="\\"),
                                func.lower(Partner.email).like(_like(text), escape="\\")))
    return list(db.session.scalars(query))


def clubs_of(partner: Partner) -> list[Club]:
    """The clubs the partner manages, by subdomain (staff's view of the partner)."""
    return list(db.session.scalars(
        select(Club).join(PartnerClub, PartnerClub.club_id == Club.id)
        .where(PartnerClub.partner_id == partner.id).order_by(Club.subdomain)))


def partner_of(club: Club, known: ClubFacts | None = None) -> Partner | None:
    """The partner managing the club, if any (B1); without a query when the facts `known` of the club say none."""
    if known is not None and known.partner_id is None:
        return None
    return db.session.scalar(_partner_of_query(), {"club_id": club.id})


@functools.cache
def _partner_of_query():
    """Built once per process: every club page asks it."""
    return (select(Partner).join(PartnerClub, PartnerClub.partner_id == Partner.id)
            .where(PartnerClub.club_id == bindparam("club_id")))


def managers_of(club_ids: Iterable[int]) -> dict[int, Partner]:
    """The partner managing each of these clubs, for those that have one (B1), in one query."""
    rows = db.session.execute(select(PartnerClub.club_id, Partner).join(
        Partner, Partner.id == PartnerClub.partner_id).where(PartnerClub.club_id.in_(list(club_ids))))
    return {club_id: partner for club_id, partner in rows}


#: Clients shown on one page of the partner's list (U4).
CLIENTS_PER_PAGE = 50


@dataclass(frozen=True)
class ClientRow:
    """One club on the partner's Clients page, read with all the others in one query (B2, U4)."""

    club: Club
    #: Resources of the club's periods running today, added ones included (R6, R9).
    subscribed: int
    #: The soonest end date still to come among its subscriptions, if any.
    next_end: date | None
    #: Its last end date, past or to come.
    last_end: date | None
    today: date

    @property
    def over(self) -> bool:
        """More resources activated on the platform than subscribed today (B2)."""
        return self.club.activated_resources > self.subscribed

    @property
    def state(self) -> str:
        """running, renewal_open, expired or none (R2)."""
        if self.subscribed or (self.next_end is not None and self.next_end >= self.today):
            if self.next_end is not None and self.today >= renewal_opens_on(self.next_end):
                return "renewal_open"
            return "running"
        return "expired" if self.last_end is not None else "none"


def client_rows(partner: Partner, text: str, page: int, today: date) -> tuple[list[ClientRow], int]:
    """One page of the partner's clubs, found by subdomain or name, with their counts, and how many match: two
    queries whatever the number of clubs (B2, U4). The counts are summed for the page's clubs only, not for every
    club before the page is cut."""
    managed = select(PartnerClub.club_id).where(PartnerClub.partner_id == partner.id)
    found = Club.id.in_(managed)
    text = text.strip()
    if text:
        found = and_(found, or_(Club.subdomain.like(_like(text), escape="\\"),
                                func.lower(Club.name).like(_like(text), escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(Club).where(found))
    # A common table expression: PostgreSQL finds the page's clubs once for the three places that use them.
    shown = (select(Club.id).where(found).order_by(Club.name, Club.id)
             .limit(CLIENTS_PER_PAGE).offset((page - 1) * CLIENTS_PER_PAGE).cte("shown"))
    on_page = Subscription.club_id.in_(select(shown.c.id))
    # Each running period's added resources, summed for that period only (by its index), not for every period.
    added = (select(func.coalesce(func.sum(ResourceAddition.resources), 0))
             .where(ResourceAddition.period_id == SubscriptionPeriod.id).scalar_subquery())
    running = (select(Subscription.club_id, func.sum(SubscriptionPeriod.resources + added).label("subscribed"))
               .join(SubscriptionPeriod, SubscriptionPeriod.subscription_id == Subscription.id)
               .where(on_page, SubscriptionPeriod.start_date <= today, SubscriptionPeriod.end_date >= today)
               .group_by(Subscription.club_id).subquery())
    ends = (select(Subscription.club_id,
                   func.min(case((SubscriptionPeriod.end_date >= today, SubscriptionPeriod.end_date))).label("next_end"),
                   func.max(SubscriptionPeriod.end_date).label("last_end"))
            .join(SubscriptionPeriod, SubscriptionPeriod.subscription_id == Subscription.id)
            .where(on_page).group_by(Subscription.club_id).subquery())
    rows = db.session.execute(
        select(Club, func.coalesce(running.c.subscribed, 0), ends.c.next_end, ends.c.last_end)
        .join(shown, shown.c.id == Club.id)
        .outerjoin(running, running.c.club_id == Club.id).outerjoin(ends, ends.c.club_id == Club.id)
        .order_by(Club.name, Club.id))
    return [ClientRow(club, int(subscribed), next_end, last_end, today)
            for club, subscribed, next_end, last_end in rows], total


def managed_club(partner: Partner, subdomain: str) -> Club | None:
    """One of the partner's clubs; another partner's, or none, is None (B4)."""
    return db.session.scalar(select(Club).join(PartnerClub, PartnerClub.club_id == Club.id)
                             .where(Club.subdomain == subdomain, PartnerClub.partner_id == partner.id))
