"""The renewal in Chromium: the price follows the typing without a page load, the floor message, the
confirmation, and a PDF whose embedded Factur-X carries the total shown (R3, P4, I4)."""
import re
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from playwright.sync_api import expect

from openflyers_account.invoicing.pdf import extract_facturx_xml
from tests.billing_helpers import add_paid_period
from tests.browser.test_account_browser import club_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def test_r3_p4_i4_treasurer_renews_with_a_live_price_and_downloads_the_invoice(page, live_server, make,
                                                                               page_problems):
    club = make.club("mermoz", offer="business", resources=4)
    add_paid_period(club, days_to_end=30)
    club_sign_in(page, live_server, "mermoz", PASSWORD)
    page.get_by_role("link", name="Renouveler maintenant").click()
    expect(page).to_have_url(re.compile(rf"{live_server}/renewal\?subscription=\d+$"))
    total = page.locator("#estimate td.total")
    # Business: (300 + 4 x 60) = 540 excl. VAT, 648.00 incl. VAT.
    expect(total).to_have_attribute("data-total", "648.00")
    page.evaluate("window.__no_reload = true")

    resources = page.get_by_label("Nombre de ressources")
    resources.fill("6")
    expect(total).to_have_attribute("data-total", "792.00")  # (300 + 6 x 60) x 1.2
    page.get_by_label("Durée d'engagement").select_option("3")
    expect(total).to_have_attribute("data-total", "2138.40")  # 660 x 3 = 1980, -10 % = 1782, x 1.2

    resources.fill("2")
    expect(page.locator("#resources-errors")).to_contain_text("4 ressources activées")
    expect(page.locator("#estimate td.total")).to_have_count(0)
    assert page.evaluate("window.__no_reload") is True, "the page reloaded"

    resources.fill("5")
    expect(page.locator("#estimate td.total")).to_have_attribute("data-total", "1944.00")  # (300 + 5 x 60) x 3 = 1800, -10 % = 1620, x 1.2
    page.get_by_label("Référence de bon de commande (facultatif)").fill("BC-2026-42")
    page.get_by_role("button", name="Continuer vers le récapitulatif").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre renouvellement")
    page.get_by_label("J'ai lu et j'accepte les conditions générales de vente.").check()
    page.get_by_role("button", name="Confirmer et émettre la facture").click()
    expect(page).to_have_url(f"{live_server}/invoices/F-{date.today().year}-00001")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    pdf = open(download_info.value.path(), "rb").read()
    xml = etree.fromstring(extract_facturx_xml(pdf))
    assert Decimal(xml.findtext(".//ram:GrandTotalAmount", namespaces=NS)) == Decimal("1944.00")
    assert xml.findtext(".//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == "BC-2026-42"
    assert not page_problems, page_problems
