"""What a partner buys for its clubs is billed to it, with its discount; the club sees the subscriptions, never the
partner's prices or invoices (B1, B3, B4)."""
import html as html_lib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.invoicing.pdf import extract_facturx_xml
from openflyers_account.models import AuditEntry, Club, Invoice, PaymentDeclaration, Subscription
from openflyers_account.partners import operations
from tests.billing_helpers import add_paid_period, add_resources, start_subscription
from tests.conftest import PASSWORD, post_form

EMAIL = "contact@federation.example"
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture
def partner(app, make):
    partner = operations.add_partner(EMAIL, "Fédération régionale", "cli", Decimal("10"), "Accord fédéral",
                                     password=PASSWORD, address="1 rue des Hangars", postcode="31000",
                                     city="Toulouse", country="FR", siren="732829320", vat_number="FR44732829320")
    club = make.club("mermoz", name="Aéroclub Jean Mermoz", resources=1)
    db.session.get(type(club), club.id).discount_percent = Decimal("5")  # the club's own, replaced (B1)
    db.session.commit()
    operations.link_club(partner.id, "mermoz", "cli")
    return partner


@pytest.fixture
def signed_in(client, partner):
    assert post_form(client, "/partner/login", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    return partner


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def test_b1_b3_a_partner_starts_a_subscription_billed_to_it_with_its_discount(client, signed_in, mailbox):
    start = date.today() + timedelta(days=30)
    response = start_subscription(client, "mermoz", start, resources=2, po_reference="Base de Toussus",
                                  door="/partner")
    (invoice,) = invoices()
    assert response.status_code == 302 and response.headers["Location"] == f"/partner/invoices/{invoice.number}"
    assert invoice.partner_id == signed_in.id and invoice.po_reference == "Base de Toussus"
    assert (invoice.buyer["name"], invoice.buyer["email"], invoice.buyer["vat_number"]) == (
        "Fédération régionale", EMAIL, "FR44732829320")
    assert invoice.buyer["end_customer"]["name"] == "Aéroclub Jean Mermoz"
    # (300 + 2 x 60) = 420, the partner's 10 % (not the club's 5 %) = -42, 378 excl. VAT.
    assert [(line.kind, line.amount_excl_vat) for line in invoice.lines] == [
        ("base_fee", Decimal("300.00")), ("resources", Decimal("120.00")), ("club_discount", Decimal("-42.00"))]
    assert invoice.total_excl_vat == Decimal("378.00")
    assert all(line.description.startswith("Aéroclub Jean Mermoz (mermoz)") for line in invoice.lines[:2])
    assert invoice.lines[2].description == "Remise partenaire (10 %)"
    assert [message["To"] for message in mailbox.messages] == [EMAIL]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.started")).one()
    assert entry.actor == f"partner:{EMAIL}"


def test_b3_the_factur_x_data_names_the_partner_as_buyer_and_the_club_as_end_customer(client, signed_in):
    start_subscription(client, "mermoz", date.today(), resources=1, door="/partner")
    (invoice,) = invoices()
    root = etree.fromstring(extract_facturx_xml(invoice.pdf))
    assert root.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == "Fédération régionale"
    assert root.findtext(".//ram:ShipToTradeParty/ram:Name", namespaces=NS) == "Aéroclub Jean Mermoz"
    assert "Aéroclub Jean Mermoz (mermoz)" in root.findtext(
        ".//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct/ram:Name", namespaces=NS)


def test_b3_the_club_sees_the_subscription_and_who_manages_it_never_the_partners_prices(client, signed_in, make,
                                                                                        sign_in):
    start_subscription(client, "mermoz", date.today() - timedelta(days=5), resources=1,
                       po_reference="Base de Toussus", door="/partner")
    (invoice,) = invoices()
    club = client.application.test_client()
    assert post_form(club, "/login", {"identifier": "mermoz", "password": PASSWORD}).status_code == 302
    for path in (f"/invoices/{invoice.number}", f"/invoices/{invoice.number}.pdf", f"/invoices/{invoice.number}/pay",
                 f"/invoices/{invoice.number}/pay/transfer", f"/invoices/{invoice.number}/pay/cheque"):
        assert club.get(path).status_code == 404, path
    for path in ("/", "/invoices", "/subscriptions"):
        page = html_lib.unescape(club.get(path).get_data(as_text=True))
        assert invoice.number not in page and "363" not in page, path  # 378 - ... prices never shown
    dashboard = html_lib.unescape(club.get("/").get_data(as_text=True))
    assert "Fédération régionale" in dashboard and "subscription-card" in dashboard
    listing = html_lib.unescape(club.get("/subscriptions").get_data(as_text=True))
    assert "Base de Toussus" in listing and "Fédération régionale" in listing
    subscription = db.session.scalar(select(Subscription).where(Subscription.po_reference == "Base de Toussus"))
    detail = html_lib.unescape(club.get(f"/subscriptions/{subscription.id}").get_data(as_text=True))
    assert "Fédération régionale" in detail and invoice.number not in detail and "€" not in detail.split(
        "Périodes")[1].split("</table>")[0]


def test_b3_the_partner_pays_its_invoice_by_transfer_cheque_or_card_and_downloads_it(client, signed_in):
    start_subscription(client, "mermoz", date.today(), resources=1, door="/partner")
    (invoice,) = invoices()
    listing = client.get("/partner/invoices").get_data(as_text=True)
    assert f"/partner/invoices/{invoice.number}" in listing
    assert client.get(f"/partner/invoices/{invoice.number}.pdf").data == invoice.pdf
    pay = client.get(f"/invoices/{invoice.number}/pay").get_data(as_text=True)
    assert "partner-area" in pay and f"/invoices/{invoice.number}/pay/transfer" in pay
    assert client.get(f"/invoices/{invoice.number}/pay/cheque").status_code == 200
    path = f"/invoices/{invoice.number}/pay/transfer"
    assert post_form(client, path, {}, token_from=path).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PaymentDeclaration)) == 1
    card = post_form(client, f"/invoices/{invoice.number}/pay/card", {}, token_from=f"/invoices/{invoice.number}/pay")
    assert card.status_code == 303 and "/payments/demo/" in card.headers["Location"]


