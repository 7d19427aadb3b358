"""The public price catalogue (P6) and the chargeable services' prices, versioned like the offers' (P1, A6)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date
from lxml import html as lxml_html
from sqlalchemy import func, select

from openflyers_account.billing import catalogue
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    ChargeableService,
    Invoice,
    PendingCharge,
    PriceList,
    ServicePrice,
    StaffRole,
)
from openflyers_account.subscriptions import operations as subscriptions
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.billing_helpers import add_paid_period, form_fields, renew
from tests.conftest import post_form
from tests.test_staff_billing import field_errors, price_form, publish

ADMIN = "admin@openflyers.example"
AGENT = "agent@openflyers.example"
RESET = "staff-password-reset"
EMAIL_CHANGE = "staff-email-change"

#: The demo price list (migration 0001): annual base fee and fee per resource, excl. VAT (P1).
DEMO_OFFERS = {"First Price": ("120,00", "30,00"), "Business": ("300,00", "60,00"),
               "Premiere": ("600,00", "75,00"), "Corporate": ("1 200,00", "90,00")}
DEMO_SERVICES = {"Réinitialisation du mot de passe par le support": "15,00",
                 "Modification des adresses e-mail par le support": "15,00"}
DEMO_PRICES = {"first-price": (Decimal("120.00"), Decimal("30.00")), "business": (Decimal("300.00"), Decimal("60.00")),
               "premiere": (Decimal("600.00"), Decimal("75.00")), "corporate": (Decimal("1200.00"), Decimal("90.00"))}


def text(element) -> str:
    """An element's text with the spaces Babel puts in amounts (no-break, narrow no-break) as plain ones."""
    return " ".join(element.text_content().replace("\u00a0", " ").replace("\u202f", " ").split())


def amount(cell: str) -> str:
    """'1 200,00 €' -> '1 200,00'."""
    return cell.replace("€", "").strip()


def price_sections(page: str) -> list[dict]:
    """The price lists the public page shows: heading, offers {name: (base, per resource)}, services {label: price}."""
    tree = lxml_html.fromstring(page)
    sections = []
    for section in tree.xpath('//section[contains(@class, "price-list")]'):
        offers_table, services_table = section.xpath(".//table")
        offers = {}
        for row in offers_table.xpath("./tbody/tr"):
            name, base, per_resource = (text(cell) for cell in row.xpath("./td"))
            offers[name] = (amount(base), amount(per_resource))
        services = {}
        for row in services_table.xpath("./tbody/tr"):
            label, price = (text(cell) for cell in row.xpath("./td"))
            services[label] = amount(price)
        sections.append({"heading": text(section.xpath(".//h2")[0]), "offers": offers, "services": services})
    return sections


def term_discounts(page: str) -> dict[int, str]:
    """The terms table: {years: discount as printed}."""
    tree = lxml_html.fromstring(page)
    [table] = tree.xpath('//section[not(contains(@class, "price-list"))]//table')
    rows = [[text(cell) for cell in row.xpath("./td")] for row in table.xpath("./tbody/tr")]
    return {int(term.split()[0]): discount for term, discount in rows}


def french_day(day: date) -> str:
    return format_date(day, "long", locale="fr")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(make, staff_sign_in):
    member = make.staff(StaffRole.ADMIN, email=ADMIN)
    staff_sign_in(ADMIN)
    return member


# -- the public catalogue (P6) ------------------------------------------------------------------------

def test_p6_the_catalogue_is_public_with_every_offer_term_and_service(client, make):
    make.club("mermoz")  # a club exists, nobody is signed in
    response = client.get("/catalogue")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [in_force] = price_sections(page)
    assert in_force["offers"] == DEMO_OFFERS
    assert in_force["services"] == DEMO_SERVICES
    assert french_day(date(2020, 1, 1)) in in_force["heading"]
    assert term_discounts(page) == {1: "0 %", 3: "10 %", 5: "15 %"}  # P2


