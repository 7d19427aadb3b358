"""Issued invoices: numbers, frozen content, mentions, stored PDF with Factur-X, cancellation (I1-I5, A6)."""
import html
import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openflyers_account.accounts import operations as account_operations
from openflyers_account.billing import documents
from openflyers_account.billing.numbering import NumberingOutOfOrder, take_number
from openflyers_account.domain.numbering import Series
from openflyers_account.extensions import db
from openflyers_account.invoicing.pdf import extract_facturx_xml
from openflyers_account.models import (
    Club,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IssuedDocumentIsFrozen,
    NumberSequence,
    PendingCharge,
    SubscriptionPeriod,
)
from tests.billing_helpers import add_paid_period, renew
from tests.conftest import post_form

YEAR = date.today().year
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", name="Aéroclub Jean Mermoz", offer="business", resources=4, siren="123456782",
                     vat_number="FR40123456782", address="Aérodrome de Toussus", postcode="78117", city="Toussus")
    add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    return club


def issued(client, **choice) -> Invoice:
    response = renew(client, **choice)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))


def euros(amount: Decimal) -> str:
    return " ".join(format_currency(amount, "EUR", locale="fr").replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_i1_numbers_follow_each_other_without_gaps(client, make, sign_in):
    numbers = []
    for name in ("alpha", "bravo", "charlie"):
        make.club(name, resources=1)
        sign_in(name)
        numbers.append(issued(client, resources=1).number)
        assert post_form(client, "/logout", {}, token_from="/").status_code == 302
    assert numbers == [f"F-{YEAR}-00001", f"F-{YEAR}-00002", f"F-{YEAR}-00003"]


@pytest.fixture
def guillaumet(make, sign_in):
    """A First Price club with a support charge waiting for its next invoice (A6)."""
    club = make.club("guillaumet", offer="first-price", resources=1)
    account_operations.send_reset_by_staff(db.session.get(Club, club.id), make.staff())
    sign_in("guillaumet")
    return club


def assert_nothing_issued(response) -> None:
    """The club is told nothing was issued and may confirm again; no row of the invoice was written (I1)."""
    assert response.status_code == 500
    page = html.unescape(response.get_data(as_text=True))
    assert "Rien n'a été émis" in page and 'action="/renewal/confirm"' in page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubscriptionPeriod)) == 0
    sequence = db.session.scalar(select(NumberSequence))
    assert sequence is None or sequence.last_number == 0
    charge = db.session.scalar(select(PendingCharge))
    assert (charge.invoice_id, charge.billed_at) == (None, None)  # still waiting for the next invoice (A6)


def test_i1_a_number_never_carries_an_earlier_date_than_the_last_one_of_its_series(app):
    day = date(2091, 6, 15)
    assert [take_number(Series.INVOICE, day), take_number(Series.INVOICE, day)] == ["F-2091-00001", "F-2091-00002"]
    with pytest.raises(NumberingOutOfOrder):
        take_number(Series.INVOICE, day - timedelta(days=1))
    # Each series has its own dates, and a later day goes on.
    assert take_number(Series.CREDIT_NOTE, day - timedelta(days=1)) == "AV-2091-00001"
    assert take_number(Series.INVOICE, day + timedelta(days=1)) == "F-2091-00003"
    db.session.rollback()


def test_i1_a_failure_while_issuing_leaves_no_invoice_and_no_number_used(client, guillaumet, monkeypatch, mailbox):
    def broken(invoice):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("openflyers_account.billing.operations.render_invoice_pdf", broken)
    mailbox.clear()
    assert_nothing_issued(renew(client, offer="first-price", resources=1))
    assert mailbox.messages == []
    monkeypatch.undo()
    invoice = issued(client, offer="first-price", resources=1)
    assert invoice.number == f"F-{YEAR}-00001"
    assert db.session.scalar(select(PendingCharge)).invoice_id == invoice.id


