"""A partner's journey in Chromium at phone width: it signs in, finds a club by search, starts a subscription dated
next month with a PO reference, reviews, confirms and pays by transfer; staff import the statement; the partner
sees the invoice paid and the club sees its new subscription (B1-B4, M2, M5, R10)."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from openflyers_account.extensions import db
from openflyers_account.models import Invoice, StaffRole
from openflyers_account.partners import operations
from tests.browser.test_account_browser import club_sign_in, partner_sign_in, staff_sign_in
from tests.browser.test_payments_browser import import_and_confirm
from tests.browser.test_subscriptions_browser import PHONE, fits_the_screen
from tests.conftest import PASSWORD
from tests.domain.camt_factory import CamtEntry, camt053

pytestmark = pytest.mark.browser

EMAIL = "contact@federation.example"


def test_b1_b3_m2_partner_starts_a_subscription_for_a_club_pays_by_transfer_and_the_club_sees_it(
        browser, live_server, make, tmp_path, page_problems):
    partner = operations.add_partner(EMAIL, "Fédération régionale", "cli", Decimal("10"), "Accord fédéral",
                                     password=PASSWORD)
    for subdomain, name in (("mermoz", "Aéroclub Jean Mermoz"), ("guillaumet", "Aéroclub Henri Guillaumet")):
        make.club(subdomain, name=name, resources=1)
        operations.link_club(partner.id, subdomain, "cli")
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    page_problems.watch(phone)

    partner_sign_in(phone, live_server, EMAIL)
    expect(phone).to_have_url(f"{live_server}/partner/clients")
    phone.get_by_label("Rechercher un club").fill("mermoz")
    expect(phone.locator("table.clients tbody tr")).to_have_count(1)
    phone.get_by_role("link", name="Aéroclub Jean Mermoz").click()
    phone.get_by_role("link", name="Créer un abonnement").click()
    start = date.today() + timedelta(days=31)
    phone.get_by_label("Date de début").fill(start.isoformat())
    phone.get_by_label("Nombre de ressources").fill("2")
    phone.get_by_label("Référence de bon de commande (facultatif)").fill("Base de Toussus")
    # Business: (300 + 2 x 60) = 420, the partner's 10 % = 378.00 excl. VAT, 453.60 incl. VAT.
    expect(phone.locator("#estimate td.total")).to_have_attribute("data-total", "453.60")
    expect(phone.locator("#estimate")).to_contain_text("Remise partenaire (10 %)")
    assert fits_the_screen(phone)
    phone.wait_for_load_state("networkidle")
    phone.get_by_role("button", name="Continuer vers le récapitulatif").click()
    phone.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    phone.get_by_role("button", name="Confirmer et émettre la facture").click()
    expect(phone).to_have_url(re.compile(r"/partner/invoices/F-\d{4}-00001$"))
    invoice = db.session.query(Invoice).one()
    assert invoice.partner_id == partner.id and invoice.po_reference == "Base de Toussus"

    phone.get_by_role("link", name="Payer", exact=True).click()
    phone.get_by_role("link", name="Payer par virement").click()
    expect(phone.get_by_text("453,60")).not_to_have_count(0)
    phone.get_by_role("button", name="J'ai effectué le virement").click()
    expect(phone.locator("p.flash-success")).to_contain_text("Merci")
    assert fits_the_screen(phone)

    statement = tmp_path / "releve.xml"
    statement.write_bytes(camt053([CamtEntry(amount=Decimal("453.60"), debtor_name="FEDERATION REGIONALE",
                                             creditor_reference=invoice.creditor_reference,
                                             servicer_ref="BANK-REF-P1", booking_date=date.today())]))
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    desk = browser.new_context(locale="fr-FR").new_page()
    page_problems.watch(desk)
    staff_sign_in(desk, live_server, "agent@openflyers.example")
    import_and_confirm(desk, live_server, statement, invoice.number)

    phone.goto(f"{live_server}/partner/invoices")
    expect(phone.locator("td", has_text=invoice.number).locator("xpath=..")).to_contain_text("payée")

    club = browser.new_context(locale="fr-FR", viewport=PHONE).new_page()
    page_problems.watch(club)
    club_sign_in(club, live_server, "mermoz", PASSWORD)
    card = club.locator("section.subscription-card")
    expect(card).to_have_count(1)
    expect(card.locator(".period")).to_contain_text(format_date(start, "medium", locale="fr"))
    expect(card.locator(".badge")).to_have_text("Programmé")
    expect(club.get_by_text("Fédération régionale").first).to_be_visible()
    expect(club.get_by_text(invoice.number)).to_have_count(0)
    expect(club.get_by_text("453,60")).to_have_count(0)
    context.close()
    assert not page_problems, page_problems
