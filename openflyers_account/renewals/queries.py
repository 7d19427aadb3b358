"""Reads of the renewal job: the periods whose end is near and what is due for them, what was done, what failed."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..accounts.models import Club
from ..domain.renewals import (
    LOOK_AHEAD_DAYS,
    LOOK_BACK_DAYS,
    Done,
    PeriodEnd,
    Renewal,
    Stage,
    due_stage,
)
from ..extensions import db
from ..subscriptions.models import Subscription, SubscriptionPeriod
from .models import RenewalFailure, SubscriptionMessage


@dataclass(frozen=True)
class DueStage:
    """A stage to do on a day: for which subscription and period end, of which club."""

    subscription_id: int
    club_id: int
    period: PeriodEnd
    stage: Stage


def renewal_of(following: SubscriptionPeriod | None) -> Renewal:
    """What follows a period: its renewal, paid once its invoice is (R4)."""
    if following is None:
        return Renewal.NONE
    return _renewal(following.activated_at is not None, following.invoice_id)


def _renewal(activated: bool, invoice_id: int | None) -> Renewal:
    # A period brought in from before this site has no invoice here: nothing to chase.
    return Renewal.PAID if activated or invoice_id is None else Renewal.UNPAID


def period_end(subscription: Subscription, period: SubscriptionPeriod, done: tuple[Done, ...]) -> PeriodEnd:
    """The facts the job decides on for one period of a subscription whose periods are loaded."""
    following = next((p for p in subscription.periods if p.start_date > period.end_date), None)
    return PeriodEnd(period.end_date, subscription.notice_given_on is not None, renewal_of(following), done,
                     paid=_renewal(period.activated_at is not None, period.invoice_id) is Renewal.PAID)


def done_for_each(subscription_ids: set[int]) -> dict[tuple[int, date], tuple[Done, ...]]:
    """The stages already done for each period's end of these subscriptions."""
    done: dict[tuple[int, date], list[Done]] = defaultdict(list)
    for subscription_id, end, stage, run_day in db.session.execute(
            select(SubscriptionMessage.subscription_id, SubscriptionMessage.period_end, SubscriptionMessage.stage,
                   SubscriptionMessage.run_day).where(SubscriptionMessage.subscription_id.in_(subscription_ids))):
        done[(subscription_id, end)].append(Done(stage, run_day))
    return {key: tuple(stages) for key, stages in done.items()}


def due_stages(day: date) -> list[DueStage]:
    """Every stage due on `day`, over all subscriptions, in a few queries whatever their number (R8, O1).

    The job does each again under the club's lock: this list only saves it opening a transaction for the
    many periods with nothing to do.
    """
    first, last = day - timedelta(days=LOOK_BACK_DAYS), day + timedelta(days=LOOK_AHEAD_DAYS)
    ending = db.session.execute(
        select(SubscriptionPeriod.subscription_id, SubscriptionPeriod.end_date, Subscription.club_id,
               Subscription.notice_given_on, SubscriptionPeriod.activated_at, SubscriptionPeriod.invoice_id)
        .join(Subscription, Subscription.id == SubscriptionPeriod.subscription_id)
        .where(SubscriptionPeriod.end_date.between(first, last))
        .order_by(SubscriptionPeriod.end_date, SubscriptionPeriod.subscription_id)
    ).all()
    if not ending:
        return []
    # What follows each period: the first period of the same subscription starting after its end.
    later: dict[int, list[tuple[date, Renewal]]] = defaultdict(list)
    for subscription_id, start, activated_at, invoice_id in db.session.execute(
            select(SubscriptionPeriod.subscription_id, SubscriptionPeriod.start_date, SubscriptionPeriod.activated_at,
                   SubscriptionPeriod.invoice_id)
            .where(SubscriptionPeriod.start_date > first).order_by(SubscriptionPeriod.start_date)):
        later[subscription_id].append((start, _renewal(activated_at is not None, invoice_id)))
    done: dict[tuple[int, date], list[Done]] = defaultdict(list)
    for subscription_id, end, stage, run_day in db.session.execute(
            select(SubscriptionMessage.subscription_id, SubscriptionMessage.period_end, SubscriptionMessage.stage,
                   SubscriptionMessage.run_day).where(SubscriptionMessage.period_end.between(first, last))):
        done[(subscription_id, end)].append(Done(stage, run_day))
    due = []
    for subscription_id, end, club_id, notice_given_on, activated_at, invoice_id in ending:
        renewal = next((renewal for start, renewal in later[subscription_id] if start > end), Renewal.NONE)
        period = PeriodEnd(end, notice_given_on is not None, renewal, tuple(done[(subscription_id, end)]),
                           paid=_renewal(activated_at is not None, invoice_id) is Renewal.PAID)
        stage = due_stage(period, day)
        if stage is not None:
            due.append(DueStage(subscription_id, club_id, period, stage))
    return due


def messages_of(club: Club, limit: int = 50) -> list[SubscriptionMessage]:
    """What the job sent about the club's subscriptions, newest first (R8)."""
    return list(db.session.scalars(
        select(SubscriptionMessage).join(Subscription, Subscription.id == SubscriptionMessage.subscription_id)
        .where(Subscription.club_id == club.id).order_by(SubscriptionMessage.id.desc()).limit(limit)))


def done_on(day: date) -> list[SubscriptionMessage]:
    """What runs for `day` did, in order."""
    return list(db.session.scalars(
        select(SubscriptionMessage).where(SubscriptionMessage.run_day == day).order_by(SubscriptionMessage.id)))


def failures(club: Club | None = None) -> list[RenewalFailure]:
    """Stages the job could not do yet, oldest first, of every club or of one: every run tries them again."""
    query = select(RenewalFailure).order_by(RenewalFailure.failed_at)
    if club is not None:
        query = query.join(Subscription, Subscription.id == RenewalFailure.subscription_id).where(
            Subscription.club_id == club.id)
    return list(db.session.scalars(query))


def failure_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RenewalFailure))
