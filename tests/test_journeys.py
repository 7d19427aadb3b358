"""No dead end, no irreversible tap, no page that says the wrong thing (U1-U4): what every page shares."""
from __future__ import annotations

import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from sqlalchemy import select

from openflyers_account import audit
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Club, Invoice, StaffRole
from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.payments.operations import declare_payment, record_payment
from openflyers_account.subscriptions.operations import cancel_purchase
from tests.billing_helpers import add_paid_period, renew
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.domain.camt_factory import CamtEntry, camt053
from tests.test_staff_payments import issue


@pytest.fixture
def mermoz(make, sign_in):
    make.club("mermoz", resources=3)
    sign_in("mermoz")


def switch_language(client, language: str, next_path: str, token_from: str = "/"):
    return client.post("/language", data={"language": language, "next": next_path,
                                          "csrf_token": csrf_token(client, token_from)})


@pytest.mark.parametrize("next_path", ["/renewal/confirm", "/invoices/F-2026-00001/cancel", "/subscriptions/1/notice", "/nowhere"])
def test_u2_switching_language_after_a_form_lands_on_a_page_that_exists(client, mermoz, next_path):
    response = switch_language(client, "en", next_path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_u2_switching_language_goes_back_to_the_page_it_was_on(client, mermoz):
    response = switch_language(client, "en", "/invoices?page=2")
    assert response.headers["Location"] == "/invoices?page=2"


def test_u2_a_page_that_answered_a_form_offers_no_address_to_come_back_to(client, mermoz):
    # The renewal review answers a GET, the confirmation a POST: only the first is a page to come back to.
    answered = post_form(client, "/renewal/confirm", {"offer": "business", "resources": "3", "term": "1"},
                         token_from="/renewal")
    assert answered.status_code == 422
    assert re.search(r'name="next" value=""', answered.get_data(as_text=True))


def test_u2_staff_switching_language_after_a_form_land_on_their_home(client, make, staff_sign_in):
    staff = make.staff(StaffRole.STAFF)
    staff_sign_in(staff.email, PASSWORD)
    response = switch_language(client, "en", "/staff/statements/1/confirm", token_from="/staff/")
    assert response.headers["Location"] == "/staff/"


def test_u3_the_skip_link_comes_first_and_leads_to_the_content(client, mermoz):
    page = client.get("/").get_data(as_text=True)
    body = page[page.index("<body"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link
    assert "Aller au contenu" in body and 'id="main"' in body


def test_u3_every_page_names_its_icon_and_the_icon_is_served(client):
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.svg)"', client.get("/login").get_data(as_text=True))
    assert client.get(icon.group(1)).status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_u3_the_back_office_has_no_club_footer(client, make, staff_sign_in):
    staff = make.staff(StaffRole.STAFF)
    staff_sign_in(staff.email, PASSWORD)
    assert "Une question sur votre abonnement" not in client.get("/staff/").get_data(as_text=True)
    assert "Une question sur votre abonnement" in client.get("/login").get_data(as_text=True)


def test_u3_the_price_partial_brings_the_total_above_the_button(client, mermoz):
    page = client.get("/renewal?offer=business&resources=4&term=1").get_data(as_text=True)
    total = re.search(r'<p class="estimate-total" id="estimate-total" aria-live="polite">([^<]*)</p>', page)
    assert total and total.group(1).startswith("Total TTC")
    assert page.index('id="estimate-total"') < page.index("Continuer vers le récapitulatif")
    # The estimate itself is not a live region: a screen reader hears the total, not the whole table.
    assert 'class="card estimate" aria-live' not in page
    partial = client.get("/renewal/price?offer=business&resources=4&term=1", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert re.search(r'<span id="estimate-total" hx-swap-oob="innerHTML">Total TTC\xa0: [^<]+</span>', html)
    wrong = client.get("/renewal/price?offer=business&resources=abc&term=1", headers={"HX-Request": "true"})
    assert "Pas de prix tant que les champs en rouge ne sont pas corrigés." in wrong.get_data(as_text=True)


def test_u3_without_javascript_the_page_does_not_promise_a_live_price(client, mermoz):
    page = client.get("/renewal").get_data(as_text=True)
    assert '<span class="js-only">Le prix se met à jour pendant la saisie.</span>' in page
    assert "<noscript>Appuyez sur Recalculer pour mettre le prix à jour.</noscript>" in page


def test_u3_an_unticked_terms_box_is_marked_invalid(client, mermoz):
    review = "/renewal/review?offer=business&resources=3&term=1"
    response = post_form(client, "/renewal/confirm", {"offer": "business", "resources": "3", "term": "1"},
                         token_from=review)
    box = re.search(r'<input[^>]*name="accept_terms"[^>]*>', response.get_data(as_text=True)).group(0)
    assert 'aria-invalid="true"' in box


def test_u3_an_invoice_says_its_term_in_words_its_buyers_country_by_name_and_its_rate_in_english(client, make,
                                                                                                  sign_in):
    make.club("berlin", resources=3, country="DE", vat_number="DE136695976")
    sign_in("berlin")
    response = renew(client, offer="business", resources="3", term="3")
    assert response.status_code == 302
    invoice = db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))
    assert "Ressources (avions, simulateurs), tarif annuel pour 3 ans" in [line.description for line in invoice.lines]
    page = html.unescape(client.get(f"/invoices/{invoice.number}").get_data(as_text=True))
    assert "Allemagne" in page and "<br>DE<" not in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    switch_language(client, "en", "/")
    english = html.unescape(client.get(f"/invoices/{invoice.number}").get_data(as_text=True))
    assert "Late-payment penalties: three times the French legal interest rate in force." in english
    assert "Germany" in english and "trois fois le taux" not in english


def test_k4_audit_details_are_in_the_readers_words_with_amounts_and_days_in_its_format(client, make, staff_sign_in):
    staff = make.staff(StaffRole.STAFF)
    with client.application.test_request_context():
        audit.record(staff, "payment.recorded", amount="576.00", received_on="2026-01-15", method="cheque", bank="")
        db.session.commit()
    staff_sign_in(staff.email, PASSWORD)
    page = html.unescape(client.get("/staff/audit").get_data(as_text=True))
    assert "montant\xa0: 576,00\xa0€" in page.replace("\u202f", "\xa0")
    assert "reçu le\xa0: 15 janv. 2026" in page
    assert "moyen\xa0: chèque" in page and "banque" not in page  # the method in words, empty details left out
    assert "amount:" not in page and "576.00" not in page


def test_u3_a_renewal_paid_by_card_before_its_period_says_when_it_starts_not_that_it_is_active(client, make,
                                                                                                sign_in):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    assert renew(client, offer="business", resources="3", term="1").status_code == 302
    invoice = db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))
    assert invoice.period_start > date.today()
    record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.CARD, date.today(), "tests")
    page = html.unescape(client.get(f"/invoices/{invoice.number}/pay/card/return").get_data(as_text=True))
    start = format_date(invoice.period_start, "long", locale="fr")
    assert f"est payé : il commence le {start}" in page.replace("\xa0", " ")
    assert "est actif" not in page


