"""Fixtures: an app on SQLite and again on PostgreSQL, a real SMTP server, factories, sign-in helpers."""
from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from openflyers_account import create_app
from openflyers_account.accounts import operations
from openflyers_account.extensions import db
from openflyers_account.models import StaffRole

PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in {"", "0", "false"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- e-mail: a real SMTP server on loopback -------------------------------------------------------

@dataclass
class Mailbox:
    """What the test SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    _, box = smtp_server
    box.clear()
    return box


def link_in(message: EmailMessage) -> str:
    """The first http(s) link in a message's text."""
    match = re.search(r"https?://\S+", message.get_body(("plain",)).get_content())
    assert match, "no link in the message"
    return match.group(0)


# -- databases: migrated once, copied for every test ---------------------------------------------------

def _migrate(url: str, instance: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory):
    try:
        engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        if _required("REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    name = f"ofa_template_{uuid.uuid4().hex[:10]}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    _migrate(PG_SERVER.rsplit("/", 1)[0] + "/" + name, tmp_path_factory.mktemp("pg"))
    yield engine, name
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A freshly migrated database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    engine, template = request.getfixturevalue("postgres_template")
    name = f"ofa_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def app_config(database_url, smtp_server, tmp_path) -> dict:
    controller, _ = smtp_server
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SEND_IMMEDIATELY": True,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": False,
        # Each test's price lists are its own (rolled back after it): the catalogue is checked at every request.
        "CATALOGUE_RECHECK_SECONDS": 0,
        # argon2id as in production, with a smaller memory cost to keep the suite quick.
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
    }


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, even while a test holds one."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config, mailbox):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- factories -----------------------------------------------------------------------------------

class Factory:
    """Builds clubs and staff through the real services; each call makes a new, unique record."""

    def __init__(self):
        self.count = 0

    def club(self, subdomain: str | None = None, offer: str = "business", resources: int = 3,
             password: str = PASSWORD, **record):
        self.count += 1
        subdomain = subdomain or f"club{self.count}"
        record.setdefault("structure_email", f"contact@{subdomain}.example")
        record.setdefault("contact_email", f"tresorier@{subdomain}.example")
        structure = record.pop("structure_email")
        name = record.pop("name", f"Aéroclub {subdomain}")
        return operations.add_club(subdomain, name, structure, offer, resources, password=password, **record)

    def staff(self, role: StaffRole = StaffRole.STAFF, email: str | None = None, password: str = PASSWORD):
        self.count += 1
        return operations.add_staff(email or f"staff{self.count}@openflyers.example", role, password)


@pytest.fixture
def make(app) -> Factory:
    return Factory()


def csrf_token(client, path: str = "/login") -> str:
    """The session's CSRF token, read from a form as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, token_from: str | None = None, **kwargs):
    """POST a form with the CSRF token the page gave, like a browser."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)}, **kwargs)


@pytest.fixture
def sign_in(client):
    """Sign a club in through the login form."""

    def sign_in(identifier: str, password: str = PASSWORD):
        response = post_form(client, "/login", {"identifier": identifier, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return sign_in


@pytest.fixture
def staff_sign_in(client):
    """Sign a staff member in through the staff login form."""

    def sign_in(email: str, password: str = PASSWORD):
        response = post_form(client, "/staff/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return sign_in


def post_from(client, address: str, path: str, data: dict, **kwargs):
    """POST a form from another client address, with the CSRF token its page gave."""
    environ = {"REMOTE_ADDR": address}
    page = client.get(path, environ_base=environ, **kwargs).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(path, data={**data, "csrf_token": token}, environ_base=environ, **kwargs)


@pytest.fixture
def limited_app(app):
    from openflyers_account.extensions import limiter

    app.config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", RESET_RATE_LIMIT="2 per minute")
    limiter.enabled = True
    limiter.reset()
    yield app
    limiter.reset()
