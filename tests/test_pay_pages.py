"""The club's payment pages: choose a way, transfer with RF reference and EPC QR code, cheque (M2, M3, I5)."""
from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import segno
from sqlalchemy import func, select
from stdnum import iso11649

from openflyers_account.subscriptions.operations import cancel_purchase, issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.epc_qr import epc_qr, sepa_transfer
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import DeclarationStatus, Invoice, PaymentDeclaration
from openflyers_account.payments import operations
from tests.conftest import post_form

IBAN = "FR7630006000011234567890189"
IBAN_GROUPED = "FR76 3000 6000 0112 3456 7890 189"
BIC = "AGRIFRPP"


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def mermoz(make, sign_in, english):
    club = make.club("mermoz", resources=3)
    sign_in("mermoz")
    return club


@pytest.fixture
def invoice(app, mermoz) -> Invoice:
    """A renewal invoice of 576.00 incl. VAT (business offer, 3 resources, 1 year)."""
    with app.test_request_context():
        return issue_renewal(mermoz.id, None, SubscriptionOrder("business", 3, Term.ONE_YEAR), date.today(), mermoz)


@pytest.fixture
def qr_payloads(monkeypatch) -> list[str]:
    """What every EPC QR code made during the test encodes, as segno receives it."""
    seen: list[str] = []
    make_qr = segno.make_qr

    def recording(content, *args, **kwargs):
        # segno hands over bytes in the charset the payload's third line names (2: ISO 8859-1).
        text = content.decode("iso-8859-1" if content.split(b"\n")[2] == b"2" else "utf-8") \
            if isinstance(content, bytes) else content
        seen.append(text)
        return make_qr(content, *args, **kwargs)

    monkeypatch.setattr(segno, "make_qr", recording)
    return seen


def epc_amount(payload: str) -> Decimal:
    """The amount line of an EPC069-12 payload: EUR then the amount, e.g. EUR576 or EUR476.5."""
    (line,) = [line for line in payload.split("\n") if line.startswith("EUR")]
    return Decimal(line[3:])


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_data(as_text=True)


def declarations(invoice: Invoice) -> list[PaymentDeclaration]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentDeclaration).where(PaymentDeclaration.invoice_id == invoice.id)))


def test_m2_m3_the_pay_page_offers_card_transfer_and_cheque_for_what_is_left(client, invoice):
    text = page(client, f"/invoices/{invoice.number}/pay")
    assert "€576.00" in text
    assert f'href="/invoices/{invoice.number}/pay/transfer"' in text
    assert f'href="/invoices/{invoice.number}/pay/cheque"' in text
    assert f'action="/invoices/{invoice.number}/pay/card"' in text
    assert "No payment received yet." in text
    invoice_page = page(client, f"/invoices/{invoice.number}")
    assert f'href="/invoices/{invoice.number}/pay"' in invoice_page


def test_m2_the_transfer_page_gives_beneficiary_iban_bic_amount_and_a_valid_rf_reference(client, invoice):
    response = client.get(f"/invoices/{invoice.number}/pay/transfer")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert html.escape("OpenFlyers SAS (démo)") in text or "OpenFlyers SAS (démo)" in text
    assert IBAN_GROUPED in text and BIC in text
    assert "€576.00" in text
    shown = re.search(r'class="code reference">([^<]+)<', text).group(1)
    assert iso11649.is_valid(shown)
    assert iso11649.compact(shown) == invoice.creditor_reference
    assert shown == iso11649.format(invoice.creditor_reference)  # in groups of 4
    assert "Transfer fees are the club's" in html.unescape(text)


def test_m2_the_epc_qr_code_is_inline_svg_that_the_content_security_policy_allows(client, invoice):
    response = client.get(f"/invoices/{invoice.number}/pay/transfer")
    text = response.get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    assert "<path" in svg and "<title>" in svg
    # style-src 'self': no style attribute or element anywhere on the page, the QR code included.
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in text and "<style" not in text and "<script>" not in text


def test_m2_the_epc_qr_payload_carries_the_iban_the_amount_and_the_rf_reference(invoice, qr_payloads):
    transfer = sepa_transfer("OpenFlyers SAS (démo)", IBAN, BIC, Decimal("576.00"), invoice.creditor_reference)
    epc_qr(transfer)
    (payload,) = qr_payloads
    lines = payload.split("\n")
    assert lines[0] == "BCD" and lines[3] == "SCT"
    assert BIC in lines and IBAN in lines and "OpenFlyers SAS (démo)" in lines
    assert epc_amount(payload) == Decimal("576.00")
    assert invoice.creditor_reference in lines


def test_m2_after_a_partial_payment_the_amount_asked_is_the_balance(client, invoice, qr_payloads):
    operations.record_payment(invoice.id, Decimal("100.00"), PaymentMethod.CHEQUE, date.today(), "tests",
                              reference="1234567", bank="Crédit Mutuel", drawer="Aéroclub")
    pay = page(client, f"/invoices/{invoice.number}/pay")
    assert "€476.00" in pay and "€100.00" in pay and "Cheque no. 1234567" in pay
    transfer = page(client, f"/invoices/{invoice.number}/pay/transfer")
    assert "€476.00" in transfer and "€576.00" not in transfer
    assert epc_amount(qr_payloads[-1]) == Decimal("476.00")
    assert invoice.creditor_reference in qr_payloads[-1].split("\n")
    cheque = page(client, f"/invoices/{invoice.number}/pay/cheque")
    assert "€476.00" in cheque
    assert "€100.00" in page(client, f"/invoices/{invoice.number}")


