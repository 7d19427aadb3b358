"""Several worker processes at the same moment, on SQLite and PostgreSQL (I1, R2, R6)."""
import multiprocessing
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import Invoice, SubscriptionPeriod
from tests.billing_helpers import add_paid_period
from tests.concurrency_workers import add_resources_at, issue_renewal_at

pytestmark = pytest.mark.slow
WORKERS = 4


def at_once(app_config, worker, arguments: list[tuple]) -> list:
    """`worker(config, *arguments, barrier)` in one process per tuple of arguments, all released together."""
    config = {**app_config, "MAIL_SEND_IMMEDIATELY": False}
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has already imported the app: they start in a blink.
    context.set_forkserver_preload(["tests.concurrency_workers", "openflyers_account.subscriptions.operations"])
    with context.Manager() as manager, context.Pool(len(arguments)) as pool:
        barrier = manager.Barrier(len(arguments))
        return pool.starmap(worker, [(config, *values, barrier) for values in arguments], chunksize=1)


def run_at_once(app_config, club_ids):
    return at_once(app_config, issue_renewal_at, [(club_id,) for club_id in club_ids])


def test_i1_renewals_issued_at_once_by_several_processes_get_gapless_unique_numbers(app, app_config, make):
    clubs = [make.club(f"club{i}", resources=1).id for i in range(WORKERS)]
    numbers = run_at_once(app_config, clubs)
    year = date.today().year
    assert sorted(numbers) == [f"F-{year}-{n:05d}" for n in range(1, WORKERS + 1)]
    db.session.expire_all()
    stored = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert stored == sorted(numbers)


def test_r2_the_same_confirm_from_several_processes_at_once_gives_one_invoice(app, app_config, make):
    club = make.club("mermoz", resources=1).id
    numbers = run_at_once(app_config, [club] * WORKERS)
    assert len(set(numbers)) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    assert db.session.scalar(select(func.count()).select_from(SubscriptionPeriod)) == 1


def test_r6_two_staff_adding_resources_to_one_period_at_once_get_two_invoices_and_lose_no_resource(
        app, app_config, make):
    club = make.club("mermoz", resources=3)
    period = add_paid_period(club, days_to_end=182, resources=3)
    numbers = at_once(app_config, add_resources_at, [(club.id, period.subscription_id, 2, uuid.uuid4().hex),
                                                     (club.id, period.subscription_id, 5, uuid.uuid4().hex)])
    assert len(set(numbers)) == 2
    db.session.expire_all()
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.number)).all()
    assert sorted(invoice.resources for invoice in invoices) == [2, 5]
    assert db.session.get(SubscriptionPeriod, period.id).total_resources == 10
    # Each invoice is priced on its own resources: 5 added cost 5/2 of 2 added, to the cent per resource.
    by_count = {invoice.resources: invoice for invoice in invoices}
    assert by_count[5].lines[0].unit_price == by_count[2].lines[0].unit_price
    assert by_count[5].total_excl_vat == by_count[2].lines[0].unit_price * 5
