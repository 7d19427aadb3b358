"""Password reset by e-mail (A2), rate limits (A3), new passwords (A4)."""
import re
import uuid
from datetime import timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from openflyers_account import create_app
from openflyers_account.accounts import operations
from openflyers_account.extensions import db, limiter
from openflyers_account.models import Club, OutboxMessage, StaffRole
from tests.conftest import link_in, post_form, post_from

NEW_PASSWORD = "a brand new passphrase"


def ask_reset(client, email):
    return post_form(client, "/password/forgot", {"email": email})


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def password_of(club_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Club, club_id).password_hash


def test_a2_every_club_with_the_address_gets_a_link_at_that_address(client, make, mailbox):
    make.club("mermoz", contact_email="tresorier@example.org")
    make.club("guillaumet", structure_email="Tresorier@Example.org")
    make.club("latecoere")
    response = ask_reset(client, "TRESORIER@example.org")
    assert response.status_code == 200
    received = mailbox.messages
    assert sorted(m["To"] for m in received) == ["Tresorier@Example.org", "tresorier@example.org"]
    subjects = " ".join(m["Subject"] for m in received)
    assert "mermoz" in subjects and "guillaumet" in subjects
    assert all("/password/reset/" in link_in(m) for m in received)


def test_a2_the_page_says_the_same_whether_or_not_anything_matched(client, make, mailbox):
    make.club("mermoz", contact_email="known@example.org")
    known = ask_reset(client, "known@example.org").get_data(as_text=True)
    unknown = ask_reset(client, "unknown@example.org").get_data(as_text=True)
    # A CSRF token carries the second it was signed in: two answers may straddle a second.
    assert same_page(known.replace("known@example.org", "X")) == same_page(unknown.replace("unknown@example.org", "X"))
    assert len(mailbox.messages) == 1


def same_page(html: str) -> str:
    """The page without its CSRF tokens, in the forms and in htmx's headers: they carry the second they were signed."""
    html = re.sub(r'name="csrf_token"( type="hidden")? value="[^"]+"', 'name="csrf_token"', html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)


def test_a2_the_link_sets_a_new_password_then_dies(client, make, mailbox, sign_in):
    make.club("mermoz", contact_email="tresorier@example.org")
    ask_reset(client, "tresorier@example.org")
    link = path_of(link_in(mailbox.to("tresorier@example.org")[0]))
    assert client.get(link).status_code == 200
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    sign_in("mermoz", NEW_PASSWORD)
    reused = client.get(link)
    assert reused.status_code == 400
    assert "déjà été utilisé" in reused.get_data(as_text=True) or "already been used" in reused.get_data(as_text=True)


def test_a2_the_link_expires_after_one_hour(client, make, mailbox, monkeypatch):
    make.club("mermoz", contact_email="tresorier@example.org")
    ask_reset(client, "tresorier@example.org")
    link = path_of(link_in(mailbox.messages[0]))
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3599)
    assert client.get(link).status_code == 200
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3601)
    response = client.get(link)
    assert response.status_code == 400
    assert "expiré" in response.get_data(as_text=True)


@pytest.mark.parametrize("replaced", ["structure_email", "contact_email"])
def test_a2_a_link_dies_once_its_address_is_no_longer_the_clubs(client, make, mailbox, replaced):
    club = make.club("mermoz", structure_email="bureau@example.org", contact_email="tresorier@example.org")
    ask_reset(client, "bureau@example.org")
    ask_reset(client, "tresorier@example.org")
    links = {"structure_email": path_of(link_in(mailbox.to("bureau@example.org")[0])),
             "contact_email": path_of(link_in(mailbox.to("tresorier@example.org")[0]))}
    addresses = {"structure_email": "bureau@example.org", "contact_email": "tresorier@example.org"}
    # The same mailbox in other letter case is still the club's: its link keeps working.
    operations.change_emails(club, "BUREAU@example.org", "Tresorier@Example.org")
    assert all(client.get(link).status_code == 200 for link in links.values())
    operations.change_emails(club, **{**addresses, replaced: "new@example.org"})
    before = password_of(club.id)
    dead = links[replaced]
    response = client.get(dead)
    assert response.status_code == 400 and "Lien de réinitialisation non valide" in response.get_data(as_text=True)
    assert post_form(client, dead, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                     token_from="/password/forgot").status_code == 400
    assert password_of(club.id) == before
    (kept,) = [link for field, link in links.items() if field != replaced]
    assert client.get(kept).status_code == 200


