"""Several subscriptions per club: staff start one on a chosen date, the floor is the club's, each renews on its
own invoice; the club's and the staff's pages show them all (R9, R10, P4)."""
import html as html_lib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.domain.periods import add_years
from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    Invoice,
    InvoicePurpose,
    StaffRole,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)
from tests.billing_helpers import add_paid_period, confirm_form, hidden_fields, start_subscription
from tests.conftest import post_form

AGENT = "agent@openflyers.example"


@pytest.fixture
def mermoz(make):
    """Mermoz: 5 resources activated, one subscription of 3 running until 200 days from now."""
    club = make.club("mermoz", resources=5)
    add_paid_period(club, days_to_end=200, resources=3)
    return club


@pytest.fixture
def agent(make, staff_sign_in):
    make.staff(StaffRole.STAFF, email=AGENT)
    staff_sign_in(AGENT)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_r10_staff_start_a_subscription_dated_back_its_first_invoice_covers_the_whole_term(client, mermoz, agent):
    start = date.today() - timedelta(days=90)
    response = start_subscription(client, "mermoz", start, offer="premiere", resources=2, term=3,
                                  po_reference="Centre simulateur")
    assert response.status_code == 302
    subscription = db.session.scalars(select(Subscription).order_by(Subscription.id.desc()).limit(1)).one()
    (period,) = subscription.periods
    assert (period.start_date, period.end_date, period.resources, period.term_years) == (
        start, add_years(start, 3) - timedelta(days=1), 2, 3)
    invoice = db.session.get(Invoice, period.invoice_id)
    assert response.headers["Location"] == f"/staff/invoices/{invoice.number}"
    assert (invoice.period_start, invoice.period_end, invoice.po_reference) == (start, period.end_date,
                                                                                 "Centre simulateur")
    # (600 + 2 x 75) x 3 = 2250, -10 % = 2025 excl. VAT: the whole term, not prorated.
    assert invoice.total_excl_vat == Decimal("2025.00")
    assert db.session.get(SubscriptionInvoice, invoice.id).purpose is InvoicePurpose.SUBSCRIPTION
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.started")).one()
    assert entry.actor == AGENT and entry.details["invoice"] == invoice.number


def test_r10_a_subscription_planned_12_months_ahead_is_planned(client, mermoz, agent, sign_in):
    start = add_years(date.today(), 1)
    # Nothing else runs that day: its floor is every activated resource.
    assert start_subscription(client, "mermoz", start, resources=5).status_code == 302
    sign_in("mermoz")
    assert "Programmé" in html_lib.unescape(client.get("/subscriptions").get_data(as_text=True))


@pytest.mark.parametrize("start", [add_years(date.today(), -1) - timedelta(days=1),
                                   add_years(date.today(), 1) + timedelta(days=1)])
def test_r10_a_start_more_than_12_months_back_or_ahead_is_a_field_error(client, mermoz, agent, start):
    page = client.get("/staff/clients/mermoz/subscriptions/new/review",
                      query_string={"start": start.isoformat(), "offer": "business", "resources": 2, "term": 1})
    assert page.status_code == 422
    errors = re.search(r'id="start-errors" class="field-errors">(.*?)</div>', page.get_data(as_text=True), re.S)
    assert errors and "12 mois" in html_lib.unescape(errors.group(1))
    assert count(Subscription) == 1 and count(Invoice) == 0


def test_r10_the_same_confirmation_sent_twice_starts_one_subscription(client, mermoz, agent):
    page = client.get("/staff/clients/mermoz/subscriptions/new/review", query_string={
        "start": date.today().isoformat(), "offer": "business", "resources": 2, "term": 1})
    data = {**hidden_fields(page.get_data(as_text=True)), "accept_terms": "y"}
    first = client.post("/staff/clients/mermoz/subscriptions/new/confirm", data=data)
    second = client.post("/staff/clients/mermoz/subscriptions/new/confirm", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Subscription) == 2 and count(Invoice) == 1


def test_r9_the_floor_is_the_clubs_count_less_its_other_subscriptions_running_that_day(client, mermoz, agent):
    # 5 activated, 3 covered by the running subscription: a new one from today covers at least 2.
    page = client.get("/staff/clients/mermoz/subscriptions/new/review", query_string={
        "start": date.today().isoformat(), "offer": "business", "resources": 1, "term": 1})
    assert page.status_code == 422
    assert "au moins 2" in html_lib.unescape(page.get_data(as_text=True))
    assert start_subscription(client, "mermoz", date.today(), resources=2).status_code == 302
    # After the first one ends, only the new one (2) runs: a third one from then covers at least 3.
    later = date.today() + timedelta(days=201)
    page = client.get("/staff/clients/mermoz/subscriptions/new/review", query_string={
        "start": later.isoformat(), "offer": "business", "resources": 2, "term": 1})
    assert page.status_code == 422 and "au moins 3" in html_lib.unescape(page.get_data(as_text=True))
    assert count(Invoice) == 1


