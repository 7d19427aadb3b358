"""What the renewal job does for a period on a day: remind, renew, end, chase an unpaid renewal (R7, R8).

A period's messages are keyed by stage: at most one message per stage, ever (the database holds the
key). The stage a message belongs to is the latest one the day has reached for the period's situation,
so a run after days without runs sends what is still relevant, once, and nothing that a later stage
made stale.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta


class Stage(enum.StrEnum):
    """A moment of a period's end, and the key of what was done then (R8)."""

    #: 60 days before the end date: what happens next, and by when.
    REMINDER_60 = "reminder_60"
    #: 30 days before: the last reminder for a subscription under notice or with its renewal unpaid.
    REMINDER_30 = "reminder_30"
    #: 30 days before: the automatic renewal of a subscription with no notice and no renewal invoice.
    RENEWAL = "renewal"
    #: 7 days before: the renewal invoice is still unpaid.
    UNPAID_7 = "unpaid_7"
    #: The end date of a subscription under notice: it ends (R7).
    ENDED = "ended"
    #: 15 days after: the renewal invoice is still unpaid.
    UNPAID_15 = "unpaid_15"


#: Each stage's day, counted from the period's end date.
STAGE_OFFSET = {
    Stage.REMINDER_60: -60,
    Stage.REMINDER_30: -30,
    Stage.RENEWAL: -30,
    Stage.UNPAID_7: -7,
    Stage.ENDED: 0,
    Stage.UNPAID_15: 15,
}

#: The job looks at periods ending from this many days ago (after the last stage, a missed run is let go) ...
LOOK_BACK_DAYS = 45
#: ... to this many days ahead (the first stage).
LOOK_AHEAD_DAYS = 60


def stage_day(stage: Stage, end: date) -> date:
    """The day `stage` falls on for a period ending on `end` (R8)."""
    return end + timedelta(days=STAGE_OFFSET[stage])


class Renewal(enum.StrEnum):
    """What follows the period: nothing yet, a renewal not fully paid, or a paid one (R2, R4)."""

    NONE = "none"
    UNPAID = "unpaid"
    PAID = "paid"


class Situation(enum.StrEnum):
    """Where a period stands at its end, which decides the messages it is owed (R7, R8)."""

    #: No notice and no renewal: reminded at 60 days, renewed automatically at 30.
    RENEWS_ITSELF = "renews_itself"
    #: Under notice: reminded at 60 and 30 days (notice can still be withdrawn), then ended.
    UNDER_NOTICE = "under_notice"
    #: Renewed, invoice not fully paid: reminded at 60 and 30 days, then unpaid reminders.
    RENEWAL_UNPAID = "renewal_unpaid"
    #: Renewed and paid: nothing to say.
    RENEWAL_PAID = "renewal_paid"
    #: The period itself is not paid: it is not renewed on top, and its own invoice is chased by staff (R4).
    PERIOD_UNPAID = "period_unpaid"


#: The stages each situation has something at, in order (R8). Renewing itself, a subscription whose automatic
#: invoice was cancelled (to start again) is told a week before the end that it is not renewed.
SCHEDULE: Mapping[Situation, tuple[Stage, ...]] = {
    Situation.RENEWS_ITSELF: (Stage.REMINDER_60, Stage.RENEWAL, Stage.UNPAID_7),
    Situation.UNDER_NOTICE: (Stage.REMINDER_60, Stage.REMINDER_30, Stage.ENDED),
    Situation.RENEWAL_UNPAID: (Stage.REMINDER_60, Stage.REMINDER_30, Stage.UNPAID_7, Stage.UNPAID_15),
    Situation.RENEWAL_PAID: (),
    Situation.PERIOD_UNPAID: (),
}


def situation(under_notice: bool, renewal: Renewal, paid: bool = True) -> Situation:
    """A renewal, paid or not, settles the period's future; without one, notice decides; a period never paid is
    not renewed on top of its debt (R4, R7, R8)."""
    if renewal is Renewal.PAID:
        return Situation.RENEWAL_PAID
    if renewal is Renewal.UNPAID:
        return Situation.RENEWAL_UNPAID
    if under_notice:
        return Situation.UNDER_NOTICE
    return Situation.RENEWS_ITSELF if paid else Situation.PERIOD_UNPAID


