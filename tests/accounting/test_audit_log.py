"""K4: staff filter the audit log by club, actor, action and dates, page through it, and export it as CSV."""
from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta

import pytest

from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, StaffRole
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
