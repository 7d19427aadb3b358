"""The back office: staff sign-in and roles (A5), assistance billed on First Price (A6), resources (S1)."""
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.accounts import operations
from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Club, OutboxMessage, PendingCharge, ResourceReport, StaffRole
from tests.billing_helpers import hidden_fields
from tests.conftest import PASSWORD, csrf_token, link_in, post_form

STAFF_PAGES = ["/staff/", "/staff/clients", "/staff/clients/mermoz", "/staff/audit"]


@pytest.fixture
def staff_member(make):
    return make.staff(StaffRole.STAFF, email="agent@openflyers.example")


def client_form(client, subdomain: str, action: str) -> dict:
    """The hidden fields (CSRF token, one-time key) of one form of the staff's client page, as a browser has them."""
    page = client.get(f"/staff/clients/{subdomain}").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/staff/clients/{subdomain}/{action}".*?</form>', page, re.S)
    assert form, f"no {action} form"
    return hidden_fields(form.group(0))


def charges_of(club) -> list[PendingCharge]:
    return list(db.session.scalars(select(PendingCharge).where(PendingCharge.club_id == club.id)))


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


def test_a5_staff_find_a_club_by_name_subdomain_or_address(client, make, staff_member, staff_sign_in):
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
    response = client.post("/staff/clients/mermoz/password-reset", data=client_form(client, "mermoz", "password-reset"))
    assert response.status_code == 302
    assert {m["To"] for m in mailbox.messages} == {"contact@mermoz.example", "tresorier@example.org"}
    assert "/password/reset/" in link_in(mailbox.messages[0])
    charges = db.session.scalars(select(PendingCharge).where(PendingCharge.club_id == club.id)).all()
    assert len(charges) == (1 if billed else 0)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "club.password_reset_sent")).one()
    assert entry.club_id == club.id and entry.staff_id == staff_member.id and entry.details["billed"] is billed
    if billed:
        assert charges[0].unit_price == Decimal("15.00") and charges[0].staff_id == staff_member.id
        post_form(client, "/staff/logout", {}, token_from="/staff/")
        sign_in("mermoz")
        dashboard = client.get("/").get_data(as_text=True)
        assert charges[0].label in dashboard
        assert "15,00" in dashboard


def test_a6_an_email_change_by_staff_is_audited_and_billed_on_first_price(client, make, staff_member, staff_sign_in):
    club = make.club("mermoz", offer="first-price")
    staff_sign_in("agent@openflyers.example")
    response = client.post("/staff/clients/mermoz/emails", data={
        **client_form(client, "mermoz", "emails"), "structure_email": "new@example.org", "contact_email": ""})
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
    response = client.post("/staff/clients/mermoz/emails", data={
        **client_form(client, "mermoz", "emails"), "structure_email": "not an address", "contact_email": ""})
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


def test_a5_the_audit_log_lists_who_did_what_and_when(client, make, staff_member, staff_sign_in):
    make.club("mermoz")
    staff_sign_in("agent@openflyers.example")
    client.post("/staff/clients/mermoz/password-reset", data=client_form(client, "mermoz", "password-reset"))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "club.password_reset_sent")).one()
    page = client.get("/staff/audit").get_data(as_text=True)
    rows = [html.unescape(row) for row in re.findall(r"<tr>.*?</tr>", page, re.S)
            if "Lien de réinitialisation du mot de passe envoyé" in row]
    assert len(rows) == 1
    (row,) = rows
    assert "agent@openflyers.example" in row  # who
    assert 'href="/staff/clients/mermoz"' in row and "contact@mermoz.example" in row  # for which club, to where
    assert entry.at.strftime("%d/%m/%Y %H:%M") in row  # when (French short format, UTC)
    signed_in = [row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "Connexion" in row]
    assert signed_in and "agent@openflyers.example" in signed_in[0]


def test_a6_a_staff_reset_form_posted_twice_bills_once_and_sends_once(client, make, staff_member, staff_sign_in,
                                                                       mailbox):
    club = make.club("mermoz", offer="first-price", contact_email="tresorier@example.org")
    staff_sign_in("agent@openflyers.example")
    form = client_form(client, "mermoz", "password-reset")
    first = client.post("/staff/clients/mermoz/password-reset", data=form)
    second = client.post("/staff/clients/mermoz/password-reset", data=form, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "Ce formulaire avait déjà été envoyé" in second.get_data(as_text=True)
    assert len(charges_of(club)) == 1
    assert sorted(m["To"] for m in mailbox.messages) == ["contact@mermoz.example", "tresorier@example.org"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    assert audit_actions(club.id).count("club.password_reset_sent") == 1
    # The page shows a fresh form: a deliberate second reset is sent, and billed, again.
    assert client.post("/staff/clients/mermoz/password-reset",
                       data=client_form(client, "mermoz", "password-reset")).status_code == 302
    assert len(charges_of(club)) == 2 and len(mailbox.messages) == 4


def test_a6_a_staff_email_change_posted_twice_bills_once(client, make, staff_member, staff_sign_in):
    club = make.club("mermoz", offer="first-price")
    staff_sign_in("agent@openflyers.example")
    form = {**client_form(client, "mermoz", "emails"), "structure_email": "new@example.org", "contact_email": ""}
    assert client.post("/staff/clients/mermoz/emails", data=form).status_code == 302
    # Meanwhile the club puts its old address back; the same page resent must not change it nor bill again.
    operations.change_emails(db.session.get(Club, club.id), "contact@mermoz.example", "")
    again = client.post("/staff/clients/mermoz/emails", data=form, follow_redirects=True)
    assert "Ce formulaire avait déjà été envoyé" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Club, club.id).structure_email == "contact@mermoz.example"
    assert [c.service_code for c in charges_of(club)] == ["staff-email-change"]
    assert audit_actions(club.id).count("club.emails_changed") == 1


@pytest.mark.parametrize("key", [None, "", "not-a-key", "0" * 31, "g" * 32])
def test_a6_a_staff_form_without_its_one_time_key_does_nothing(client, make, staff_member, staff_sign_in, mailbox,
                                                               key):
    club = make.club("mermoz", offer="first-price")
    staff_sign_in("agent@openflyers.example")
    for action, data in (("password-reset", {}), ("emails", {"structure_email": "new@example.org"})):
        form = {**client_form(client, "mermoz", action), **data}
        if key is None:
            del form["request_key"]
        else:
            form["request_key"] = key
        response = client.post(f"/staff/clients/mermoz/{action}", data=form)
        assert response.status_code == 422
        assert "Ce formulaire est incomplet" in response.get_data(as_text=True)
    assert charges_of(club) == [] and mailbox.messages == []
    db.session.expire_all()
    assert db.session.get(Club, club.id).structure_email == "contact@mermoz.example"


def test_a5_staff_sign_out_is_a_post_with_its_csrf_token(client, staff_member, staff_sign_in):
    staff_sign_in("agent@openflyers.example")
    page = client.get("/staff/logout")
    assert page.status_code == 200 and 'action="/staff/logout"' in page.get_data(as_text=True)
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    assert client.get("/staff/logout").headers["Location"] == "/staff/login"


def test_a5_unknown_client_is_404(client, staff_member, staff_sign_in):
    staff_sign_in("agent@openflyers.example")
    assert client.get("/staff/clients/nobody").status_code == 404
    assert client.get("/staff/clients/..%2F..%2Fetc").status_code == 404
