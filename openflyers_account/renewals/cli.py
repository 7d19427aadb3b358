"""`flask renewals run [--date YYYY-MM-DD]` and `flask renewals status`: the job cron runs on every host (O1)."""
from __future__ import annotations

from datetime import date, timedelta

import click
from flask.cli import AppGroup

from ..billing.operations import pdfs_to_render
from ..command_line import OneLineErrors
from ..domain.renewals import LOOK_BACK_DAYS, Message
from . import operations, queries

renewals_cli = AppGroup("renewals", help="Reminders, automatic renewals and ends of subscriptions.")

#: How the report names what was sent.
DONE_WORDS = {
    Message.RENEWS_SOON: "reminders that the subscription renews itself",
    Message.RENEWED: "automatic renewals (invoice e-mailed)",
    Message.ENDING: "reminders of a subscription under notice",
    Message.ENDED: "subscriptions ended under notice",
    Message.PAY_RENEWAL: "reminders of an unpaid renewal",
    Message.RENEWAL_OVERDUE: "reminders of a renewal still unpaid after the end date",
    Message.NOT_RENEWED: "reminders that a cancelled automatic renewal leaves the subscription ending",
}


def today() -> date:
    """The calendar day the run happens on (the tests move it to run the job on days to come)."""
    return date.today()


def _day(ctx, param, value: str | None) -> date:
    current = today()
    if value is None:
        return current
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from error
    if day > current:
        raise click.BadParameter(f"{day} is after today ({current}): a missed day can be replayed, not one to come")
    if day < current - timedelta(days=LOOK_BACK_DAYS):
        raise click.BadParameter(f"{day} is more than {LOOK_BACK_DAYS} days ago: what was due then is no longer "
                                 f"done (the subscriptions concerned have lapsed)")
    return day


@renewals_cli.command("run", cls=OneLineErrors)
@click.option("--date", "day", callback=_day, help="Replay the day an operator missed, YYYY-MM-DD (default: today).")
def run(day: date):
    """Send the reminders, issue the automatic renewals and end the subscriptions due on the day (R7, R8).

    Safe on every host at once, twice the same day, or again after a crash: each message and each automatic
    invoice happens once. Exits with status 1 when something failed (see `flask renewals status`).
    """
    report = operations.run_renewals(day, today())
    for message in Message:
        if report.done.get(message.value):
            click.echo(f"{day}: {report.done[message.value]} {DONE_WORDS[message]}")
    click.echo(f"{day}: {report.total_done} done, {report.skipped} already done by another run, "
               f"{len(report.failed)} failed.")
    for failure in report.failed:
        click.echo(f"failed: {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


@renewals_cli.command("status", cls=OneLineErrors)
@click.option("--date", "day", callback=_day, help="The day to report on, YYYY-MM-DD (default: today).")
def status(day: date):
    """What is due on the day and not done yet, what was done for it, and what failed (O1)."""
    due = queries.due_stages(day)
    done = queries.done_on(day)
    failures = queries.failures()
    click.echo(f"{day}: {len(due)} due and not done yet, {len(done)} done, {len(failures)} failed.")
    waiting = pdfs_to_render()
    if waiting:
        click.echo(f"automatic invoices waiting for their PDF: {waiting} (`flask outbox send` renders each with its "
                   f"e-mail; a download renders it too).")
    for item in due:
        click.echo(f"due: subscription {item.subscription_id}, {item.stage.value}, period ending {item.period.end}")
    for row in done:
        invoice = f", invoice {row.invoice.number}" if row.invoice else ""
        click.echo(f"done: subscription {row.subscription_id}, {row.message.value}, period ending {row.period_end}"
                   f"{invoice}, to {', '.join(row.recipients) or 'nobody'}")
    for failure in failures:
        click.echo(f"failed: subscription {failure.subscription_id}, {failure.stage.value}, period ending "
                   f"{failure.period_end}, {failure.attempts} tries, last on {failure.run_day}: {failure.error}")
    if failures:
        raise SystemExit(1)
