"""Screenshots of the main pages at phone and desktop widths, on demo data, to look at the layout.

    .venv/bin/python -m tests.browser.screenshots OUTDIR

Starts the app on a throw-away SQLite database (migrated, demo data loaded), serves it on a free
loopback port and drives Debian's Chromium; writes OUTDIR/<page>-<width>.png, full page, in French.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from openflyers_account import create_app
from openflyers_account.demo import DEMO_PASSWORD, load_demo_data
from openflyers_account.extensions import db
from tests.browser.conftest import launch_chromium, serve

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CLUB = "mermoz"
STAFF = "admin@openflyers.example"
PUBLIC_PAGES = [("login", "/login"), ("forgot", "/password/forgot"), ("staff-login", "/staff/login")]
CLUB_PAGES = [("dashboard", "/"), ("account", "/account")]
STAFF_PAGES = [("staff-home", "/staff/"), ("staff-clients", "/staff/clients"), ("staff-client", "/staff/clients/guillaumet")]


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


def sign_in(page, url: str, fields: dict[str, str]) -> None:
    page.goto(url)
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/login" in page.url:
        raise SystemExit(f"could not sign in at {url}")


def shoot(page, base_url: str, out: Path, name: str, path: str, width: str) -> Path:
    page.goto(base_url + path)
    target = out / f"{name}-{width}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def take_screenshots(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with tempfile.TemporaryDirectory(prefix="ofa-screenshots-") as folder:
        base_url, stop = serve(demo_app(Path(folder)))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for width, viewport in VIEWPORTS.items():
                    context = browser.new_context(locale="fr-FR", viewport=viewport)
                    page = context.new_page()
                    taken += [shoot(page, base_url, out, name, path, width) for name, path in PUBLIC_PAGES]
                    sign_in(page, f"{base_url}/login", {"identifier": CLUB, "password": DEMO_PASSWORD})
                    taken += [shoot(page, base_url, out, name, path, width) for name, path in CLUB_PAGES]
                    sign_in(page, f"{base_url}/staff/login", {"email": STAFF, "password": DEMO_PASSWORD})
                    taken += [shoot(page, base_url, out, name, path, width) for name, path in STAFF_PAGES]
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
