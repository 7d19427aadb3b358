"""The budget's HTTP figures on one database: the app and a bare Flask endpoint served by the same gunicorn command,
loaded by `wrk` in the same run, rate limits on as in production.

- throughput and p99 of the live price partial, the dashboard and a signed-in empty page, as ratios of bare Flask's,
  the median of ROUNDS rounds;
- a stored PDF served (one connection);
- issuing a renewal invoice with its PDF: the confirm POST, over HTTP;
- the bytes of the renewal flow, login page to invoice page, as a browser with htmx fetches it (gzip accepted);
- staff search over CLUBS clubs, and the invoice list of a club with INVOICES invoices.
"""
from __future__ import annotations

import gzip
import html
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import brotli

from benchmarks.budget import Figure
from benchmarks.measure import settle_statistics
from benchmarks.wrk import run_wrk

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ISSUES = int(os.environ.get("BENCH_ISSUES", "20"))
CLUBS = int(os.environ.get("BENCH_CLUBS", "10000"))
INVOICES = int(os.environ.get("BENCH_CLUB_INVOICES", "500"))
PASSWORD = "benchmark password"
STAFF_EMAIL = "bench-staff@openflyers.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    """`target` under gunicorn, 2 sync workers: the same command for the app and for bare Flask."""
    port = free_port()
    process = subprocess.Popen([GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                                target], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn {target} did not start")


class Browser:
    """One visitor: cookies kept, gzip accepted, every byte received counted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.received = 0

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Accept-Encoding": "gzip, br", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        self.received += len(raw) + sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        for value in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        encoding = response.getheader("Content-Encoding")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "br":
            raw = brotli.decompress(raw)
        return response, raw.decode("utf-8", "replace")

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, page: str, fields: dict, form_action: str | None = None):
        """Post the form of `page` that goes to `form_action` (or the first form) with its hidden fields."""
        body = dict(hidden_fields(page, form_action or path))
        body.update(fields)
        return self.request("POST", path, body)


def hidden_fields(page: str, action: str) -> list[tuple[str, str]]:
    forms = re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, re.S)
    chosen = next((content for target, content in forms if html.unescape(target).split("?")[0] == action),
                  forms[0][1] if forms else "")
    return [(html.unescape(name), html.unescape(value)) for name, value in
            re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', chosen) +
            re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', chosen)]


def static_paths(page: str) -> list[str]:
    return sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)))


def sign_in(port: int, identifier: str, staff: bool = False) -> Browser:
    browser = Browser(port)
    path = "/staff/login" if staff else "/login"
    _, page = browser.get(path)
    response, _ = browser.post_form(path, page, {"email" if staff else "identifier": identifier, "password": PASSWORD})
    assert response.status == 302, f"sign-in of {identifier}: {response.status}"
    return browser


