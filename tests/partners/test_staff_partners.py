"""Staff create partners, set their discount with a reason and link the clubs they manage; operators do it from
the shell (B1, A5, O2)."""
import html as html_lib
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Partner, PartnerClub, StaffRole
from openflyers_account.partners import operations
from tests.conftest import post_form

AGENT = "agent@openflyers.example"
RECORD = {"name": "Fédération régionale", "email": "contact@federation.example", "address": "1 rue des Hangars",
          "postcode": "31000", "city": "Toulouse", "country": "fr", "siren": "732 829 320",
          "vat_number": "FR44732829320", "discount_percent": "12,5", "discount_reason": "Accord fédéral 2027"}


@pytest.fixture
def agent(make, staff_sign_in):
    make.staff(StaffRole.STAFF, email=AGENT)
    staff_sign_in(AGENT)


def partners() -> list[Partner]:
    db.session.expire_all()
    return list(db.session.scalars(select(Partner).order_by(Partner.id)))


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<div id="{field}-errors" class="field-errors">(.*?)</div>', html, re.S)
    return html_lib.unescape(match.group(1)) if match else ""


def test_b1_staff_create_a_partner_with_its_record_and_discount(client, agent):
    response = post_form(client, "/staff/partners", RECORD)
    (partner,) = partners()
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/partners/{partner.id}"
    assert (partner.name, partner.email, partner.city, partner.country, partner.siren, partner.vat_number,
            partner.discount_percent, partner.discount_reason) == (
        "Fédération régionale", "contact@federation.example", "Toulouse", "FR", "732829320", "FR44732829320",
        Decimal("12.50"), "Accord fédéral 2027")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "partner.created")).one()
    assert entry.actor == AGENT and entry.details["discount"] == "12.50"
    page = html_lib.unescape(client.get(f"/staff/partners/{partner.id}").get_data(as_text=True))
    assert "12,5 %" in page and "Accord fédéral 2027" in page


@pytest.mark.parametrize("change, field", [
    ({"email": "CONTACT@federation.example"}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"country": "XX"}, "country"),
    ({"siren": "123456789"}, "siren"),
    ({"vat_number": "FR00000000000"}, "vat_number"),
    ({"discount_percent": "101"}, "discount_percent"),
    ({"discount_percent": "-5"}, "discount_percent"),
    ({"discount_percent": "ten"}, "discount_percent"),
    ({"discount_percent": "10", "discount_reason": ""}, "discount_reason"),
])
def test_b1_a_bad_record_is_a_field_error_and_nothing_is_created(client, agent, change, field):
    operations.add_partner("contact@federation.example", "Existing", "cli")
    response = post_form(client, "/staff/partners", {**RECORD, "email": "new@federation.example", **change})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field).strip()
    assert len(partners()) == 1


def test_b1_staff_change_the_discount_and_the_log_keeps_the_reason(client, agent):
    partner = operations.add_partner("p@federation.example", "Fédé", "cli")
    path = f"/staff/partners/{partner.id}"
    refused = post_form(client, f"{path}/discount", {"discount_percent": "8", "discount_reason": ""}, token_from=path)
    assert refused.status_code == 422 and partners()[0].discount_percent == 0
    assert post_form(client, f"{path}/discount", {"discount_percent": "8", "discount_reason": "Volume 2027"},
                     token_from=path).status_code == 302
    assert partners()[0].discount_percent == Decimal("8.00")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "partner.discount_changed")).one()
    assert (entry.actor, entry.details["before"], entry.details["after"], entry.details["reason"]) == (
        AGENT, "0.00", "8.00", "Volume 2027")


def test_b1_a_club_has_one_partner_and_moves_at_once(client, make, agent):
    make.club("mermoz")
    first = operations.add_partner("first@partner.example", "First", "cli")
    second = operations.add_partner("second@partner.example", "Second", "cli")
    for partner in (first, second):
        path = f"/staff/partners/{partner.id}"
        assert post_form(client, f"{path}/clubs", {"subdomain": " MERMOZ "}, token_from=path).status_code == 302
    db.session.expire_all()
    (link,) = db.session.scalars(select(PartnerClub)).all()
    assert link.partner_id == second.id and link.linked_by == AGENT
    moved = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "partner.club_linked")
                               .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert moved.details == {"partner": "second@partner.example", "before": "first@partner.example"}
    assert managed(client, second) == ["mermoz"] and managed(client, first) == []
    path = f"/staff/partners/{second.id}"
    assert post_form(client, f"{path}/clubs/mermoz/unlink", {}, token_from=path).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PartnerClub)) == 0


