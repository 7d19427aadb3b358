"""K1: a fully paid invoice has a receipt, "facture acquittée", for its payer and for staff; nothing else has."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, StaffRole
from openflyers_account.partners import operations as partners
from openflyers_account.payments.operations import record_payment, reverse_payment
from tests.billing_helpers import start_subscription
from tests.conftest import PASSWORD, post_form
from tests.test_staff_payments import issue

TODAY = date.today()


def text_of(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join("\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages).split())


def pay(invoice: Invoice, amount: str, method: PaymentMethod, day: date, reference: str = ""):
    return record_payment(invoice.id, Decimal(amount), method, day, "tests", reference=reference)


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", name="Aéroclub Jean Mermoz", resources=3)
    sign_in("mermoz")
    return club


def test_k1_a_paid_invoice_has_a_receipt_with_each_payment_and_the_day_it_was_settled(client, mermoz):
    invoice = issue(mermoz, TODAY)  # 576.00 incl. VAT
    path = f"/invoices/{invoice.number}/receipt.pdf"
    assert client.get(path).status_code == 404  # nothing paid: nothing to acknowledge
    pay(invoice, "200.00", PaymentMethod.CHEQUE, TODAY - timedelta(days=3), "1234567")
    assert client.get(path).status_code == 404  # partly paid
    assert "receipt.pdf" not in client.get(f"/invoices/{invoice.number}").get_data(as_text=True)
    pay(invoice, "376.00", PaymentMethod.TRANSFER, TODAY - timedelta(days=1), "VIR-42")

    assert f'href="{path}"' in client.get(f"/invoices/{invoice.number}").get_data(as_text=True)
    response = client.get(path)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{invoice.number}-acquittee.pdf"'
    text = text_of(response)
    assert "Reçu : facture acquittée" in text
    settled = TODAY - timedelta(days=1)
    day = format_date(settled, "long", locale="fr")
    assert f"La facture {invoice.number} est intégralement payée : réglée le {day}." in text
    assert "Aéroclub Jean Mermoz" in text
    assert "Chèque n° 1234567" in text and "VIR-42" in text
    assert "200,00" in text and "376,00" in text and "576,00" in text


def test_k1_a_reversed_payment_is_left_out_and_the_receipt_waits_for_the_money(client, mermoz, make):
    invoice = issue(mermoz, TODAY)
    bounced = pay(invoice, "576.00", PaymentMethod.CHEQUE, TODAY - timedelta(days=5), "1111111")
    admin = make.staff(StaffRole.ADMIN)
    reverse_payment(bounced.id, admin, "Cheque bounced")
    path = f"/invoices/{invoice.number}/receipt.pdf"
    assert client.get(path).status_code == 404
    pay(invoice, "576.00", PaymentMethod.TRANSFER, TODAY, "VIR-77")
    text = text_of(client.get(path))
    assert "VIR-77" in text and "1111111" not in text


def test_k1_no_receipt_for_a_credit_note_or_another_clubs_invoice(client, mermoz, make):
    other = make.club("latecoere")
    theirs = issue(other, TODAY)
    pay(theirs, "576.00", PaymentMethod.TRANSFER, TODAY, "VIR-1")
    assert client.get(f"/invoices/{theirs.number}/receipt.pdf").status_code == 404
    assert client.get("/invoices/AV-2026-00001/receipt.pdf").status_code == 404
    assert client.get("/invoices/not-a-number/receipt.pdf").status_code == 404


def test_k1_staff_download_any_receipt(client, make, staff_sign_in):
    club = make.club("mermoz", resources=3)
    invoice = issue(club, TODAY)
    pay(invoice, "576.00", PaymentMethod.TRANSFER, TODAY, "VIR-9")
    staff = make.staff(StaffRole.STAFF)
    staff_sign_in(staff.email, PASSWORD)
    assert "/receipt.pdf" in client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True)
    assert "VIR-9" in text_of(client.get(f"/staff/invoices/{invoice.number}/receipt.pdf"))


def test_k1_b3_the_partner_gets_the_receipt_of_what_it_paid_the_club_does_not(client, app, make):
    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    make.club("mermoz", resources=1)
    partners.link_club(partner.id, "mermoz", "cli")
    post_form(client, "/partner/login", {"email": "contact@federation.example", "password": PASSWORD})
    start_subscription(client, "mermoz", TODAY, resources=1, door="/partner")
    invoice = db.session.scalar(db.select(Invoice))
    pay(invoice, str(invoice.total_incl_vat), PaymentMethod.TRANSFER, TODAY, "VIR-P")
    assert "VIR-P" in text_of(client.get(f"/partner/invoices/{invoice.number}/receipt.pdf"))
    club = app.test_client()
    post_form(club, "/login", {"identifier": "mermoz", "password": PASSWORD})
    assert club.get(f"/invoices/{invoice.number}/receipt.pdf").status_code == 404


def test_k1_a_credit_note_after_the_payments_settles_the_invoice_on_its_own_day():
    from openflyers_account.accounting.receipts import settled_day

    day = date(2026, 11, 27)
    payments = [(day, Decimal("360.00")), (day + timedelta(days=5), Decimal("216.00"))]
    assert settled_day(Decimal("576.00"), payments, []) == day + timedelta(days=5)
    # 360 on the 27th, then a credit note of 216 on the 3rd: settled on the 3rd, not the 27th.
    assert settled_day(Decimal("576.00"), payments[:1], [(day + timedelta(days=6), Decimal("216.00"))]) \
        == day + timedelta(days=6)
    # A credit note before the payments lowers what they must cover.
    assert settled_day(Decimal("576.00"), payments[:1], [(day - timedelta(days=1), Decimal("216.00"))]) == day
    assert settled_day(Decimal("576.00"), payments[:1], []) is None
