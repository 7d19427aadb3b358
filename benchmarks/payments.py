"""Payments figures: importing a 10,000-entry bank statement (M5) and recording one payment (M4).

Aims: 10,000 credit entries matched against 10,000 open invoices in under 3 s and under 200 MB;
one payment recorded in under 50 ms. `benchmarks/run.py` calls the two `bench_*` functions; alone:

    .venv/bin/python -m benchmarks.payments          # a temporary SQLite database
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m benchmarks.payments
"""
from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

STATEMENT_ENTRIES = 10_000
PAYMENT_SAMPLES = 21
CONFIRMED_IN_ONE_ACTION = 100
#: A benchmark fixture, not a document: the PDF column only has to hold something.
PLACEHOLDER_PDF = b"%PDF-1.7 benchmark placeholder"


def _config(env: dict) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
            "MAIL_SEND_IMMEDIATELY": False, "MAIL_OUTBOX_DIR": env["MAIL_OUTBOX_DIR"], "RATELIMIT_ENABLED": False}


def _app(env: dict):
    from openflyers_account import create_app

    return create_app(_config(env))


def _free_year() -> int:
    """A year no invoice number uses yet, so the fixtures never collide with real or earlier ones."""
    from sqlalchemy import select

    from openflyers_account.extensions import db
    from openflyers_account.models import Invoice

    year = 2090
    while db.session.scalar(select(Invoice.id).where(Invoice.number.like(f"F-{year}-%")).limit(1)) is not None:
        year += 1
    return year


def _bench_staff():
    from sqlalchemy import select

    from openflyers_account.extensions import db
    from openflyers_account.models import StaffRole, StaffUser

    email = "benchmark@openflyers.example"
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    if staff is None:
        # No password: this account cannot sign in.
        staff = StaffUser(email=email, name="Benchmark", role=StaffRole.STAFF, password_hash="!")
        db.session.add(staff)
        db.session.commit()
    return staff


def prepare_open_invoices(count: int, year: int):
    """`count` clubs, each with one issued invoice F-<year>-NNNNN, bulk-inserted; returns their OpenInvoice."""
    from sqlalchemy import insert, select

    from openflyers_account.domain.references import creditor_reference
    from openflyers_account.domain.statements import OpenInvoice
    from openflyers_account.extensions import db
    from openflyers_account.models import Club, Invoice, InvoiceKind, InvoiceStatus, Offer

    offer_id = db.session.scalar(select(Offer.id).order_by(Offer.id).limit(1))
    wanted = [
        OpenInvoice(number=f"F-{year}-{index:05d}", rf_reference=creditor_reference(f"F-{year}-{index:05d}"),
                    # Cents from the year: a fixture's balances never equal an earlier fixture's, whose
                    # invoices stay open, so amount-and-name suggestions stay unambiguous (M5).
                    balance_due=(Decimal(1000 + index) + Decimal(year % 100) / 100).quantize(Decimal("0.01")),
                    buyer_name=f"Aéro-Club de Ville{index:05d}")
        for index in range(1, count + 1)
    ]
    db.session.execute(insert(Club), [
        {"subdomain": f"bench{year}-{index:05d}", "name": invoice.buyer_name,
         "structure_email": f"club{index}@bench{year}.example", "offer_id": offer_id}
        for index, invoice in enumerate(wanted, start=1)
    ])
    club_ids = dict(db.session.execute(
        select(Club.subdomain, Club.id).where(Club.subdomain.like(f"bench{year}-%"))).all())
    today = date.today()
    db.session.execute(insert(Invoice), [
        {"number": invoice.number, "kind": InvoiceKind.INVOICE, "club_id": club_ids[f"bench{year}-{index:05d}"],
         "issue_date": today, "due_date": today + timedelta(days=30), "seller": {"name": "OpenFlyers (benchmark)"},
         "buyer": {"name": invoice.buyer_name}, "vat_breakdown": [], "vat_mention": "none",
         "total_excl_vat": invoice.balance_due, "total_vat": Decimal("0.00"), "total_incl_vat": invoice.balance_due,
         "currency": "EUR", "creditor_reference": invoice.rf_reference, "pdf": PLACEHOLDER_PDF,
         "pdf_sha256": "0" * 64, "status": InvoiceStatus.ISSUED}
        for index, invoice in enumerate(wanted, start=1)
    ])
    db.session.commit()
    return wanted


def statement_paying(invoices: Sequence, statement_id: str) -> bytes:
    """A CAMT.053 with one credit per invoice, worded the four ways clubs write a transfer (camt_factory)."""
    from tests.domain.camt_factory import CamtEntry, camt053

    entries = []
    for position, invoice in enumerate(invoices):
        way = position % 4
        entries.append(CamtEntry(
            amount=invoice.balance_due,
            debtor_name=f"ASSOCIATION AEROCLUB VILLE{invoice.number[-5:]}",
            creditor_reference=invoice.rf_reference if way == 0 else None,
            remittance=((), (f"REGLEMENT {invoice.rf_reference}",), (f"FACTURE {invoice.number}",),
                        ("COTISATION LOGICIEL",))[way],
            servicer_ref=f"{statement_id}-{position:08d}",
        ))
    return camt053(entries, statement_id=statement_id)


