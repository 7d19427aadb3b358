"""Hostile values in every form and URL parameter of the app, as a club, a partner, staff and nobody: never a 5xx.

The targets are found, not listed: every rule of the URL map (its variables filled with real values seen on
the pages, or hostile ones), every form the pages show (its fields kept, left out, or replaced by hostile
values) and every link's query string. Hypothesis draws the requests; in testing an unhandled error raises
instead of answering 500, so any server error fails the test with the request that caused it.

`make test` runs FUZZ_EXAMPLES examples (default 150) per role and database, derandomised so CI is
repeatable; `FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 pytest tests/test_fuzz.py -s` explores further and prints
the figures.
"""
from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from openflyers_account.demo import DEMO_PARTNER, DEMO_PASSWORD, DEMO_STAFF, load_demo_data
from openflyers_account.domain.pricing import Term
from openflyers_account.accounts.operations import find_club
from openflyers_account.accounts.models import StaffUser
from openflyers_account.extensions import db
from openflyers_account.payments import statements
from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.domain.camt_factory import CamtEntry, camt053

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") in ("", "0")
#: Ending the session would leave the rest of the run signed out; signing out is tested on its own.
SIGN_OUTS = {"accounts.logout", "partner.logout", "staff.logout"}
#: Pages whose links are followed, per role.
STARTS = {
    "club": ["/", "/account", "/invoices", "/subscriptions", "/renewal", "/catalogue", "/logout"],
    "partner": ["/partner/clients", "/partner/invoices", "/partner/logout"],
    "staff": ["/staff/", "/staff/clients", "/staff/statements", "/staff/deposits", "/staff/audit",
              "/staff/catalogue", "/staff/partners", "/staff/logout"],
    "nobody": ["/login", "/password/forgot", "/partner/login", "/partner/password/forgot", "/staff/login",
               "/catalogue"],
}
MAX_PAGES = 120

HOSTILE_WORDS = [
    "", " ", "0", "-1", "-0", "1", "2147483648", "-2147483649", "9223372036854775808", "9" * 29, "9" * 400,
    "1e999", "-1e999", "1E5", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢٣", "１２", "1,5", "1.005",
    "99999999999999999999.99", "0.0000000000000000000001", " 12 ", "12\n", "\x00", "a\x00b", "%00", "\r\n\r\n",
    "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "\"; DROP TABLE club; --", "{{7*7}}",
    "${jndi:ldap://x}", "2026-02-30", "9999-12-31", "0000-00-00", "-2026-01-01", "2026-13-01", "true", "on",
    "null", "[]", "{}", "é" * 300, "🛩" * 50, "\u202e\u0644\u0627", "\ufeff", "javascript:alert(1)", "//evil.example",
    "F-2026-00001", "mermoz", "x" * 100_000,
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=60),
)


@dataclass
class Form:
    method: str
    action: str
    #: Field name -> the value the page put there (the first option of a select, a checkbox's value).
    fields: dict[str, str] = field(default_factory=dict)
    multipart: bool = False


class _PageParser(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._forms_by_id: dict[str, Form] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href", "").startswith("/"):
            self.links.append(attributes["href"])
        for attribute in ("hx-get", "hx-post"):
            if attributes.get(attribute, "").startswith("/"):
                self.links.append(attributes[attribute])
        if tag == "form":
            self._form = Form(attributes.get("method", "get").upper(), attributes.get("action") or self.page,
                              multipart="multipart" in attributes.get("enctype", ""))
            self.forms.append(self._form)
            if attributes.get("id"):
                self._forms_by_id[attributes["id"]] = self._form
        elif tag in ("input", "select", "textarea", "button") and attributes.get("name"):
            owner = self._forms_by_id.get(attributes.get("form", ""), self._form)
            if owner is None:
                return
            name = attributes["name"]
            if tag == "select":
                self._select = name
                owner.fields.setdefault(name, "")
            elif attributes.get("type") == "file":
                owner.multipart = True
                owner.fields.setdefault(name, "")
            else:
                owner.fields.setdefault(name, attributes.get("value", ""))
        elif tag == "option" and self._select and self._form is not None and not self._form.fields.get(self._select):
            self._form.fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Site:
    """What the crawl found: forms and links per role, and real values for each URL variable."""

    forms: dict[str, list[Form]] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    #: Endpoint -> the argument sets seen for it.
    arguments: dict[str, list[dict]] = field(default_factory=dict)
    #: Endpoint -> field names of the forms posted to it.
    fields: dict[str, dict[str, str]] = field(default_factory=dict)


def _endpoint(app, path: str, method: str = "GET") -> tuple[str, dict] | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(path).path, method=method)
    except HTTPException:
        return None


