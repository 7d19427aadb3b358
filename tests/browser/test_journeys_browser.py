"""The treasurer's journey on a phone, as a keyboard or a screen reader meets it (U1-U3): the skip link, a
field marked invalid after an htmx answer, the total above the button, a cancellation that asks first, and a
language switch that never leads to "not allowed". axe-core checks every page on the way (conftest)."""
import re

import pytest
from playwright.sync_api import expect

from tests.billing_helpers import add_paid_period
from tests.browser.test_account_browser import club_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def treasurer(phone, live_server, make):
    club = make.club("mermoz", offer="business", resources=4)
    add_paid_period(club, days_to_end=30)
    club_sign_in(phone, live_server, "mermoz", PASSWORD)
    return phone


def test_u3_the_keyboard_skips_the_header_and_sees_where_it_is(treasurer, live_server):
    treasurer.goto(f"{live_server}/")
    treasurer.keyboard.press("Tab")
    skip = treasurer.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    treasurer.keyboard.press("Enter")
    expect(treasurer).to_have_url(f"{live_server}/#main")
    # The focus ring is dark enough to see on white (over 3:1): the site's dark blue, 3 px.
    treasurer.keyboard.press("Tab")
    ring = treasurer.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                              " return [s.outlineColor, s.outlineWidth, s.outlineStyle]; })()")
    assert ring == ["rgb(8, 58, 102)", "3px", "solid"], ring


def test_u3_r3_a_wrong_field_is_marked_after_the_live_price_and_the_total_sits_above_the_button(treasurer,
                                                                                                 live_server):
    treasurer.goto(f"{live_server}/renewal")
    resources = treasurer.get_by_label("Nombre de ressources")
    total = treasurer.locator("#estimate-total")
    expect(total).to_contain_text("Total TTC")
    resources.fill("2")  # below the 4 activated resources
    expect(treasurer.locator("#resources-errors")).to_contain_text("4 ressources activées")
    expect(resources).to_have_attribute("aria-invalid", "true")
    expect(resources).to_have_css("border-top-color", "rgb(179, 38, 30)")
    expect(total).to_have_text("Pas de prix tant que les champs en rouge ne sont pas corrigés.")
    resources.fill("6")
    expect(total).to_have_text(re.compile(r"Total TTC\s*:\s*792,00\s*€"))
    expect(resources).not_to_have_attribute("aria-invalid", "true")
    # On a phone the total is on screen with the button, not 950 px further down.
    button = treasurer.get_by_role("button", name="Continuer vers le récapitulatif")
    button.scroll_into_view_if_needed()
    expect(total).to_be_in_viewport()
    # Only the total is a live region: a screen reader is not read the whole table at each keystroke.
    assert treasurer.locator("[aria-live]").evaluate_all("nodes => nodes.map(n => n.id)") == ["estimate-total"]


def test_u1_cancelling_an_invoice_asks_first_and_no_goes_back(treasurer, live_server):
    treasurer.goto(f"{live_server}/renewal")
    treasurer.get_by_role("button", name="Continuer vers le récapitulatif").click()
    treasurer.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    treasurer.get_by_role("button", name="Confirmer et émettre la facture").click()
    invoice_url = treasurer.url
    treasurer.get_by_role("button", name="Annuler cette facture").click()
    expect(treasurer.get_by_role("heading", level=1)).to_contain_text("Annuler la facture")
    expect(treasurer.get_by_text("Cette action est définitive.")).to_be_visible()
    treasurer.get_by_role("link", name="Non, revenir en arrière").click()
    expect(treasurer).to_have_url(invoice_url)
    expect(treasurer.get_by_role("button", name="Annuler cette facture")).to_be_visible()  # nothing happened

    treasurer.get_by_role("button", name="Annuler cette facture").click()
    treasurer.get_by_role("button", name="Oui, annuler la facture").click()
    # Cancelled, and the way on is in sight: the subscription's page, with its renewal.
    expect(treasurer.locator(".flash-success")).to_contain_text("est annulée par l'avoir")
    expect(treasurer.get_by_role("link", name=re.compile("Renouveler"))).to_be_visible()


def test_u2_switching_language_on_a_page_that_answered_a_form_never_says_not_allowed(treasurer, live_server):
    treasurer.goto(f"{live_server}/renewal")
    treasurer.get_by_role("button", name="Continuer vers le récapitulatif").click()
    # Sent without ticking the terms: the answer to a POST, which has no address of its own.
    treasurer.get_by_role("button", name="Confirmer et émettre la facture").click()
    expect(treasurer.get_by_label("J'ai lu et j'accepte les conditions générales de vente.")).to_have_attribute(
        "aria-invalid", "true")
    with treasurer.expect_navigation() as navigation:
        treasurer.get_by_role("button", name="English").click()
    assert navigation.value.status == 200
    expect(treasurer.locator("html")).to_have_attribute("lang", "en")
    expect(treasurer.get_by_role("heading", level=1)).not_to_have_text(re.compile("Not allowed|Non autorisé"))
