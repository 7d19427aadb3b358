"""I6: issued invoices print the 2026 mentions, and their embedded XML passes the EN 16931 and French schematrons,
whatever bought them: a club with pending charges, a partner for its club, a partial and a full credit note."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from openflyers_account.accounts import operations as accounts
from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.extensions import db
from openflyers_account.invoicing.pdf import extract_facturx_xml
from openflyers_account.models import Club, Invoice, StaffRole
from openflyers_account.partners import operations as partners
from tests.billing_helpers import start_subscription
from tests.conftest import PASSWORD, post_form
from tests.test_staff_payments import issue

from .schematron import validate

TODAY = date.today()


def text_of(pdf: bytes) -> str:
    return " ".join("\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())


def test_i6_an_issued_invoice_prints_the_sellers_legal_mentions_and_the_category(app, make):
    invoice = issue(make.club("mermoz", resources=3), TODAY)
    text = text_of(invoice.pdf)
    assert "Catégorie de l'opération : prestations de services." in text
    assert "SAS" in text and "capital social de 10 000 €" in text and "RCS Toulouse 732829320" in text
    assert "d'après les débits" not in text  # the seller has not opted
    assert validate(extract_facturx_xml(invoice.pdf)) == []


def test_i6_the_vat_on_debits_option_is_printed_and_declared_when_the_seller_opted(app, make):
    app.config["SELLER_VAT_ON_DEBITS"] = True
    invoice = issue(make.club("mermoz", resources=3), TODAY)
    assert "Option pour le paiement de la taxe d'après les débits." in text_of(invoice.pdf)
    xml = extract_facturx_xml(invoice.pdf)
    assert b"<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in xml
    assert validate(xml) == []


def test_i6_every_kind_of_document_the_app_issues_passes_the_schematrons(app, client, make):
    admin = make.staff(StaffRole.ADMIN)
    club = make.club("guillaumet", offer="first-price", resources=1)
    with app.test_request_context():
        accounts.send_reset_by_staff(db.session.get(Club, club.id), admin)  # a pending charge (A6)
        charged = issue(club, TODAY)
        partial = issue_credit_note(admin, charged.number, [charged.lines[0].id], "geste commercial", TODAY)
        full = issue_credit_note(admin, issue(make.club("latecoere", resources=2), TODAY).number, None,
                                 "doublon", TODAY)
    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    make.club("mermoz", resources=1)
    partners.link_club(partner.id, "mermoz", "cli")
    post_form(client, "/partner/login", {"email": "contact@federation.example", "password": PASSWORD})
    start_subscription(client, "mermoz", TODAY, resources=1, door="/partner", po_reference="BC-2026-7")
    bought = db.session.scalar(db.select(Invoice).where(Invoice.partner_id == partner.id))
    assert len(charged.lines) > 2 and bought.po_reference == "BC-2026-7"
    for document in (charged, partial, full, bought):
        assert validate(extract_facturx_xml(document.pdf)) == [], document.number