def club_named(subdomain: str) -> Club:
    return db.session.scalar(select(Club).where(Club.subdomain == subdomain))


def test_b3_resources_a_partner_adds_are_billed_to_it(client, signed_in):
    period = add_paid_period(club_named("mermoz"), days_to_end=100, resources=1)
    response = add_resources(client, f"/partner/clients/mermoz/subscriptions/{period.subscription_id}", 2)
    (invoice,) = invoices()
    assert response.headers["Location"] == f"/partner/invoices/{invoice.number}"
    assert invoice.partner_id == signed_in.id and invoice.resources == 2
    assert invoice.lines[0].description.startswith("Aéroclub Jean Mermoz (mermoz)")


def test_b4_a_partner_never_reaches_another_partners_club_or_invoice(client, app, signed_in, make):
    other = operations.add_partner("other@partner.example", "Other", "cli", password=PASSWORD)
    make.club("latecoere", resources=1)
    operations.link_club(other.id, "latecoere", "cli")
    theirs = add_paid_period(club_named("latecoere"), days_to_end=100, resources=1)
    other_client = app.test_client()
    post_form(other_client, "/partner/login", {"email": "other@partner.example", "password": PASSWORD})
    start_subscription(other_client, "latecoere", date.today(), resources=1, door="/partner")
    (their_invoice,) = invoices()
    values = {"subdomain": "latecoere", "subscription_id": theirs.subscription_id, "number": their_invoice.number}
    before = (len(invoices()), db.session.scalar(select(func.count()).select_from(AuditEntry)))
    walked = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("partner.") or not set(rule.arguments) & {"subdomain", "number"}:
            continue
        path = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
        if "GET" in rule.methods:
            assert client.get(path).status_code == 404, path
        if "POST" in rule.methods:
            response = post_form(client, path, {"added": "1", "accept_terms": "y", "po_reference": "x",
                                                "resources": "1"}, token_from="/partner/clients")
            assert response.status_code == 404, path
        walked.append(rule.endpoint)
    assert len(walked) >= 15
    for path in (f"/invoices/{their_invoice.number}/pay", f"/invoices/{their_invoice.number}/pay/transfer"):
        assert client.get(path).status_code == 404
    assert (len(invoices()), db.session.scalar(select(func.count()).select_from(AuditEntry))) == before


def test_r2_b3_a_partner_cancels_its_own_unpaid_purchase_the_club_cannot(client, signed_in):
    start_subscription(client, "mermoz", date.today() + timedelta(days=10), resources=1, door="/partner")
    (invoice,) = invoices()
    path = f"/partner/invoices/{invoice.number}"
    assert f"{path}/cancel" in client.get(path).get_data(as_text=True)
    club = client.application.test_client()
    post_form(club, "/login", {"identifier": "mermoz", "password": PASSWORD})
    assert post_form(club, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from="/").status_code == 404
    response = post_form(client, f"{path}/cancel", {"confirmed": "1"}, token_from=path)
    assert response.status_code == 302
    cancelled, credit = invoices()
    assert cancelled.status.value == "cancelled" and credit.corrects_id == cancelled.id
    assert credit.partner_id == signed_in.id and response.headers["Location"] == f"/partner/invoices/{credit.number}"
    assert db.session.scalar(select(Subscription).where(Subscription.club_id == cancelled.club_id)).periods == []
