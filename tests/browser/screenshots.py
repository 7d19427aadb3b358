"""Screenshots of the pages at phone and desktop widths, on demo data, to look at the layout.

    .venv/bin/python -m tests.browser.screenshots OUTDIR

Starts the app on a throw-away SQLite database (migrated, demo data loaded), serves it on a free
loopback port and drives Debian's Chromium; writes OUTDIR/<page>-<width>.png, full page, in French.

Before the billing pages, it makes what they show through the app's own services and pages: a renewal
invoice for latecoere with two cheques (one on a deposit slip), a transfer the club says it sent and a bank
statement; then mermoz's renewal, reviewed and confirmed in the browser, paid by card up to the demo page.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from openflyers_account import create_app
from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.demo import DEMO_PASSWORD, load_demo_data
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import Club, StaffUser
from openflyers_account.payments.deposits import create_deposit_slip
from openflyers_account.payments.operations import declare_payment, record_payment
from openflyers_account.payments.statements import import_statement
from tests.browser.conftest import launch_chromium, serve
from tests.domain.camt_factory import CamtEntry, camt053

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CLUB = "mermoz"
STAFF = "admin@openflyers.example"
PARTNER = "partenaire@federation.example"
PUBLIC_PAGES = [("login", "/login"), ("forgot", "/password/forgot"), ("staff-login", "/staff/login"),
                ("partner-login", "/partner/login"),
                ("catalogue", "/catalogue")]
CLUB_PAGES = [("dashboard", "/"), ("account", "/account"), ("subscriptions", "/subscriptions")]
#: The renewal choice reviewed then confirmed in the browser (mermoz has 4 activated resources); the
#: subscription renewed is mermoz's first one (it has two).
RENEWAL = {"offer": "business", "resources": "5", "term": "3", "po_reference": "BC-2026-0042/TRESORERIE"}


def demo_app(folder: Path):
    """The app on a new SQLite database in `folder`, migrated, with the demo data."""
    os.environ["INSTANCE_PATH"] = str(folder)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'screenshots.sqlite'}",
        "SECRET_KEY": "screenshots",
        "MAIL_TRANSPORT": "file",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "RATELIMIT_ENABLED": False,
    })
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        load_demo_data()
        db.session.remove()
    return app


def billing_data(app) -> dict[str, str]:
    """Latecoere's renewal invoice with two cheques (one deposited), a declared transfer and a bank statement,
    made through the services; returns the numbers and ids the staff pages need."""
    today = date.today()
    with app.test_request_context():
        club_id = db.session.scalar(select(Club.id).where(Club.subdomain == "latecoere"))
        staff_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == STAFF))
        invoice = issue_renewal(club_id, None, SubscriptionOrder("premiere", 7, Term.ONE_YEAR, "Commande 2026/17"), today, "test")
        number, invoice_id, reference = invoice.number, invoice.id, invoice.creditor_reference
        first = record_payment(invoice_id, Decimal("150.00"), PaymentMethod.CHEQUE, today - timedelta(days=2),
                               db.session.get(StaffUser, staff_id), reference="0004521", bank="Banque Populaire Occitane",
                               drawer="Cercle aérien Latécoère", note="Reçu au courrier avec la facture annotée")
        record_payment(invoice_id, Decimal("75.50"), PaymentMethod.CHEQUE, today - timedelta(days=1),
                       db.session.get(StaffUser, staff_id), reference="0004522", bank="Crédit Agricole Toulouse 31",
                       drawer="M. Pierre-Georges Latécoère, trésorier adjoint")
        slip = create_deposit_slip([first.id], db.session.get(StaffUser, staff_id), today)
        declare_payment(db.session.get(Club, club_id), number, PaymentMethod.TRANSFER,
                        "Virement fait depuis le compte du club le " + today.strftime("%d/%m/%Y"))
        statement = import_statement(db.session.get(StaffUser, staff_id), camt053([
            CamtEntry(amount=Decimal("100.00"), creditor_reference=reference, servicer_ref="SCREEN-1",
                      debtor_name="CERCLE AERIEN LATECOERE", booking_date=today),
            CamtEntry(amount=Decimal("432.10"), debtor_name="ASSOCIATION AEROCLUB DU PAYS DE LA LOIRE ET DE L'OUEST",
                      remittance=("COTISATION LOGICIEL RESERVATION AVIONS ANNEE EN COURS REF CLIENT 000123456789",),
                      servicer_ref="SCREEN-2", booking_date=today),
        ], statement_id=f"RELEVE-{today.isoformat()}-0001"))
        mermoz = db.session.scalar(select(Club).where(Club.subdomain == CLUB))
        first, second = (subscription.id for subscription in mermoz.subscriptions)
        ids = {"latecoere_invoice": number, "slip": slip.number, "statement": str(statement.id),
               "subscription": str(first), "second_subscription": str(second)}
        db.session.remove()
    return ids


def sign_in(page, url: str, fields: dict[str, str]) -> None:
    page.goto(url)
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/login" in page.url:
        raise SystemExit(f"could not sign in at {url}")


#: What sticks out sideways: the page wider than the window, and boxes whose content scrolls sideways.
OVERFLOW_SCRIPT = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.push(`page ${root.scrollWidth}px > ${root.clientWidth}px`);
  for (const box of document.querySelectorAll("main *")) {
    const style = getComputedStyle(box);
    if (box.scrollWidth > box.clientWidth + 1 && ["auto", "scroll"].includes(style.overflowX)) {
      found.push(`${box.tagName.toLowerCase()}.${[...box.classList].join(".")} scrolls ${box.scrollWidth}px > ${box.clientWidth}px`);
    }
  }
  for (const card of document.querySelectorAll("main .card")) {
    const edge = card.getBoundingClientRect().right;
    const wide = [...card.querySelectorAll("table, pre, img, svg")].find(item => item.getBoundingClientRect().right > edge + 1);
    if (wide) found.push(`${wide.tagName.toLowerCase()}.${[...wide.classList].join(".")} sticks out of its card`);
  }
  return found;
}"""


