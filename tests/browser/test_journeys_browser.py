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


def test_u3_links_are_big_enough_to_tap_and_amounts_and_numbers_never_break(treasurer, live_server):
    treasurer.goto(f"{live_server}/renewal")
    treasurer.get_by_role("button", name="Continuer vers le récapitulatif").click()
    treasurer.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    treasurer.get_by_role("button", name="Confirmer et émettre la facture").click()
    for path in (treasurer.url.removeprefix(live_server), "/invoices", "/"):
        treasurer.goto(live_server + path)
        heights = treasurer.locator("main a, .site-footer a").evaluate_all(
            "links => links.filter(a => a.offsetParent).map(a => [a.textContent.trim(), a.getBoundingClientRect().height])")
        small = [(text, height) for text, height in heights if height < 24]
        assert not small, (path, small)
        # An amount or an invoice number on one line: as tall as one line of its own text.
        broken = treasurer.locator("td.num, a[href*='/invoices/F-']").evaluate_all(
            "nodes => nodes.filter(n => n.offsetParent && n.textContent.trim()).filter(n => {"
            " const range = document.createRange(); range.selectNodeContents(n);"
            " const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));"
            " return tops.size > 1; }).map(n => n.textContent.trim())")
        assert not broken, (path, broken)


def test_u3_an_invoice_read_in_english_on_a_phone_says_everything_in_english(phone, live_server, make):
    club = make.club("berlin", offer="business", resources=3, country="DE", vat_number="DE136695976")
    add_paid_period(club, days_to_end=30)
    club_sign_in(phone, live_server, "berlin", PASSWORD)
    phone.goto(f"{live_server}/renewal")
    phone.get_by_label("Durée d'engagement").select_option("3")
    phone.get_by_role("button", name="Continuer vers le récapitulatif").click()
    phone.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    phone.get_by_role("button", name="Confirmer et émettre la facture").click()
    phone.get_by_role("button", name="English").click()
    document = phone.locator(".invoice-document")
    expect(document).to_contain_text("Late-payment penalties: three times the French legal interest rate in force.")
    expect(document).to_contain_text("Germany")
    expect(document).not_to_contain_text("trois fois")
    # The lines were written at issue, in French as the law asks, and say the term in words.
    expect(document).to_contain_text("tarif annuel pour 3 ans")


def test_m3_p2_staff_see_the_declared_cheque_and_an_admin_sets_the_club_discount(page, live_server, make, app):
    from datetime import date

    from openflyers_account.accounts.operations import find_club
    from openflyers_account.domain.payments import PaymentMethod
    from openflyers_account.models import StaffRole
    from openflyers_account.payments.operations import declare_payment
    from tests.browser.test_account_browser import staff_sign_in
    from tests.test_staff_payments import issue

    club = make.club("mermoz", name="Aéroclub Jean Mermoz")
    invoice = issue(club, date.today())
    with app.test_request_context():
        declare_payment(find_club("mermoz"), invoice.number, PaymentMethod.CHEQUE, "7654321")
    make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    staff_sign_in(page, live_server, "admin@openflyers.example")
    page.get_by_role("searchbox").fill(invoice.number)  # the staff home's search, by invoice number
    page.get_by_role("link", name="ouvrir").click()
    expect(page.locator(".declaration")).to_contain_text("un chèque n° 7654321")
    expect(page.get_by_label("Numéro de chèque")).to_have_value("7654321")
    page.goto(f"{live_server}/staff/clients/mermoz")
    page.get_by_label("Remise du club (%)").fill("12,5")
    page.get_by_label("Motif de la remise").fill("Accord fédéral")
    page.get_by_role("button", name="Enregistrer la remise du club").click()
    expect(page.locator(".flash-success")).to_contain_text("La remise du club est enregistrée")
    expect(page.get_by_text("Actuellement : 12,5 %.")).to_be_visible()
