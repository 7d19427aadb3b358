"""The renewal job on several hosts at once, and started again after being killed: every stage once (R8, O1)."""
import multiprocessing
import os
import signal
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from openflyers_account.extensions import db
from openflyers_account.models import (
    Club,
    Invoice,
    Offer,
    OutboxMessage,
    Subscription,
    SubscriptionInvoice,
    SubscriptionMessage,
    SubscriptionPeriod,
    utcnow,
)
from tests.concurrency_workers import run_renewals_at
from tests.test_concurrency import at_once

pytestmark = pytest.mark.slow
RUNNERS = 4
TODAY = date.today()

#: What each subscription is due for today, in turn: the job's stages over the mix a real day has.
KINDS = ("renewal", "renewal", "reminder_60", "reminder_30", "ended")


def due_subscriptions(count: int) -> dict[str, int]:
    """`count` clubs with one subscription each, all due for a stage today; how many of each kind."""
    offer_id = db.session.scalar(select(Offer.id).where(Offer.code == "business"))
    clubs = [{"subdomain": f"due{n}", "name": f"Aéroclub {n}", "structure_email": f"club{n}@due.example",
              "contact_email": f"tresorier{n}@due.example", "offer_id": offer_id, "activated_resources": 1,
              "password_changed_at": utcnow(), "created_at": utcnow()} for n in range(count)]
    db.session.execute(insert(Club), clubs)
    club_ids = db.session.scalars(select(Club.id).order_by(Club.id)).all()
    kinds = [KINDS[n % len(KINDS)] for n in range(count)]
    notice = {"reminder_30": TODAY - timedelta(days=200), "ended": TODAY - timedelta(days=300)}
    db.session.execute(insert(Subscription), [
        {"club_id": club_id, "offer_id": offer_id, "term_years": 1, "po_reference": "", "notice_given_on":
         notice.get(kind), "notice_given_by": "", "late_notice_reason": "", "created_at": utcnow()}
        for club_id, kind in zip(club_ids, kinds)])
    ends = {"renewal": 30, "reminder_60": 60, "reminder_30": 30, "ended": 0}
    periods = []
    for subscription_id, kind in zip(db.session.scalars(select(Subscription.id).order_by(Subscription.id)), kinds):
        end = TODAY + timedelta(days=ends[kind])
        periods.append({"subscription_id": subscription_id, "offer_id": offer_id, "start_date": end - timedelta(
            days=364), "end_date": end, "term_years": 1, "resources": 2, "activated_at": utcnow()})
    db.session.execute(insert(SubscriptionPeriod), periods)
    db.session.commit()
    return {kind: kinds.count(kind) for kind in set(kinds)}


def assert_each_stage_done_once(count: int, kinds: dict[str, int]) -> None:
    db.session.expire_all()
    stages = db.session.execute(select(SubscriptionMessage.stage, func.count()).group_by(
        SubscriptionMessage.stage)).all()
    assert {stage.value: n for stage, n in stages} == kinds  # 0 missed, 0 twice (the key is unique besides)
    # One automatic invoice per renewed subscription, gapless numbers.
    per_subscription = db.session.execute(select(SubscriptionInvoice.subscription_id, func.count()).group_by(
        SubscriptionInvoice.subscription_id)).all()
    assert len(per_subscription) == kinds["renewal"] and {n for _, n in per_subscription} == {1}
    numbers = sorted(int(number[-5:]) for number in db.session.scalars(select(Invoice.number)))
    assert numbers == list(range(1, kinds["renewal"] + 1))
    # Both club addresses, once each, per subscription.
    sent = db.session.execute(select(OutboxMessage.recipient, func.count()).group_by(OutboxMessage.recipient)).all()
    assert len(sent) == 2 * count and {n for _, n in sent} == {1}


def test_r8_four_runners_at_once_over_1000_due_subscriptions_do_every_stage_once(app, app_config, database_url):
    # SQLite has one writer at a time: 200 are enough to make four runners meet on every subscription.
    count = 200 if database_url.startswith("sqlite") else 1000
    kinds = due_subscriptions(count)
    reports = at_once(app_config, run_renewals_at, [(TODAY,)] * RUNNERS)
    assert [report["failed"] for report in reports] == [[]] * RUNNERS
    assert sum(report["done"] for report in reports) == count
    assert_each_stage_done_once(count, kinds)


def test_o1_a_runner_killed_mid_run_and_started_again_does_every_stage_once(app, app_config):
    # Enough chunks (renewals.operations.CHUNK) that the runner is killed between two of them.
    count = 300
    kinds = due_subscriptions(count)
    context = multiprocessing.get_context("spawn")
    config = {**app_config, "MAIL_SEND_IMMEDIATELY": False}
    runner = context.Process(target=run_renewals_at, args=(config, TODAY, None))
    runner.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.scalar(select(func.count()).select_from(SubscriptionMessage)) >= 5:
            break
        time.sleep(0.05)
    os.kill(runner.pid, signal.SIGKILL)
    runner.join()
    db.session.rollback()
    assert 5 <= db.session.scalar(select(func.count()).select_from(SubscriptionMessage)) < count
    # Started again, by cron the next hour: what the killed runner finished is not done again.
    again = run_renewals_at(config, TODAY, None)
    assert again["failed"] == []
    assert_each_stage_done_once(count, kinds)