def test_r10_the_start_pages_are_not_the_clubs(client, mermoz, sign_in):
    sign_in("mermoz")
    response = client.get("/staff/clients/mermoz/subscriptions/new")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert client.get("/subscriptions/new").status_code == 404
    response = post_form(client, "/staff/clients/mermoz/subscriptions/new/confirm",
                         {"start": date.today().isoformat(), "offer": "business", "resources": "5", "term": "1",
                          "accept_terms": "y"}, token_from="/")
    assert response.status_code == 302 and count(Invoice) == 0


def test_r9_renewal_asks_which_subscription_and_renews_each_on_its_own_invoice(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    first = add_paid_period(club, days_to_end=30, resources=2)
    second = add_paid_period(club, days_to_end=60, resources=1, po_reference="Simulateur")
    sign_in("mermoz")
    choice = html_lib.unescape(client.get("/renewal").get_data(as_text=True))
    assert f"/renewal?subscription={first.subscription_id}" in choice
    assert f"/renewal?subscription={second.subscription_id}" in choice and "Simulateur" in choice
    assert count(Invoice) == 0
    for period, reference in ((first, ""), (second, "Simulateur")):
        page = client.get("/renewal/review", query_string={"subscription": period.subscription_id, "offer": "business",
                                                           "resources": period.resources, "term": 1,
                                                           "po_reference": reference})
        data = {**hidden_fields(page.get_data(as_text=True)), "accept_terms": "y"}
        assert client.post("/renewal/confirm", data=data).status_code == 302
    db.session.expire_all()
    renewed = {link.subscription_id: db.session.get(Invoice, link.invoice_id)
               for link in db.session.scalars(select(SubscriptionInvoice))}
    assert set(renewed) == {first.subscription_id, second.subscription_id}
    assert renewed[first.subscription_id].period_start == first.end_date + timedelta(days=1)
    assert renewed[second.subscription_id].period_start == second.end_date + timedelta(days=1)
    assert renewed[second.subscription_id].po_reference == "Simulateur"


def test_r9_the_renewal_floor_counts_the_other_subscription_running_on_the_first_day(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    first = add_paid_period(club, days_to_end=30, resources=2)
    add_paid_period(club, days_to_end=300, resources=2, po_reference="Simulateur")
    sign_in("mermoz")
    page = client.get("/renewal", query_string={"subscription": first.subscription_id})
    # 3 activated, 2 of them on the other subscription that day: the form starts at the current 2, the floor is 1.
    assert 'name="resources" type="text" value="2"' in page.get_data(as_text=True)
    page = client.get("/renewal/review", query_string={"subscription": first.subscription_id, "offer": "business",
                                                       "resources": 1, "term": 1})
    assert page.status_code == 200
    page = client.get("/renewal/review", query_string={"subscription": first.subscription_id, "offer": "business",
                                                       "resources": 0, "term": 1})
    assert page.status_code == 422
    assert "vos autres abonnements" in html_lib.unescape(page.get_data(as_text=True))


def test_r2_a_club_with_one_subscription_renews_as_before(client, make, sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=2)
    sign_in("mermoz")
    response = client.post("/renewal/confirm", data=confirm_form(client, resources=2))
    assert response.status_code == 302 and count(Invoice) == 1


def test_r9_another_clubs_subscription_cannot_be_renewed(client, make, sign_in):
    other = make.club("guillaumet", resources=1)
    period = add_paid_period(other, days_to_end=30, resources=1)
    make.club("mermoz", resources=1)
    sign_in("mermoz")
    assert client.get("/renewal", query_string={"subscription": period.subscription_id}).status_code == 404
    assert client.get(f"/subscriptions/{period.subscription_id}").status_code == 404


def test_r9_the_dashboard_shows_activated_against_the_total_subscribed_flagged_when_higher(client, make, sign_in):
    club = make.club("mermoz", resources=6)
    add_paid_period(club, days_to_end=100, resources=3)
    add_paid_period(club, days_to_end=300, resources=2, po_reference="Simulateur")
    sign_in("mermoz")
    page = html_lib.unescape(client.get("/").get_data(as_text=True))
    resources = page.split('id="resources"')[1].split("</section>")[0]
    assert re.findall(r"<dd>(\d+)</dd>", resources) == ["6", "5"]
    assert 'class="notice"' in resources
    assert page.count("subscription-card") == 2 and "Simulateur" in page


def test_r9_the_dashboard_is_not_flagged_when_the_subscriptions_cover_the_platform(client, make, sign_in):
    club = make.club("mermoz", resources=4)
    add_paid_period(club, days_to_end=100, resources=3)
    add_paid_period(club, days_to_end=300, resources=1, po_reference="Simulateur")
    sign_in("mermoz")
    resources = client.get("/").get_data(as_text=True).split('id="resources"')[1].split("</section>")[0]
    assert re.findall(r"<dd>(\d+)</dd>", resources) == ["4", "4"] and 'class="notice"' not in resources


def test_r9_the_clubs_list_shows_each_subscription(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=100, resources=3, po_reference="Toussus")
    add_paid_period(club, days_to_end=-10, resources=1, po_reference="Ancien")
    sign_in("mermoz")
    page = html_lib.unescape(client.get("/subscriptions").get_data(as_text=True))
    rows = re.findall(r"<tr>\s*<td data-label=\"Offre\">(.*?)</tr>", page, re.S)
    assert len(rows) == 2
    assert "Toussus" in rows[0] and "Actif" in rows[0] and "Ancien" in rows[1] and "Expiré" in rows[1]


def test_r9_staff_see_both_counts_and_every_subscription_with_its_periods_and_invoices(client, mermoz, agent):
    start_subscription(client, "mermoz", date.today() - timedelta(days=10), resources=2, po_reference="Base 2")
    page = html_lib.unescape(client.get("/staff/clients/mermoz").get_data(as_text=True))
    figures = page.split('id="resources"')[1].split("</dl>")[0]
    assert re.findall(r"<dd>(\d+)</dd>", figures) == ["5", "5"]
    section = page.split('id="subscriptions"')[1]
    assert section.count('class="subscription"') == 2 and "Base 2" in section
    invoice = db.session.scalar(select(Invoice))
    assert f"/staff/invoices/{invoice.number}" in section
    assert "/staff/clients/mermoz/subscriptions/new" in page


@pytest.mark.parametrize("asked", ["²", "٣", "99999999999", "-1", "1.0"])
def test_r9_a_subscription_asked_for_by_anything_but_its_id_is_not_found(client, make, sign_in, asked):
    club = make.club("mermoz", resources=1)
    add_paid_period(club, days_to_end=30, resources=1)
    sign_in("mermoz")
    for path in ("/renewal", "/renewal/price", "/renewal/review"):
        assert client.get(path, query_string={"subscription": asked}).status_code == 404, path
    response = post_form(client, "/renewal/confirm", {"subscription": asked, "offer": "business", "resources": "1",
                                                      "term": "1", "expected_total": "432.00", "accept_terms": "y"},
                         token_from="/")
    assert response.status_code == 404 and count(Invoice) == 0


def test_r2_r10_a_club_cancels_its_own_purchases_not_a_subscription_staff_started(client, make, mermoz, agent,
                                                                                 sign_in):
    start_subscription(client, "mermoz", date.today() - timedelta(days=100), resources=2)
    started = db.session.scalar(select(Invoice))
    assert db.session.get(SubscriptionInvoice, started.id).bought_by == AGENT
    sign_in("mermoz")
    page = client.get(f"/invoices/{started.number}").get_data(as_text=True)
    assert f"/invoices/{started.number}/cancel" not in page
    response = post_form(client, f"/invoices/{started.number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{started.number}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, started.id).status.value == "issued" and count(SubscriptionPeriod) == 2


def test_r2_an_invoice_whose_payment_is_announced_is_not_cancelled(client, make, sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=2)
    sign_in("mermoz")
    client.post("/renewal/confirm", data=confirm_form(client, resources=2))
    invoice = db.session.scalar(select(Invoice))
    path = f"/invoices/{invoice.number}"
    assert post_form(client, f"{path}/pay/cheque", {}, token_from=f"{path}/pay/cheque").status_code == 302
    assert f"{path}/cancel" not in client.get(path).get_data(as_text=True)
    post_form(client, f"{path}/cancel", {"confirmed": "1"}, token_from=path)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status.value == "issued"


def test_k4_a_renewal_that_changes_the_terms_leaves_what_they_were_in_the_log(client, make, sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=2, po_reference="BC-1")
    sign_in("mermoz")
    page = client.get("/renewal/review", query_string={"offer": "premiere", "resources": 2, "term": 3,
                                                       "po_reference": "BC-2"})
    client.post("/renewal/confirm", data={**hidden_fields(page.get_data(as_text=True)), "accept_terms": "y"})
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.terms_changed")).one()
    assert entry.details["before"] == {"offer": "business", "term": 1, "po_reference": "BC-1"}
    assert entry.details["after"] == {"offer": "premiere", "term": 3, "po_reference": "BC-2"}
    assert entry.actor == "club:mermoz"