# -- staff ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin(client, make, staff_sign_in):
    staff = make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    staff_sign_in(staff.email, PASSWORD)
    return staff


def test_m3_the_waiting_list_leaves_out_declarations_on_cancelled_invoices(client, make, admin):
    mermoz, latecoere = make.club("mermoz"), make.club("latecoere")
    kept, cancelled = issue(mermoz), issue(latecoere)
    for club, invoice in ((mermoz, kept), (latecoere, cancelled)):
        with client.application.test_request_context():
            declare_payment(club, invoice.number, PaymentMethod.CHEQUE, "7654321")
    # Staff cancel it with a credit note of all its lines: the club's word about a cheque no longer matters.
    with client.application.test_request_context():
        issue_credit_note(admin, cancelled.number, [line.id for line in cancelled.lines], "duplicate", date.today())
    home = client.get("/staff/").get_data(as_text=True)
    waiting = home[home.index('id="declarations"'):home.index('id="unpaid"')]
    assert kept.number in waiting and cancelled.number not in waiting


def test_m3_the_staff_invoice_page_shows_the_declared_cheque_and_fills_the_form_from_it(client, make, admin):
    club = make.club("mermoz")
    invoice = issue(club)
    with client.application.test_request_context():
        declare_payment(club, invoice.number, PaymentMethod.CHEQUE, "7654321")
    page = html.unescape(client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True))
    assert "le club a dit avoir envoyé un chèque n° 7654321" in page
    assert re.search(r'<input[^>]*name="cheque_number"[^>]*value="7654321"', page)
    assert re.search(r'<option selected value="cheque">|<option value="cheque" selected>', page)


