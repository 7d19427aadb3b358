"""The FEC of 100,000 invoices and their payments (K3): wall time and the exporting process's peak memory.

Aim (performance budget): under 10 s and 300 MB, streamed. `flask export fec` runs in a process of its own, as
an operator would start it, on invoices and payments bulk-inserted for a year no other fixture uses.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from benchmarks.payments import _app, _free_year, prepare_open_invoices

ROOT = Path(__file__).resolve().parent.parent
INVOICES = int(os.environ.get("BENCH_FEC_INVOICES", "100000"))

#: Runs the CLI in this process and prints its peak memory (VmHWM, in KiB) as the last line: not ru_maxrss, which
#: a child started by fork and exec inherits from its parent.
_MEASURED_CLI = """
import sys
from pathlib import Path
from flask.cli import main
sys.argv = ["flask", "--app", "app", "export", "fec", "--from", sys.argv[1], "--to", sys.argv[2], "--output", sys.argv[3]]
try:
    main()
except SystemExit as end:
    code = end.code or 0
else:
    code = 0
status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
print("maxrss_kib", status["VmHWM"].split()[0])
sys.exit(code)
"""


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


def bench_fec(env: dict) -> list[str]:
    """Export the FEC of a year holding INVOICES invoices and as many payments, in a fresh process (K3)."""
    app = _app(env)
    today = date.today()
    with app.app_context():
        year = _free_year()
        started = time.perf_counter()
        prepare_open_invoices(INVOICES, year)
        _payments(year, today)
        prepared = time.perf_counter() - started
        from openflyers_account.extensions import db

        db.session.remove()
        db.engine.dispose()
    output = Path(env["INSTANCE_PATH"]) / "fec.txt"
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _MEASURED_CLI, f"{today.year}-01-01", today.isoformat(), str(output)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        return [f"FEC export failed: {run.stderr[-2000:]}"]
    peak_mb = int(run.stdout.strip().splitlines()[-1].split()[1]) / 1024
    from openflyers_account.domain.fec import check_fec

    with output.open(encoding="utf-8") as lines:
        problems = check_fec(lines)
    with output.open(encoding="utf-8") as lines:
        count = sum(1 for _ in lines) - 1
    return [f"FEC of {INVOICES:,} invoices and their payments: {elapsed:.1f} s, peak {peak_mb:.0f} MB, {count:,} lines, "
            f"{'valid' if not problems else f'{len(problems)} problems'} (aim < 10 s and < 300 MB; "
            f"fixtures inserted in {prepared:.0f} s)"]
