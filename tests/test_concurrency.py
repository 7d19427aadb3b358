"""Several worker processes at the same moment, on SQLite and PostgreSQL (I1, R2)."""
import multiprocessing
from datetime import date

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import Invoice, SubscriptionPeriod
from tests.concurrency_workers import issue_renewal_at

pytestmark = pytest.mark.slow
WORKERS = 4


def run_at_once(app_config, club_ids):
    config = {**app_config, "MAIL_SEND_IMMEDIATELY": False}
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has already imported the app: they start in a blink.
    context.set_forkserver_preload(["tests.concurrency_workers", "openflyers_account.billing.operations"])
    with context.Manager() as manager, context.Pool(len(club_ids)) as pool:
        barrier = manager.Barrier(len(club_ids))
        return pool.starmap(issue_renewal_at, [(config, club_id, barrier) for club_id in club_ids], chunksize=1)


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