def test_m5_an_entry_whose_reference_is_a_cancelled_invoices_says_so(client, make, admin):
    club = make.club("mermoz")
    invoice = issue(club)
    with client.application.test_request_context():
        cancel_purchase(club.id, invoice.number, date.today(), club)
    response = post_form(client, "/staff/statements", {"statement": (io.BytesIO(camt053([CamtEntry(
        amount=invoice.total_incl_vat, creditor_reference=invoice.creditor_reference, servicer_ref="B1")])),
        "releve.xml")}, token_from="/staff/statements", content_type="multipart/form-data")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"sa référence est celle de la facture {invoice.number}, qui est annulée" in page


@pytest.mark.parametrize("typed", ["F-{year}-00001", "f {year} 00001", " f-{year}-00001 "])
def test_u4_staff_find_a_client_by_an_invoice_number(client, make, admin, typed):
    club = make.club("mermoz", name="Aéroclub Jean Mermoz")
    invoice = issue(club)
    found = client.get("/staff/clients", query_string={"q": typed.format(year=invoice.number[2:6])})
    page = html.unescape(found.get_data(as_text=True))
    assert f"Facture {invoice.number} de Aéroclub Jean Mermoz" in page
    assert f'href="/staff/invoices/{invoice.number}"' in page and 'href="/staff/clients/mermoz"' in page


def test_p2_an_admin_sets_the_club_discount_with_a_reason_and_the_next_price_uses_it(client, make, admin, app):
    club = make.club("mermoz", resources=3)
    path = "/staff/clients/mermoz"
    missing = post_form(client, f"{path}/discount", {"discount_percent": "10", "discount_reason": ""}, token_from=path)
    assert missing.status_code == 422
    wrong = post_form(client, f"{path}/discount", {"discount_percent": "120", "discount_reason": "x"}, token_from=path)
    assert wrong.status_code == 422
    saved = post_form(client, f"{path}/discount", {"discount_percent": "12,5", "discount_reason": "Fédération"},
                      token_from=path)
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Club, club.id).discount_percent == Decimal("12.50")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "club.discount_changed"))
    assert entry.details == {"before": "0.00", "after": "12.50", "reason": "Fédération"}
    assert "Actuellement\xa0: 12,5\xa0%." in html.unescape(client.get(path).get_data(as_text=True))
    treasurer = app.test_client()
    post_form(treasurer, "/login", {"identifier": "mermoz", "password": PASSWORD})
    price = treasurer.get("/renewal/price?offer=business&resources=3&term=1", headers={"HX-Request": "true"})
    assert "Remise club (12,5 %)" in html.unescape(price.get_data(as_text=True)).replace("\xa0", " ")
    # A staff member who is not an administrator cannot.
    agent = app.test_client()
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    post_form(agent, "/staff/login", {"email": "agent@openflyers.example", "password": PASSWORD})
    assert 'action="/staff/clients/mermoz/discount"' not in agent.get(path).get_data(as_text=True)
    assert post_form(agent, f"{path}/discount", {"discount_percent": "50", "discount_reason": "x"},
                     token_from=path).status_code == 403


def test_u3_after_paying_its_renewal_a_club_is_told_it_already_renewed_for_the_right_period(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    assert renew(client, offer="business", resources="3", term="1").status_code == 302
    invoice = db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))
    record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.TRANSFER, date.today(), "tests")
    response = client.get("/renewal", follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")
    start, end = (format_date(day, "medium", locale="fr") for day in (invoice.period_start, invoice.period_end))
    assert "Cet abonnement est déjà renouvelé : sa carte ci-dessous montre la prochaine période." in page
    assert f"Vous avez déjà renouvelé : la prochaine période s'étend du {start} au {end}" in page
    assert "votre période en cours" not in page


def test_u3_an_expired_clubs_dashboard_calls_its_period_the_last_one(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=-20)
    sign_in("mermoz")
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert "Expiré" in page and "Dernière période" in page
    assert "Période en cours" not in page
