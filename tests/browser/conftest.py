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
    from playwright.sync_api import expect

    # A loaded CI machine (and axe-core checking every page) can take more than the default 5 s to settle.
    expect.set_options(timeout=15_000)
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


#: What axe-core checks on every page a browser test loads: WCAG 2.1 A and AA.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
#: Runs in every page as it loads, before the page's own scripts (and outside its CSP): axe-core checks the page
#: once it has loaded and says what it found on the console, where the watch below reads it.
AXE_RUNNER = """
(() => {
  if (window.top !== window || window.__axeRunner) return;
  window.__axeRunner = true;
  window.addEventListener("load", () => setTimeout(async () => {
    const result = await window.axe.run(document, %s);
    const violations = result.violations.map((v) => ({id: v.id, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
    console.log("axe-result " + JSON.stringify({url: location.href, violations}));
  }, 0));
})();
"""
AXE_PREFIX = "axe-result "


def axe_script() -> str:
    """axe-core (vendored by axe-playwright-python) and the runner above, for `context.add_init_script`."""
    import json

    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script + ";\n" + AXE_RUNNER % json.dumps(AXE_OPTIONS)


@dataclass
class PageProblems:
    """What went wrong in the browser: console errors (CSP violations among them), uncaught script errors,
    sub-resources (CSS, scripts, htmx requests) answered with an error status, and the WCAG 2.1 AA violations
    axe-core finds on every page loaded."""

    console: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    #: Pages axe-core checked, for the tests that make sure it ran.
    checked: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.console or self.scripts or self.requests or self.accessibility)

    def watch(self, page) -> None:
        page.context.add_init_script(script=axe_script())
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.scripts.append(str(error)))
        page.on("response", self._on_response)

    def _on_axe_result(self, text: str) -> None:
        import json

        found = json.loads(text.removeprefix(AXE_PREFIX))
        self.checked.append(found["url"])
        for violation in found["violations"]:
            self.accessibility.append(f"{violation['id']} on {found['url']}: {', '.join(violation['targets'])}")

    #: Console errors that are no fault: a page answered 400 or 422 on purpose (invalid link, form errors) is
    #: logged as "Failed to load resource" (_on_response judges statuses by request type instead); an estimate
    #: request still in flight when the buyer leaves the page (the field's change event fires as the button is
    #: clicked) is aborted by the browser, which htmx logs as htmx:sendAbort then htmx:afterRequest.
    EXPECTED = ("Failed to load resource", "htmx:sendAbort", "htmx:afterRequest")

    def _on_console(self, message) -> None:
        if message.type == "log" and message.text.startswith(AXE_PREFIX):
            self._on_axe_result(message.text)
        elif message.type == "error" and not message.text.startswith(self.EXPECTED):
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
    if not page.is_closed():
        page.wait_for_timeout(300)  # the last page's check, if it is still running, reports
    context.close()
    # Every page a browser test loads is checked by axe-core; a violation fails the test that loaded it.
    assert not page_problems.accessibility, page_problems.accessibility
