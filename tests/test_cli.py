"""Operator commands: club add, club resources, staff add, outbox send, demo load."""
import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Club, ResourceReport, StaffRole, StaffUser


def test_a1_club_add_creates_an_account_that_can_sign_in(runner, client, sign_in):
    result = runner.invoke(args=["club", "add", "Mermoz", "--name", "Aéroclub Jean Mermoz", "--email",
                                 "contact@mermoz.example", "--contact-email", "tresorier@mermoz.example",
                                 "--offer", "business", "--resources", "4", "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    club = db.session.scalar(select(Club))
    assert (club.subdomain, club.offer.code, club.activated_resources) == ("mermoz", "business", 4)
    assert db.session.scalar(select(AuditEntry.action)) == "club.created"
    sign_in("mermoz")


@pytest.mark.parametrize("args, message", [
    (["bad_name!"], "not a platform subdomain"),
    (["x-"], "not a platform subdomain"),
    (["mermoz", "--email", "not-an-address"], "--email"),
    (["mermoz", "--contact-email", "x@"], "--contact-email"),
    (["mermoz", "--offer", "gold"], "Unknown offer"),
    (["mermoz", "--resources", "-2"], "-2"),
    (["mermoz", "--password", "short"], "at least 10"),
    (["mermoz", "--name", ""], "'--name': must not be blank"),
    (["mermoz", "--name", "   "], "'--name': must not be blank"),
    (["mermoz", "--name", "x" * 201], "'--name': is too long (201 characters, 200 at most)"),
    (["mermoz", "--name", "Club\x00"], "'--name': must not contain control characters"),
    (["mermoz", "--address", "x" * 301], "'--address': is too long (301 characters, 300 at most)"),
    (["mermoz", "--postcode", "7" * 21], "'--postcode': is too long (21 characters, 20 at most)"),
    (["mermoz", "--city", "x" * 101], "'--city': is too long (101 characters, 100 at most)"),
    (["mermoz", "--siren", "12345678"], "'--siren': '12345678' is not a SIREN"),
    (["mermoz", "--siren", "123456789"], "'--siren': '123456789' is not a SIREN"),
    (["mermoz", "--siren", "1234567820"], "'--siren': '1234567820' is not a SIREN"),
    (["mermoz", "--vat-number", "FR00123456782"], "'--vat-number': 'FR00123456782' is not a valid EU VAT number"),
    (["mermoz", "--vat-number", "x" * 30], "is not a valid EU VAT number"),
    (["mermoz", "--vat-number", "DE136695976"], "'--vat-number': 'DE136695976' is not a VAT number of FR"),
    (["mermoz", "--country", "CH", "--vat-number", "DE136695976"], "is not a VAT number of CH"),
    (["mermoz", "--country", "France"], "'--country': 'France' is not an ISO 3166 country code"),
    (["mermoz", "--country", "ZZ"], "'ZZ' is not an ISO 3166 country code"),
    (["mermoz", "--country", "f\u0131"], "is not an ISO 3166 country code"),
    (["mermoz", "--country", ""], "is not an ISO 3166 country code"),
    (["mermoz", "--resources", "1000"], "1000 is not in the range 0<=x<=999"),
])
def test_a1_club_add_refuses_bad_input_with_a_clear_message(runner, args, message):
    base = {"--name": "Club", "--email": "contact@club.example", "--offer": "business"}
    options = [item for key, value in base.items() if key not in args for item in (key, value)]
    result = runner.invoke(args=["club", "add", *args, *options])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert db.session.scalar(select(func.count()).select_from(Club)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a1_club_add_keeps_the_legal_identity_in_its_compact_form(runner):
    result = runner.invoke(args=["club", "add", "lilienthal", "--name", "  Luftsportverein Lilienthal ", "--email",
                                 "vorstand@lilienthal.example", "--offer", "business", "--resources", "999",
                                 "--country", "de", "--vat-number", "de 136 695 976", "--address", " Am Flugplatz 1 ",
                                 "--postcode", "28865", "--city", "Lilienthal"])
    assert result.exit_code == 0, result.output
    club = db.session.scalar(select(Club))
    assert (club.name, club.country, club.vat_number, club.address, club.activated_resources) == (
        "Luftsportverein Lilienthal", "DE", "DE136695976", "Am Flugplatz 1", 999)
    result = runner.invoke(args=["club", "add", "mermoz", "--name", "Aéroclub Jean Mermoz", "--email",
                                 "contact@mermoz.example", "--offer", "business", "--siren", "123 456 782",
                                 "--vat-number", "FR11 123456782", "--country", "mc"])
    assert result.exit_code == 0, result.output
    club = db.session.scalar(select(Club).where(Club.subdomain == "mermoz"))
    assert (club.siren, club.vat_number, club.country) == ("123456782", "FR11123456782", "MC")


def test_a1_club_add_refuses_a_taken_subdomain(runner, make):
    make.club("mermoz")
    result = runner.invoke(args=["club", "add", "mermoz.openflyers.fr", "--name", "Other", "--email",
                                 "x@example.org", "--offer", "business"])
    assert result.exit_code != 0
    assert "already has an account" in result.output
    assert db.session.scalar(select(func.count()).select_from(Club)) == 1


def test_s1_club_resources_records_the_count_and_keeps_the_history(runner, make):
    club = make.club("mermoz", resources=2)
    result = runner.invoke(args=["club", "resources", "mermoz", "6"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Club, club.id).activated_resources == 6
    assert db.session.scalars(select(ResourceReport.activated_resources).order_by(ResourceReport.id)).all() == [2, 6]
    assert runner.invoke(args=["club", "resources", "nobody", "6"]).exit_code != 0
    assert runner.invoke(args=["club", "resources", "mermoz", "-1"]).exit_code != 0


def test_a5_staff_add_creates_an_admin_who_can_sign_in(runner, client, staff_sign_in):
    result = runner.invoke(args=["staff", "add", "Boss@OpenFlyers.example", "--role", "admin", "--password",
                                 "correct horse battery"])
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(select(StaffUser))
    assert staff.role is StaffRole.ADMIN and staff.password_hash.startswith("$argon2id$")
    staff_sign_in("boss@openflyers.example")
    again = runner.invoke(args=["staff", "add", "boss@openflyers.example", "--role", "staff", "--password",
                                "correct horse battery"])
    assert again.exit_code != 0 and "already uses" in again.output
    assert runner.invoke(args=["staff", "add", "x@y.example", "--role", "king", "--password", "p" * 12]).exit_code != 0


def test_a5_demo_load_is_idempotent_and_prints_the_logins(runner):
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "mermoz" in first.output and "admin@openflyers.example" in first.output
    assert db.session.scalar(select(func.count()).select_from(Club)) == 3
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 2