def test_p6_a_published_price_list_shows_beside_todays_until_it_applies(client, make):
    staff = make.staff(StaffRole.ADMIN, email=ADMIN)
    next_day = date.today() + timedelta(days=20)
    catalogue.publish_price_list(
        staff, next_day, {**DEMO_PRICES, "business": (Decimal("330.00"), Decimal("66.50"))}, date.today(),
        "2027 prices", {RESET: Decimal("18.50")})

    sections = price_sections(client.get("/catalogue").get_data(as_text=True))

    assert [s["offers"]["Business"] for s in sections] == [("300,00", "60,00"), ("330,00", "66,50")]
    assert [s["offers"]["Corporate"] for s in sections] == [("1 200,00", "90,00"), ("1 200,00", "90,00")]
    assert [s["services"]["Réinitialisation du mot de passe par le support"] for s in sections] == ["15,00", "18,50"]
    # A service left out keeps its price in the new list (P1).
    assert [s["services"]["Modification des adresses e-mail par le support"] for s in sections] == ["15,00", "15,00"]
    assert french_day(date(2020, 1, 1)) in sections[0]["heading"]
    assert french_day(next_day) in sections[1]["heading"]
    assert french_day(next_day) not in sections[0]["heading"]


def test_p6_only_the_next_price_list_shows_not_later_ones(client, make):
    staff = make.staff(StaffRole.ADMIN, email=ADMIN)
    soon, later = date.today() + timedelta(days=10), date.today() + timedelta(days=40)
    for day, fee in ((later, "400.00"), (soon, "350.00")):
        catalogue.publish_price_list(staff, day, {**DEMO_PRICES, "business": (Decimal(fee), Decimal("60.00"))},
                                     date.today())
    sections = price_sections(client.get("/catalogue").get_data(as_text=True))
    assert [s["offers"]["Business"][0] for s in sections] == ["300,00", "350,00"]
    assert french_day(soon) in sections[1]["heading"]


def test_p1_a_price_list_leaving_services_out_keeps_the_prices_in_force_on_its_date(make):
    staff = make.staff(StaffRole.ADMIN, email=ADMIN)
    soon, later = date.today() + timedelta(days=10), date.today() + timedelta(days=40)
    catalogue.publish_price_list(staff, soon, DEMO_PRICES, date.today(), service_prices={RESET: Decimal("18.50")})
    catalogue.publish_price_list(staff, later, {**DEMO_PRICES, "business": (Decimal("350.00"), Decimal("60.00"))},
                                 date.today())
    assert [catalogue.service_price(RESET, day) for day in (date.today(), soon, later)] == [
        Decimal("15.00"), Decimal("18.50"), Decimal("18.50")]
    assert catalogue.offer_price("business", later).base_fee == Decimal("350.00")


def test_p1_a_renewal_before_the_next_price_list_applies_is_priced_at_todays_prices(client, make, sign_in):
    staff = make.staff(StaffRole.ADMIN, email=ADMIN)
    club = make.club("mermoz", resources=3)
    period = add_paid_period(club, days_to_end=30, resources=3)
    # The new prices apply before the renewed period starts, but after the invoice date: the invoice date decides.
    next_day = date.today() + timedelta(days=10)
    catalogue.publish_price_list(staff, next_day, {**DEMO_PRICES, "business": (Decimal("330.00"), Decimal("70.00"))},
                                 date.today())
    sign_in("mermoz")

    response = renew(client, offer="business", resources=3, term=1)

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.period_start == period.end_date + timedelta(days=1) > next_day
    assert invoice.total_excl_vat == Decimal("480.00")  # 300 + 3 x 60, today's prices
    assert sorted(line.unit_price for line in invoice.lines) == [Decimal("60.00"), Decimal("300.00")]


def test_p6_the_renewal_form_links_to_the_catalogue(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=30)
    sign_in("mermoz")
    response = client.get("/renewal")
    assert response.status_code == 200
    # In the page's content, beside the choice of offer, not only in a menu.
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert page.xpath('//main[.//form[@id="renewal-form"]]//a[@href="/catalogue"]')


# -- chargeable services' prices (P1, A6) ---------------------------------------------------------------

def staff_reset(client, subdomain: str):
    """A password reset sent by staff from the client's page, as a browser sends it (A6)."""
    action = f"/staff/clients/{subdomain}/password-reset"
    fields = form_fields(client.get(f"/staff/clients/{subdomain}").get_data(as_text=True), action)
    return client.post(action, data=fields)