def test_a2_a_link_holds_whatever_time_zone_the_password_stamp_is_read_in(client, make, mailbox):
    club = make.club("mermoz", contact_email="tresorier@example.org")
    # The same instant as a database may return it in its session's time zone (+02:00 instead of +00:00).
    elsewhere = club.password_changed_at.astimezone(timezone(timedelta(hours=2)))
    token = operations.reset_token(SimpleNamespace(id=club.id, password_changed_at=elsewhere), "tresorier@example.org")
    assert client.get(f"/password/reset/{token}").status_code == 200
    later = club.password_changed_at + timedelta(microseconds=1)
    stale = operations.reset_token(SimpleNamespace(id=club.id, password_changed_at=later), "tresorier@example.org")
    assert client.get(f"/password/reset/{stale}").status_code == 400


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: "x" + t,
    lambda t: "not-a-token",
    lambda t: "%00",
    lambda t: "é" * 300,
])
def test_a2_a_tampered_link_is_refused_and_changes_nothing(client, make, mailbox, tamper):
    club = make.club("mermoz", contact_email="tresorier@example.org")
    before = club.password_hash
    ask_reset(client, "tresorier@example.org")
    link = path_of(link_in(mailbox.messages[0]))
    token = link.rsplit("/", 1)[1]
    bad = "/password/reset/" + tamper(token)
    assert client.get(bad).status_code in (400, 404)
    # A valid CSRF token: what refuses the form is the reset token, not the CSRF check.
    response = post_form(client, bad, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                         token_from="/password/forgot")
    assert response.status_code in (400, 404)
    assert "Le formulaire a expiré" not in response.get_data(as_text=True)
    if response.status_code == 400:
        assert "Lien de réinitialisation non valide" in response.get_data(as_text=True)
    assert password_of(club.id) == before


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "10"), (NEW_PASSWORD, NEW_PASSWORD + "x", "différents"), ("", "", "obligatoire"),
    ("x" * 300, "x" * 300, "200"),
])
def test_a4_a_weak_new_password_gets_a_field_message_and_changes_nothing(client, make, mailbox, password, confirm,
                                                                          message):
    club = make.club("mermoz", contact_email="tresorier@example.org")
    before = club.password_hash
    ask_reset(client, "tresorier@example.org")
    link = path_of(link_in(mailbox.messages[0]))
    response = post_form(client, link, {"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Club, club.id).password_hash == before


@pytest.mark.parametrize("email", ["", "not an address", "a@b", "x" * 300 + "@example.org", "\x00@example.org",
                                   "<script>@example.org"])
def test_a2_a_bad_address_gets_a_message_and_sends_nothing(client, make, mailbox, email):
    make.club("mermoz")
    response = ask_reset(client, email)
    # NUL never reaches a form: the request is refused up front with its own message.
    assert response.status_code == (400 if "\x00" in email else 422)
    assert 'role="alert"' in response.get_data(as_text=True) or "Caractères illisibles" in response.get_data(
        as_text=True)
    assert mailbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a2_a_form_posted_without_its_csrf_token_is_refused(client, make, mailbox):
    make.club("mermoz", contact_email="tresorier@example.org")
    response = client.post("/password/forgot", data={"email": "tresorier@example.org"})
    assert response.status_code == 400
    assert mailbox.messages == []


def test_a2_the_reset_form_posted_twice_sets_the_password_once(client, make, mailbox):
    make.club("mermoz", contact_email="tresorier@example.org")
    ask_reset(client, "tresorier@example.org")
    link = path_of(link_in(mailbox.messages[0]))
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(link).get_data(as_text=True))
    first = client.post(link, data={**form, "csrf_token": token.group(1)})
    second = client.post(link, data={"password": "yet another password", "confirm": "yet another password",
                                     "csrf_token": token.group(1)})
    assert first.status_code == 302
    assert second.status_code == 400
    assert "déjà été utilisé" in second.get_data(as_text=True)
    assert operations.authenticate_club("mermoz", NEW_PASSWORD) is not None
    assert operations.authenticate_club("mermoz", "yet another password") is None


def test_a3_sign_in_is_rate_limited_per_address_with_a_readable_page(limited_app, client, make):
    make.club("mermoz")
    responses = [post_form(client, "/login", {"identifier": f"club{i}", "password": "wrong password"})
                 for i in range(4)]
    assert [r.status_code for r in responses] == [422, 422, 422, 429]
    assert "Trop de tentatives" in responses[-1].get_data(as_text=True)


def test_a3_sign_in_is_rate_limited_per_identifier_across_addresses(limited_app, client, make):
    make.club("mermoz")
    codes = []
    for i in range(4):
        environ = {"REMOTE_ADDR": f"10.0.0.{i}"}
        token_page = client.get("/login", environ_base=environ).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
        codes.append(client.post("/login", data={"identifier": "MERMOZ", "password": "wrong password",
                                                 "csrf_token": token}, environ_base=environ).status_code)
    assert codes[-1] == 429


def test_a3_reset_requests_are_rate_limited_per_address(limited_app, client, make, mailbox):
    for i in range(3):
        make.club(f"club{i}", contact_email=f"tresorier{i}@example.org")
    codes = [ask_reset(client, f"tresorier{i}@example.org").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert len(mailbox.messages) == 2


def test_a3_reset_requests_are_rate_limited_per_email_across_addresses(limited_app, client, make, mailbox):
    make.club("mermoz", contact_email="tresorier@example.org")
    codes = [post_from(client, f"10.0.1.{i}", "/password/forgot", {"email": "Tresorier@example.org "}).status_code
             for i in range(3)]
    assert codes == [200, 200, 429]
    assert len(mailbox.messages) == 2


def test_a3_staff_sign_in_is_rate_limited_per_address_and_per_email(limited_app, client, make):
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    wrong = {"password": "wrong password"}
    per_address = [post_form(client, "/staff/login", {**wrong, "email": f"x{i}@openflyers.example"}).status_code
                   for i in range(4)]
    assert per_address == [422, 422, 422, 429]
    page = post_from(client, "10.0.2.9", "/staff/login", {**wrong, "email": "x9@openflyers.example"})
    assert page.status_code == 422  # another address has its own count
    per_email = [post_from(client, f"10.0.3.{i}", "/staff/login", {**wrong, "email": "agent@openflyers.example"})
                 for i in range(4)]
    assert [r.status_code for r in per_email] == [422, 422, 422, 429]
    assert "Trop de tentatives" in per_email[-1].get_data(as_text=True)


@pytest.mark.parametrize("hops, separate", [(1, True), (0, False)])
def test_a3_behind_a_proxy_each_client_address_has_its_own_sign_in_limit(app_config, make, hops, separate):
    """PROXY_FIX_X_FOR=1: the address is the one the proxy forwards; 0: every client is the proxy's address."""
    proxied = create_app({**app_config, "PROXY_FIX_X_FOR": hops, "RATELIMIT_ENABLED": True,
                          "LOGIN_RATE_LIMIT": "2 per minute"})
    limiter.reset()
    client = proxied.test_client()
    try:
        def attempt(forwarded_for: str, identifier: str) -> int:
            headers = {"X-Forwarded-For": forwarded_for}
            page = client.get("/login", headers=headers).get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            return client.post("/login", headers=headers, data={"identifier": identifier, "password": "wrong password",
                                                                "csrf_token": token}).status_code

        assert [attempt("203.0.113.1", f"club{i}") for i in range(3)] == [422, 422, 429]
        assert attempt("203.0.113.2", "club9") == (422 if separate else 429)
    finally:
        limiter.reset()


def test_a3_limits_are_shared_between_worker_processes_through_redis(app_config, make):
    """Two worker processes count the same attempts when the storage is Redis, as gunicorn workers do."""
    import multiprocessing

    import redis

    from tests.concurrency_workers import login_attempts

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    club = make.club(f"club-{uuid.uuid4().hex[:12]}")
    config = {**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    context = multiprocessing.get_context("forkserver")
    with context.Pool(1) as first, context.Pool(1) as second:
        codes = first.apply(login_attempts, (config, club.subdomain, address, 2))
        codes += second.apply(login_attempts, (config, club.subdomain, address, 2))
    assert codes == [422, 422, 422, 429]
