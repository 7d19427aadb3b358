"""A partner signs in with its e-mail address and password, with the clubs' rules (B1, A2-A4)."""
import pytest
from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import Partner
from openflyers_account.partners import operations
from tests.conftest import PASSWORD, link_in, post_form, post_from

EMAIL = "contact@federation.example"


@pytest.fixture
def partner(app):
    return operations.add_partner(EMAIL, "Fédération régionale", "cli", password=PASSWORD)


def partner_sign_in(client, email: str = EMAIL, password: str = PASSWORD):
    return post_form(client, "/partner/login", {"email": email, "password": password})


def test_b1_a_partner_signs_in_and_lands_on_its_clients(client, partner):
    response = partner_sign_in(client, email="Contact@Federation.example")
    assert response.status_code == 302 and response.headers["Location"] == "/partner/clients"
    assert client.get("/partner/clients").status_code == 200


@pytest.mark.parametrize("email, password", [(EMAIL, "wrong password!"), ("nobody@federation.example", PASSWORD)])
def test_a4_wrong_credentials_get_one_message(client, partner, email, password):
    response = partner_sign_in(client, email, password)
    assert response.status_code == 422
    assert "Adresse e-mail inconnue ou mot de passe erroné" in response.get_data(as_text=True)
    assert client.get("/partner/clients").headers["Location"].startswith("/partner/login")


def test_b1_a_partner_is_not_a_club_nor_staff(client, partner, make):
    make.club("mermoz")
    partner_sign_in(client)
    for path in ("/", "/subscriptions", "/invoices", "/renewal"):
        assert client.get(path).headers["Location"].startswith("/login"), path
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_b1_a_club_or_staff_is_not_a_partner(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    assert client.get("/partner/clients").headers["Location"].startswith("/partner/login")


def test_a2_the_reset_page_answers_the_same_and_the_link_works_once(client, partner, mailbox):
    for email in ("nobody@federation.example", EMAIL):
        response = post_form(client, "/partner/password/forgot", {"email": email})
        assert response.status_code == 200 and "Consultez votre messagerie" in response.get_data(as_text=True)
    (message,) = mailbox.to(EMAIL)
    link = link_in(message)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = post_form(client, f"/{path}", {"password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    assert client.get(f"/{path}").status_code == 400, "the link works once"
    assert partner_sign_in(client, password="a brand new password").status_code == 302


def test_a2_a_club_reset_link_does_not_open_a_partner_account(client, partner, make, mailbox):
    make.club("mermoz", structure_email=EMAIL)
    post_form(client, "/password/forgot", {"email": EMAIL})
    club_link = next(link_in(m) for m in mailbox.to(EMAIL) if "/password/reset/" in link_in(m))
    token = club_link.rsplit("/", 1)[1]
    assert client.get(f"/partner/password/reset/{token}").status_code == 400


def test_a2_a_password_change_ends_the_other_sessions(client, app, partner):
    partner_sign_in(client)
    stored = db.session.scalar(select(Partner))
    from openflyers_account.partners.accounts import reset_password, reset_token

    with app.test_request_context():
        reset_password(reset_token(stored), "another long password")
    assert client.get("/partner/clients").headers["Location"].startswith("/partner/login")


def test_a3_sign_in_and_reset_requests_are_rate_limited_per_address_and_per_email(limited_app, client, partner,
                                                                                   mailbox):
    per_address = [partner_sign_in(client, f"x{i}@federation.example", "wrong password!").status_code
                   for i in range(4)]
    assert per_address == [422, 422, 422, 429]
    per_email = [post_from(client, f"10.0.4.{i}", "/partner/login", {"email": EMAIL, "password": "wrong password!"})
                 .status_code for i in range(4)]
    assert per_email == [422, 422, 422, 429]
    resets = [post_from(client, f"10.0.5.{i}", "/partner/password/forgot", {"email": EMAIL}).status_code
              for i in range(3)]
    assert resets == [200, 200, 429] and len(mailbox.to(EMAIL)) == 2
