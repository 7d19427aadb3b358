"""A session ends on the server when its owner signs out: a copy of its cookie is worth nothing after it.

Clubs, partners and staff alike; "sign out on every device"; staff sessions end after an idle time; and
requests that only read write nothing to the database to know any of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import event, func, select

from openflyers_account.accounts import sessions
from openflyers_account.extensions import db
from openflyers_account.models import Club, SignedOutSession, StaffRole
from openflyers_account.partners import operations as partner_operations
from tests.conftest import PASSWORD, csrf_token, post_form

START = 1_800_000_000.0


@dataclass(frozen=True)
class Door:
    """How one kind of account signs in and out, and a page only it may see."""

    login: str
    credentials: dict
    page: str
    logout: str


DOORS = {
    "club": Door("/login", {"identifier": "mermoz", "password": PASSWORD}, "/account", "/logout"),
    "partner": Door("/partner/login", {"email": "contact@federation.example", "password": PASSWORD},
                    "/partner/clients", "/partner/logout"),
    "staff": Door("/staff/login", {"email": "agent@openflyers.example", "password": PASSWORD}, "/staff/clients",
                  "/staff/logout"),
}


@pytest.fixture
def clock(monkeypatch):
    """The time sessions are measured by, moved by hand."""

    class Clock:
        at = START

        def advance(self, seconds: float) -> None:
            self.at += seconds

    moved = Clock()
    monkeypatch.setattr(sessions, "now", lambda: moved.at)
    return moved


@pytest.fixture
def accounts(make):
    make.club("mermoz")
    partner_operations.add_partner("contact@federation.example", "Fédération régionale", "cli", password=PASSWORD)
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")


def signed_in(app, door: Door):
    """A new browser, signed in through the door's form."""
    browser = app.test_client()
    response = post_form(browser, door.login, door.credentials)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert browser.get(door.page).status_code == 200
    return browser


