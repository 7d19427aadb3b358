"""Browser fixtures: the test app served over real HTTP, and Chromium (Debian's) driven by Playwright.

The journeys run on SQLite and on PostgreSQL, like the rest of the suite; the layout check, which is
about the pages' CSS, says `pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)`.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

#: Flags for a quiet, sandbox-less Chromium in containers and CI.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def serve(app) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a free loopback port in a daemon thread; returns the base URL and a stop function."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app on a real HTTP server; yields its base URL (http://127.0.0.1:<port>)."""
    base_url, stop = serve(app)
    yield base_url
    stop()


def launch_chromium(playwright):
    """Headless Debian Chromium; never Playwright's own download."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser():
    if shutil.which("chromium") is None:
        message = "Chromium is not installed (Debian package `chromium`)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message} but REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong in the browser: console errors (CSP violations among them), uncaught script errors,
    and sub-resources (CSS, scripts, htmx requests) answered with an error status."""

    console: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.console or self.scripts or self.requests)

    def watch(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.scripts.append(str(error)))
        page.on("response", self._on_response)

    #: Console errors that are no fault: a page answered 400 or 422 on purpose (invalid link, form errors) is
    #: logged as "Failed to load resource" (_on_response judges statuses by request type instead); an estimate
    #: request still in flight when the buyer leaves the page (the field's change event fires as the button is
    #: clicked) is aborted by the browser, which htmx logs as htmx:sendAbort then htmx:afterRequest.
    EXPECTED = ("Failed to load resource", "htmx:sendAbort", "htmx:afterRequest")

    def _on_console(self, message) -> None:
        if message.type == "error" and not message.text.startswith(self.EXPECTED):
            self.console.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.requests.append(f"{response.status} {response.request.resource_type} {response.url}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser, page_problems):
    """A page in a fresh context (no cookies from other tests), in French as treasurers see it."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()
