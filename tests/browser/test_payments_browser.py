"""Payments in Chromium: a card payment through the demo provider (M1, R4), and a declared transfer that a staff
member imports from a bank statement and confirms, which the club then sees paid (M2, M5)."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.pricing import Term
from openflyers_account.models import StaffRole
from tests.browser.test_account_browser import club_sign_in, staff_sign_in
from tests.conftest import PASSWORD
from tests.domain.camt_factory import CamtEntry, camt053

pytestmark = pytest.mark.browser


@pytest.fixture
def invoice(app, make):
    club = make.club("mermoz", offer="business", resources=1)
    with app.test_request_context():
        return issue_renewal(club.id, None, SubscriptionOrder("business", 1, Term.ONE_YEAR), date.today(), "test")


def test_m1_r4_treasurer_pays_by_card_and_sees_the_invoice_paid(page, live_server, invoice, page_problems):
    club_sign_in(page, live_server, "mermoz", PASSWORD)
    page.goto(f"{live_server}/invoices/{invoice.number}/pay")
    page.get_by_role("button", name="Payer par carte bancaire").click()
    expect(page).to_have_url(re.compile(r"/payments/demo/"))
    page.get_by_role("button", name="Payer 432,00\u00a0€").click()
    expect(page.get_by_text(f"la facture {invoice.number} est réglée")).to_be_visible(timeout=10_000)
    page.goto(f"{live_server}/invoices")
    expect(page.locator("td", has_text=invoice.number).locator("xpath=..")).to_contain_text("payée")
    expect_period_active(page, live_server)
    assert not page_problems, page_problems


def import_and_confirm(staff_page, live_server, statement, number: str) -> None:
    """Staff import a CAMT.053 file and confirm the payments it proposes, the invoice's among them (M5)."""
    staff_page.goto(f"{live_server}/staff/statements")
    staff_page.get_by_label("Relevé bancaire (fichier XML CAMT.053)").set_input_files(str(statement))
    staff_page.get_by_role("button", name="Importer le relevé").click()
    expect(staff_page.get_by_text(number).first).to_be_visible()
    staff_page.get_by_role("button", name="Confirmer les paiements cochés").first.click()


def expect_period_active(page, live_server) -> None:
    """The dashboard says the paid period is in production (R4), and nothing is left to pay."""
    page.goto(f"{live_server}/")
    subscription = page.locator("section.status")
    expect(subscription).to_have_class(re.compile(r"\bstatus-active\b"))
    expect(subscription.locator(".badge")).to_have_text("Actif")
    expect(subscription.locator(".period")).to_contain_text("Période en cours")
    expect(page.get_by_text("attend son règlement")).to_have_count(0)


def test_m2_m5_a_declared_transfer_is_imported_from_the_statement_and_shows_paid(browser, live_server, invoice, make,
                                                                                 tmp_path, page_problems):
    club_page = browser.new_context(locale="fr-FR").new_page()
    page_problems.watch(club_page)
    club_sign_in(club_page, live_server, "mermoz", PASSWORD)
    club_page.goto(f"{live_server}/invoices/{invoice.number}/pay/transfer")
    expect(club_page.locator("svg").first).to_be_visible()
    expect(club_page.get_by_text(invoice.creditor_reference[:4])).not_to_have_count(0)
    club_page.get_by_role("button", name="J'ai effectué le virement").click()
    expect(club_page.locator("p.flash-success")).to_contain_text(
        "Merci. Nous vous confirmerons par e-mail l'arrivée du virement sur notre compte")

    statement = tmp_path / "releve.xml"
    statement.write_bytes(camt053([CamtEntry(amount=invoice.total_incl_vat, debtor_name="AEROCLUB MERMOZ",
                                             creditor_reference=invoice.creditor_reference,
                                             servicer_ref="BANK-REF-1", booking_date=date.today())]))
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    staff_page = browser.new_context(locale="fr-FR").new_page()
    page_problems.watch(staff_page)
    staff_sign_in(staff_page, live_server, "agent@openflyers.example")
    # The declaration waits on the home page: in its own section, not only in the unpaid list.
    declaration = staff_page.locator("#declarations tbody tr", has_text=invoice.number)
    expect(declaration).to_have_count(1)
    expect(declaration).to_contain_text("virement")
    import_and_confirm(staff_page, live_server, statement, invoice.number)

    club_page.goto(f"{live_server}/invoices")
    expect(club_page.locator("td", has_text=invoice.number).locator("xpath=..")).to_contain_text("payée")
    expect_period_active(club_page, live_server)
    expect(club_page.get_by_text(invoice.number)).to_have_count(0)  # nothing left to pay on the dashboard
    assert not page_problems, page_problems
