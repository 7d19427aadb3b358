"""The renewal flow: live estimate, resource floor, review, confirm (R1-R3, R5, P2-P5)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import Club, Invoice, NumberSequence, SubscriptionPeriod
from tests.billing_helpers import add_paid_period, confirm_form, renew, review


def invoice_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Invoice))


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", offer="business", resources=4)
    add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    return club


def test_r3_the_form_starts_from_the_clubs_offer_and_activated_resources(client, mermoz):
    page = client.get("/renewal").get_data(as_text=True)
    assert 'value="4"' in page and '<option selected value="business">' in page
    assert 'hx-get="/renewal/price"' in page


def test_p2_the_estimate_prices_each_line_and_the_totals(client, mermoz):
    # Demo catalogue: Business 300.00 + 60.00 per resource a year.
    response = client.get("/renewal/price", query_string={"offer": "business", "resources": 4, "term": 3})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    for amount in ("900,00", "720,00", "-162,00", "1\u202f458,00", "291,60", "1\u202f749,60"):
        assert amount in html, amount
    assert 'data-total="1749.60"' in html


def test_r1_the_estimate_covers_the_period_after_the_current_one(client, mermoz):
    end = date.today() + timedelta(days=30)
    html = client.get("/renewal/price", query_string={"offer": "business", "resources": 4, "term": 1}).get_data(
        as_text=True)
    assert f"{(end + timedelta(days=1)).year}" in html
    db.session.expire_all()


@pytest.mark.parametrize("resources", ["3", "0"])
def test_p4_below_the_floor_the_field_says_why_and_how_to_lower_it(client, mermoz, resources):
    html = client.get("/renewal/price", query_string={"offer": "business", "resources": resources, "term": 1}).get_data(
        as_text=True)
    assert "4 ressources activées" in html and "désactivez" in html
    assert 'id="resources-errors" class="field-errors" hx-swap-oob="true"' in html
    assert "data-total" not in html


@pytest.mark.parametrize("resources", ["-1", "2.5", "4,5", "1e3", "abc", "1000", "", "  ", "99999999999999", "٤",
                                       "4; DROP TABLE club", "0x10"])
def test_p5_resources_are_whole_numbers_up_to_999(client, mermoz, resources):
    response = client.get("/renewal", query_string={"offer": "business", "resources": resources, "term": 1})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert review(client, resources=resources).status_code == 422
    assert invoice_count() == 0


@pytest.mark.parametrize("query", [{"offer": "gold"}, {"term": "2"}, {"term": "x"}, {"po_reference": "x" * 10_000}])
def test_r3_unknown_choices_get_a_field_message(client, mermoz, query):
    response = client.get("/renewal", query_string={"offer": "business", "resources": 4, "term": 1, **query})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)


def test_r3_nothing_is_issued_before_the_confirmation(client, mermoz):
    client.get("/renewal")
    client.get("/renewal/price", query_string={"offer": "business", "resources": 5, "term": 3})
    assert review(client, resources=5, term=3).status_code == 200
    assert invoice_count() == 0
    assert db.session.scalar(select(func.count()).select_from(NumberSequence)) == 0


def test_r3_the_terms_must_be_accepted(client, mermoz):
    data = confirm_form(client)
    del data["accept_terms"]
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422
    assert "conditions générales" in response.get_data(as_text=True)
    assert invoice_count() == 0


def test_r3_confirm_issues_the_invoice_with_the_reviewed_figures(client, mermoz):
    response = renew(client, resources=5, term=3, po_reference="BC-2026-17")
    assert response.status_code == 302
    invoice = db.session.scalar(select(Invoice))
    assert response.headers["Location"] == f"/invoices/{invoice.number}"
    assert invoice.number == f"F-{date.today().year}-00001"
    assert (invoice.resources, invoice.term_years, invoice.po_reference) == (5, 3, "BC-2026-17")
    # (300 + 5 x 60) x 3 = 1800, -10 % = 1620, VAT 324
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("1620.00"), Decimal("324.00"), Decimal("1944.00"))
    assert invoice.period_start == date.today() + timedelta(days=31)
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))
    assert period.activated_at is None and period.resources == 5


def test_r2_submitting_twice_gives_the_same_single_invoice(client, mermoz):
    data = confirm_form(client)
    first = client.post("/renewal/confirm", data=data)
    second = client.post("/renewal/confirm", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert invoice_count() == 1
    again = client.get("/renewal")
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]


def test_r2_renewal_opens_90_days_before_the_end(client, make, sign_in):
    club = make.club("mermoz")
    add_paid_period(club, days_to_end=91)
    sign_in("mermoz")
    assert client.get("/renewal").headers["Location"] == "/"
    assert review(client).status_code == 302
    assert client.post("/renewal/confirm", data={}).status_code in (400, 302)
    assert invoice_count() == 0


def test_r1_a_lapsed_club_restarts_on_the_invoice_date(client, make, sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=-40)
    sign_in("mermoz")
    renew(client, resources=2)
    invoice = db.session.scalar(select(Invoice))
    assert invoice.period_start == date.today()
    assert invoice.period_end == date(date.today().year + 1, date.today().month, date.today().day) - timedelta(days=1)


def test_p4_a_stale_review_page_is_refused_when_the_platform_reported_more(client, mermoz, runner):
    data = confirm_form(client, resources=4)
    assert runner.invoke(args=["club", "resources", "mermoz", "6"]).exit_code == 0
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422
    assert "6 ressources activées" in response.get_data(as_text=True)
    assert invoice_count() == 0


@pytest.mark.parametrize("tamper", [{"term": "7"}, {"offer": "gold"}, {"resources": "-5"}, {"resources": "2"},
                                    {"po_reference": "x" * 71}, {"expected_total": "0.01"}])
def test_r3_a_tampered_hidden_field_changes_nothing(client, mermoz, tamper):
    response = client.post("/renewal/confirm", data={**confirm_form(client), **tamper})
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        assert response.headers["Location"] == "/renewal"
    assert invoice_count() == 0


def test_r3_a_price_change_between_review_and_confirm_is_shown(client, mermoz):
    data = confirm_form(client)
    data["expected_total"] = "1.00"
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422
    assert "Le prix a changé" in response.get_data(as_text=True)


def test_r5_markup_in_the_po_reference_is_text_in_the_page_and_the_pdf(client, mermoz):
    po = '<script>alert("x")</script>&'
    renew(client, po_reference=po)
    invoice = db.session.scalar(select(Invoice))
    assert invoice.po_reference == po
    page = client.get(f"/invoices/{invoice.number}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(invoice.pdf)).pages)
    assert '<script>alert("x")</script>&' in text


def test_r3_the_page_works_without_javascript(client, mermoz):
    page = client.get("/renewal", query_string={"offer": "premiere", "resources": 6, "term": 5,
                                                 "recalculate": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<noscript>" in html and 'formaction="/renewal/review"' in html
    assert 'data-total="' in html


def test_club_discount_shows_on_its_own_line(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    club = db.session.get(Club, club.id)
    club.discount_percent = Decimal("5")
    db.session.commit()
    sign_in("mermoz")
    html = client.get("/renewal/price", query_string={"offer": "business", "resources": 1, "term": 1}).get_data(
        as_text=True)
    assert "-18,00" in html  # 5 % of 360.00
