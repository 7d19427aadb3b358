"""Cells of the CSV exports (K2-K4): text that would run as a formula in a spreadsheet stays text."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from openflyers_account.accounting.spreadsheets import safe_cell
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.models import StaffRole
from openflyers_account.payments.operations import record_payment
from tests.conftest import PASSWORD
from tests.test_staff_payments import issue


@pytest.mark.parametrize("typed, written", [
    ('=HYPERLINK("//x","y")', '\'=HYPERLINK("//x","y")'), ("+33 1 23", "'+33 1 23"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("1234,50", "1234,50"), ("-100,00", "-100,00"), ("-7", "-7"),
    ("F-2026-00001", "F-2026-00001"), ("", ""), (None, ""),
])
def test_k3_a_cell_starting_like_a_formula_is_kept_as_text_numbers_are_not_touched(typed, written):
    assert safe_cell(typed) == written


def test_k3_a_cheque_number_typed_as_a_formula_reaches_the_journals_csv_as_text(client, make, staff_sign_in):
    invoice = issue(make.club("mermoz", resources=3), date.today())
    record_payment(invoice.id, Decimal("10.00"), PaymentMethod.CHEQUE, date.today(), "tests",
                   reference='=HYPERLINK("//evil","x")')
    staff = make.staff(StaffRole.STAFF)
    staff_sign_in(staff.email, PASSWORD)
    year = date.today().year
    response = client.get("/staff/exports", query_string={"from": f"{year}-01-01", "to": date.today().isoformat(),
                                                          "format": "csv"}, buffered=True)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    pieces = {row[8] for row in rows[1:]}
    assert '\'=HYPERLINK("//evil","x")' in pieces and '=HYPERLINK("//evil","x")' not in pieces
