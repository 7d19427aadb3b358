"""The partner's Clients page and a client's page: its clubs only, their counts, search and pages, the same number
of queries for 10 clubs or many (B2, B4, U4)."""
import html as html_lib
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from openflyers_account.extensions import db
from openflyers_account.partners import operations
from openflyers_account.subscriptions import operations as subscriptions
from tests.billing_helpers import add_paid_period
from tests.conftest import PASSWORD, post_form

EMAIL = "contact@federation.example"


@pytest.fixture
def partner(app):
    return operations.add_partner(EMAIL, "Fédération régionale", "cli", password=PASSWORD)


@pytest.fixture
def signed_in(client, partner):
    assert post_form(client, "/partner/login", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    return partner


def managed(make, partner, subdomain: str, **club):
    made = make.club(subdomain, **club)
    operations.link_club(partner.id, subdomain, "cli")
    return made


def rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="table stack clients">.*?<tbody>(.*?)</tbody>', page, re.S)
    if table is None:
        return []
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)]


def test_b2_the_clients_page_lists_its_clubs_with_their_counts_next_end_and_state(client, make, signed_in):
    mermoz = managed(make, signed_in, "mermoz", name="Aéroclub Mermoz", resources=5)
    add_paid_period(mermoz, days_to_end=60, resources=3)
    guillaumet = managed(make, signed_in, "guillaumet", name="Aéroclub Guillaumet", resources=2)
    add_paid_period(guillaumet, days_to_end=200, resources=2)
    make.club("latecoere", name="Cercle Latécoère")  # not its club
    page = html_lib.unescape(client.get("/partner/clients").get_data(as_text=True))
    listed = rows(page)
    assert [row[:4] for row in listed] == [["Aéroclub Guillaumet", "guillaumet", "2", "2"],
                                          ["Aéroclub Mermoz", "mermoz", "5", "3 moins que les activées"]]
    assert "Renouvellement ouvert" in listed[1][5] and "Actif" in listed[0][5]
    assert listed[1][4] == format_short(date.today() + timedelta(days=60))
    assert "Latécoère" not in page
    assert page.count('class="flagged"') == 1


def test_b2_resources_added_to_a_running_period_count_as_subscribed_on_the_clients_page(client, make, signed_in):
    mermoz = managed(make, signed_in, "mermoz", name="Aéroclub Mermoz", resources=5)
    period = add_paid_period(mermoz, days_to_end=200, resources=3)
    subscriptions.add_resources(mermoz.id, period.subscription_id, 2, date.today(), "cli")
    other = make.club("latecoere", resources=9)  # not its club: its additions count nowhere on this page
    other_period = add_paid_period(other, days_to_end=200, resources=3)
    subscriptions.add_resources(other.id, other_period.subscription_id, 6, date.today(), "cli")
    page = html_lib.unescape(client.get("/partner/clients").get_data(as_text=True))
    assert [row[:4] for row in rows(page)] == [["Aéroclub Mermoz", "mermoz", "5", "5"]]


def format_short(day: date) -> str:
    from babel.dates import format_date

    return format_date(day, "medium", locale="fr")


def test_b2_search_finds_by_subdomain_or_name(client, make, signed_in):
    managed(make, signed_in, "mermoz", name="Aéroclub Jean Mermoz")
    managed(make, signed_in, "guillaumet", name="Aéroclub Henri Guillaumet")
    assert [row[1] for row in rows(client.get("/partner/clients?q=MERM").get_data(as_text=True))] == ["mermoz"]
    assert [row[1] for row in rows(client.get("/partner/clients?q=henri").get_data(as_text=True))] == ["guillaumet"]
    fragment = client.get("/partner/clients?q=henri", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "guillaumet" in fragment


@contextmanager
def counted_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_u4_the_clients_page_costs_the_same_queries_for_3_clubs_or_60_and_pages_them(client, make, signed_in):
    for index in range(3):
        club = managed(make, signed_in, f"club{index:03d}", resources=2)
        add_paid_period(club, days_to_end=100 + index, resources=1)
    with counted_queries() as few:
        client.get("/partner/clients")
    for index in range(3, 60):
        club = managed(make, signed_in, f"club{index:03d}", resources=2)
        add_paid_period(club, days_to_end=100 + index, resources=1)
    with counted_queries() as many:
        first = client.get("/partner/clients").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(rows(first)) == 50 and "Page 1 sur 2" in first
    second = client.get("/partner/clients?page=2").get_data(as_text=True)
    assert len(rows(second)) == 10
    # The counts are summed for the page shown, whichever it is: each of these clubs subscribes 1 of its 2.
    assert all(row[2] == "2" and row[3].startswith("1 ") and row[4] for row in rows(second)), rows(second)
    assert rows(client.get("/partner/clients?page=999999999999").get_data(as_text=True)) == []


def test_b2_a_clients_page_shows_both_counts_and_each_subscription(client, make, signed_in):
    mermoz = managed(make, signed_in, "mermoz", resources=6)
    add_paid_period(mermoz, days_to_end=60, resources=3)
    add_paid_period(mermoz, days_to_end=300, resources=2, po_reference="Simulateur")
    page = html_lib.unescape(client.get("/partner/clients/mermoz").get_data(as_text=True))
    figures = page.split('id="resources"')[1].split("</dl>")[0]
    assert re.findall(r"<dd>(\d+)</dd>", figures) == ["6", "5"]
    assert page.count('class="subscription"') == 2 and "Simulateur" in page


def test_b4_another_partners_club_is_not_found(client, make, signed_in):
    other = operations.add_partner("other@partner.example", "Other", "cli")
    make.club("mermoz")
    operations.link_club(other.id, "mermoz", "cli")
    assert client.get("/partner/clients/mermoz").status_code == 404
    assert client.get("/partner/clients/nobody").status_code == 404
    assert rows(client.get("/partner/clients").get_data(as_text=True)) == []