def snap(page, out: Path, name: str, width: str) -> Path:
    target = out / f"{name}-{width}.png"
    page.screenshot(path=str(target), full_page=True)
    for problem in page.evaluate(OVERFLOW_SCRIPT):
        print(f"{target.name}: {problem}", file=sys.stderr)
    return target


def shoot(page, base_url: str, out: Path, name: str, path: str, width: str) -> Path:
    response = page.goto(base_url + path)
    if response is None or not response.ok:
        raise SystemExit(f"{path}: {response.status if response else 'no response'}")
    return snap(page, out, name, width)


def confirm_renewal(page, base_url: str, query: str) -> str:
    """Review the renewal, accept the terms and confirm, as a treasurer does; returns the invoice number."""
    page.goto(f"{base_url}/renewal/review?{query}")
    page.check("#accept_terms")
    with page.expect_navigation():
        page.click("main form[action$='/renewal/confirm'] button[type=submit]")
    if "/invoices/" not in page.url:
        raise SystemExit(f"the renewal was not confirmed: {page.url}")
    return page.url.rsplit("/", 1)[1]


def take_screenshots(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with tempfile.TemporaryDirectory(prefix="ofa-screenshots-") as folder:
        app = demo_app(Path(folder))
        ids = billing_data(app)
        base_url, stop = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                contexts = {width: browser.new_context(locale="fr-FR", viewport=viewport)
                            for width, viewport in VIEWPORTS.items()}
                pages = {width: context.new_page() for width, context in contexts.items()}

                def each(shots):
                    for width, page in pages.items():
                        taken.extend(shoot(page, base_url, out, name, path, width) for name, path in shots)

                each(PUBLIC_PAGES)
                for page in pages.values():
                    sign_in(page, f"{base_url}/login", {"identifier": CLUB, "password": DEMO_PASSWORD})
                query = "&".join(f"{k}={v}" for k, v in {**RENEWAL, "subscription": ids["subscription"]}.items())
                subscription = f"/subscriptions/{ids['subscription']}"
                each([*CLUB_PAGES, ("renewal-choose", "/renewal"),
                      ("renewal", f"/renewal?subscription={ids['subscription']}"),
                      ("review", f"/renewal/review?{query}"), ("subscription", subscription),
                      ("subscription-notice", f"/subscriptions/{ids['second_subscription']}"),
                      ("add-resources", f"{subscription}/resources?added=2"),
                      ("add-review", f"{subscription}/resources/review?added=2")])

                number = confirm_renewal(pages["phone"], base_url, query)
                each([("invoice", f"/invoices/{number}"), ("invoices", "/invoices"),
                      ("pay", f"/invoices/{number}/pay"), ("pay-transfer", f"/invoices/{number}/pay/transfer"),
                      ("pay-cheque", f"/invoices/{number}/pay/cheque")])
                for width, page in pages.items():
                    page.goto(f"{base_url}/invoices/{number}/pay")
                    with page.expect_navigation():
                        page.click("main form[action$='/pay/card'] button[type=submit]")
                    if "/payments/demo/" not in page.url:
                        raise SystemExit(f"the card button did not lead to the demo page: {page.url}")
                    taken.append(snap(page, out, "pay-card-demo", width))

                for page in pages.values():
                    sign_in(page, f"{base_url}/staff/login", {"email": STAFF, "password": DEMO_PASSWORD})
                each([("staff-home", "/staff/"), ("staff-clients", "/staff/clients"),
                      ("staff-client", "/staff/clients/latecoere"), ("staff-client-two", "/staff/clients/mermoz"),
                      ("staff-subscription", f"/staff/clients/mermoz/subscriptions/{ids['subscription']}"),
                      ("staff-start", "/staff/clients/mermoz/subscriptions/new"),
                      ("staff-invoice", f"/staff/invoices/{number}"),
                      ("staff-invoice-payments", f"/staff/invoices/{ids['latecoere_invoice']}"),
                      ("staff-catalogue", "/staff/catalogue"), ("staff-statements", "/staff/statements"),
                      ("staff-statement", f"/staff/statements/{ids['statement']}"),
                      ("staff-deposits", "/staff/deposits"), ("staff-deposit", f"/staff/deposits/{ids['slip']}"),
                      ("staff-audit", "/staff/audit"), ("staff-partners", "/staff/partners"),
                      ("staff-partner", "/staff/partners/1")])
                for page in pages.values():
                    sign_in(page, f"{base_url}/partner/login", {"email": PARTNER, "password": DEMO_PASSWORD})
                each([("partner-clients", "/partner/clients"), ("partner-client", "/partner/clients/guillaumet"),
                      ("partner-start", "/partner/clients/guillaumet/subscriptions/new"),
                      ("partner-invoices", "/partner/invoices")])
                for context in contexts.values():
                    context.close()
                browser.close()
        finally:
            stop()
    return taken


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for path in take_screenshots(Path(sys.argv[1])):
        print(path)
