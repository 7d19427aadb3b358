"""Reads of the renewal job: the periods whose end is near and what is due for them, what was done, what failed."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..accounts.models import Club
from ..billing.models import Invoice
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


@dataclass(frozen=True)
class Following:
    """The period after another, as the job sees it: when it starts, whether it is paid, its invoice."""

    start: date
    activated: bool
    invoice_id: int | None
    issued_on: date | None


def _paid(activated: bool, invoice_id: int | None) -> bool:
    # A period brought in from before this site has no invoice here: nothing to chase.
    return activated or invoice_id is None


def facts(end: date, under_notice: bool, paid: bool, following: Following | None,
          done: tuple[Done, ...]) -> PeriodEnd:
    """What the job decides on for a period ending on `end` (R7, R8)."""
    if following is None:
        return PeriodEnd(end, under_notice, Renewal.NONE, done, paid=paid)
    if _paid(following.activated, following.invoice_id):
        return PeriodEnd(end, under_notice, Renewal.PAID, done, paid=paid)
    # The automatic renewal came to be on its run's day (a replay issues it later); the club's on its invoice's.
    automatic = next((entry.run_day for entry in done
                      if entry.stage is Stage.RENEWAL and entry.invoice_id == following.invoice_id), None)
    return PeriodEnd(end, under_notice, Renewal.UNPAID, done, paid=paid,
                     renewal_since=automatic or following.issued_on)


def period_end(subscription: Subscription, period: SubscriptionPeriod, done: tuple[Done, ...]) -> PeriodEnd:
    """The facts for one period of a subscription whose periods are loaded."""
    after = next((p for p in subscription.periods if p.start_date > period.end_date), None)
    following = None
    if after is not None:
        issued_on = db.session.scalar(select(Invoice.issue_date).where(Invoice.id == after.invoice_id)) \
            if after.invoice_id else None
        following = Following(after.start_date, after.activated_at is not None, after.invoice_id, issued_on)
    return facts(period.end_date, subscription.notice_given_on is not None,
                 _paid(period.activated_at is not None, period.invoice_id), following, done)


def _done_rows(*conditions) -> dict[tuple[int, date], tuple[Done, ...]]:
    done: dict[tuple[int, date], list[Done]] = defaultdict(list)
    for subscription_id, end, stage, run_day, invoice_id in db.session.execute(
            select(SubscriptionMessage.subscription_id, SubscriptionMessage.period_end, SubscriptionMessage.stage,
                   SubscriptionMessage.run_day, SubscriptionMessage.invoice_id).where(*conditions)):
        done[(subscription_id, end)].append(Done(stage, run_day, invoice_id))
    return {key: tuple(stages) for key, stages in done.items()}


def done_for_each(subscription_ids: set[int]) -> dict[tuple[int, date], tuple[Done, ...]]:
    """The stages already done for each period's end of these subscriptions."""
    return _done_rows(SubscriptionMessage.subscription_id.in_(subscription_ids))


def due_stages(day: date, today: date | None = None) -> list[DueStage]:
    """Every stage due on `day` (replayed on `today`), over all subscriptions, in a few queries whatever their
    number (R8, O1).

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
    later: dict[int, list[Following]] = defaultdict(list)
    for subscription_id, start, activated_at, invoice_id, issued_on in db.session.execute(
            select(SubscriptionPeriod.subscription_id, SubscriptionPeriod.start_date, SubscriptionPeriod.activated_at,
                   SubscriptionPeriod.invoice_id, Invoice.issue_date)
            .outerjoin(Invoice, Invoice.id == SubscriptionPeriod.invoice_id)
            .where(SubscriptionPeriod.start_date > first).order_by(SubscriptionPeriod.start_date)):
        later[subscription_id].append(Following(start, activated_at is not None, invoice_id, issued_on))
    done = _done_rows(SubscriptionMessage.period_end.between(first, last))
    due = []
    for subscription_id, end, club_id, notice_given_on, activated_at, invoice_id in ending:
        following = next((period for period in later[subscription_id] if period.start > end), None)
        period = facts(end, notice_given_on is not None, _paid(activated_at is not None, invoice_id), following,
                       done.get((subscription_id, end), ()))
        stage = due_stage(period, day, today)
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
