"""Security baseline: CSRF everywhere, cookies, CSP, vendored htmx, no leak between clubs."""
import re

import pytest

from openflyers_account import create_app
from tests.conftest import PASSWORD, csrf_token, post_form


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html, "inline style"
    assert "onclick" not in html.lower()


def test_htmx_is_served_from_static_never_a_cdn(client):
    html = client.get("/login").get_data(as_text=True)
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert client.get(sources[0]).status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax(client, make, sign_in):
    make.club("mermoz")
    response = sign_in("mermoz")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_sets_secure_cookies_and_refuses_dev_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENFLYERS_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_TRANSPORT"] == "smtp"


@pytest.mark.parametrize("path, data", [
    ("/login", {"identifier": "mermoz", "password": PASSWORD}),
    ("/password/forgot", {"email": "contact@mermoz.example"}),
    ("/language", {"language": "en"}),
    ("/staff/login", {"email": "a@b.example", "password": PASSWORD}),
])
def test_every_post_needs_the_csrf_token(client, make, mailbox, path, data):
    make.club("mermoz")
    for token in (None, "forged-token"):
        payload = dict(data) if token is None else {**data, "csrf_token": token}
        response = client.post(path, data=payload)
        assert response.status_code == 400
        assert "expiré" in response.get_data(as_text=True)
    assert mailbox.messages == []
    assert client.get("/").status_code == 302


def test_htmx_requests_carry_the_token_in_a_header(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    html = client.get("/account").get_data(as_text=True)
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert header, "the page gives htmx its CSRF header"
    data = {"structure_email": "new@mermoz.example", "contact_email": ""}
    assert client.post("/account", data=data, headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/account", data=data, headers={"HX-Request": "true", "X-CSRFToken": header.group(1)})
    assert response.status_code == 302


def test_a_club_never_sees_another_clubs_data(client, make, sign_in):
    make.club("mermoz", name="Aéroclub Mermoz", contact_email="secret-mermoz@example.org")
    make.club("guillaumet", name="Aéroclub Guillaumet")
    sign_in("guillaumet")
    for path in ("/", "/account", "/staff/clients/mermoz", "/staff/clients?q=mermoz", "/staff/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "secret-mermoz" not in page and "Aéroclub Mermoz" not in page


def test_no_page_is_cached_by_shared_caches(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_csrf_token_is_bound_to_the_session(client, app, make):
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
