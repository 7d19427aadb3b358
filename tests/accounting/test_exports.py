"""K3: the sales and bank journals of a range as a FEC that passes the format's rules and balances, and as a CSV,
from the back office and from `flask export fec`."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.demo import load_demo_data
from openflyers_account.domain.fec import FEC_COLUMNS, check_fec
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, InvoiceKind, Payment, StaffRole
from openflyers_account.payments.operations import record_payment, reverse_payment
from tests.conftest import PASSWORD
from tests.test_staff_payments import issue

TODAY = date.today()
D = Decimal


@pytest.fixture
def books(app, make):
    """Demo data with invoices, payments (cheque, transfer), a reversal and a credit note; and an invoice of
    the year before, outside the range."""
    load_demo_data(TODAY)
    admin = make.staff(StaffRole.ADMIN, email="compta@openflyers.example")
    with app.test_request_context():
        paid, partly, credited = (issue(make.club(name), TODAY) for name in ("alpha", "bravo", "charlie"))
        issue(make.club("old"), TODAY - timedelta(days=400))
        record_payment(paid.id, paid.total_incl_vat, PaymentMethod.TRANSFER, TODAY, "tests", reference="VIR-1")
        bounced = record_payment(partly.id, D("100.00"), PaymentMethod.CHEQUE, TODAY, "tests", reference="7654321")
        reverse_payment(bounced.id, admin, "Cheque bounced")
        record_payment(partly.id, D("50.00"), PaymentMethod.CHEQUE, TODAY, "tests", reference="7654322")
        issue_credit_note(admin, credited.number, [line.id for line in credited.lines], "duplicate", TODAY)
    return admin


def columns(lines: list[str]) -> list[dict[str, str]]:
    return [dict(zip(FEC_COLUMNS, line.rstrip("\n").split("\t"))) for line in lines[1:]]


def amount(text: str) -> Decimal:
    return D(text.replace(",", "."))


def in_range():
    documents = db.session.scalars(db.select(Invoice).where(Invoice.issue_date >= date(TODAY.year, 1, 1))).all()
    payments = db.session.scalars(db.select(Payment).where(Payment.received_on >= date(TODAY.year, 1, 1))).all()
    return documents, payments


def test_k3_the_fec_passes_the_format_rules_balances_and_matches_the_invoices_and_payments(runner, books, tmp_path):
    result = runner.invoke(args=["export", "fec", "--from", f"{TODAY.year}-01-01", "--to", TODAY.isoformat(),
                                 "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / f"732829320FEC{TODAY:%Y%m%d}.txt"
    assert str(target) in result.output
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].rstrip("\n") == "\t".join(FEC_COLUMNS)
    assert check_fec(lines) == []
    rows = columns(lines)
    documents, payments = in_range()
    sales = sum(-d.total_excl_vat if d.kind is InvoiceKind.CREDIT_NOTE else d.total_excl_vat for d in documents)
    assert sum(amount(r["Credit"]) - amount(r["Debit"]) for r in rows if r["CompteNum"] == "706") == sales
    vat = sum(-d.total_vat if d.kind is InvoiceKind.CREDIT_NOTE else d.total_vat for d in documents)
    assert sum(amount(r["Credit"]) - amount(r["Debit"]) for r in rows if r["CompteNum"] == "44571") == vat
    received = sum(p.amount for p in payments)
    assert sum(amount(r["Debit"]) - amount(r["Credit"]) for r in rows if r["CompteNum"] in ("512", "5112")) \
        == received
    cheques = sum(p.amount for p in payments if p.method is PaymentMethod.CHEQUE)
    assert sum(amount(r["Debit"]) - amount(r["Credit"]) for r in rows if r["CompteNum"] == "5112") == cheques
    # One auxiliary account per club, named; nothing of the year before.
    assert {r["CompAuxNum"] for r in rows if r["CompteNum"] == "411"} == {
        f"C{d.club_id:06d}" for d in documents}
    assert all(r["CompAuxLib"] for r in rows if r["CompteNum"] == "411")
    assert all(r["EcritureDate"].startswith(str(TODAY.year)) for r in rows)


def test_k3_staff_download_the_fec_and_the_csv_of_a_range(client, books, staff_sign_in):
    staff_sign_in("compta@openflyers.example", PASSWORD)
    page = client.get("/staff/exports")
    assert page.status_code == 200 and 'name="format" value="fec"' in page.get_data(as_text=True)
    query = {"from": f"{TODAY.year}-01-01", "to": TODAY.isoformat()}
    # buffered: the body streams out of the request, read here as the server would send it
    fec = client.get("/staff/exports", query_string={**query, "format": "fec"}, buffered=True)
    assert fec.headers["Content-Disposition"] == f'attachment; filename="732829320FEC{TODAY:%Y%m%d}.txt"'
    assert check_fec(fec.get_data(as_text=True).splitlines(keepends=True)) == []
    spreadsheet = client.get("/staff/exports", query_string={**query, "format": "csv"}, buffered=True)
    assert spreadsheet.mimetype == "text/csv" and spreadsheet.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(spreadsheet.data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == FEC_COLUMNS
    assert len(rows) == len(fec.get_data(as_text=True).splitlines())
    assert all("," in row[11] and "." not in row[11] for row in rows[1:])


@pytest.mark.parametrize("query", [{"from": "2026-02-30"}, {"to": "tomorrow"},
                                   {"from": "2026-03-01", "to": "2026-02-01"}])
def test_k3_a_range_that_is_not_one_is_said_so(client, books, staff_sign_in, query):
    staff_sign_in("compta@openflyers.example", PASSWORD)
    response = client.get("/staff/exports", query_string={**query, "format": "fec"})
    assert response.status_code == 422 and "attachment" not in response.headers.get("Content-Disposition", "")


def test_k3_a_club_never_reaches_the_exports(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    response = client.get("/staff/exports?format=fec")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-13-01", "--to", "2026-12-31"], "is not a date"),
    (["--from", "2026-12-31", "--to", "2026-01-01"], "--from must be on or before --to"),
])
def test_k3_the_command_refuses_a_bad_range(runner, args, message):
    result = runner.invoke(args=["export", "fec", *args])
    assert result.exit_code == 2 and message in result.output
