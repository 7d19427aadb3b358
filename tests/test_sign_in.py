"""Club sign-in by subdomain (A1, A4), sessions and redirects."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from openflyers_account.accounts import operations
from openflyers_account.extensions import db
from openflyers_account.models import Club
from tests.conftest import PASSWORD, csrf_token, post_form


@pytest.mark.parametrize("identifier", [
    "mermoz", "MERMOZ", "mermoz.openflyers.fr", "https://mermoz.openflyers.fr/", "https://openflyers.com/mermoz/",
])
def test_a1_club_signs_in_with_what_it_pastes(client, make, identifier):
    make.club("mermoz", name="Aéroclub Jean Mermoz")
    response = post_form(client, "/login", {"identifier": identifier, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Aéroclub Jean Mermoz" in page


@pytest.mark.parametrize("identifier, password", [
    ("mermoz", "wrong password!"), ("nobody", PASSWORD), ("mermoz.openflyers.fr.evil.example", PASSWORD),
])
def test_a1_wrong_credentials_get_one_clear_message(client, make, identifier, password):
    make.club("mermoz")
    response = post_form(client, "/login", {"identifier": identifier, "password": password})
    assert response.status_code == 422
    assert "Compte inconnu ou mot de passe erroné" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a4_password_is_stored_as_argon2id(make):
    club = make.club()
    assert club.password_hash.startswith("$argon2id$")
    assert PASSWORD not in club.password_hash


@pytest.mark.parametrize("next_url, landing", [
    ("/account", "/account"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_a1_sign_in_never_redirects_off_site(client, make, next_url, landing):
    make.club("mermoz")
    response = post_form(client, f"/login?next={next_url}", {"identifier": "mermoz", "password": PASSWORD},
                         token_from="/login")
    assert response.headers["Location"] == landing


def test_a1_pages_of_the_club_need_a_signed_in_club(client):
    for path in ("/", "/account"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_a1_sign_out_is_a_post_with_its_csrf_token(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    # A GET (a link, a prefetch, an <img src>) only shows the button.
    page = client.get("/logout")
    assert page.status_code == 200
    assert '<form method="post" action="/logout" class="actions">' in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/logout").headers["Location"] == "/login"


def test_a2_sessions_end_when_the_password_changes(client, make, sign_in, app):
    club = make.club("mermoz")
    sign_in("mermoz")
    from openflyers_account.accounts import operations

    operations.set_club_password(db.session.get(Club, club.id), "another long password")
    assert client.get("/").status_code == 302


BAD_INPUTS = ["", " ", "x" * 10_000, "\x00", "mer\x00moz", "🛩️✈️", "\u202emermoz", "' OR 1=1 --", "<script>x</script>",
              "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "é" * 400]


@pytest.mark.parametrize("value", BAD_INPUTS)
def test_a1_bad_identifiers_and_passwords_get_a_message_never_an_error(client, make, value):
    make.club("mermoz")
    for data in ({"identifier": value, "password": PASSWORD}, {"identifier": "mermoz", "password": value}):
        response = post_form(client, "/login", data)
        if "\x00" in value:
            # NUL never reaches a form: the whole request is refused with its own message.
            assert response.status_code == 400
            assert "Caractères illisibles" in response.get_data(as_text=True)
        else:
            assert response.status_code == 422
            assert 'role="alert"' in response.get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_a1_non_utf8_form_bytes_get_a_message(client, make):
    make.club("mermoz")
    from tests.conftest import csrf_token

    token = csrf_token(client)
    body = b"identifier=\xff\xfe%FF&password=\xc3\x28&csrf_token=" + token.encode()
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "caractères" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a1_login_page_is_french_by_default_and_english_on_request(client):
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Password" in english and 'lang="en"' in english


def test_a1_language_switcher_remembers_the_choice(client):
    post_form(client, "/language", {"language": "en", "next": "/login"}, token_from="/login")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    response = post_form(client, "/language", {"language": "xx", "next": "https://evil.example"},
                         token_from="/login")
    assert response.headers["Location"] == "/"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_a1_club_identifiers_are_unique_subdomains(make):
    club = make.club("mermoz")
    with pytest.raises(operations.SubdomainTaken):
        make.club("mermoz")
    # The database holds the rule too, for a writer that skipped the service's check.
    db.session.add(Club(subdomain="mermoz", name="Other", structure_email="x@example.org", offer_id=club.offer_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(Club.subdomain)).all() == ["mermoz"]
    assert db.session.scalar(select(func.count()).select_from(Club)) == 1