def _crawl(app, client, role: str, site: Site) -> None:
    seen: set[str] = set()
    queue = list(STARTS[role])
    forms: list[Form] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.endswith(".pdf") or path.startswith("/static/"):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        parser = _PageParser(path)
        parser.feed(response.get_data(as_text=True))
        forms.extend(parser.forms)
        for link in parser.links:
            if link not in seen and link.split("?")[0] not in {"/logout", "/partner/logout", "/staff/logout"}:
                queue.append(link)
    site.forms[role] = forms
    site.links[role] = sorted(seen)
    for url in seen:
        _remember(app, site, url, "GET")
    for form in forms:
        matched = _remember(app, site, form.action, form.method)
        if matched:
            site.fields.setdefault(matched, {}).update(form.fields)


def _remember(app, site: Site, url: str, method: str) -> str | None:
    matched = _endpoint(app, url, method)
    if matched is None:
        return None
    endpoint, arguments = matched
    known = site.arguments.setdefault(endpoint, [])
    if arguments and arguments not in known:
        known.append(arguments)
    return endpoint


def _seed(app) -> None:
    """The demo data, with invoices, a statement with an entry pending and one paid, so every kind of row has an id."""
    load_demo_data(date.today())
    with app.test_request_context():
        clubs = [find_club(subdomain) for subdomain in ("mermoz", "latecoere")]
        invoices = [issue_renewal(club.id, club.subscriptions[0].id,
                                  SubscriptionOrder(club.offer.code, 8, Term.ONE_YEAR), date.today(), club)
                    for club in clubs]
    admin = db.session.scalar(db.select(StaffUser).where(StaffUser.email == DEMO_STAFF[0][0]))
    statement = statements.import_statement(admin, camt053([
        CamtEntry(amount=Decimal("10.00"), debtor_name="INCONNU"),  # left pending: its page shows every action
        CamtEntry(amount=invoices[1].total_incl_vat, remittance=(invoices[1].number,), servicer_ref="REF-1"),
    ]))
    lines = statements.statement_lines(statement.id)
    statements.confirm_matches(admin, statement.id, [line.entry.id for line in lines if line.confirmable],
                               date.today())