def _max_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def bench_statement_import(env: dict) -> list[str]:
    """Import a 10,000-credit CAMT.053 against 10,000 open invoices: wall time, then peak memory (M5)."""
    from sqlalchemy import func, select

    from openflyers_account.extensions import db
    from openflyers_account.models import BankStatementEntry
    from openflyers_account.payments.statements import import_statement

    app = _app(env)
    with app.app_context():
        staff = _bench_staff()
        year = _free_year()
        invoices = prepare_open_invoices(STATEMENT_ENTRIES, year)
        timed = statement_paying(invoices, f"BENCH-{year}-A")
        traced = statement_paying(invoices, f"BENCH-{year}-B")

        gc.collect()
        rss_before = _max_rss_mb()
        started = time.perf_counter()
        statement = import_statement(staff, timed, "bench-a.xml")
        elapsed = time.perf_counter() - started
        rss_growth = _max_rss_mb() - rss_before
        methods = dict(db.session.execute(
            select(BankStatementEntry.match_method, func.count()).where(BankStatementEntry.statement_id == statement.id)
            .group_by(BankStatementEntry.match_method)).all())

        # A second statement for the same invoices (nothing confirmed, so they are still open), traced:
        # tracemalloc slows Python down, so the time above is measured without it.
        gc.collect()
        tracemalloc.start()
        traced_started = time.perf_counter()
        import_statement(staff, traced, "bench-b.xml")
        traced_elapsed = time.perf_counter() - traced_started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.remove()
        db.engine.dispose()
    proposed = ", ".join(f"{count} by {method}" for method, count in sorted(methods.items()))
    return [
        f"import a {len(timed) / 1e6:.1f} MB CAMT.053, {STATEMENT_ENTRIES} credits against {STATEMENT_ENTRIES} "
        f"open invoices: {elapsed:.2f} s (aim < 3 s); proposals: {proposed}",
        f"import peak memory: {peak / 1e6:.0f} MB traced by tracemalloc ({traced_elapsed:.2f} s traced), "
        f"process max RSS +{rss_growth:.0f} MB during the timed import (aim < 200 MB)",
    ]


def bench_payment_confirmation(env: dict) -> list[str]:
    """Median time to record one payment (M4), and to confirm 100 statement matches in one action (M5)."""
    from sqlalchemy import select

    from openflyers_account.domain.payments import PaymentMethod
    from openflyers_account.extensions import db
    from openflyers_account.models import Invoice
    from openflyers_account.payments.operations import record_payment
    from openflyers_account.payments.statements import confirm_matches, import_statement, statement_lines

    app = _app(env)
    with app.app_context():
        staff = _bench_staff()
        year = _free_year()
        invoices = prepare_open_invoices(PAYMENT_SAMPLES + CONFIRMED_IN_ONE_ACTION, year)
        ids = dict(db.session.execute(
            select(Invoice.number, Invoice.id).where(Invoice.number.like(f"F-{year}-%"))).all())
        samples = []
        for invoice in invoices[:PAYMENT_SAMPLES]:
            started = time.perf_counter()
            record_payment(ids[invoice.number], invoice.balance_due, PaymentMethod.TRANSFER, date.today(), staff,
                           reference="benchmark")
            samples.append(time.perf_counter() - started)
        samples = samples[1:]  # the first one warms the caches up

        batch = invoices[PAYMENT_SAMPLES:]
        statement = import_statement(staff, statement_paying(batch, f"BENCH-{year}-C"), "bench-c.xml")
        entry_ids = [line.entry.id for line in statement_lines(statement.id) if line.confirmable]
        started = time.perf_counter()
        payments = confirm_matches(staff, statement.id, entry_ids, today=date.today())
        confirm_elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return [
        f"record one payment: median {statistics.median(samples) * 1000:.1f} ms, "
        f"max {max(samples) * 1000:.1f} ms over {len(samples)} (aim < 50 ms)",
        f"confirm {len(payments)} statement matches in one action: {confirm_elapsed:.2f} s "
        f"({confirm_elapsed / max(len(payments), 1) * 1000:.1f} ms per payment)",
    ]


def main() -> None:
    from flask_migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="ofa-bench-payments-"))
    env = {**os.environ, "INSTANCE_PATH": str(workdir), "SECRET_KEY": "benchmark",
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite'}"),
           "MAIL_OUTBOX_DIR": str(workdir / "outbox")}
    os.environ.setdefault("INSTANCE_PATH", str(workdir))
    app = _app(env)
    with app.app_context():
        upgrade()
    print(f"database: {env['DATABASE_URL'].split(':', 1)[0]}")
    for line in (*bench_statement_import(env), *bench_payment_confirmation(env)):
        print(line)


if __name__ == "__main__":
    main()
