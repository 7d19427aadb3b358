"""What the speed work could break: the live estimate from the facts signed in the form, the catalogue kept per
process, sessions that still end, static files under hashed names, compressed answers (performance budget, U4)."""
from __future__ import annotations

import gzip
import re
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import brotli
import pytest
from sqlalchemy import event, select

from openflyers_account import driver_reads
from openflyers_account.accounts import operations
from openflyers_account.assets import hashed_name
from openflyers_account.billing import catalogue
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, InvoicePurpose, StaffRole, SubscriptionInvoice
from openflyers_account.subscriptions.queries import LATEST_INVOICES

from .conftest import PASSWORD, csrf_token, post_form
from .billing_helpers import add_paid_period, confirm_form, hidden_fields, subscription_of

PRICE_HEADERS = {"HX-Request": "true"}
NEW_PRICES = {"first-price": (Decimal("120"), Decimal("30")), "business": (Decimal("400"), Decimal("60")),
              "premiere": (Decimal("600"), Decimal("75")), "corporate": (Decimal("1200"), Decimal("90"))}


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", offer="business", resources=4)
    add_paid_period(club, days_to_end=30, resources=4)
    sign_in("mermoz")
    return club


def renewal_fields(client) -> dict:
    page = client.get("/renewal").get_data(as_text=True)
    fields = hidden_fields(page)
    assert fields["facts"], "the renewal page signs the estimate's facts into its form"
    return {"subscription": fields["subscription"], "facts": fields["facts"]}


def estimate(client, fields: dict, resources: int = 4, term: int = 1) -> str:
    query = urlencode({**fields, "offer": "business", "resources": str(resources), "term": str(term),
                       "po_reference": ""})
    response = client.get(f"/renewal/price?{query}", headers=PRICE_HEADERS)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@contextmanager
def statements_run():
    """Every SQL statement run meanwhile: through SQLAlchemy, or on the driver (the session's account)."""
    statements = []

    def listener(*args):
        statements.append(args[2])

    def driver_listener(sql, parameters):
        statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", listener)
    driver_reads.listeners.append(driver_listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        driver_reads.listeners.remove(driver_listener)


def total(html: str) -> str | None:
    found = re.search(r'data-total="([^"]+)"', html)
    return found.group(1) if found else None


# -- the estimate from the signed facts -----------------------------------------------------------------------

def test_r3_the_estimate_from_the_signed_facts_is_the_estimate_from_the_database(client, mermoz):
    fields = renewal_fields(client)
    for resources, term in ((4, 1), (7, 3), (12, 5)):
        signed = estimate(client, fields, resources, term)
        unsigned = estimate(client, {"subscription": fields["subscription"]}, resources, term)
        assert total(signed) is not None and total(signed) == total(unsigned)
    assert total(estimate(client, fields, 4, 1)) == "648.00"  # 300 + 4 x 60 = 540, VAT 108


def test_r3_the_estimate_costs_one_query_the_sessions(app, client, mermoz):
    app.config["CATALOGUE_RECHECK_SECONDS"] = 60
    fields = renewal_fields(client)
    estimate(client, fields)  # the process reads the catalogue once
    with statements_run() as statements:
        html = estimate(client, fields, 6)
    assert total(html) == "792.00"  # 300 + 6 x 60 = 660, VAT 132
    assert len(statements) == 1, statements


def test_r3_forged_or_foreign_facts_are_not_trusted(client, make, mermoz, sign_in):
    fields = renewal_fields(client)
    forged = {**fields, "facts": fields["facts"][:-3] + "abc"}
    assert total(estimate(client, forged)) == "648.00"  # read from the database instead
    other = make.club("latecoere", offer="business", resources=2)
    sign_in("latecoere")
    # Mermoz's facts under Latécoère's session: Latécoère's own first subscription is priced, never Mermoz's.
    html = estimate(client, {"subscription": "", "facts": fields["facts"]}, 2)
    assert total(html) == "504.00"  # 300 + 2 x 60 = 420, VAT 84
    assert other.id != mermoz.id


def test_p4_a_report_made_after_the_page_was_shown_reaches_the_estimate(client, mermoz):
    fields = renewal_fields(client)
    assert total(estimate(client, fields, 5)) is not None
    operations.set_activated_resources(db.session.merge(mermoz), 8, "api")
    db.session.commit()
    html = estimate(client, fields, 5)
    assert total(html) is None and "8" in html  # below the new floor: the form says so


def test_a2_a_signed_out_session_gets_no_estimate(client, mermoz):
    fields = renewal_fields(client)
    cookie = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")}).status_code == 302
    client.set_cookie("session", cookie)
    response = client.get("/renewal/price?" + urlencode({**fields, "offer": "business", "resources": "4",
                                                          "term": "1"}), headers=PRICE_HEADERS)
    assert total(response.get_data(as_text=True)) is None
    assert response.headers.get("HX-Redirect", "").startswith("/login")


# -- the catalogue kept per process -------------------------------------------------------------------------

def publish_elsewhere(make) -> None:
    """A price list published by another process: this one keeps what it held."""
    held, checked = catalogue._snapshot, catalogue._checked_at
    catalogue.publish_price_list(make.staff(StaffRole.ADMIN), date.today(), NEW_PRICES, today=date.today())
    catalogue._snapshot, catalogue._checked_at = held, checked


def test_p1_a_price_list_published_elsewhere_reaches_the_estimate_within_the_delay_and_the_confirm_at_once(
        app, client, make, mermoz, monkeypatch):
    app.config["CATALOGUE_RECHECK_SECONDS"] = 60
    fields = renewal_fields(client)
    assert total(estimate(client, fields)) == "648.00"
    data = confirm_form(client, resources=4, term=1)
    publish_elsewhere(make)
    assert total(estimate(client, fields)) == "648.00"  # within the delay, the estimate may still show it
    # The confirmation checks at once: the club is asked to accept the new price.
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422 and "Le prix a changé" in response.get_data(as_text=True)
    assert hidden_fields(response.get_data(as_text=True))["expected_total"] == "768.00"  # 400 + 240, VAT 128
    publish_elsewhere_at = catalogue.time.monotonic()
    monkeypatch.setattr(catalogue.time, "monotonic", lambda: publish_elsewhere_at + 61)
    assert total(estimate(client, fields)) == "768.00"


# -- static files and compression --------------------------------------------------------------------------

def test_static_names_follow_their_content():
    assert hashed_name("css/site.css", b"a") != hashed_name("css/site.css", b"b")
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed_name("css/site.css", b"a"))
    assert re.fullmatch(r"vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js", hashed_name("vendor/htmx-2.0.11.min.js", b""))


