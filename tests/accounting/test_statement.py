"""K2: a club's (and a partner's) statement of account: documents and payments with a running balance, as a
page, a PDF and a CSV a spreadsheet opens; only its own."""
from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.domain.account_statement import Movement, MovementKind, account_statement
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, StaffRole
from openflyers_account.partners import operations as partners
from openflyers_account.payments.operations import record_payment, reverse_payment
from tests.billing_helpers import start_subscription
from tests.conftest import PASSWORD, post_form
from tests.test_staff_payments import issue

TODAY = date.today()
D = Decimal


# -- the rule -----------------------------------------------------------------------------------------------


def test_k2_the_balance_runs_from_the_opening_one_billed_first_on_a_day():
    day = date(2026, 3, 10)
    movements = [
        Movement(day, MovementKind.PAYMENT, "F-2026-00001", "transfer", D("100.00"), 1),
        Movement(day - timedelta(days=40), MovementKind.INVOICE, "F-2026-00001", "", D("576.00"), 1),
        Movement(day, MovementKind.INVOICE, "F-2026-00002", "", D("50.00"), 2),
        Movement(day + timedelta(days=1), MovementKind.REVERSAL, "F-2026-00001", "transfer", D("100.00"), 2),
        Movement(day + timedelta(days=2), MovementKind.CREDIT_NOTE, "AV-2026-00001", "", D("50.00"), 3),
        Movement(day + timedelta(days=90), MovementKind.PAYMENT, "F-2026-00001", "", D("576.00"), 4),
    ]
    statement = account_statement(day, day + timedelta(days=30), movements)
    assert statement.opening == D("576.00")
    assert [(line.movement.reference, line.balance) for line in statement.lines] == [
        ("F-2026-00002", D("626.00")), ("F-2026-00001", D("526.00")), ("F-2026-00001", D("626.00")),
        ("AV-2026-00001", D("576.00"))]
    assert (statement.total_debit, statement.total_credit, statement.closing) == (D("150.00"), D("150.00"),
                                                                                 D("576.00"))
    with pytest.raises(ValueError):
        account_statement(day, day - timedelta(days=1), movements)


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(list(MovementKind)), amounts), max_size=30),
       st.integers(0, 60), st.integers(0, 60))
def test_k2_opening_plus_the_lines_is_the_closing_balance_whatever_the_range(rows, first, length):
    start = date(2026, 1, 1) + timedelta(days=first)
    end = start + timedelta(days=length)
    movements = [Movement(date(2026, 1, 1) + timedelta(days=offset), kind, "X", "", amount, index)
                 for index, (offset, kind, amount) in enumerate(rows)]
    statement = account_statement(start, end, movements)
    assert statement.closing == statement.opening + statement.total_debit - statement.total_credit
    everything = account_statement(date(2026, 1, 1), end, movements)
    assert everything.closing == statement.closing
    assert all(start <= line.movement.day <= end for line in statement.lines)


# -- the pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", resources=3)
    sign_in("mermoz")
    return club


@pytest.fixture
def account(mermoz, make):
    """An invoice of 576.00, a cheque that bounced, a transfer that paid it; and another club's invoice."""
    invoice = issue(mermoz, TODAY)
    bounced = record_payment(invoice.id, D("576.00"), PaymentMethod.CHEQUE, TODAY, "tests", reference="1111111")
    reverse_payment(bounced.id, make.staff(StaffRole.ADMIN), "Cheque bounced")
    record_payment(invoice.id, D("576.00"), PaymentMethod.TRANSFER, TODAY, "tests", reference="VIR-42")
    issue(make.club("latecoere"), TODAY)
    return invoice