@dataclass(frozen=True)
class Done:
    """A stage already done for the period, and the day the run that did it was for."""

    stage: Stage
    run_day: date
    #: The invoice it issued or chased.
    invoice_id: int | None = None


@dataclass(frozen=True)
class PeriodEnd:
    """What the job knows of a period whose end is near (R7, R8)."""

    end: date
    under_notice: bool
    renewal: Renewal
    #: Stages already done for this period, whatever they sent.
    done: tuple[Done, ...] = ()
    #: Whether the period itself is paid (or from before this site).
    paid: bool = True
    #: The day the renewal came to be: the automatic renewal's run day, or the day the club's renewal invoice was
    #: issued. Stages before it have nothing to chase.
    renewal_since: date | None = None

    @property
    def situation(self) -> Situation:
        return situation(self.under_notice, self.renewal, self.paid)


def due_stage(period: PeriodEnd, day: date, today: date | None = None) -> Stage | None:
    """The stage to do for `period` on `day` (replayed on `today`), or None (R7, R8).

    A subscription that renews itself is renewed from the 30-day mark on, once per period: an invoice the
    club cancelled to start again is not issued anew behind its back. Otherwise the stage is the latest the
    day has reached among those the period's situation has, and it is not done when it (or a later stage)
    already was, nor when a run for its day or later already did something: after a catch-up renewal five
    days before the end, no unpaid reminder follows the next morning. A renewal is not chased for days
    before it existed. Nothing is done once the look-back has passed, counted from the replayed day and from
    today: a period that ended long ago is let go.
    """
    latest = max(day, today or day)
    if latest > period.end + timedelta(days=LOOK_BACK_DAYS) or day < period.end - timedelta(days=LOOK_AHEAD_DAYS):
        return None
    situation = period.situation
    if (situation is Situation.RENEWS_ITSELF and day >= stage_day(Stage.RENEWAL, period.end)
            and not any(done.stage is Stage.RENEWAL for done in period.done)):
        return Stage.RENEWAL
    since = period.renewal_since if situation is Situation.RENEWAL_UNPAID else None
    reached = [stage for stage in SCHEDULE[situation] if stage is not Stage.RENEWAL
               and stage_day(stage, period.end) <= day and (since is None or since < stage_day(stage, period.end))]
    if not reached:
        return None
    stage = reached[-1]
    offset = STAGE_OFFSET[stage]
    if any(STAGE_OFFSET[done.stage] >= offset or done.run_day >= stage_day(stage, period.end)
           for done in period.done):
        return None
    return stage


class Message(enum.StrEnum):
    """What a stage tells the club, by situation; each names an e-mail template (R8)."""

    #: The subscription renews itself on the 30-day mark; renew now to change it.
    RENEWS_SOON = "renews_soon"
    #: Renewed automatically: the invoice, its payment links and transfer details.
    RENEWED = "renewed"
    #: It ends on the end date, under notice; notice can be withdrawn until then.
    ENDING = "ending"
    #: It ended today, under notice.
    ENDED = "ended"
    #: The renewal invoice waits for payment, due before the end date.
    PAY_RENEWAL = "pay_renewal"
    #: The period has ended and its renewal is still unpaid: the platform waits for the payment (R4).
    RENEWAL_OVERDUE = "renewal_overdue"
    #: A week before the end, the automatic invoice was cancelled and nothing replaced it: it is not renewed.
    NOT_RENEWED = "not_renewed"


def message_for(situation: Situation, stage: Stage) -> Message:
    """The message a stage sends in a situation (R8); the schedule never pairs the others."""
    if stage is Stage.RENEWAL:
        return Message.RENEWED
    if stage is Stage.ENDED:
        return Message.ENDED
    if stage is Stage.UNPAID_15:
        return Message.RENEWAL_OVERDUE
    if situation is Situation.RENEWS_ITSELF and stage is Stage.UNPAID_7:
        return Message.NOT_RENEWED
    if situation is Situation.UNDER_NOTICE:
        return Message.ENDING
    if situation is Situation.RENEWAL_UNPAID:
        return Message.PAY_RENEWAL
    return Message.RENEWS_SOON
