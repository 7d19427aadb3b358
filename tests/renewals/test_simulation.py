"""400 days of `flask renewals run --date`, one a day, over the demo data: each message once, on its day (R7, R8).

The calendar moves a day at a time from today, as cron's daily run would see it.
"""
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from openflyers_account.demo import load_demo_data
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.renewals import stage_day
from openflyers_account.extensions import db
from openflyers_account.models import Club, Invoice, Subscription, SubscriptionMessage
from openflyers_account.payments.operations import record_payment
from tests.renewals.helpers import mails, run_job

pytestmark = pytest.mark.slow
DAYS = 400
FIRST = date.today()
#: The day the partner pays the automatic invoice of Guillaumet: its unpaid reminders must not go.
GUILLAUMET_PAYS = 173


def test_r7_r8_400_days_over_the_demo_data_send_each_message_once_on_its_day(app, runner):
    load_demo_data(FIRST)
    for offset in range(DAYS + 1):
        day = FIRST + timedelta(days=offset)
        if offset == GUILLAUMET_PAYS:
            invoice = db.session.scalars(select(Invoice).join(Club).where(Club.subdomain == "guillaumet")).one()
            record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.TRANSFER, day, "test", reference="RF")
        result = run_job(runner, day, today=day)
        assert result.exit_code == 0, (day, result.output)

    db.session.expire_all()
    rows = db.session.execute(
        select(Club.subdomain, Subscription.po_reference, SubscriptionMessage)
        .join(Subscription, Subscription.id == SubscriptionMessage.subscription_id)
        .join(Club, Club.id == Subscription.club_id).order_by(SubscriptionMessage.id)).all()
    # Every stage on the day its rule gives: the job ran every day, so none was caught up late.
    assert all(row.run_day == stage_day(row.stage, row.period_end) or (row.stage.value, subdomain) == (
        "renewal", "latecoere") for subdomain, _, row in rows)
    done = [(subdomain, po, (row.run_day - FIRST).days, row.stage.value) for subdomain, po, row in rows]
    assert sorted(done) == sorted([
        # Renews itself at 60 days from the first run: reminded, renewed, then chased unpaid.
        ("mermoz", "", 0, "reminder_60"), ("mermoz", "", 30, "renewal"), ("mermoz", "", 53, "unpaid_7"),
        ("mermoz", "", 75, "unpaid_15"),
        # The simulator centre, under notice: reminded twice, then ended on its end date.
        ("mermoz", "Centre simulateur", 140, "reminder_60"), ("mermoz", "Centre simulateur", 170, "reminder_30"),
        ("mermoz", "Centre simulateur", 200, "ended"),
        # Renewed at 30 days and paid three days later: no unpaid reminder.
        ("guillaumet", "", 140, "reminder_60"), ("guillaumet", "", 170, "renewal"),
        # Ended 20 days before the first run: renewed by that run, from the day after its end, and nothing stale.
        ("latecoere", "", 0, "renewal"),
    ])
    # Mermoz's renewed period was never paid: it is not renewed again on top of it at day 395.
    renewals = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
    assert [invoice.club.subdomain for invoice in renewals] == ["latecoere", "mermoz", "guillaumet"]
    latecoere = renewals[0]
    assert latecoere.period_start == FIRST - timedelta(days=19)

    # Each e-mail once: both club addresses (Latécoère has one) and the partner of Guillaumet and Latécoère;
    # Guillaumet is also told its payment arrived (K5).
    sent = Counter((message.recipient, message.subject, message.body_text) for message in mails())
    assert set(sent.values()) == {1}
    per_address = Counter(message.recipient for message in mails())
    assert per_address == {"contact@mermoz.example": 7, "tresorier@mermoz.example": 7,
                           "contact@guillaumet.example": 3, "tresorier@guillaumet.example": 3,
                           "contact@latecoere.example": 1, "partenaire@federation.example": 3}