def test_k2_the_club_sees_its_documents_and_payments_with_the_balance_after_each(client, account):
    page = html.unescape(client.get("/statement").get_data(as_text=True)).replace("\u202f", " ")
    assert "Relevé de compte" in page
    assert page.count(account.number) == 4  # the invoice, the cheque, its reversal, the transfer
    assert "F-2026-00002" not in page  # the other club's invoice
    assert "chèque 1111111" in page and "Paiement contre-passé" in page and "virement VIR-42" in page
    balances = [cell for cell in page.split('data-label="Solde">')[1:]]
    assert [cell.split("<")[0] for cell in balances] == ["0,00\xa0€", "576,00\xa0€", "0,00\xa0€", "576,00\xa0€",
                                                        "0,00\xa0€"]
    assert '/statement.pdf?from=' in page and '/statement.csv?from=' in page
    assert '<a href="/statement">' in client.get("/invoices").get_data(as_text=True)


def test_k2_a_range_before_the_invoice_shows_an_opening_balance_and_no_lines(client, account):
    page = html.unescape(client.get(f"/statement?from={TODAY + timedelta(days=1)}&to={TODAY + timedelta(days=2)}")
                         .get_data(as_text=True))
    assert account.number not in page


@pytest.mark.parametrize("query", ["from=2026-13-01", "to=yesterday", "from=2026-02-01&to=2026-01-01",
                                   "from=1000-01-01"])
def test_k2_dates_that_are_not_a_range_are_said_so(client, account, query):
    response = client.get(f"/statement?{query}")
    assert response.status_code == 422
    assert "Saisissez des dates réelles" in html.unescape(response.get_data(as_text=True)) or \
        "La période doit commencer avant de finir" in html.unescape(response.get_data(as_text=True))
    assert client.get(f"/statement.csv?{query}").status_code == 404


def test_k2_the_csv_opens_in_a_french_spreadsheet(client, account):
    response = client.get(f"/statement.csv?from={TODAY.year}-01-01&to={TODAY}")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="releve-')
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Pièce", "Nature", "Détail", "Débit", "Crédit", "Solde"]
    assert rows[1][2:] == ["Solde initial", "", "", "", "0,00"]
    assert [row[4:] for row in rows[2:6]] == [["576,00", "", "576,00"], ["", "576,00", "0,00"],
                                              ["576,00", "", "576,00"], ["", "576,00", "0,00"]]
    assert rows[-1][2] == "Solde final" and rows[-1][-1] == "0,00"


def test_k2_the_pdf_says_the_same(client, account):
    response = client.get("/statement.pdf")
    assert response.mimetype == "application/pdf"
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages).split())
    assert "Relevé de compte" in text and account.number in text and "VIR-42" in text


def test_k2_b3_a_partner_sees_what_it_was_billed_the_club_does_not(client, app, make):
    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    club = make.club("mermoz", resources=1)
    partners.link_club(partner.id, "mermoz", "cli")
    own = issue(club, TODAY)  # the club's own renewal, before its partner bought it a second subscription
    post_form(client, "/partner/login", {"email": "contact@federation.example", "password": PASSWORD})
    start_subscription(client, "mermoz", TODAY, resources=1, door="/partner")
    bought = db.session.scalar(db.select(Invoice).where(Invoice.partner_id == partner.id))
    assert "/partner/statement" in client.get("/partner/invoices").get_data(as_text=True)
    page = client.get("/partner/statement").get_data(as_text=True)
    assert bought.number in page and own.number not in page
    treasurer = app.test_client()
    post_form(treasurer, "/login", {"identifier": "mermoz", "password": PASSWORD})
    club_page = treasurer.get("/statement").get_data(as_text=True)
    assert own.number in club_page and bought.number not in club_page


def test_k2_a_credit_note_comes_off_the_balance(client, mermoz, make):
    invoice = issue(mermoz, TODAY)
    with client.application.test_request_context():
        issue_credit_note(make.staff(StaffRole.ADMIN), invoice.number, [line.id for line in invoice.lines],
                          "duplicate", TODAY)
    rows = list(csv.reader(io.StringIO(client.get("/statement.csv").data.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[2:4]] == ["Facture", "Avoir"]
    assert rows[-1][-1] == "0,00"
