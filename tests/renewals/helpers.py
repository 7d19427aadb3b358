"""Running the renewal job as cron does, and reading what it did."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import OutboxMessage, SubscriptionMessage

ONE_DAY = timedelta(days=1)


def run_job(runner, day: date | None = None, command: str = "run"):
    """`flask renewals run [--date DAY]`; the result, its output and exit code."""
    return runner.invoke(args=["renewals", command, *(["--date", day.isoformat()] if day else [])])


def run_every_day(runner, first: date, last: date | None = None) -> None:
    """Replay every day from `first` to `last` (today by default), as an operator catching up does."""
    day, last = first, last or date.today()
    while day <= last:
        result = run_job(runner, day)
        assert result.exit_code == 0, (day, result.output)
        day += ONE_DAY


def stages_done(subscription_id: int) -> list[tuple[date, str, str]]:
    """(run day, stage, message) of what the job did for the subscription, in order."""
    db.session.expire_all()
    rows = db.session.scalars(select(SubscriptionMessage).where(SubscriptionMessage.subscription_id == subscription_id)
                              .order_by(SubscriptionMessage.id))
    return [(row.run_day, row.stage.value, row.message.value) for row in rows]


def mails(recipient: str | None = None) -> list[OutboxMessage]:
    """What waits in the outbox (the job leaves its e-mails to `flask outbox send`)."""
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))
