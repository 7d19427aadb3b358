"""The FEC of 100,000 invoices and their payments (K3): wall time and the exporting process's peak memory.

Aim (performance budget): under 10 s and 300 MB, streamed. `flask export fec` runs in a process of its own, as
an operator would start it, on invoices and payments bulk-inserted for a year no other fixture uses.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from benchmarks.budget import Figure
from benchmarks.measure import run_flask
from benchmarks.payments import _app, _free_year, prepare_open_invoices

INVOICES = int(os.environ.get("BENCH_FEC_INVOICES", "100000"))

def _payments(year: int, today: date) -> None:
    """One transfer paying each invoice of `year`, bulk-inserted."""
    from sqlalchemy import insert, select

    from openflyers_account.domain.payments import PaymentMethod
    from openflyers_account.extensions import db
    from openflyers_account.models import Invoice, Payment, utcnow

    rows = db.session.execute(select(Invoice.id, Invoice.club_id, Invoice.total_incl_vat)
                              .where(Invoice.number.like(f"F-{year}-%")))
    now = utcnow()
    db.session.execute(insert(Payment), [
        {"invoice_id": invoice_id, "club_id": club_id, "amount": total, "method": PaymentMethod.TRANSFER,
         "received_on": today, "reference": f"VIR-{invoice_id}", "recorded_at": now, "recorded_by": "benchmark"}
        for invoice_id, club_id, total in rows])
    db.session.commit()


def bench_fec(env: dict) -> list[Figure]:
    """Export the FEC of a year holding INVOICES invoices and as many payments, in a fresh process (K3)."""
    app = _app(env)
    today = date.today()
    with app.app_context():
        year = _free_year()
        prepare_open_invoices(INVOICES, year)
        _payments(year, today)
        from openflyers_account.extensions import db

        db.session.remove()
        db.engine.dispose()
    output = Path(env["INSTANCE_PATH"]) / "fec.txt"
    try:
        elapsed, peak_mb, _ = run_flask(["export", "fec", "--from", f"{today.year}-01-01", "--to", today.isoformat(),
                                         "--output", str(output)], env)
    except RuntimeError as error:
        raise RuntimeError(f"the FEC export failed: {error}") from error
    from openflyers_account.domain.fec import check_fec

    with output.open(encoding="utf-8") as lines:
        problems = check_fec(lines)
    with output.open(encoding="utf-8") as lines:
        count = sum(1 for _ in lines) - 1
    if problems or count < INVOICES:
        raise RuntimeError(f"the FEC export is not valid: {count} lines, {problems[:5]}")
    return [Figure(f"FEC of {INVOICES:,} invoices and their payments", elapsed, "s", 10),
            Figure("FEC export, peak memory", peak_mb, "MB", 300)]
