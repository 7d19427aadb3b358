"""The renewal flow: live estimate, resource floor, review, confirm (R1-R3, R5, P2-P5)."""
import html as html_lib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from babel.dates import format_date

from openflyers_account.accounts import operations as account_operations
from openflyers_account.billing import catalogue
from openflyers_account.extensions import db
from openflyers_account.models import Club, Invoice, InvoiceStatus, NumberSequence, StaffRole, SubscriptionPeriod
from tests.billing_helpers import add_paid_period, confirm_form, hidden_fields, renew, review
from tests.conftest import post_form


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


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@pytest.mark.parametrize("term", [1, 3, 5])
def test_r1_the_estimate_covers_the_period_after_the_current_one(client, mermoz, term):
    start = date.today() + timedelta(days=31)  # the day after the current period's end
    end = years_later(start, term) - timedelta(days=1)
    html = client.get("/renewal/price", query_string={"offer": "business", "resources": 4, "term": term}).get_data(
        as_text=True)
    assert f"du {format_date(start, 'long', locale='fr')} au {format_date(end, 'long', locale='fr')}" in html


def test_a6_pending_charges_are_in_the_estimate(client, make, sign_in):
    club = make.club("guillaumet", offer="first-price", resources=1)
    account_operations.send_reset_by_staff(db.session.get(Club, club.id), make.staff())
    sign_in("guillaumet")
    html = html_lib.unescape(client.get("/renewal/price", query_string={
        "offer": "first-price", "resources": 1, "term": 3}).get_data(as_text=True))
    assert "Réinitialisation du mot de passe par le support" in html and "15,00" in html
    assert "Inclut les prestations du support en attente de facturation." in html
    # (120 + 30) x 3 = 450, -10 % = 405, + 15.00 never discounted = 420, VAT 84.
    assert 'data-total="504.00"' in html


@pytest.mark.parametrize("country, vat_number, on_the_estimate, on_the_invoice", [
    ("BE", "BE0203201340", "Autoliquidation", "Autoliquidation : TVA due par le preneur (article 283-2 du CGI"),
    ("CH", "", "La TVA française ne s'applique pas hors de l'Union européenne.",
     "TVA non applicable, article 259-1 du CGI"),
])
def test_p3_the_estimate_and_the_invoice_page_carry_the_vat_mention(client, make, sign_in, country, vat_number,
                                                                    on_the_estimate, on_the_invoice):
    make.club("foreign", resources=1, country=country, vat_number=vat_number)
    sign_in("foreign")
    estimate_page = html_lib.unescape(client.get("/renewal/price", query_string={
        "offer": "business", "resources": 1, "term": 1}).get_data(as_text=True))
    assert on_the_estimate in estimate_page
    response = renew(client, resources=1)
    page = html_lib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert on_the_invoice in page


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


@pytest.mark.parametrize("query, field, message", [
    ({"offer": "gold"}, "offer", "Choisissez une des offres de la liste."),
    ({"term": "2"}, "term", "Choisissez une durée de 1, 3 ou 5 ans."),
    ({"term": "x"}, "term", "Choisissez une durée de 1, 3 ou 5 ans."),
    ({"po_reference": "x" * 10_000}, "po_reference", "70 caractères au plus"),
])
def test_r3_unknown_choices_get_a_field_message(client, mermoz, query, field, message):
    for path in ("/renewal", "/renewal/price"):
        response = client.get(path, query_string={"offer": "business", "resources": 4, "term": 1, **query})
        assert response.status_code == (422 if path == "/renewal" else 200)
        assert message in field_errors(response.get_data(as_text=True), field)


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


