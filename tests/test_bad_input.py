"""No input produces a server error: every form, posted with hostile values, answers with a message (or a redirect)."""
import pytest

from openflyers_account.models import StaffRole
from tests.conftest import post_form

HOSTILE = ["", "\x00", "x" * 20_000, "\ud83d", "🛩️" * 50, "<script>alert(1)</script>", "' OR '1'='1", "%00", "../..",
           "\u202e\u200b", "1e308", "-1", "NaN"]

CLUB_FORMS = {
    "/login": ["identifier", "password"],
    "/password/forgot": ["email"],
    "/account": ["structure_email", "contact_email"],
    "/language": ["language", "next"],
}
STAFF_FORMS = {
    "/staff/login": ["email", "password"],
    "/staff/clients/mermoz/emails": ["structure_email", "contact_email"],
    "/staff/clients/mermoz/resources": ["activated_resources", "reason"],
    "/staff/clients/mermoz/password-reset": ["submit"],
    "/staff/catalogue": ["valid_from", "note"],
}


def clean(value: str) -> str:
    # A lone surrogate cannot be sent as UTF-8; a browser would send the replacement character.
    return value.encode("utf-8", "replace").decode("utf-8")


@pytest.mark.parametrize("value", HOSTILE)
def test_club_forms_never_answer_500(client, make, sign_in, value):
    make.club("mermoz")
    sign_in("mermoz")
    for path, fields in CLUB_FORMS.items():
        response = post_form(client, path, {name: clean(value) for name in fields}, token_from="/account")
        assert response.status_code < 500, (path, response.status_code)
    for path in ("/renewal", "/renewal/price", "/renewal/review"):
        query = {"offer": clean(value), "resources": clean(value), "term": clean(value), "po_reference": clean(value)}
        assert client.get(path, query_string=query).status_code < 500, path
    for path in ("/invoices/", "/password/reset/"):
        assert client.get(path + clean(value)[:200]).status_code < 500, path
    assert client.get(f"/invoices/{clean(value)[:200]}/pay").status_code < 500


@pytest.mark.parametrize("value", HOSTILE)
def test_staff_forms_never_answer_500(client, make, staff_sign_in, value):
    make.club("mermoz")
    make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    staff_sign_in("admin@openflyers.example")
    for path, fields in STAFF_FORMS.items():
        response = post_form(client, path, {name: clean(value) for name in fields}, token_from="/staff/clients/mermoz")
        assert response.status_code < 500, (path, response.status_code)
    assert client.get("/staff/clients", query_string={"q": clean(value)}).status_code < 500
    assert client.get("/staff/audit", query_string={"page": clean(value)}).status_code < 500
    for path in ("/staff/invoices/", "/staff/clients/", "/staff/deposits/", "/staff/statements/"):
        assert client.get(path + clean(value)[:200]).status_code < 500, path