def managed(client, partner) -> list[str]:
    """The subdomains in the partner page's table of clubs."""
    page = client.get(f"/staff/partners/{partner.id}").get_data(as_text=True)
    table = re.search(r'<table class="table stack partner-clubs">(.*?)</table>', page, re.S)
    return re.findall(r'<a href="/staff/clients/([a-z0-9-]+)">', table.group(1)) if table else []


def test_b1_linking_an_unknown_club_is_a_field_error(client, agent):
    partner = operations.add_partner("p@federation.example", "Fédé", "cli")
    path = f"/staff/partners/{partner.id}"
    response = post_form(client, f"{path}/clubs", {"subdomain": "nobody"}, token_from=path)
    assert response.status_code == 422 and "nobody" in field_error(response.get_data(as_text=True), "subdomain")
    assert db.session.scalar(select(func.count()).select_from(PartnerClub)) == 0


def test_a5_a_club_does_not_reach_the_partners_pages(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    for path in ("/staff/partners", "/staff/partners/1"):
        assert client.get(path).headers["Location"].startswith("/staff/login")
    assert client.get("/staff/partners/99999999999").status_code in (302, 404)


def test_b1_an_unknown_partner_is_not_found(client, agent):
    assert client.get("/staff/partners/4242").status_code == 404
    assert client.get("/staff/partners/99999999999").status_code == 404


def test_o2_partner_add_and_link_from_the_shell(runner, make):
    make.club("mermoz")
    result = runner.invoke(args=["partner", "add", "Contact@Federation.example", "--name", "Fédération",
                                 "--discount", "7,5", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    (partner,) = partners()
    assert (partner.email, partner.discount_percent, partner.password_hash != "") == (
        "Contact@federation.example", Decimal("7.50"), True)
    assert runner.invoke(args=["partner", "link", "contact@federation.example", "mermoz"]).exit_code == 0
    assert db.session.scalar(select(PartnerClub.partner_id)) == partner.id


@pytest.mark.parametrize("args", [
    ["partner", "add", "not-an-address", "--name", "X"],
    ["partner", "add", "p@x.example"],
    ["partner", "add", "p@x.example", "--name", ""],
    ["partner", "add", "p@x.example", "--name", "X", "--discount", "101"],
    ["partner", "add", "p@x.example", "--name", "X", "--discount", "abc"],
    ["partner", "add", "p@x.example", "--name", "X", "--password", "short"],
    ["partner", "add", "taken@x.example", "--name", "X"],
    ["partner", "link", "nobody@x.example", "mermoz"],
    ["partner", "link", "taken@x.example", "nobody"],
])
def test_o2_bad_arguments_are_one_line_exit_2_and_nothing_written(runner, make, args):
    make.club("mermoz")
    operations.add_partner("taken@x.example", "Taken", "cli")
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error:")
    assert len(partners()) == 1
    assert db.session.scalar(select(func.count()).select_from(PartnerClub)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_b1_the_staff_client_page_names_the_clubs_partner(client, make, agent):
    make.club("mermoz")
    partner = operations.add_partner("p@federation.example", "Fédération du Sud", "cli")
    cell = re.search(r'<dd class="partner">(.*?)</dd>', client.get("/staff/clients/mermoz").get_data(as_text=True))
    assert cell.group(1) == "—"
    operations.link_club(partner.id, "mermoz", "cli")
    cell = re.search(r'<dd class="partner">(.*?)</dd>', client.get("/staff/clients/mermoz").get_data(as_text=True))
    assert f'/staff/partners/{partner.id}' in cell.group(1) and "Fédération du Sud" in cell.group(1)
