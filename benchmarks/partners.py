"""The partner's Clients page over 10,000 clubs: time per request (median, p99) and SQL queries per request.

Aim (performance budget): under 50 ms, and the same number of queries whatever the number of clubs (B2, U4).
The page is requested in-process through the Flask test client, signed in as the partner, so the figures are
the page's own cost (queries, rendering) without the HTTP server; the session's partner stays loaded between
requests here, so the count leaves out the one query that loads it on each request in production.
"""
from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from benchmarks.budget import Figure
from benchmarks.measure import settle_statistics

CLUBS = 10_000
SAMPLES = 40
PASSWORD = "benchmark password"
EMAIL = "partner@bench.example"


def _app(env: dict):
    from openflyers_account import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                       "MAIL_SEND_IMMEDIATELY": False, "MAIL_OUTBOX_DIR": env["MAIL_OUTBOX_DIR"],
                       "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})


def _managed_clubs(count: int) -> None:
    """`count` clubs managed by one partner, each with a subscription and a paid period, bulk-inserted."""
    from sqlalchemy import insert, select

    from openflyers_account.extensions import db
    from openflyers_account.models import Club, Offer, PartnerClub, Subscription, SubscriptionPeriod, utcnow
    from openflyers_account.partners import operations

    partner = operations.add_partner(EMAIL, "Fédération (benchmark)", "bench", password=PASSWORD)
    offer = db.session.scalar(select(Offer.id).where(Offer.code == "business"))
    db.session.execute(insert(Club), [
        {"subdomain": f"pbench{index:05d}", "name": f"Aéroclub {index:05d}", "structure_email": f"c{index}@b.example",
         "offer_id": offer, "activated_resources": index % 7} for index in range(count)])
    clubs = db.session.scalars(select(Club.id).where(Club.subdomain.like("pbench%")).order_by(Club.id)).all()
    db.session.execute(insert(PartnerClub), [{"club_id": club, "partner_id": partner.id, "linked_by": "bench"}
                                             for club in clubs])
    db.session.execute(insert(Subscription), [{"club_id": club, "offer_id": offer, "term_years": 1} for club in clubs])
    subscriptions = db.session.execute(select(Subscription.id, Subscription.club_id)
                                       .where(Subscription.club_id.in_(clubs))).all()
    today = date.today()
    db.session.execute(insert(SubscriptionPeriod), [
        {"subscription_id": subscription, "offer_id": offer, "start_date": today - timedelta(days=200 - club % 300),
         "end_date": today + timedelta(days=165 + club % 300), "term_years": 1, "resources": 3,
         "activated_at": utcnow()} for subscription, club in subscriptions])
    db.session.commit()


def _timed(client, path: str) -> tuple[list[float], int]:
    from sqlalchemy import event

    from openflyers_account.extensions import db

    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    samples = []
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(SAMPLES):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return samples, len(statements)


def bench_partner_clients(env: dict) -> list[Figure]:
    """The Clients page, a search and a far page, over 10,000 managed clubs."""
    app = _app(env)
    with app.app_context():
        _managed_clubs(CLUBS)
        settle_statistics()
        client = app.test_client()
        response = client.post("/partner/login", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        figures = []
        for label, path in (("first page", "/partner/clients"), ("search", "/partner/clients?q=00042"),
                            ("page 150", "/partner/clients?page=150")):
            client.get(path)  # warm-up
            samples, queries = _timed(client, path)
            figures.append(Figure(f"partner clients over {CLUBS:,} clubs, {label}, median",
                                  statistics.median(samples) * 1000, "ms", 50))
            figures.append(Figure(f"partner clients over {CLUBS:,} clubs, {label}, SQL queries", queries, "queries"))
        return figures