def test_static_files_are_kept_a_year_and_compressed(client, app):
    page = client.get("/login").get_data(as_text=True)
    paths = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert len(paths) >= 3
    for path in paths:
        plain = client.get(path)
        assert plain.status_code == 200
        assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        name = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", path.removeprefix("/static/"))
        with open(f"{app.static_folder}/{name}", "rb") as original:
            assert plain.data == original.read()
        assert gzip.decompress(client.get(path, headers={"Accept-Encoding": "gzip"}).data) == plain.data
        compressed = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert compressed.headers["Content-Encoding"] == "br" and brotli.decompress(compressed.data) == plain.data
    # An old page's plain name is still served, for an hour; a name that is not a file is not found.
    assert client.get("/static/css/site.css").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/static/css/nothing.css").status_code == 404


def test_pages_are_compressed_for_browsers_that_accept_it(client, mermoz):
    plain = client.get("/")
    compressed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert len(compressed.data) < len(plain.data) / 2
    assert gzip.decompress(compressed.data) == plain.data
    assert plain.headers["Cache-Control"] == "no-store"


# -- long lists ----------------------------------------------------------------------------------------------

def test_u4_a_clubs_invoices_come_a_page_at_a_time_for_the_club_and_for_staff(client, make, sign_in, staff_sign_in):
    from benchmarks.payments import prepare_open_invoices

    club = make.club("mermoz")
    prepare_open_invoices(30, 2091, club_id=club.id)
    sign_in("mermoz")
    first = client.get("/invoices").get_data(as_text=True)
    numbers = re.findall(r"F-2091-\d{5}", first)
    assert "F-2091-00030" in numbers and "F-2091-00006" in numbers and "F-2091-00005" not in numbers
    assert 'href="/invoices?page=2"' in first
    second = client.get("/invoices?page=2").get_data(as_text=True)
    assert sorted(set(re.findall(r"F-2091-\d{5}", second))) == [f"F-2091-{n:05d}" for n in range(1, 6)]
    assert 'href="/invoices?page=1"' in second and "page=3" not in second
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    staff_sign_in(make.staff().email)
    page = client.get("/staff/clients/mermoz?page=2").get_data(as_text=True)
    assert sorted(set(re.findall(r"F-2091-\d{5}", page))) == [f"F-2091-{n:05d}" for n in range(1, 6)]


def test_u4_a_subscription_card_shows_its_latest_documents_and_links_to_the_others(client, make, staff_sign_in):
    from benchmarks.payments import prepare_open_invoices

    club = make.club("mermoz")
    subscription = subscription_of(club)
    prepare_open_invoices(LATEST_INVOICES + 2, 2092, club_id=club.id)
    db.session.add_all(SubscriptionInvoice(invoice_id=invoice_id, subscription_id=subscription.id,
                                           purpose=InvoicePurpose.RENEWAL, bought_by="staff")
                       for invoice_id in db.session.scalars(select(Invoice.id).where(Invoice.number.like("F-2092-%"))))
    db.session.commit()
    staff_sign_in(make.staff().email)
    page = client.get("/staff/clients/mermoz").get_data(as_text=True)
    card = page[page.index('class="subscription"'):page.index('id="renewal-messages"')]
    assert set(re.findall(r"F-2092-\d{5}", card)) == {f"F-2092-{n:05d}" for n in range(3, LATEST_INVOICES + 3)}
    assert 'href="/staff/clients/mermoz#documents"' in card
    # The documents' own list has them all.
    assert "F-2092-00001" in page[page.index('id="documents"'):]


