"""Club and staff journeys in Chromium: sign-in with a pasted address and password reset by e-mail (A1, A2),
the back office's live search and reset link (A5, A6), and pages free of CSP violations and script errors."""
import re

import pytest
from playwright.sync_api import expect

from openflyers_account.models import StaffRole
from tests.conftest import PASSWORD, link_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase"
CONTACT = "tresorier@mermoz.example"
STAFF = "agent@openflyers.example"


def club_sign_in(page, base_url: str, identifier: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse de la plateforme").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def staff_sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/staff/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def partner_sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/partner/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_a1_a2_treasurer_signs_in_and_resets_the_password_in_a_browser(page, live_server, make, mailbox,
                                                                        page_problems):
    make.club("mermoz", name="Aéroclub Jean Mermoz", contact_email=CONTACT)

    club_sign_in(page, live_server, "https://mermoz.openflyers.fr/", PASSWORD)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aéroclub Jean Mermoz")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{live_server}/login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page).to_have_url(f"{live_server}/password/forgot")
    page.get_by_label("Adresse e-mail").fill(CONTACT)
    page.get_by_role("button", name="M'envoyer un lien de réinitialisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")
    expect(page.locator("main")).to_contain_text(CONTACT)

    [message] = mailbox.to(CONTACT)
    link = link_in(message)
    # The app builds the link from the host the request came to: here, the live server.
    assert link.startswith(f"{live_server}/password/reset/"), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    page.get_by_label(re.compile(r"^Nouveau mot de passe")).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("status")).to_have_text("Votre mot de passe a été modifié. Connectez-vous avec le nouveau.")

    club_sign_in(page, live_server, "mermoz", NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aéroclub Jean Mermoz")

    response = page.goto(link)
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien de réinitialisation non valide")
    expect(page.locator("main")).to_contain_text("n'est pas valide ou a déjà été utilisé")
    assert not page_problems, page_problems


def test_a5_staff_finds_a_club_with_the_live_search_and_sends_a_reset_link(page, live_server, make, mailbox,
                                                                             page_problems):
    make.club("mermoz", name="Aéroclub Jean Mermoz", contact_email=CONTACT)
    make.club("guillaumet", name="Aéroclub Henri Guillaumet")
    make.staff(StaffRole.STAFF, email=STAFF)

    staff_sign_in(page, live_server, STAFF)
    expect(page).to_have_url(f"{live_server}/staff/")
    page.evaluate("window.__marker = 1")
    page.get_by_role("searchbox").press_sequentially("Mermoz", delay=20)
    results = page.locator("#client-results")
    expect(results.get_by_role("link", name="mermoz")).to_be_visible()
    expect(results.get_by_role("link", name="guillaumet")).to_have_count(0)
    # htmx swapped the results in: the same document, no page load.
    assert page.evaluate("window.__marker") == 1

    results.get_by_role("link", name="mermoz").click()
    expect(page).to_have_url(f"{live_server}/staff/clients/mermoz")
    assert page.evaluate("typeof window.__marker") == "undefined"
    page.get_by_role("button", name="Envoyer un lien de réinitialisation du mot de passe").click()
    expect(page).to_have_url(f"{live_server}/staff/clients/mermoz")
    expect(page.get_by_role("status")).to_contain_text("Un lien de réinitialisation a été envoyé à")
    expect(page.get_by_role("status")).to_contain_text(CONTACT)

    received = mailbox.to(CONTACT)
    assert len(received) == 1 and "/password/reset/" in link_in(received[0])
    assert not page_problems, page_problems


CLUB_PAGES = ["/", "/account"]
PUBLIC_PAGES = ["/login", "/password/forgot", "/password/reset/not-a-token", "/staff/login", "/no-such-page"]
STAFF_PAGES = ["/staff/", "/staff/clients", "/staff/clients?q=mermoz", "/staff/clients/mermoz", "/staff/audit"]


def test_pages_load_without_csp_violations_or_script_errors(page, live_server, make, mailbox, page_problems):
    make.club("mermoz", contact_email=CONTACT)
    make.staff(StaffRole.ADMIN, email=STAFF)
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    # A form sent with errors re-renders the page (422) with its messages.
    page.goto(f"{live_server}/login")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert").first).to_be_visible()

    club_sign_in(page, live_server, "mermoz", PASSWORD)
    for path in CLUB_PAGES:
        page.goto(live_server + path)
    staff_sign_in(page, live_server, STAFF)
    for path in STAFF_PAGES:
        page.goto(live_server + path)
    page.goto(f"{live_server}/staff/clients")
    page.get_by_role("searchbox").fill("merm")
    expect(page.locator("#client-results").get_by_role("link", name="mermoz")).to_be_visible()
    # htmx ran: it is the script most likely to trip over the Content-Security-Policy.
    assert page.evaluate("typeof window.htmx") == "object"
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not page_problems, page_problems


def test_the_csp_watch_sees_a_violation(page, live_server, page_problems):
    """The console watch is not blind: an inline style the policy forbids is reported."""
    page.goto(f"{live_server}/login")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(100)
    assert any("Content Security Policy" in line for line in page_problems.console), page_problems


def test_the_axe_watch_checks_every_page_and_sees_a_violation(page, live_server, page_problems):
    """axe-core runs on each page loaded, and is not blind: an image without a text alternative is reported."""

    def checked(path: str) -> bool:
        for _ in range(50):
            if live_server + path in page_problems.checked:
                return True
            page.wait_for_timeout(100)
        return False

    for path in ("/login", "/catalogue"):
        page.goto(live_server + path)
        assert checked(path), page_problems.checked
    assert page_problems.accessibility == []
    page.route(f"{live_server}/broken", lambda route: route.fulfill(content_type="text/html", body=(
        '<!doctype html><html lang="fr"><head><title>x</title></head><body><main><h1>x</h1>'
        '<img src="/static/favicon.svg"></main></body></html>')))
    page.goto(f"{live_server}/broken")
    assert checked("/broken")
    assert any(line.startswith(f"image-alt on {live_server}/broken") for line in page_problems.accessibility)
    page_problems.accessibility.clear()  # seen: the fixture's own check after the test stays quiet