def _sign_in(client, role: str) -> None:
    logins = {
        "club": ("/login", {"identifier": "mermoz"}),
        "partner": ("/partner/login", {"email": DEMO_PARTNER[0]}),
        "staff": ("/staff/login", {"email": DEMO_STAFF[0][0]}),
    }
    if role not in logins:
        return
    path, fields = logins[role]
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(path, data={**fields, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"{role} could not sign in"


@pytest.fixture
def site(app):
    _seed(app)
    found = Site()
    for role in STARTS:
        browser = app.test_client()
        _sign_in(browser, role)
        _crawl(app, browser, role, found)
    return found


def _csrf(client) -> str:
    for path in ("/account", "/partner/clients", "/staff/", "/login"):
        page = client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token anywhere")


def _fill_rule(draw, app, site: Site, rule) -> str:
    """The rule's path with each variable a value seen on the pages or a hostile one."""
    seen = site.arguments.get(rule.endpoint, [])
    base = draw(st.sampled_from(seen)) if seen and draw(st.booleans()) else {}
    path = rule.rule
    for name, converter in rule._converters.items():
        if name in base and draw(st.integers(0, 3)) > 0:
            value = str(base[name])
        elif isinstance(converter, IntegerConverter):
            value = draw(st.one_of(st.integers(min_value=-(10**30), max_value=10**30).map(str),
                                   st.sampled_from(["0", "2147483647", "2147483648", "9" * 40, "1e9", "١"])))
        else:
            value = draw(hostile_text)
        pattern = re.compile(r"<(?:[^:<>]+:)?" + re.escape(name) + r"(?:\([^)]*\))?>")
        path = pattern.sub(lambda _: quote(value or "x", safe="") or "x", path, count=1)
    return path


def _hostile_fields(draw, fields: dict[str, str]) -> dict:
    data: dict = {}
    for name, value in fields.items():
        if name == "csrf_token":
            continue
        choice = draw(st.integers(0, 9))
        if choice <= 3:
            data[name] = value
        elif choice == 4:
            continue  # a missing field
        elif choice == 5:
            data[name] = [draw(hostile_text), draw(hostile_text)]  # the same field twice
        else:
            data[name] = draw(hostile_text)
    if draw(st.integers(0, 5)) == 0:
        data[draw(st.sampled_from(["page", "q", "next", "amount", "x" * 300]))] = draw(hostile_text)
    return data


@st.composite
def requests(draw, app, site: Site, role: str, token: str):
    """One request: (method, path, query, form, headers)."""
    kind = draw(st.sampled_from(["form", "link", "rule", "rule", "webhook"]))
    headers = {"HX-Request": "true"} if draw(st.integers(0, 3)) == 0 else {}
    forms = [form for form in site.forms[role] if _endpoint(app, form.action, form.method)
             and _endpoint(app, form.action, form.method)[0] not in SIGN_OUTS]
    if kind == "form" and forms:
        form = draw(st.sampled_from(forms))
        data = _hostile_fields(draw, form.fields)
        if form.method == "GET":
            return "GET", form.action, data, None, headers
        if form.multipart and draw(st.booleans()):
            data["statement"] = (io.BytesIO(draw(st.binary(max_size=2000))), draw(hostile_text)[:200] or "f.xml")
        data["csrf_token"] = token if draw(st.integers(0, 9)) else draw(hostile_text)
        return "POST", form.action, None, data, headers
    if kind == "link" and site.links[role]:
        url = draw(st.sampled_from(site.links[role]))
        parts = urlsplit(url)
        query = _hostile_fields(draw, dict(parse_qsl(parts.query)) or {"page": "1"})
        return "GET", parts.path, query, None, headers
    if kind == "webhook":
        body = draw(st.one_of(st.binary(max_size=500), hostile_text.map(str.encode),
                              st.just(b'{"type": "checkout.session.completed", "data": {"object": {}}}')))
        # A header cannot carry a line break: the client itself refuses to send one.
        signature = draw(st.one_of(hostile_text.map(lambda text: re.sub(r"[\r\n]", "", text)), st.just("t=1,v1=00"),
                                   st.just("t=99999999999999999999,v1=ab")))
        headers |= {"Stripe-Signature": signature, "Demo-Signature": signature, "Content-Type": "application/json"}
        return "POST", draw(st.sampled_from(["/webhooks/stripe", "/webhooks/demo"])), None, body, headers
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SIGN_OUTS | {"static"}]
    rule = draw(st.sampled_from(sorted(rules, key=lambda r: r.rule)))
    path = _fill_rule(draw, app, site, rule)
    fields = site.fields.get(rule.endpoint, {"page": "1"})
    if "POST" in rule.methods and ("GET" not in rule.methods or draw(st.booleans())):
        data = _hostile_fields(draw, fields)
        data["csrf_token"] = token
        return "POST", path, None, data, headers
    return "GET", path, _hostile_fields(draw, fields), None, headers


@pytest.mark.parametrize("role", list(STARTS))
def test_hostile_values_in_every_form_and_url_never_get_a_server_error(app, site, role):
    browser = app.test_client()
    _sign_in(browser, role)
    token = _csrf(browser)
    #: How the requests were answered, by class (2xx, 3xx...): the figures `-s` prints.
    tally: Counter = Counter()
    # Every rule of the URL map is a target; and the crawl found the pages a real user of this role sees.
    assert site.links[role], f"the crawl found no page for {role}"
    if role != "nobody":
        assert any(form.method == "POST" for form in site.forms[role]), f"no form found for {role}"

    @settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=requests(app, site, role, token))
    def no_server_error(request):
        method, path, query, body, headers = request
        options = {"query_string": query, "headers": headers}
        if isinstance(body, bytes):
            options["data"] = body
        elif body is not None:
            options["data"] = body
            if any(isinstance(value, tuple) for value in body.values()):
                options["content_type"] = "multipart/form-data"
        response = browser.open(path, method=method, **options)
        tally[f"{response.status_code // 100}xx"] += 1
        assert response.status_code < 500, f"{method} {path} {query or ''} -> {response.status_code}"

    print(f"\ncrawl {role}: {len(site.links[role])} pages, {len(site.forms[role])} forms, "
          f"{len(site.arguments)} endpoints with real arguments, {len(list(app.url_map.iter_rules()))} rules")
    no_server_error()
    print(f"\nfuzz {role}: {sum(tally.values())} requests, {dict(sorted(tally.items()))}")
    # The session survived the run: what was sent never signed the role out.
    if role != "nobody":
        assert browser.get(STARTS[role][0]).status_code == 200
