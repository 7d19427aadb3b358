"""K4: staff filter the audit log by club, actor, action and dates, page through it, and export it as CSV."""
from __future__ import annotations

import csv
import html
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openflyers_account.accounts.operations import set_activated_resources, set_club_discount
from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Club, Partner, StaffRole
from openflyers_account.partners import operations as partners
from openflyers_account.payments.operations import record_payment, reverse_payment
from openflyers_account.subscriptions import operations as subscriptions
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.billing_helpers import add_paid_period
from tests.conftest import PASSWORD


@pytest.fixture
def log(app, make, client, staff_sign_in):
    """Entries about two clubs by two actors over three days, and 60 more about mermoz."""
    mermoz, latecoere = make.club("mermoz"), make.club("latecoere")
    agent = make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    long_ago = datetime.now(UTC) - timedelta(days=10)
    rows = [AuditEntry(actor="agent@openflyers.example", action="payment.recorded", club_id=mermoz.id,
                       details={"amount": "576.00"}, at=long_ago),
            AuditEntry(actor="club:latecoere", action="subscription.notice_given", club_id=latecoere.id,
                       details={}, at=long_ago + timedelta(days=5))]
    rows += [AuditEntry(actor="platform", action="club.resources_reported", club_id=mermoz.id,
                        details={"activated_resources": index}) for index in range(60)]
    db.session.add_all(rows)
    db.session.commit()
    staff_sign_in(agent.email, PASSWORD)
    return long_ago.date()


def listed(client, **query) -> str:
    """The log's table (not the filter's list of actions) as the page shows it."""
    response = client.get("/staff/audit", query_string=query)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    filters = page.index('class="audit-filters"')
    return page[page.index("</form>", filters):]


def test_k4_filter_by_club_actor_action_and_dates(client, log):
    assert "Préavis de non-renouvellement donné" in listed(client, club="latecoere")
    assert "Paiement enregistré" not in listed(client, club="latecoere")
    assert "Paiement enregistré" in listed(client, actor="AGENT@")
    assert "Ressources activées déclarées" not in listed(client, actor="agent")
    only = listed(client, action="subscription.notice_given")
    assert "Préavis de non-renouvellement donné" in only and "Paiement enregistré" not in only
    day = listed(client, **{"from": log.isoformat(), "to": log.isoformat()})
    assert "Paiement enregistré" in day and "Préavis de non-renouvellement donné" not in day
    # An unknown action is no filter; a club that does not exist lists nothing.
    assert "Ressources activées déclarées" in listed(client, action="drop table")
    assert "Rien pour l'instant." in listed(client, club="nowhere")


def test_k4_pages_keep_the_filters(client, log):
    # mermoz: its creation, a payment and 60 reports, 50 to a page, newest first.
    assert "/staff/audit?page=2&amp;club=mermoz" in client.get("/staff/audit?club=mermoz").get_data(as_text=True)
    second = listed(client, club="mermoz", page=2)
    assert second.count("Ressources activées déclarées") == 10
    assert "Paiement enregistré" in second and "Compte club créé" in second


def test_k4_the_csv_has_every_entry_the_filters_select(client, log):
    response = client.get("/staff/audit.csv", query_string={"club": "mermoz"}, buffered=True)
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Auteur", "Action", "Club", "Détails"]
    assert len(rows) == 1 + 62 and {row[3] for row in rows[1:]} == {"mermoz"}
    assert [row[2] for row in rows[-2:]] == ["Paiement enregistré", "Compte club créé"]
    assert rows[-2][4] == "montant: 576.00"


@pytest.mark.parametrize("query", [{"from": "2026-02-31"}, {"from": "2026-03-01", "to": "2026-02-01"}])
def test_k4_dates_that_are_not_a_range_are_said_so(client, log, query):
    response = client.get("/staff/audit", query_string=query)
    assert response.status_code == 422
    assert client.get("/staff/audit.csv", query_string=query).status_code == 404


def test_k4_every_money_event_and_account_change_is_in_the_log_with_who_did_it(app, make):
    """Invoices issued by the club, staff and a partner; a credit note; payments by card and by hand; a reversal;
    a cancellation; both discounts; a PO change; resources reported. (The automatic renewal's entry is checked
    with the renewal job, tests/renewals.)"""
    today = date.today()
    admin = make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    club = make.club("mermoz", resources=2)
    partner = partners.add_partner("contact@federation.example", "Fédération", "cli", password=PASSWORD)
    period = add_paid_period(club, days_to_end=30)
    order = SubscriptionOrder("business", 2, Term.ONE_YEAR)
    with app.test_request_context():
        mermoz = db.session.get(Club, club.id)
        renewal = subscriptions.issue_renewal(club.id, period.subscription_id, order, today, mermoz)
        record_payment(renewal.id, Decimal("10.00"), PaymentMethod.CARD, today, "stripe", reference="cs_1")
        cheque = record_payment(renewal.id, Decimal("20.00"), PaymentMethod.CHEQUE, today, admin, reference="1")
        reverse_payment(cheque.id, admin, "bounced")
        started = subscriptions.start_subscription(club.id, order, today, today, admin)
        issue_credit_note(admin, started.number, None, "doublon", today)
        partners.link_club(partner.id, "mermoz", "cli")
        buyer = db.session.get(Partner, partner.id)
        bought = subscriptions.start_subscription(club.id, order, today, today, buyer,
                                                  payer=partners.partner_payer(buyer, mermoz))
        subscriptions.cancel_purchase(club.id, bought.number, today, buyer)
        subscriptions.change_po_reference(club.id, period.subscription_id, "BC-42", mermoz)
        set_club_discount(mermoz, Decimal("5"), "fédération", admin)
        partners.set_discount(partner.id, Decimal("10"), "accord", admin)
        set_activated_resources(mermoz, 3, "platform")
    logged = {(entry.action, entry.actor) for entry in db.session.scalars(select(AuditEntry))}
    expected = {
        ("subscription.renewed", "club:mermoz"), ("payment.recorded", "stripe"),
        ("payment.recorded", "admin@openflyers.example"), ("payment.reversed", "admin@openflyers.example"),
        ("subscription.started", "admin@openflyers.example"), ("invoice.credited", "admin@openflyers.example"),
        ("subscription.started", "partner:contact@federation.example"),
        ("invoice.cancelled", "partner:contact@federation.example"),
        ("subscription.po_reference_changed", "club:mermoz"), ("club.discount_changed", "admin@openflyers.example"),
        ("partner.discount_changed", "admin@openflyers.example"), ("club.resources_reported", "platform"),
    }
    assert expected <= logged, expected - logged


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # formatting only
@pytest.mark.parametrize("language, number, amount, numbers", [("fr", "12,5", "576,00\u00a0€", "2, 3,25"),
                                                               ("en", "12.5", "€576.00", "2, 3.25")])
def test_k4_audit_details_show_numbers_and_amounts_as_the_reader_writes_them(app, language, number, amount, numbers):
    audit_value = app.jinja_env.filters["audit_value"]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert audit_value("12.5", "discount_percent") == number
        assert audit_value("576.00", "amount") == amount
        assert audit_value(["2", "3.25"], "resources") == numbers