def test_p1_a_new_service_price_bills_charges_from_then_and_earlier_charges_keep_theirs(client, make, admin):
    club = make.club("mermoz", offer="first-price", resources=0)
    assert staff_reset(client, "mermoz").status_code == 302

    response = publish(client, price_form(date.today(), services={RESET: "18,50"}, note="Support 2027"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert staff_reset(client, "mermoz").status_code == 302

    charges = db.session.scalars(select(PendingCharge).where(PendingCharge.club_id == club.id)
                                 .order_by(PendingCharge.id)).all()
    assert [(c.service_code, c.unit_price) for c in charges] == [(RESET, Decimal("15.00")), (RESET, Decimal("18.50"))]
    assert catalogue.service_price(RESET, date.today()) == Decimal("18.50")
    assert catalogue.service_price(EMAIL_CHANGE, date.today()) == Decimal("15.00")
    assert catalogue.service_price(RESET, date.today() - timedelta(days=1)) == Decimal("15.00")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "catalogue.published")).one()
    assert entry.actor == ADMIN and entry.details["services"][RESET] == "18.50"

    # The next invoice carries each charge at the price it was recorded with (I2).
    invoice = subscriptions.issue_renewal(club.id, None, SubscriptionOrder("first-price", 0, Term.ONE_YEAR),
                                          date.today(), "test")
    assert sorted(line.unit_price for line in invoice.lines) == [Decimal("15.00"), Decimal("18.50"),
                                                                 Decimal("120.00")]


def test_p1_the_staff_catalogue_history_shows_the_services_prices(client, make, admin):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    later = date.today() + timedelta(days=15)
    assert publish(client, price_form(later, services={EMAIL_CHANGE: "21.00"})).status_code == 302

    page = client.get("/staff/catalogue").get_data(as_text=True)

    tree = lxml_html.fromstring(page)
    history = tree.xpath('//section[h2[normalize-space()="History"]]//tbody/tr')
    # Newest first: the list just published, then the demo list; the last price column holds the services.
    services_of = [text(row.xpath('./td[contains(@class, "prices")]')[-1]) for row in history]
    assert len(services_of) == 2
    assert "Modification des adresses e-mail par le support: €21.00" in services_of[0]
    assert "Réinitialisation du mot de passe par le support: €15.00" in services_of[0]
    assert "Modification des adresses e-mail par le support: €15.00" in services_of[1]
    assert "€21.00" not in services_of[1]
    # The prices in force today are still the demo's, services included.
    in_force = tree.xpath('//section[h2[normalize-space()="Prices in force today"]]')[0]
    assert "€15.00" in text(in_force) and "€21.00" not in text(in_force)
    # The publish form starts from today's service prices.
    ids = {service.code: service.id for service in catalogue.services()}
    assert tree.xpath(f'//input[@name="service_price_{ids[EMAIL_CHANGE]}"]/@value') == ["15.00"]


def test_a5_only_an_admin_publishes_prices(client, make, staff_sign_in):
    make.staff(StaffRole.STAFF, email=AGENT)
    staff_sign_in(AGENT)
    data = price_form(date.today() + timedelta(days=5), services={RESET: "99.00"})
    page = client.get("/staff/catalogue")
    assert 'name="service_price_' not in page.get_data(as_text=True)  # no form for a non-admin

    response = post_form(client, "/staff/catalogue", data, token_from="/staff/")

    assert response.status_code in (302, 403)
    assert (count(PriceList), count(ServicePrice)) == (1, 2)
    assert catalogue.service_price(RESET, date.today() + timedelta(days=5)) == Decimal("15.00")


@pytest.mark.parametrize("price", ["-1", "-0,01", "abc", "", "1e3", "15.001", "NaN"])
def test_p1_a_service_price_must_be_an_amount_not_negative(client, make, admin, price):
    response = publish(client, price_form(date.today() + timedelta(days=5), services={RESET: price}))

    assert response.status_code == 422
    service_id = db.session.scalar(select(ChargeableService.id).where(ChargeableService.code == RESET))
    assert field_errors(response.get_data(as_text=True), f"service_price_{service_id}").strip()
    assert (count(PriceList), count(ServicePrice)) == (1, 2)
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "catalogue.published")).all() == []
