"""The pages a treasurer and staff use, on a phone (390 px) and a desktop: nothing sticks out sideways, and
no page logs a script error or a CSP violation."""
from datetime import date

import pytest

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.subscriptions.queries import purpose_of
from openflyers_account.domain.pricing import Term
from openflyers_account.models import StaffRole
from openflyers_account.partners import operations
from tests.browser.screenshots import OVERFLOW_SCRIPT, VIEWPORTS
from tests.browser.test_account_browser import club_sign_in, partner_sign_in, staff_sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

CLUB_PAGES = ["/", "/account", "/renewal?offer=business&resources=12&term=3&po_reference=",
              "/renewal/review?offer=business&resources=12&term=3&po_reference=BC-2026-0042", "/invoices",
              "/invoices/{number}", "/invoices/{number}/pay", "/invoices/{number}/pay/transfer",
              "/invoices/{number}/pay/cheque", "/subscriptions", "/subscriptions/{subscription}",
              "/subscriptions/{subscription}/resources?added=2", "/subscriptions/{subscription}/resources/review?added=2",
              "/catalogue", "/statement"]
STAFF_PAGES = ["/staff/", "/staff/clients", "/staff/clients/latecoere", "/staff/invoices/{number}",
               "/staff/statements", "/staff/deposits", "/staff/audit", "/staff/catalogue",
               "/staff/clients/latecoere/subscriptions/{subscription}",
               "/staff/clients/latecoere/subscriptions/new", "/staff/partners", "/staff/partners/{partner}",
               "/staff/exports", "/staff/audit?club=latecoere"]
PARTNER_PAGES = ["/partner/clients", "/partner/clients/latecoere", "/partner/clients/latecoere/subscriptions/new",
                 "/partner/clients/latecoere/subscriptions/{subscription}", "/partner/invoices", "/partner/statement"]


def _visit_all(page, base_url: str, paths: list[str], number: str, subscription: int,
               partner: int = 0) -> dict[str, list[str]]:
    problems = {}
    for path in paths:
        url = base_url + path.format(number=number, subscription=subscription, partner=partner)
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        found = page.evaluate(OVERFLOW_SCRIPT)
        if found:
            problems[path] = found
    return problems


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a1_r3_pages_fit_a_phone_and_a_desktop(browser, live_server, app, make, width, page_problems):
    make.club("mermoz", name="Aéroclub Jean Mermoz de la vallée de la Garonne", resources=3)
    club = make.club("latecoere", resources=2)
    staff = make.staff(StaffRole.ADMIN)
    with app.test_request_context():
        invoice = issue_renewal(club.id, None, SubscriptionOrder("business", 2, Term.THREE_YEARS, "BC-2026-0042"), date.today(), "test")
        subscription = purpose_of(invoice).subscription_id
    partner = operations.add_partner("partner@federation.example", "Fédération régionale des aéroclubs du Sud-Ouest",
                                     "cli", password=PASSWORD)
    operations.link_club(partner.id, "latecoere", "cli")

    context = browser.new_context(locale="fr-FR", viewport=VIEWPORTS[width])
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page_problems.watch(page)
        club_sign_in(page, live_server, "latecoere", PASSWORD)
        page.wait_for_url(f"{live_server}/")
        club_problems = _visit_all(page, live_server, CLUB_PAGES, invoice.number, subscription)
        context.clear_cookies()
        staff_sign_in(page, live_server, staff.email)
        page.wait_for_url(f"{live_server}/staff/")
        staff_problems = _visit_all(page, live_server, STAFF_PAGES, invoice.number, subscription, partner.id)
        context.clear_cookies()
        partner_sign_in(page, live_server, "partner@federation.example")
        page.wait_for_url(f"{live_server}/partner/clients")
        partner_problems = _visit_all(page, live_server, PARTNER_PAGES, invoice.number, subscription)
    finally:
        context.close()
    assert club_problems == {}
    assert staff_problems == {}
    assert partner_problems == {}
    assert not page_problems, page_problems