def prepare(env: dict) -> None:
    """Clubs to price, a club with ISSUES subscriptions to renew, a club with INVOICES invoices, CLUBS clubs for
    the staff search, and a staff member."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from benchmarks.payments import _free_year, prepare_open_invoices
    from openflyers_account import create_app
    from openflyers_account.accounts import operations
    from openflyers_account.extensions import db
    from openflyers_account.models import Club, Offer, StaffRole, Subscription, SubscriptionPeriod, utcnow

    app = create_app(config(env))
    with app.app_context():
        upgrade()
        end = date.today() + timedelta(days=30)
        for subdomain, subscriptions in (("bench0", 1), ("issuer", ISSUES), ("many", 0)):
            club = operations.add_club(subdomain, f"Aéroclub {subdomain}", f"{subdomain}@bench.example", "business",
                                       4, password=PASSWORD)
            for _ in range(subscriptions):
                subscription = Subscription(club_id=club.id, offer_id=club.offer_id, term_years=1)
                db.session.add(subscription)
                db.session.flush()
                db.session.add(SubscriptionPeriod(subscription_id=subscription.id, offer_id=club.offer_id,
                                                  start_date=end - timedelta(364), end_date=end, resources=4,
                                                  activated_at=utcnow()))
            db.session.commit()
        operations.add_staff(STAFF_EMAIL, StaffRole.STAFF, PASSWORD, name="Benchmark")
        db.session.commit()
        offer = db.session.scalar(select(Offer.id).where(Offer.code == "business"))
        now = utcnow()
        db.session.execute(insert(Club), [
            {"subdomain": f"club{index:05d}", "name": f"Aéroclub de la vallée {index:05d}", "offer_id": offer,
             "structure_email": f"club{index}@search.example", "contact_email": "", "activated_resources": 1,
             "password_changed_at": now, "created_at": now} for index in range(CLUBS)])
        db.session.commit()
        many = db.session.scalar(select(Club.id).where(Club.subdomain == "many"))
        prepare_open_invoices(INVOICES, _free_year(), club_id=many)
        settle_statistics()
        db.session.remove()
        db.engine.dispose()


def config(env: dict) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
            "MAIL_SEND_IMMEDIATELY": False, "MAIL_OUTBOX_DIR": env["MAIL_OUTBOX_DIR"]}


def _issue(browser: Browser, subscription_id: str) -> tuple[float, str]:
    """Seconds of the confirm POST of one renewal, and the invoice page it leads to."""
    query = urlencode({"subscription": subscription_id, "offer": "business", "resources": "4", "term": "3",
                       "po_reference": ""})
    response, page = browser.get(f"/renewal/review?{query}")
    assert response.status == 200, response.status
    started = time.perf_counter()
    response, _ = browser.post_form("/renewal/confirm", page, {"accept_terms": "y"})
    elapsed = time.perf_counter() - started
    assert response.status in (302, 303), f"confirm: {response.status}"
    return elapsed, response.getheader("Location")


def _renewal_flow_bytes(port: int) -> tuple[float, float]:
    """KB a first visit transfers from the login page to the invoice page (pages, static files once, three price
    partials as htmx fetches them while the club types), and the static requests a second page would make."""
    browser = Browser(port)
    _, page = browser.get("/login")
    cached = {}
    for path in static_paths(page):
        response, _ = browser.get(path)
        cached[path] = response.getheader("Cache-Control") or ""
    response, _ = browser.post_form("/login", page, {"identifier": "bench0", "password": PASSWORD})
    _, dashboard = browser.get(response.getheader("Location"))
    # A browser asks again for a file it has not got, or one not marked immutable (a conditional request at least).
    revalidated = [path for path in static_paths(dashboard) if "immutable" not in cached.get(path, "")]
    _, renewal = browser.get("/renewal")
    fields = dict(hidden_fields(renewal, "/renewal"))
    for resources in ("5", "6", "7"):
        query = urlencode({**fields, "offer": "business", "resources": resources, "term": "3", "po_reference": ""})
        browser.get(f"/renewal/price?{query}", headers={"HX-Request": "true"})
    query = urlencode({**fields, "offer": "business", "resources": "7", "term": "3", "po_reference": ""})
    _, review = browser.get(f"/renewal/review?{query}")
    response, _ = browser.post_form("/renewal/confirm", review, {"accept_terms": "y"})
    browser.get(response.getheader("Location"))
    return browser.received / 1024, len(revalidated)


def _timed_get(browser: Browser, path: str, samples: int = 30) -> tuple[float, float]:
    """Median ms and KB transferred of GET `path`."""
    browser.get(path)
    times = []
    for _ in range(samples):
        before = browser.received
        started = time.perf_counter()
        response, _ = browser.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, f"{path}: {response.status}"
        size = browser.received - before
    return statistics.median(times), size / 1024


def bench_http(env: dict, database: str) -> list[Figure]:
    prepare(env)
    app_server, app_port = serve("benchmarks.floor:app", env)
    hello_server, hello_port = serve("benchmarks.hello:app", env)
    try:
        club = sign_in(app_port, "bench0")
        _, renewal = club.get("/renewal")
        # The cookie a browser sends once it has shown a page: its session holds the CSRF token the page made.
        club_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in club.cookies.items())}
        price_path = "/renewal/price?" + urlencode({**dict(hidden_fields(renewal, "/renewal")), "offer": "business",
                                                    "resources": "5", "term": "3", "po_reference": ""})
        issuer = sign_in(app_port, "issuer")
        chooser_response, chooser = issuer.get("/renewal")
        assert chooser_response.status == 200, f"/renewal of the issuer: {chooser_response.status} {chooser[:300]}"
        subscription_ids = sorted(set(re.findall(r"subscription=(\d+)", chooser)), key=int)
        assert len(subscription_ids) >= ISSUES, f"the renewal page lists {len(subscription_ids)} subscriptions: {re.findall(r'<h1>.*?</h1>', chooser)}"
        issuing, invoice_pdf = [], None
        for subscription_id in subscription_ids[:ISSUES]:
            elapsed, location = _issue(issuer, subscription_id)
            issuing.append(elapsed * 1000)
            invoice_pdf = location.split("?")[0] + ".pdf"
        staff = sign_in(app_port, STAFF_EMAIL, staff=True)
        many = sign_in(app_port, "many")
        endpoints = {
            "bare": (hello_port, "/hello", {}),
            "empty": (app_port, "/_bench/empty", {}),
            "signed-in": (app_port, "/_bench/signed-in", club_headers),
            "price": (app_port, price_path, {**club_headers, "HX-Request": "true"}),
            "dashboard": (app_port, "/", club_headers),
        }
        for port, path, headers in endpoints.values():
            run_wrk(port, path, headers, CONNECTIONS, 2)  # warm-up
        rounds: dict[str, list] = {name: [] for name in endpoints}
        for _ in range(ROUNDS):
            for name, (port, path, headers) in endpoints.items():
                result = run_wrk(port, path, headers, CONNECTIONS, SECONDS)
                if result.errors:
                    raise RuntimeError(f"{name}: {result.errors} failed answers under load")
                rounds[name].append(result)
        pdf = run_wrk(app_port, invoice_pdf, {"Cookie": "; ".join(f"{k}={v}" for k, v in issuer.cookies.items())},
                      1, 5, threads=1)
        flow_kb, revalidated = _renewal_flow_bytes(app_port)
        search_ms, _ = _timed_get(staff, "/staff/clients?q=vall%C3%A9e+04242")
        staff_client_ms, staff_client_kb = _timed_get(staff, "/staff/clients/many")
        invoices_ms, invoices_kb = _timed_get(many, "/invoices")
    finally:
        for server in (app_server, hello_server):
            server.terminate()
            server.wait()
    bare = statistics.median(result.rate for result in rounds["bare"])
    least = 0.40 if database == "SQLite" else 0.30

    def ratio(name: str) -> float:
        return statistics.median(result.rate for result in rounds[name]) / bare

    def p99(name: str) -> float:
        return statistics.median(result.p99_ms for result in rounds[name])

    return [
        Figure("bare Flask (req/s)", bare, "req/s"),
        Figure("app empty page, every hook / bare", ratio("empty"), "x"),
        Figure("signed-in empty page / bare", ratio("signed-in"), "x"),
        Figure("live price partial / bare", ratio("price"), "x", least, at_least=True),
        Figure("live price partial p99", p99("price"), "ms", 25),
        Figure("dashboard / bare", ratio("dashboard"), "x", least, at_least=True),
        Figure("dashboard p99", p99("dashboard"), "ms", 25),
        Figure("stored PDF served, median", pdf.p50_ms, "ms", 5),
        Figure(f"issue an invoice with its PDF (confirm POST), median of {len(issuing)}", statistics.median(issuing),
               "ms", 500),
        Figure(f"issue an invoice with its PDF (confirm POST), p99 of {len(issuing)}",
               sorted(issuing)[max(0, int(len(issuing) * 0.99) - 1)], "ms", 800),
        Figure("renewal flow, login page to invoice page", flow_kb, "KB", 50),
        Figure("static files fetched again on the second page", revalidated, "requests", 1),
        Figure(f"staff search over {CLUBS:,} clubs", search_ms, "ms", 20 if database == "PostgreSQL" else 50),
        Figure(f"staff client page, {INVOICES} invoices", staff_client_ms, "ms", 50),
        Figure(f"staff client page, {INVOICES} invoices, size", staff_client_kb, "KB", 50),
        Figure(f"club invoice list, {INVOICES} invoices", invoices_ms, "ms", 50),
        Figure(f"club invoice list, {INVOICES} invoices, size", invoices_kb, "KB", 50),
    ]
