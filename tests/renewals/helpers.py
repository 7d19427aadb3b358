"""Running the renewal job as cron does, and reading what it did."""
from __future__ import annotations

from datetime import date, timedelta
from unittest.mock import patch

from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import OutboxMessage, SubscriptionMessage
from openflyers_account.renewals import cli as renewals_cli

ONE_DAY = timedelta(days=1)


def run_job(runner, day: date | None = None, command: str = "run", today: date | None = None):
    """`flask renewals run [--date DAY]`, on `today` (the calendar's by default); the result, its output and exit
    code."""
    arguments = ["renewals", command, *(["--date", day.isoformat()] if day else [])]
    if today is None:
        return runner.invoke(args=arguments)
    with patch.object(renewals_cli, "today", lambda: today):
        return runner.invoke(args=arguments)


def run_every_day(runner, first: date, last: date) -> None:
    """Cron's daily run on every day from `first` to `last`, days to come included (the calendar is moved)."""
    day = first
    while day <= last:
        result = run_job(runner, today=day)
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
