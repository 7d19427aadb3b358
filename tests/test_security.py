"""Security baseline: CSRF everywhere, cookies, CSP, vendored htmx, no leak between clubs."""
import re
from datetime import date

import pytest

from openflyers_account import create_app
from openflyers_account.subscriptions import operations as subscription_operations
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.pricing import Term
from openflyers_account.models import StaffRole
from tests.conftest import PASSWORD, csrf_token, link_in

SITE_URL = "https://compte.openflyers.example"


def test_a1_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html, "inline style"
    assert "onclick" not in html.lower()


def test_a1_htmx_is_served_from_static_never_a_cdn(client):
    html = client.get("/login").get_data(as_text=True)
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert client.get(sources[0]).status_code == 200


def test_a1_session_cookie_is_httponly_and_samesite_lax(client, make, sign_in):
    make.club("mermoz")
    response = sign_in("mermoz")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def production_environment(monkeypatch, tmp_path):
    """Everything production needs, except what a test removes."""
    monkeypatch.setenv("OPENFLYERS_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name, value in {"SECRET_KEY": "a real secret", "SITE_URL": SITE_URL, "STRIPE_SECRET_KEY": "sk_live_x",
                        "STRIPE_WEBHOOK_SECRET": "whsec_x", "SELLER_IBAN": "DE89370400440532013000",
                        "SELLER_BIC": "COBADEFFXXX"}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a1_production_config_sets_secure_cookies_and_refuses_dev_defaults(production_environment):
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_TRANSPORT"] == "smtp"
    production_environment.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("site_url", [None, "", "compte.openflyers.example", "ftp://compte.openflyers.example",
                                      "https://", "javascript:alert(1)", "https://compte.example/?next=x"])
def test_a2_production_refuses_to_start_without_a_site_url(production_environment, site_url):
    if site_url is None:
        production_environment.delenv("SITE_URL")
    else:
        production_environment.setenv("SITE_URL", site_url)
    with pytest.raises(RuntimeError, match="SITE_URL must be set"):
        create_app()


def test_a2_reset_links_are_built_on_site_url_whatever_the_host_header(app_config, make, mailbox):
    app = create_app({**app_config, "SITE_URL": SITE_URL + "/"})
    make.club("mermoz", contact_email="tresorier@example.org")
    forged = app.test_client()
    page = forged.get("/password/forgot", base_url="http://evil.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = forged.post("/password/forgot", base_url="http://evil.example", headers={"Host": "evil.example"},
                           data={"email": "tresorier@example.org", "csrf_token": token})
    assert response.status_code == 200
    (message,) = mailbox.to("tresorier@example.org")
    assert link_in(message).startswith(SITE_URL + "/password/reset/")
    assert "evil.example" not in message.get_body(("plain",)).get_content()


#: A value for each URL argument; the CSRF check comes before the view, so they need not exist.
URL_VALUES = {"number": "F-2026-00001", "token": "a-token", "subdomain": "mermoz", "payment_id": 1,
              "statement_id": 1, "entry_id": 1, "session_ref": "a-session", "subscription_id": 1, "partner_id": 1}


def _post_rules() -> list[tuple[str, str]]:
    """Every URL that takes a POST, but the providers' webhooks (signed by the provider, not a browser form)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    urls = app.url_map.bind("localhost")
    return sorted((rule.endpoint, urls.build(rule.endpoint, {name: URL_VALUES[name] for name in rule.arguments}))
                  for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.endpoint.startswith("webhooks."))


POST_RULES = _post_rules()


def test_a1_the_csrf_sweep_covers_the_club_and_staff_forms():
    endpoints = {endpoint for endpoint, _ in POST_RULES}
    assert {"accounts.login", "accounts.logout", "accounts.account", "subscriptions.confirm", "payments.card_checkout",
            "staff.login", "staff.logout", "staff.send_reset", "staff.record_payment", "set_language"} <= endpoints
    assert len(endpoints) >= 25


@pytest.mark.parametrize("endpoint, path", POST_RULES, ids=[endpoint for endpoint, _ in POST_RULES])
def test_a1_every_post_needs_the_csrf_token(client, make, mailbox, sign_in, staff_sign_in, endpoint, path):
    make.club("mermoz")
    if endpoint.startswith("staff."):
        make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
        staff_sign_in("admin@openflyers.example")
        home = "/staff/"
    else:
        sign_in("mermoz")
        home = "/"
    mailbox.clear()
    data = {"email": "contact@mermoz.example", "identifier": "mermoz", "password": PASSWORD, "language": "en",
            "structure_email": "evil@example.org", "submit": "1"}
    for token in (None, "forged-token"):
        payload = dict(data) if token is None else {**data, "csrf_token": token}
        response = client.post(path, data=payload)
        assert response.status_code == 400, (path, response.status_code)
        assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert mailbox.messages == []
    # Nothing happened: still signed in (even on the sign-out URLs), and in French.
    assert client.get(home).status_code == 200
    assert 'lang="fr"' in client.get(home).get_data(as_text=True)


def test_a1_htmx_requests_carry_the_token_in_a_header(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    html = client.get("/account").get_data(as_text=True)
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert header, "the page gives htmx its CSRF header"
    data = {"structure_email": "new@mermoz.example", "contact_email": ""}
    assert client.post("/account", data=data, headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/account", data=data, headers={"HX-Request": "true", "X-CSRFToken": header.group(1)})
    assert response.status_code == 302


def test_a1_a_club_never_sees_another_clubs_data(client, make, sign_in):
    mermoz = make.club("mermoz", name="Aéroclub Mermoz", contact_email="secret-mermoz@example.org")
    invoice = subscription_operations.issue_renewal(mermoz.id, None, SubscriptionOrder(offer_code="business", resources=3, term=Term.ONE_YEAR), date.today(), "test")
    make.club("guillaumet", name="Aéroclub Guillaumet")
    sign_in("guillaumet")
    for path in ("/", "/account", "/invoices"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert path == "/invoices" or "Aéroclub Guillaumet" in page, path
        assert "secret-mermoz" not in page and "Aéroclub Mermoz" not in page and invoice.number not in page, path
    for path in (f"/invoices/{invoice.number}", f"/invoices/{invoice.number}.pdf", f"/invoices/{invoice.number}/pay",
                 f"/invoices/{invoice.number}/pay/transfer"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Aéroclub Mermoz" not in response.get_data(as_text=True)
    for path in ("/staff/", "/staff/clients/mermoz", "/staff/clients?q=mermoz", "/staff/audit",
                 f"/staff/invoices/{invoice.number}"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login"), path
        assert "secret-mermoz" not in response.get_data(as_text=True)


def test_a1_no_page_is_cached_by_shared_caches(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_a1_csrf_token_is_bound_to_the_session(client, app, make):
    make.club("mermoz")
    token = csrf_token(client)
    other = app.test_client()
    response = other.post("/login", data={"identifier": "mermoz", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400


def test_m1_forms_may_be_redirected_to_the_card_providers_page_only(app_config):
    stripe_app = create_app({**app_config, "PAYMENT_PROVIDER": "stripe"})
    policy = stripe_app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com;" in policy
    demo_policy = create_app(app_config).test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self';" in demo_policy
