"""Subscriptions in Chromium at phone width: the treasurer of mermoz adds 2 resources and pays by card; staff start a
second subscription dated 3 months back; both show on the club's dashboard (R3, R6, R9, R10, M1)."""
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from openflyers_account.models import StaffRole
from tests.billing_helpers import add_paid_period
from tests.browser.test_account_browser import club_sign_in, staff_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, page_problems):
    """A phone-sized page in French, as a treasurer holds it."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_r6_r10_treasurer_adds_resources_and_pays_then_staff_start_a_second_subscription(
        phone, browser, live_server, make, page_problems):
    club = make.club("mermoz", offer="business", resources=3)
    add_paid_period(club, days_to_end=182, resources=3)
    club_sign_in(phone, live_server, "mermoz", PASSWORD)

    phone.get_by_role("link", name="Gérer cet abonnement").click()
    phone.get_by_role("link", name="Ajouter des ressources").click()
    total = phone.locator("#estimate td.total")
    phone.evaluate("window.__no_reload = true")
    phone.get_by_label("Ressources à ajouter").fill("2")
    # 60.00 a year x 183 / 365 = 30.08 per resource; 2 = 60.16, VAT 12.03.
    expect(total).to_have_attribute("data-total", "72.19")
    assert phone.evaluate("window.__no_reload") is True, "the price came without a page load"
    expect(phone.locator("#estimate")).to_contain_text("183 jours sur 365")
    assert fits_the_screen(phone)
    phone.wait_for_load_state("networkidle")  # no estimate request left to abort by leaving the page
    phone.get_by_role("button", name="Continuer vers le récapitulatif").click()
    phone.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    phone.get_by_role("button", name="Confirmer et émettre la facture").click()
    expect(phone).to_have_url(re.compile(r"/invoices/F-\d{4}-00001$"))
    assert fits_the_screen(phone)

    phone.get_by_role("link", name="Payer", exact=True).click()
    phone.get_by_role("button", name="Payer par carte bancaire").click()
    expect(phone).to_have_url(re.compile(r"/payments/demo/"))
    phone.get_by_role("button", name="Payer 72,19\u00a0€").click()
    expect(phone.get_by_text("est réglée")).to_be_visible()

    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    page_problems.watch(desk)
    staff_sign_in(desk, live_server, "agent@openflyers.example")
    desk.goto(f"{live_server}/staff/clients/mermoz")
    desk.get_by_role("link", name="Créer un abonnement").click()
    start = date.today() - timedelta(days=91)
    desk.get_by_label("Date de début").fill(start.isoformat())
    desk.get_by_label("Offre").select_option("first-price")
    desk.get_by_label("Nombre de ressources").fill("1")
    desk.get_by_label("Référence de bon de commande (facultatif)").fill("Centre simulateur")
    # First Price: 120 + 30 = 150.00 excl. VAT, 180.00 incl. VAT, for the whole year from the start date.
    expect(desk.locator("#estimate td.total")).to_have_attribute("data-total", "180.00")
    desk.wait_for_load_state("networkidle")
    desk.get_by_role("button", name="Continuer vers le récapitulatif").click()
    desk.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    desk.get_by_role("button", name="Confirmer et émettre la facture").click()
    expect(desk).to_have_url(re.compile(r"/staff/invoices/F-\d{4}-00002$"))

    phone.goto(f"{live_server}/")
    cards = phone.locator("section.subscription-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("5 ressources")
    expect(cards.nth(0).locator(".badge")).to_have_text("Actif")
    expect(cards.nth(1)).to_contain_text("Centre simulateur")
    expect(cards.nth(1)).to_contain_text(format_date(start, "medium", locale="fr"))
    expect(cards.nth(1).locator(".badge")).to_have_text("En attente de paiement")
    resources = phone.locator("#resources dd")
    expect(resources).to_have_text(["3", "6"])
    assert fits_the_screen(phone)
    assert not page_problems, page_problems
