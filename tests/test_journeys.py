"""No dead end, no irreversible tap, no page that says the wrong thing (U1-U4): what every page shares."""
from __future__ import annotations

import re

import pytest

from openflyers_account.models import StaffRole
from tests.conftest import PASSWORD, csrf_token, post_form


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
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login").get_data(as_text=True)
    assert client.get("/static/favicon.svg").status_code == 200
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
