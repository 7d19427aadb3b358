"""The back office: staff sign-in and roles (A5), assistance billed on First Price (A6), resources (S1)."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Club, PendingCharge, ResourceReport, StaffRole
from tests.conftest import PASSWORD, link_in, post_form

STAFF_PAGES = ["/staff/", "/staff/clients", "/staff/clients/mermoz", "/staff/audit"]


@pytest.fixture
def staff_member(make):
    return make.staff(StaffRole.STAFF, email="agent@openflyers.example")


def audit_actions(club_id=None):
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if club_id is not None:
        query = query.where(AuditEntry.club_id == club_id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a5_staff_pages_need_a_staff_session(client, make, sign_in, path):
    make.club("mermoz")
    assert client.get(path).headers["Location"].startswith("/staff/login")
    sign_in("mermoz")
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("path", ["/staff/clients/mermoz/password-reset", "/staff/clients/mermoz/emails",
                                  "/staff/clients/mermoz/resources"])
def test_a5_a_club_cannot_act_as_staff(client, make, sign_in, mailbox, path):
    club = make.club("mermoz")
    sign_in("mermoz")
    response = post_form(client, path, {"structure_email": "evil@example.org", "activated_resources": "0",
                                        "reason": "x"}, token_from="/")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Club, club.id).structure_email == "contact@mermoz.example"
    assert mailbox.messages == []


def test_a5_staff_sign_in_is_audited(client, staff_member, staff_sign_in):
    staff_sign_in("agent@openflyers.example")
    assert client.get("/staff/").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.signed_in")).one()
    assert entry.actor == "agent@openflyers.example" and entry.staff_id == staff_member.id


def test_a5_wrong_staff_password_is_refused(client, staff_member):
    response = post_form(client, "/staff/login", {"email": "agent@openflyers.example", "password": "nope nope nope"})
    assert response.status_code == 422
    assert client.get("/staff/").status_code == 302


def test_a5_a_club_password_does_not_open_the_back_office(client, make):
    make.club("mermoz", structure_email="agent@openflyers.example")
    response = post_form(client, "/staff/login", {"email": "agent@openflyers.example", "password": PASSWORD})
    assert response.status_code == 422


def test_staff_find_a_club_by_name_subdomain_or_address(client, make, staff_member, staff_sign_in):
    make.club("mermoz", name="Aéroclub Jean Mermoz", contact_email="jean@example.org")
    make.club("guillaumet", name="Aéroclub Henri Guillaumet")
    staff_sign_in("agent@openflyers.example")
    for query in ("mermoz", "Jean", "jean@example", "MERM"):
        page = client.get("/staff/clients", query_string={"q": query}).get_data(as_text=True)
        assert "/staff/clients/mermoz" in page and "/staff/clients/guillaumet" not in page
    fragment = client.get("/staff/clients", query_string={"q": "guill"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "/staff/clients/guillaumet" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert client.get("/staff/clients", query_string={"q": "%_\\"}).status_code == 200


@pytest.mark.parametrize("offer, billed", [("first-price", True), ("business", False)])
def test_a6_a_reset_sent_by_staff_is_billed_on_first_price_only(client, make, staff_member, staff_sign_in, mailbox,
                                                                  sign_in, offer, billed):
    club = make.club("mermoz", offer=offer, contact_email="tresorier@example.org")
    staff_sign_in("agent@openflyers.example")
    response = post_form(client, "/staff/clients/mermoz/password-reset", {}, token_from="/staff/clients/mermoz")
    assert response.status_code == 302
    assert {m["To"] for m in mailbox.messages} == {"contact@mermoz.example", "tresorier@example.org"}
    assert "/password/reset/" in link_in(mailbox.messages[0])
    charges = db.session.scalars(select(PendingCharge).where(PendingCharge.club_id == club.id)).all()
    assert len(charges) == (1 if billed else 0)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "club.password_reset_sent")).one()
    assert entry.club_id == club.id and entry.staff_id == staff_member.id and entry.details["billed"] is billed
    if billed:
        assert charges[0].unit_price == Decimal("15.00") and charges[0].staff_id == staff_member.id
        client.get("/staff/logout")
        sign_in("mermoz")
        dashboard = client.get("/").get_data(as_text=True)
        assert charges[0].label in dashboard
        assert "15,00" in dashboard


def test_a6_an_email_change_by_staff_is_audited_and_billed_on_first_price(client, make, staff_member, staff_sign_in):
    club = make.club("mermoz", offer="first-price")
    staff_sign_in("agent@openflyers.example")
    response = post_form(client, "/staff/clients/mermoz/emails",
                         {"structure_email": "new@example.org", "contact_email": ""}, token_from="/staff/clients/mermoz")
    assert response.status_code == 302
    db.session.expire_all()
    club = db.session.get(Club, club.id)
    assert (club.structure_email, club.contact_email) == ("new@example.org", "")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "club.emails_changed")).one()
    assert entry.details["before"]["structure_email"] == "contact@mermoz.example"
    assert entry.details["after"]["structure_email"] == "new@example.org"
    assert db.session.scalars(select(PendingCharge.service_code)).all() == ["staff-email-change"]


def test_a6_a_bad_address_from_staff_changes_nothing_and_bills_nothing(client, make, staff_member, staff_sign_in):
    club = make.club("mermoz", offer="first-price")
    staff_sign_in("agent@openflyers.example")
    response = post_form(client, "/staff/clients/mermoz/emails",
                         {"structure_email": "not an address", "contact_email": ""}, token_from="/staff/clients/mermoz")
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Club, club.id).structure_email == "contact@mermoz.example"
    assert db.session.scalars(select(PendingCharge)).all() == []
    assert "club.emails_changed" not in audit_actions()


def test_s1_staff_set_the_activated_resources_with_a_reason(client, make, staff_member, staff_sign_in):
    club = make.club("mermoz", resources=3)
    staff_sign_in("agent@openflyers.example")
    response = post_form(client, "/staff/clients/mermoz/resources", {"activated_resources": "5", "reason": "new DR400"},
                         token_from="/staff/clients/mermoz")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Club, club.id).activated_resources == 5
    history = db.session.scalars(select(ResourceReport.activated_resources).order_by(ResourceReport.id)).all()
    assert history == [3, 5]
    assert "club.resources_reported" in audit_actions(club.id)
    for bad in ({"activated_resources": "-1", "reason": "x"}, {"activated_resources": "2.5", "reason": "x"},
                {"activated_resources": "abc", "reason": "x"}, {"activated_resources": "4", "reason": ""}):
        assert post_form(client, "/staff/clients/mermoz/resources", bad,
                         token_from="/staff/clients/mermoz").status_code == 422
    db.session.expire_all()
    assert db.session.get(Club, club.id).activated_resources == 5


def test_a5_the_audit_log_lists_who_did_what(client, make, staff_member, staff_sign_in):
    make.club("mermoz")
    staff_sign_in("agent@openflyers.example")
    post_form(client, "/staff/clients/mermoz/password-reset", {}, token_from="/staff/clients/mermoz")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "agent@openflyers.example" in page and "/staff/clients/mermoz" in page


def test_unknown_client_is_404(client, staff_member, staff_sign_in):
    staff_sign_in("agent@openflyers.example")
    assert client.get("/staff/clients/nobody").status_code == 404
    assert client.get("/staff/clients/..%2F..%2Fetc").status_code == 404
