"""Payments figures: importing a 10,000-entry bank statement (M5) and recording one payment (M4).

Aims: 10,000 credit entries matched against 10,000 open invoices in under 3 s and under 200 MB;
one payment recorded in under 50 ms. `benchmarks/run.py` calls the two `bench_*` functions; alone:

    .venv/bin/python -m benchmarks.payments          # a temporary SQLite database
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m benchmarks.payments
"""
from __future__ import annotations

import contextvars
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask.testing import FlaskClient

from benchmarks.budget import Figure

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


def prepare_open_invoices(count: int, year: int, club_id: int | None = None, partner_id: int | None = None):
    """`count` clubs, each with one issued invoice F-<year>-NNNNN, bulk-inserted; returns their OpenInvoice. With
    `club_id`, the `count` invoices are that club's; with `partner_id`, they are billed to that partner (B3)."""
    from sqlalchemy import insert, select

    from openflyers_account.billing.documents import seller_snapshot, vat_breakdown_json
    from openflyers_account.domain.pricing import VatMention
    from openflyers_account.domain.references import creditor_reference
    from openflyers_account.domain.statements import OpenInvoice
    from openflyers_account.extensions import db
    from openflyers_account.models import Club, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Offer

    offer_id = db.session.scalar(select(Offer.id).order_by(Offer.id).limit(1))
    wanted = [
        OpenInvoice(number=f"F-{year}-{index:05d}", rf_reference=creditor_reference(f"F-{year}-{index:05d}"),
                    # Cents from the year: a fixture's balances never equal an earlier fixture's, whose
                    # invoices stay open, so amount-and-name suggestions stay unambiguous (M5).
                    balance_due=(Decimal(1000 + index) + Decimal(year % 100) / 100).quantize(Decimal("0.01")),
                    buyer_name=f"Aéro-Club de Ville{index:05d}")
        for index in range(1, count + 1)
    ]
    if club_id is None:
        db.session.execute(insert(Club), [
            {"subdomain": f"bench{year}-{index:05d}", "name": invoice.buyer_name,
             "structure_email": f"club{index}@bench{year}.example", "offer_id": offer_id}
            for index, invoice in enumerate(wanted, start=1)
        ])
        club_ids = dict(db.session.execute(
            select(Club.subdomain, Club.id).where(Club.subdomain.like(f"bench{year}-%"))).all())
    else:
        club_ids = {f"bench{year}-{index:05d}": club_id for index in range(1, count + 1)}
    today = date.today()
    # The staff invoice page prints the seller's and buyer's snapshots (I2, I3): give them every field.
    seller = seller_snapshot()
    db.session.execute(insert(Invoice), [
        {"number": invoice.number, "kind": InvoiceKind.INVOICE, "club_id": club_ids[f"bench{year}-{index:05d}"],
         "issue_date": today, "due_date": today + timedelta(days=30), "seller": seller,
         "buyer": {"name": invoice.buyer_name, "address_lines": ["1 route de l'Aéroport"], "postcode": "1215",
                   "city": "Genève", "country_code": "CH", "subdomain": f"bench{year}-{index:05d}"},
         # Outside the EU: no VAT, so the total incl. VAT is the balance the statement pays (P3).
         "vat_breakdown": vat_breakdown_json([(Decimal("0.00"), invoice.balance_due, Decimal("0.00"))],
                                             VatMention.OUTSIDE_EU),
         "vat_mention": VatMention.OUTSIDE_EU,
         "total_excl_vat": invoice.balance_due, "total_vat": Decimal("0.00"), "total_incl_vat": invoice.balance_due,
         "currency": "EUR", "creditor_reference": invoice.rf_reference, "pdf": PLACEHOLDER_PDF,
         "pdf_sha256": "0" * 64, "status": InvoiceStatus.ISSUED, "line_count": 1, "partner_id": partner_id}
        for index, invoice in enumerate(wanted, start=1)
    ])
    invoice_ids = dict(db.session.execute(
        select(Invoice.number, Invoice.id).where(Invoice.number.like(f"F-{year}-%"))).all())
    db.session.execute(insert(InvoiceLine), [
        {"invoice_id": invoice_ids[invoice.number], "position": 1, "kind": "base_fee",
         "description": "Subscription (benchmark)", "quantity": Decimal("1"), "unit_price": invoice.balance_due,
         "vat_rate": Decimal("0.00"), "amount_excl_vat": invoice.balance_due}
        for invoice in wanted
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


def _memory_mb() -> tuple[float, float]:
    """This process's resident memory now and its peak so far, in MB.

    On Linux, from /proc (VmRSS, VmHWM): ru_maxrss would report the parent's size, since a child
    keeps the high-water mark of the process it was forked from across exec.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        # ru_maxrss is in bytes on macOS; no separate "now" there.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)
        return peak, peak
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kib = {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}
    return kib["VmRSS"] / 1024, kib["VmHWM"] / 1024


def import_in_this_process(env: dict, path: str) -> dict:
    """The child's side of `bench_statement_import`: import the file, time it, measure this process's memory."""
    from sqlalchemy import func, select

    from openflyers_account.extensions import db
    from openflyers_account.models import BankStatementEntry
    from openflyers_account.payments.statements import import_statement

    app = _app(env)
    with app.app_context():
        staff = _bench_staff()
        data = Path(path).read_bytes()
        gc.collect()
        # The app, its imports, a database connection and the uploaded bytes are there before the import.
        before, _ = _memory_mb()
        started = time.perf_counter()
        statement = import_statement(staff, data, Path(path).name)
        elapsed = time.perf_counter() - started
        _, peak = _memory_mb()
        methods = dict(db.session.execute(
            select(BankStatementEntry.match_method, func.count()).where(BankStatementEntry.statement_id == statement.id)
            .group_by(BankStatementEntry.match_method)).all())
        db.session.remove()
        db.engine.dispose()
    return {"elapsed": elapsed, "before_mb": before, "peak_mb": peak, "methods": methods}


def bench_statement_import(env: dict) -> list[str]:
    """Import a 10,000-credit CAMT.053 against 10,000 open invoices in a fresh process: time and memory (M5).

    The import runs in a process of its own, as a web worker would: its peak RSS counts everything
    the import allocates (expat, the database driver, SQLAlchemy), not only Python objects.
    """
    app = _app(env)
    with app.app_context():
        _bench_staff()
        year = _free_year()
        invoices = prepare_open_invoices(STATEMENT_ENTRIES, year)
        from openflyers_account.extensions import db

        db.session.remove()
        db.engine.dispose()
    data = statement_paying(invoices, f"BENCH-{year}-A")
    with tempfile.TemporaryDirectory(prefix="ofa-bench-statement-") as folder:
        path = Path(folder) / "bench-a.xml"
        path.write_bytes(data)
        child = subprocess.Popen([sys.executable, "-m", "benchmarks.payments", "--import-statement", str(path)],
                                 cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE)
        output, _ = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the statement import process failed with exit code {child.returncode}")
    figures = json.loads(output.decode().strip().splitlines()[-1])
    return [
        Figure(f"CAMT.053 import, {STATEMENT_ENTRIES:,} credits against {STATEMENT_ENTRIES:,} invoices",
               figures["elapsed"], "s", 3),
        Figure("CAMT.053 import, peak memory of the importing process", figures["peak_mb"], "MB", 200),
    ]


class _RequestContextClient(FlaskClient):
    """Each request in an app context of its own, as in production: the benchmark holds one around it, whose `g`
    would otherwise carry a CSRF token from before the sign-in."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _http_staff_client(app):
    """A test client signed in as a benchmark staff member through the real login form."""
    from sqlalchemy import select

    from openflyers_account.accounts.operations import add_staff
    from openflyers_account.extensions import db
    from openflyers_account.models import StaffRole, StaffUser
    from tests.billing_helpers import hidden_fields

    email, password = "benchmark-http@openflyers.example", "benchmark password"
    if db.session.scalar(select(StaffUser).where(StaffUser.email == email)) is None:
        add_staff(email, StaffRole.STAFF, password)
    app.test_client_class = _RequestContextClient
    client = app.test_client()
    token = hidden_fields(client.get("/staff/login").get_data(as_text=True))["csrf_token"]
    response = client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"benchmark staff sign-in answered {response.status_code}")
    return client


def _post_payments(client, invoices: Sequence) -> list[float]:
    """Seconds per POST /staff/invoices/<number>/payments, each from its own freshly loaded page."""
    from tests.billing_helpers import hidden_fields

    samples = []
    for invoice in invoices:
        page = client.get(f"/staff/invoices/{invoice.number}")
        if page.status_code != 200:
            raise RuntimeError(f"the staff page of {invoice.number} answered {page.status_code}")
        hidden = hidden_fields(page.get_data(as_text=True))
        form = {"csrf_token": hidden["csrf_token"], "request_key": hidden["request_key"],
                "amount": str(invoice.balance_due), "received_on": date.today().isoformat(), "method": "transfer",
                "transfer_reference": f"BENCH {invoice.number}", "cheque_number": "", "bank": "", "drawer": "",
                "note": ""}
        started = time.perf_counter()
        response = client.post(f"/staff/invoices/{invoice.number}/payments", data=form)
        samples.append(time.perf_counter() - started)
        if response.status_code != 302:
            raise RuntimeError(f"recording a payment for {invoice.number} answered {response.status_code}: "
                               f"{response.get_data(as_text=True)[:3000]}")
    return samples[1:]  # the first one warms the caches up


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
        invoices = prepare_open_invoices(2 * PAYMENT_SAMPLES + CONFIRMED_IN_ONE_ACTION, year)
        ids = dict(db.session.execute(
            select(Invoice.number, Invoice.id).where(Invoice.number.like(f"F-{year}-%"))).all())
        samples = []
        for invoice in invoices[:PAYMENT_SAMPLES]:
            started = time.perf_counter()
            record_payment(ids[invoice.number], invoice.balance_due, PaymentMethod.TRANSFER, date.today(), staff,
                           reference="benchmark")
            samples.append(time.perf_counter() - started)
        samples = samples[1:]  # the first one warms the caches up
        http_samples = _post_payments(_http_staff_client(app), invoices[PAYMENT_SAMPLES:2 * PAYMENT_SAMPLES])

        batch = invoices[2 * PAYMENT_SAMPLES:]
        statement = import_statement(staff, statement_paying(batch, f"BENCH-{year}-C"), "bench-c.xml")
        entry_ids = [line.entry.id for line in statement_lines(statement.id) if line.confirmable]
        started = time.perf_counter()
        payments = confirm_matches(staff, statement.id, entry_ids, today=date.today())
        confirm_elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return [
        Figure("record one payment, median", statistics.median(samples) * 1000, "ms", 50),
        Figure("record one payment through its form (POST), median", statistics.median(http_samples) * 1000, "ms"),
        Figure(f"confirm {len(payments)} statement matches in one action", confirm_elapsed, "s"),
    ]


def main() -> None:
    if sys.argv[1:2] == ["--import-statement"]:
        # The fresh process of bench_statement_import: its figures as the last line of output.
        print(json.dumps(import_in_this_process(dict(os.environ), sys.argv[2])))
        return
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
    for figure in (*bench_statement_import(env), *bench_payment_confirmation(env)):
        print(f"{figure.name}: {figure.cell()}")


if __name__ == "__main__":
    main()