def test_i2_an_issued_invoice_cannot_be_edited(client, mermoz):
    invoice = issued(client)
    invoice.total_excl_vat = Decimal("1.00")
    with pytest.raises(IssuedDocumentIsFrozen):
        db.session.flush()
    db.session.rollback()
    invoice = db.session.scalar(select(Invoice))
    invoice.lines[0].description = "changed"
    with pytest.raises(IssuedDocumentIsFrozen):
        db.session.flush()
    db.session.rollback()


def sneaky_line(**values) -> InvoiceLine:
    return InvoiceLine(**{"position": 9, "kind": "extra_charge", "description": "sneaky", "quantity": Decimal(1),
                          "unit_price": Decimal("1.00"), "vat_rate": Decimal("20"),
                          "amount_excl_vat": Decimal("1.00"), **values})


@pytest.mark.parametrize("change", ["add a line", "add a line by id", "remove a line", "remove the invoice"])
def test_i2_the_application_refuses_to_add_or_remove_lines_of_an_issued_invoice(client, mermoz, change):
    invoice = issued(client)
    if change == "add a line":
        invoice.lines.append(sneaky_line())
    elif change == "add a line by id":
        db.session.add(sneaky_line(invoice_id=invoice.id))
    elif change == "remove a line":
        db.session.delete(invoice.lines[0])
    else:
        db.session.delete(invoice)
    with pytest.raises(IssuedDocumentIsFrozen):
        db.session.flush()
    db.session.rollback()
    assert len(db.session.scalar(select(Invoice)).lines) == 2


FROZEN_BY_THE_DATABASE = {
    "bulk update of the totals": lambda invoice: update(Invoice).values(
        total_excl_vat=Decimal("1.00"), total_vat=Decimal("0.00"), total_incl_vat=Decimal("1.00")),
    "bulk update of the buyer": lambda invoice: update(Invoice).values(buyer={"name": "someone else"}),
    "bulk update of the PDF": lambda invoice: update(Invoice).values(pdf=b"%PDF-forged"),
    "delete the invoice": lambda invoice: delete(Invoice),
    "insert a line": lambda invoice: insert(InvoiceLine).values(
        invoice_id=invoice.id, position=9, kind="extra_charge", description="sneaky", quantity=Decimal(1),
        unit_price=Decimal("1.00"), vat_rate=Decimal("20"), amount_excl_vat=Decimal("1.00")),
    "update a line": lambda invoice: update(InvoiceLine).values(description="changed"),
    "delete a line": lambda invoice: delete(InvoiceLine),
}


@pytest.mark.parametrize("change", FROZEN_BY_THE_DATABASE)
def test_i2_the_database_refuses_any_edit_the_application_does_not_see(client, mermoz, change):
    invoice = issued(client)
    before = (invoice.total_incl_vat, invoice.buyer, invoice.pdf, [line.description for line in invoice.lines])
    with pytest.raises(IntegrityError, match="rule I2"):
        with db.engine.begin() as connection:  # the ORM's guards are not there: only the triggers
            connection.execute(FROZEN_BY_THE_DATABASE[change](invoice))
    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.total_incl_vat, invoice.buyer, invoice.pdf, [line.description for line in invoice.lines]) == before


def test_i2_the_database_still_lets_the_status_move(client, mermoz):
    issued(client)
    with db.engine.begin() as connection:
        connection.execute(update(Invoice).values(status=InvoiceStatus.PAID))
    db.session.expire_all()
    assert db.session.scalar(select(Invoice)).status is InvoiceStatus.PAID


def test_i2_the_buyer_snapshot_survives_changes_to_the_customer_record(client, mermoz):
    invoice = issued(client)
    club = db.session.get(Club, mermoz.id)
    club.name = "Nouveau nom"
    club.structure_email = "autre@example.org"
    db.session.commit()
    page = client.get(f"/invoices/{invoice.number}").get_data(as_text=True)
    assert "Aéroclub Jean Mermoz" in page and "Nouveau nom" not in page