def test_m2_declaring_the_transfer_sent_twice_makes_one_declaration(client, invoice):
    path = f"/invoices/{invoice.number}/pay/transfer"
    first = post_form(client, path, {"note": "Sent on Monday from our Crédit Agricole account"})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/invoices/{invoice.number}/pay")
    second = post_form(client, path, {"note": "again"}, token_from=f"/invoices/{invoice.number}/pay")
    assert second.status_code == 302
    (declaration,) = declarations(invoice)
    assert declaration.method is PaymentMethod.TRANSFER and declaration.status is DeclarationStatus.OPEN
    assert declaration.note == "Sent on Monday from our Crédit Agricole account"
    assert "you told us you sent a transfer" in page(client, f"/invoices/{invoice.number}/pay")


def test_m3_the_cheque_page_says_payee_address_amount_and_the_number_to_write_on_the_back(client, invoice):
    text = html.unescape(page(client, f"/invoices/{invoice.number}/pay/cheque"))
    assert "OpenFlyers SAS (démo)" in text
    assert "12 rue des Pionniers de l'Aéropostale" in text and "31000 Toulouse" in text
    assert "€576.00" in text
    assert f"Write the invoice number {invoice.number} on the back of the cheque." in text
    assert "Allow for the post" in text


def test_m3_declaring_the_cheque_sent_keeps_its_number_once(client, invoice):
    path = f"/invoices/{invoice.number}/pay/cheque"
    for _ in range(2):
        response = post_form(client, path, {"cheque_number": " 0012345 "}, token_from=f"/invoices/{invoice.number}/pay")
        assert response.status_code == 302
    (declaration,) = declarations(invoice)
    assert declaration.method is PaymentMethod.CHEQUE and declaration.note == "0012345"


def test_m3_a_cheque_number_too_long_is_a_field_error(client, invoice):
    response = post_form(client, f"/invoices/{invoice.number}/pay/cheque", {"cheque_number": "9" * 31})
    assert response.status_code == 422
    assert "30 characters at most" in response.get_data(as_text=True)
    assert declarations(invoice) == []


PAY_PATHS = [("get", "/pay"), ("get", "/pay/transfer"), ("get", "/pay/cheque"), ("post", "/pay/transfer"),
             ("post", "/pay/cheque")]


@pytest.mark.parametrize(("method", "suffix"), PAY_PATHS)
def test_m2_m3_another_clubs_invoice_is_404_on_every_pay_url(client, invoice, make, sign_in, method, suffix):
    post_form(client, "/logout", {}, token_from="/")
    make.club("guillaumet")
    sign_in("guillaumet")
    path = f"/invoices/{invoice.number}{suffix}"
    if method == "get":
        response = client.get(path)
    else:
        response = post_form(client, path, {"note": "x", "cheque_number": "1"}, token_from="/invoices")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "€576.00" not in text and IBAN_GROUPED not in text and invoice.creditor_reference not in text
    assert declarations(invoice) == []


@pytest.mark.parametrize("number", ["F-2099-99999", "AV-2026-00001", "../etc", "x" * 300])
def test_m1_m3_unknown_invoice_numbers_are_404_on_the_pay_pages(client, mermoz, number):
    assert client.get(f"/invoices/{number}/pay").status_code == 404


def test_m1_m3_the_pay_pages_are_for_signed_in_clubs(app, invoice):
    signed_out = app.test_client()
    for suffix in ("/pay", "/pay/transfer", "/pay/cheque"):
        response = signed_out.get(f"/invoices/{invoice.number}{suffix}")
        assert response.status_code == 302 and "/login" in response.headers["Location"], suffix


def test_i5_a_cancelled_invoice_needs_no_payment(app, client, invoice, mermoz):
    with app.test_request_context():
        cancel_purchase(mermoz.id, invoice.number, date.today(), mermoz)
    text = page(client, f"/invoices/{invoice.number}/pay")
    assert "This invoice is cancelled by a credit note: it needs no payment." in text
    assert "/pay/transfer" not in text and "/pay/card" not in text
    for suffix in ("/pay/transfer", "/pay/cheque"):
        response = client.get(f"/invoices/{invoice.number}{suffix}")
        assert response.status_code == 302 and response.headers["Location"].endswith("/pay")
    response = post_form(client, f"/invoices/{invoice.number}/pay/transfer", {}, token_from="/invoices")
    assert response.status_code == 302
    assert declarations(invoice) == []
    assert f'href="/invoices/{invoice.number}/pay"' not in page(client, f"/invoices/{invoice.number}")


def test_i5_a_paid_invoice_needs_no_payment_and_lists_what_was_received(client, invoice):
    operations.record_payment(invoice.id, Decimal("576.00"), PaymentMethod.TRANSFER, date.today(), "tests",
                              reference="VIR 42")
    text = page(client, f"/invoices/{invoice.number}/pay")
    assert "This invoice is paid: it needs no payment." in text
    assert "VIR 42" in text and "€576.00" in text
    invoice_page = page(client, f"/invoices/{invoice.number}")
    assert f'href="/invoices/{invoice.number}/pay"' not in invoice_page and "VIR 42" in invoice_page
    assert db.session.scalar(select(func.count()).select_from(PaymentDeclaration)) == 0