def copy_of(app, browser):
    """Another browser holding a copy of `browser`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def sign_out(browser, door: Door, everywhere: bool = False):
    data = {"csrf_token": csrf_token(browser, door.logout)}
    if everywhere:
        data["everywhere"] = "1"
    response = browser.post(door.logout, data=data)
    assert response.status_code == 302 and response.headers["Location"] == door.login
    return response


def shut_out(browser, door: Door) -> bool:
    response = browser.get(door.page)
    return response.status_code == 302 and response.headers["Location"].startswith(door.login)


@pytest.mark.parametrize("kind", DOORS)
def test_a_session_copied_before_its_logout_does_not_sign_in_after_it(app, accounts, kind):
    door = DOORS[kind]
    browser = signed_in(app, door)
    thief = copy_of(app, browser)
    assert thief.get(door.page).status_code == 200

    sign_out(browser, door)

    assert shut_out(browser, door)
    assert shut_out(thief, door)
    assert db.session.scalar(select(func.count()).select_from(SignedOutSession)) == 1
    # Signing in again opens a new session, which works.
    assert signed_in(app, door).get(door.page).status_code == 200


@pytest.mark.parametrize("kind", DOORS)
def test_signing_out_ends_only_that_session_and_on_every_device_ends_them_all(app, accounts, kind):
    door = DOORS[kind]
    phone, laptop, office = signed_in(app, door), signed_in(app, door), signed_in(app, door)

    sign_out(phone, door)
    assert shut_out(phone, door)
    assert laptop.get(door.page).status_code == 200

    stolen = copy_of(app, laptop)
    sign_out(laptop, door, everywhere=True)
    for browser in (laptop, stolen, office):
        assert shut_out(browser, door)
    assert signed_in(app, door).get(door.page).status_code == 200


def test_a_club_signs_out_everywhere_from_its_account_page(app, accounts):
    door = DOORS["club"]
    browser, elsewhere = signed_in(app, door), signed_in(app, door)
    page = browser.get("/account").get_data(as_text=True)
    assert 'action="/logout"' in page and 'name="everywhere" value="1"' in page
    assert "Se déconnecter de tous les appareils" in page
    post_form(browser, "/logout", {"everywhere": "1"}, token_from="/account")
    assert shut_out(browser, door) and shut_out(elsewhere, door)


def test_one_account_signing_out_everywhere_leaves_the_others_signed_in(app, accounts, make):
    make.club("latecoere")
    mermoz = signed_in(app, DOORS["club"])
    latecoere = signed_in(app, Door("/login", {"identifier": "latecoere", "password": PASSWORD}, "/account",
                                    "/logout"))
    staff = signed_in(app, DOORS["staff"])
    sign_out(mermoz, DOORS["club"], everywhere=True)
    assert latecoere.get("/account").status_code == 200
    assert staff.get("/staff/clients").status_code == 200


def test_staff_sessions_end_after_the_idle_time_and_activity_keeps_them(app, accounts, clock):
    door = DOORS["staff"]
    idle = app.config["STAFF_IDLE_TIMEOUT"]
    assert idle == 30 * 60
    browser = signed_in(app, door)
    # Each request within the idle time keeps the session: an hour and a half of work in steps of 25 minutes.
    for _ in range(4):
        clock.advance(25 * 60)
        assert browser.get(door.page).status_code == 200
    clock.advance(idle + 1)
    response = browser.get(door.page)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre session a pris fin après 30 minutes sans activité" in page
    assert shut_out(browser, door)


def test_a_copy_of_an_idle_staff_session_stays_ended(app, accounts, clock):
    door = DOORS["staff"]
    browser = signed_in(app, door)
    thief = copy_of(app, browser)
    clock.advance(31 * 60)
    assert shut_out(thief, door)
    # The owner's cookie was never refreshed in between: it is as old, and over too.
    assert shut_out(browser, door)


def test_clubs_and_partners_have_no_idle_time_but_every_session_a_maximum_age(app, accounts, clock):
    club, partner = signed_in(app, DOORS["club"]), signed_in(app, DOORS["partner"])
    clock.advance(3 * 24 * 3600)
    assert club.get("/account").status_code == 200
    assert partner.get("/partner/clients").status_code == 200
    clock.advance(app.config["SESSION_MAX_AGE"])
    assert shut_out(club, DOORS["club"]) and shut_out(partner, DOORS["partner"])


def test_a_session_without_an_id_is_refused(app, accounts, client, make):
    # A cookie made before sessions had ids, or one written by hand with the key: no id, no account.
    with client.session_transaction() as cookie:
        mermoz = db.session.scalar(select(Club).where(Club.subdomain == "mermoz"))
        cookie["_user_id"] = mermoz.get_id()
        cookie["_fresh"] = True
    assert shut_out(client, DOORS["club"])


def test_signed_out_ids_are_forgotten_once_no_cookie_that_old_can_be_valid(app, accounts, clock):
    door = DOORS["club"]
    sign_out(signed_in(app, door), door)
    clock.advance(app.config["SESSION_MAX_AGE"] + 1)
    sign_out(signed_in(app, door), door)
    assert db.session.scalar(select(func.count()).select_from(SignedOutSession)) == 1


@pytest.mark.parametrize("kind", DOORS)
def test_a_signed_in_request_writes_nothing_to_the_database(app, accounts, kind):
    door = DOORS[kind]
    browser = signed_in(app, door)
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            assert browser.get(door.page).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []


def test_an_idle_staff_session_ends_the_whole_page_under_htmx_not_inside_a_fragment(app, accounts, clock):
    door = DOORS["staff"]
    browser = signed_in(app, door)
    clock.advance(31 * 60)
    response = browser.get("/staff/clients?q=merm", headers={"HX-Request": "true",
                                                               "HX-Current-URL": "http://localhost/staff/clients"})
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert response.headers["HX-Redirect"] == "/staff/login?next=/staff/clients"


def test_signing_in_starts_from_an_empty_cookie_and_ends_the_session_it_replaces(app, accounts, make):
    make.club("latecoere")
    browser = app.test_client()
    browser.get("/login")
    with browser.session_transaction() as cookie:
        before = dict(cookie)
        cookie["language"] = "en"
    assert "csrf_token" in before
    post_form(browser, "/login", {"identifier": "mermoz", "password": PASSWORD})
    with browser.session_transaction() as cookie:
        assert cookie.get("csrf_token") != before["csrf_token"] and cookie["language"] == "en"
    mermoz_copy = copy_of(app, browser)
    post_form(browser, "/login", {"identifier": "latecoere", "password": PASSWORD})
    # The mermoz session this browser left is over, copies of its cookie included.
    assert shut_out(mermoz_copy, DOORS["club"])
    assert browser.get("/account").status_code == 200


def test_the_kept_signer_reads_and_writes_the_cookies_flask_does_and_refuses_forged_ones(app):
    """Sessions survive the change of signer: the same cookie either way, old keys in SECRET_KEY_FALLBACKS still read."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature

    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    ours = app.session_interface.get_signing_serializer(app)
    assert ours.loads(flasks.dumps({"_user_id": "club:1", "sid": "a"})) == {"_user_id": "club:1", "sid": "a"}
    assert flasks.loads(ours.dumps({"since": 1.5})) == {"since": 1.5}
    with pytest.raises(BadSignature):
        ours.loads(flasks.dumps({"sid": "a"})[:-2] + "xx")
    old = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"sid": "old"})
    app.config.update(SECRET_KEY_FALLBACKS=[app.secret_key], SECRET_KEY="a new secret key")
    rotated = app.session_interface.get_signing_serializer(app)
    assert rotated.loads(old) == {"sid": "old"}
    assert SecureCookieSessionInterface().get_signing_serializer(app).loads(rotated.dumps({"sid": "new"})) == \
        {"sid": "new"}
    with pytest.raises(BadSignature):
        flasks.loads(rotated.dumps({"sid": "new"}))  # the old key alone does not read what the new one signs


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_after_the_database_drops_every_connection_only_the_first_signed_in_request_fails(app, client, make,
                                                                                           sign_in):
    """The session's account is read on the driver (driver_reads): a connection the server dropped is thrown away and
    SQLAlchemy renews the pool, as for any query, instead of each stale connection failing a request of its own."""
    import sqlalchemy as sa

    make.club("mermoz")
    sign_in("mermoz")
    held = [db.engine.raw_connection() for _ in range(4)]
    for connection in held:
        connection.close()  # four idle connections in the pool
    with db.engine.connect() as killer:
        killer.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    db.session.remove()
    failures = 0
    for _ in range(4):
        try:
            if client.get("/").status_code != 200:
                failures += 1
        except Exception:  # noqa: BLE001 - the test app lets any error through instead of answering 500
            failures += 1
    assert failures <= 1