def test_i3_the_page_and_the_pdf_show_the_mandatory_mentions(client, mermoz):
    invoice = issued(client, po_reference="BC-77")
    page = html.unescape(client.get(f"/invoices/{invoice.number}").get_data(as_text=True))
    text = pdf_text(invoice.pdf)
    due = format_date(date.today() + timedelta(days=30), "medium", locale="fr")
    assert invoice.due_date == date.today() + timedelta(days=30)
    for content in (re.sub(r"<[^>]+>", " ", page), text):
        words = " ".join(content.split())
        for mention in (invoice.number, "OpenFlyers SAS", "732829320", "FR44732829320", "Aéroclub Jean Mermoz",
                        "123456782", "FR40123456782", "BC-77", "40 €", "trois fois le taux d'intérêt légal",
                        "escompte", "Total HT", "TVA", "TTC", "IBAN", "RF", f"Date d'échéance {due}",
                        f"Paiement à effectuer au plus tard le {due}"):
            assert mention in words, mention
    # Each line: quantity, unit price excl. VAT, VAT rate, amount (I3).
    page_lines = re.findall(r'<td class="description">(.*?)</td>\s*<td class="number">(.*?)</td>\s*'
                            r'<td class="number">(.*?)</td>\s*<td class="number">(.*?)</td>\s*'
                            r'<td class="number">(.*?)</td>', page, re.S)
    assert [(quantity, rate) for _, quantity, _, rate, _ in page_lines] == [("1", "20\xa0%"), ("4", "20\xa0%")]
    pdf_words = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    for line in invoice.lines:
        row = f"{line.quantity.normalize():f} {euros(line.unit_price)} 20 % {euros(line.amount_excl_vat)}"
        assert row in pdf_words, row


def test_i4_the_pdf_is_rendered_once_and_always_downloads_the_same_bytes(client, mermoz):
    invoice = issued(client)
    first = client.get(f"/invoices/{invoice.number}.pdf")
    second = client.get(f"/invoices/{invoice.number}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data == invoice.pdf
    assert f'filename="{invoice.number}.pdf"' in first.headers["Content-Disposition"]


def test_i4_the_pdf_embeds_a_valid_facturx_with_the_same_total(client, mermoz):
    invoice = issued(client, resources=5, term=3, po_reference="BC-2026-17")
    xml = extract_facturx_xml(invoice.pdf)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=NS) == "1944.00"
    assert tree.findtext(".//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == "BC-2026-17"
    metadata = PdfReader(BytesIO(invoice.pdf)).xmp_metadata
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata.stream.get_data()


@pytest.mark.parametrize("country, vat_number, rate, mention", [
    ("BE", "BE0203201340", "0.00", "Autoliquidation"),
    ("CH", "", "0.00", "259-1"),
    ("FR", "", "20.00", None),
])
def test_p3_vat_follows_the_clubs_country(client, make, sign_in, country, vat_number, rate, mention):
    make.club("foreign", resources=1, country=country, vat_number=vat_number)
    sign_in("foreign")
    invoice = issued(client, resources=1)
    assert Decimal(invoice.vat_breakdown[0]["rate"]) == Decimal(rate)
    if mention:
        assert mention in pdf_text(invoice.pdf)
        assert invoice.total_vat == Decimal("0.00")


def test_i5_the_club_cancels_an_unpaid_renewal_with_a_credit_note_and_starts_again(client, mermoz, mailbox):
    invoice = issued(client)
    page = f"/invoices/{invoice.number}"
    # One tap asks first: the page says a credit note is issued for good, and changes nothing (U1).
    asked = post_form(client, f"{page}/cancel", {}, token_from=page)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Annuler la facture {invoice.number}" in text
    assert f"Un avoir de {format_currency(invoice.total_incl_vat, 'EUR', locale='fr_FR')} est émis" in text
    assert "Cette action est définitive." in text
    assert f'href="{page}"' in text  # "no" goes back to the invoice
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.ISSUED
    response = post_form(client, f"{page}/cancel", {"confirmed": "1"}, token_from=page)
    assert response.status_code == 302
    # The next step is in sight: the subscription's page, where the renewal starts again.
    subscription_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/renewal" in subscription_page
    db.session.expire_all()
    credit = db.session.scalar(select(Invoice).where(Invoice.corrects_id == invoice.id))
    assert credit.number == f"AV-{YEAR}-00001"
    assert credit.total_incl_vat == invoice.total_incl_vat
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.CANCELLED
    assert db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id)) is None
    assert "Facture rectifiée" in pdf_text(credit.pdf) or invoice.number in pdf_text(credit.pdf)
    assert any(m["Subject"].startswith("Avoir") for m in mailbox.messages)
    second = issued(client)
    assert second.number == f"F-{YEAR}-00002"