def test_u4_a_partners_invoices_come_a_page_at_a_time(client, make):
    from benchmarks.payments import prepare_open_invoices
    from openflyers_account.partners import operations as partners

    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    club = make.club("mermoz")
    partners.link_club(partner.id, "mermoz", "cli")
    prepare_open_invoices(30, 2093, club_id=club.id, partner_id=partner.id)
    post_form(client, "/partner/login", {"email": "contact@federation.example", "password": PASSWORD})
    first = client.get("/partner/invoices").get_data(as_text=True)
    assert sorted(set(re.findall(r"F-2093-\d{5}", first))) == [f"F-2093-{n:05d}" for n in range(6, 31)]
    assert 'href="/partner/invoices?page=2"' in first
    second = client.get("/partner/invoices?page=2").get_data(as_text=True)
    assert sorted(set(re.findall(r"F-2093-\d{5}", second))) == [f"F-2093-{n:05d}" for n in range(1, 6)]


def test_u4_b3_the_partners_client_card_shows_its_latest_documents_billed_to_it(client, make):
    from benchmarks.payments import prepare_open_invoices
    from openflyers_account.partners import operations as partners

    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    club = make.club("mermoz")
    partners.link_club(partner.id, "mermoz", "cli")
    subscription = subscription_of(club)
    prepare_open_invoices(LATEST_INVOICES + 2, 2094, club_id=club.id, partner_id=partner.id)
    db.session.add_all(SubscriptionInvoice(invoice_id=invoice_id, subscription_id=subscription.id,
                                           purpose=InvoicePurpose.RENEWAL, bought_by="partner")
                       for invoice_id in db.session.scalars(select(Invoice.id).where(Invoice.number.like("F-2094-%"))))
    db.session.commit()
    post_form(client, "/partner/login", {"email": "contact@federation.example", "password": PASSWORD})
    response = client.get("/partner/clients/mermoz")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    card = page[page.index('class="subscription"'):]
    assert set(re.findall(r"F-2094-\d{5}", card)) == {f"F-2094-{n:05d}" for n in range(3, LATEST_INVOICES + 3)}
    assert 'href="/partner/invoices"' in card and "à payer" in card


def test_u4_the_dashboard_shows_a_charge_an_invoice_to_pay_and_a_partner_the_moment_they_exist(client, mermoz):
    """The facts read with the session's account (accounts.facts) skip the queries of what is absent; what appears
    a moment later is on the next page, and what goes away is gone from it."""
    from openflyers_account.domain.payments import PaymentMethod
    from openflyers_account.models import PendingCharge
    from openflyers_account.partners import operations as partners
    from openflyers_account.payments.operations import record_payment

    from .billing_helpers import renew

    def dashboard() -> str:
        response = client.get("/")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    page = dashboard()
    assert "Assistance téléphonique" not in page and "managed-by" not in page and "F-" not in page
    db.session.add(PendingCharge(club_id=mermoz.id, service_code="password_reset", label="Assistance téléphonique",
                                 quantity=1, unit_price=Decimal("15.00")))
    db.session.commit()
    assert "Assistance téléphonique" in dashboard()
    assert renew(client, resources=4, term=1).status_code in (302, 303)
    invoice = db.session.scalars(select(Invoice).where(Invoice.club_id == mermoz.id)).one()
    page = dashboard()
    assert invoice.number in page and "Assistance téléphonique" not in page  # the charge went on the invoice
    record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.TRANSFER, date.today(), "test", reference="RF")
    assert invoice.number not in dashboard()
    partner = partners.add_partner("contact@federation.example", "Fédération des Ailes", "cli", password=PASSWORD)
    partners.link_club(partner.id, "mermoz", "cli")
    page = dashboard()
    assert "managed-by" in page and "Fédération des Ailes" in page


def test_u4_pages_showing_an_invoice_do_not_read_its_pdf_and_its_download_does(client, mermoz):
    from .billing_helpers import renew

    assert renew(client, resources=4, term=1).status_code in (302, 303)
    invoice = db.session.scalars(select(Invoice).where(Invoice.club_id == mermoz.id)).one()
    with statements_run() as statements:
        for page in ("/", "/invoices", f"/invoices/{invoice.number}"):
            assert client.get(page).status_code == 200
    assert statements and not [sql for sql in statements if re.search(r"\binvoice\.pdf\b", sql)]
    download = client.get(f"/invoices/{invoice.number}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
