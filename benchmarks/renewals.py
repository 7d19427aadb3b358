"""`flask renewals run` over 10,000 subscriptions due the same day: wall time and the process's peak memory.

Aim (performance budget): under 60 s and 300 MB. Two runs, each `flask renewals run` in a process of its
own on a database of its own, as cron starts it:
- 10,000 subscriptions due for their 60-day reminder (two e-mails each);
- BENCH_RENEWALS subscriptions (10,000 by default) due for their automatic renewal: an invoice each, numbered and
  stored, and two e-mails queued. Its PDF is rendered when its e-mail is sent (I4): the time `flask outbox send`
  takes over the first BENCH_PDFS e-mails of those renewals is printed too, per invoice, without a target.
"""
from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from pathlib import Path

from benchmarks.budget import Figure
from benchmarks.measure import run_flask

import sqlalchemy as sa

DUE = 10_000
RENEWALS = int(os.environ.get("BENCH_RENEWALS", "10000"))
PDFS = int(os.environ.get("BENCH_PDFS", "100"))

def _database(env: dict) -> tuple[str, callable]:
    """A database of its own for this benchmark, and how to drop it."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(env["INSTANCE_PATH"]) / "renewals.sqlite"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    server, name = url.rsplit("/", 1)[0], f"ofa_bench_renewals_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return f"{server}/{name}", drop


def _due_subscriptions(url: str, env: dict, count: int, days_to_end: int, prefix: str) -> None:
    """`count` clubs with one paid subscription each ending in `days_to_end` days, bulk-inserted."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from openflyers_account import create_app
    from openflyers_account.extensions import db
    from openflyers_account.models import Club, Offer, Subscription, SubscriptionPeriod, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        upgrade()
        offer = db.session.scalar(select(Offer.id).where(Offer.code == "business"))
        now = utcnow()
        db.session.execute(insert(Club), [
            {"subdomain": f"{prefix}{index:05d}", "name": f"Aéroclub {index:05d}", "offer_id": offer,
             "structure_email": f"club{index}@{prefix}.example", "contact_email": f"tresorier{index}@{prefix}.example",
             "activated_resources": 1 + index % 5, "password_changed_at": now, "created_at": now}
            for index in range(count)])
        clubs = db.session.scalars(select(Club.id).where(Club.subdomain.like(f"{prefix}%")).order_by(Club.id)).all()
        db.session.execute(insert(Subscription), [
            {"club_id": club, "offer_id": offer, "term_years": 1, "created_at": now} for club in clubs])
        subscriptions = db.session.scalars(select(Subscription.id).where(Subscription.club_id.in_(clubs))).all()
        end = date.today() + timedelta(days=days_to_end)
        db.session.execute(insert(SubscriptionPeriod), [
            {"subscription_id": subscription, "offer_id": offer, "start_date": end - timedelta(days=364),
             "end_date": end, "term_years": 1, "resources": 5, "activated_at": now} for subscription in subscriptions])
        db.session.commit()
        db.engine.dispose()


def _run_job(url: str, env: dict) -> tuple[float, float, str]:
    """Seconds and peak MB of one `flask renewals run`, and its summary line."""
    seconds, peak_mb, lines = run_flask(["renewals", "run"], {**env, "DATABASE_URL": url})
    summary = next(line for line in lines if " done, " in line)
    return seconds, peak_mb, summary.split(": ", 1)[1]


def _send_pdfs(url: str, env: dict) -> float:
    """Seconds per invoice of `flask outbox send --limit PDFS` over the automatic renewals' e-mails (the reminders'
    are marked sent first): two e-mails per invoice, the first renders its PDF (I4), both carry it. The process's
    start is counted in."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE outbox_message SET sent_at = created_at WHERE CAST(attachments AS TEXT) NOT LIKE '%pdf%'"))
    engine.dispose()
    seconds, _, lines = run_flask(["outbox", "send", "--limit", str(PDFS)], {**env, "DATABASE_URL": url})
    if not lines or not lines[-1].startswith(f"{PDFS} sent"):
        raise RuntimeError(f"flask outbox send: {lines}")
    return seconds / (PDFS / 2)


def bench_renewals(env: dict) -> list[Figure]:
    url, drop = _database(env)
    try:
        _due_subscriptions(url, env, DUE, 60, "due")
        reminders = _run_job(url, env)
        _due_subscriptions(url, env, RENEWALS, 30, "renew")
        renewals = _run_job(url, env)
        per_invoice = _send_pdfs(url, env)
    finally:
        drop()
    return [
        Figure(f"renewals run, {DUE:,} subscriptions due their reminder", reminders[0], "s", 60),
        Figure(f"renewals run, {DUE:,} reminders, peak memory", reminders[1], "MB", 300),
        Figure(f"renewals run, {RENEWALS:,} automatic renewals (invoice issued, e-mails queued)", renewals[0], "s", 60),
        Figure(f"renewals run, {RENEWALS:,} automatic renewals, peak memory", renewals[1], "MB", 300),
        Figure(f"then outbox send --limit {PDFS}: per renewal invoice, its PDF rendered (I4) and e-mailed twice",
               per_invoice * 1000, "ms"),
    ]