def test_i5_a_cancelled_invoice_cannot_be_cancelled_again(client, mermoz):
    invoice = issued(client)
    post_form(client, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{invoice.number}")
    post_form(client, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{invoice.number}")
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2


def test_a6_pending_charges_go_on_the_next_invoice_and_come_back_if_it_is_cancelled(client, make, sign_in):
    club = make.club("guillaumet", offer="first-price", resources=1)
    staff = make.staff()
    from openflyers_account.accounts import operations

    operations.send_reset_by_staff(db.session.get(Club, club.id), staff)
    sign_in("guillaumet")
    invoice = issued(client, offer="first-price", resources=1)
    descriptions = [line.description for line in invoice.lines]
    assert "Réinitialisation du mot de passe par le support" in descriptions
    charge = db.session.scalar(select(PendingCharge))
    assert charge.invoice_id == invoice.id
    post_form(client, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{invoice.number}")
    db.session.expire_all()
    assert db.session.scalar(select(PendingCharge)).invoice_id is None


def test_the_club_gets_its_invoice_by_email_with_the_pdf(client, mermoz, mailbox):
    invoice = issued(client)
    received = mailbox.to("contact@mermoz.example")
    assert received and invoice.number in received[0]["Subject"]
    attachments = list(received[0].iter_attachments())
    assert attachments[0].get_filename() == f"{invoice.number}.pdf"
    assert attachments[0].get_content() == invoice.pdf


def test_a_club_never_reaches_another_clubs_invoice(client, make, mermoz, sign_in):
    invoice = issued(client)
    assert post_form(client, "/logout", {}, token_from="/").status_code == 302
    make.club("guillaumet")
    sign_in("guillaumet")
    for path in (f"/invoices/{invoice.number}", f"/invoices/{invoice.number}.pdf"):
        assert client.get(path).status_code == 404
    response = post_form(client, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from="/invoices")
    assert response.status_code == 404
    assert "F-" not in client.get("/invoices").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.ISSUED


@pytest.mark.parametrize("number", ["../../etc/passwd", "F-2026-1", "%00", "F-2026-00001.pdf.pdf", "x" * 500])
def test_odd_invoice_numbers_in_the_url_are_404(client, mermoz, number):
    assert client.get(f"/invoices/{number}").status_code == 404


def test_the_dashboard_points_at_the_unpaid_renewal_invoice(client, mermoz):
    invoice = issued(client)
    page = client.get("/").get_data(as_text=True)
    assert f"/invoices/{invoice.number}" in page


def test_the_invoice_list_shows_status_and_totals(client, mermoz):
    invoice = issued(client)
    page = client.get("/invoices").get_data(as_text=True)
    assert invoice.number in page and "à payer" in page


def test_document_snapshot_rebuilds_the_stored_figures(client, mermoz):
    invoice = issued(client)
    document = documents.document_of(invoice)
    assert document.total_incl_vat == invoice.total_incl_vat
    assert document.payment.creditor_reference.startswith("RF")


def test_i1_a_database_error_while_issuing_leaves_nothing_half_written(client, guillaumet, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def disk_full(*args, **kwargs):
        # After the number, the invoice, its lines, the period and the billed charge are flushed: the last write fails.
        db.session.flush()
        raise OperationalError("INSERT INTO outbox_message", {}, Exception("disk full"))

    monkeypatch.setattr("openflyers_account.billing.operations.queue_document_mail", disk_full)
    assert_nothing_issued(renew(client, offer="first-price", resources=1))
    monkeypatch.undo()
    assert issued(client, offer="first-price", resources=1).number == f"F-{YEAR}-00001"