def test_r2_renewal_is_open_on_the_90th_day_before_the_end(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    add_paid_period(club, days_to_end=90)
    sign_in("mermoz")
    assert client.get("/renewal").status_code == 200
    response = renew(client, resources=1)
    assert response.status_code == 302 and invoice_count() == 1
    assert db.session.scalar(select(Invoice)).period_start == date.today() + timedelta(days=91)


def test_r2_renewal_closed_by_confirm_time_issues_nothing(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    period = add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    data = confirm_form(client, resources=1)
    # Meanwhile staff recorded a longer current period: renewal now opens later.
    period = db.session.get(SubscriptionPeriod, period.id)
    period.end_date = date.today() + timedelta(days=200)
    db.session.commit()
    response = client.post("/renewal/confirm", data=data, follow_redirects=True)
    opens_on = format_date(date.today() + timedelta(days=110), "long", locale="fr")
    page = html_lib.unescape(response.get_data(as_text=True))
    # Why the club landed on its dashboard, then the date renewal opens, said once (not twice).
    assert "Cet abonnement ne peut pas encore être renouvelé" in page
    assert page.count(opens_on) == 1
    assert invoice_count() == 0
    assert db.session.scalar(select(func.count()).select_from(NumberSequence)) == 0


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


def field_errors(html: str, field: str) -> str:
    match = re.search(rf'<div id="{field}-errors" class="field-errors"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error box for {field}"
    return html_lib.unescape(match.group(1))


@pytest.mark.parametrize("tamper, field, message", [
    ({"term": "7"}, "term", "Choisissez une durée de 1, 3 ou 5 ans."),
    ({"offer": "gold"}, "offer", "Choisissez une des offres de la liste."),
    ({"resources": "-5"}, "resources", "Saisissez un nombre entier de ressources"),
    ({"resources": "2"}, "resources", "Votre plateforme compte 4 ressources activées"),
    ({"po_reference": "x" * 71}, "po_reference", "70 caractères au plus"),
    ({"po_reference": "BC\x0717"}, "po_reference", "caractères non imprimables"),
])
def test_r3_a_tampered_hidden_field_gets_its_field_message_and_changes_nothing(client, mermoz, tamper, field,
                                                                             message):
    response = client.post("/renewal/confirm", data={**confirm_form(client, resources=5, term=3,
                                                                    po_reference="BC-17"), **tamper})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_errors(html, field)
    for other in {"offer", "resources", "term", "po_reference"} - {field}:
        assert field_errors(html, other).strip() == ""
    # The choice comes back as posted, to be corrected, not a blank form.
    if field != "resources":
        assert 'value="5"' in html
    if field != "term":
        assert '<option selected value="3">' in html
    if field != "po_reference":
        assert 'value="BC-17"' in html
    assert invoice_count() == 0


def test_r3_a_tampered_shown_total_is_a_price_change(client, mermoz):
    response = client.post("/renewal/confirm", data={**confirm_form(client), "expected_total": "0.01"})
    assert response.status_code == 422 and "Le prix a changé" in response.get_data(as_text=True)
    assert invoice_count() == 0


def accept_box(html: str) -> str:
    return re.search(r'<input[^>]*name="accept_terms"[^>]*>', html).group(0)


def test_r3_a_price_change_between_review_and_confirm_is_shown(client, mermoz):
    data = confirm_form(client)
    data["expected_total"] = "1.00"
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Le prix a changé" in html
    assert "checked" not in accept_box(html)  # the new price is accepted anew
    assert hidden_fields(html)["expected_total"] == "648.00"  # 300 + 4 x 60 = 540, VAT 108
    assert invoice_count() == 0


def test_r3_a_new_price_list_between_review_and_confirm_asks_to_accept_again(client, mermoz, make):
    data = confirm_form(client)  # 4 resources: 300 + 4 x 60 = 540, VAT 108
    staff = make.staff(StaffRole.ADMIN)
    catalogue.publish_price_list(staff, date.today(), {
        "first-price": (Decimal("120"), Decimal("30")), "business": (Decimal("310"), Decimal("60")),
        "premiere": (Decimal("600"), Decimal("75")), "corporate": (Decimal("1200"), Decimal("90"))},
        today=date.today())
    response = client.post("/renewal/confirm", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Le prix a changé" in html and "checked" not in accept_box(html)
    assert invoice_count() == 0
    again = hidden_fields(html) | {"accept_terms": "y"}
    assert again["expected_total"] == "660.00"  # 550 + VAT
    assert client.post("/renewal/confirm", data=again).status_code == 302
    assert db.session.scalar(select(Invoice)).total_incl_vat == Decimal("660.00")


def test_r2_a_second_tab_with_another_choice_keeps_the_first_invoice_and_says_so(client, mermoz):
    first_tab = confirm_form(client, resources=4, term=1)
    second_tab = confirm_form(client, resources=6, term=3)
    first = client.post("/renewal/confirm", data=first_tab)
    assert first.status_code == 302
    second = client.post("/renewal/confirm", data=second_tab)
    assert second.headers["Location"] == first.headers["Location"]
    assert invoice_count() == 1
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.resources, invoice.term_years) == (4, 1)
    page = html_lib.unescape(client.get(second.headers["Location"]).get_data(as_text=True))
    assert f"Votre facture de renouvellement {invoice.number} avait déjà été émise pour un autre choix" in page
    assert "annulez cette facture, puis recommencez" in page


def test_r2_the_back_button_after_issue_gives_the_same_invoice_without_a_notice(client, mermoz):
    data = confirm_form(client)
    first = client.post("/renewal/confirm", data=data)
    client.get(first.headers["Location"])  # the invoice page, then back to the review page and confirm again
    again = client.post("/renewal/confirm", data=data)
    assert again.headers["Location"] == first.headers["Location"]
    assert invoice_count() == 1
    assert "autre choix" not in html_lib.unescape(client.get(again.headers["Location"]).get_data(as_text=True))


def test_r2_the_back_button_after_cancelling_issues_one_new_invoice(client, mermoz):
    data = confirm_form(client)
    first = client.post("/renewal/confirm", data=data)
    number = first.headers["Location"].rsplit("/", 1)[1]
    assert post_form(client, f"/invoices/{number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{number}").status_code == 302
    # Back to the review page the club had confirmed, and confirm it again: a new invoice, the cancelled one stays.
    again = client.post("/renewal/confirm", data=data)
    assert again.status_code == 302 and again.headers["Location"] != first.headers["Location"]
    assert client.post("/renewal/confirm", data=data).headers["Location"] == again.headers["Location"]
    db.session.expire_all()
    statuses = [(i.number, i.status) for i in db.session.scalars(
        select(Invoice).where(Invoice.kind == "invoice").order_by(Invoice.id))]
    assert statuses == [(number, InvoiceStatus.CANCELLED), (again.headers["Location"].rsplit("/", 1)[1],
                                                             InvoiceStatus.ISSUED)]


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
