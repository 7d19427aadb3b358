"""Numbers no database or Decimal context holds, typed in a form or a URL: a field error or a 404, never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import Payment, StaffRole
from tests.conftest import post_form
from tests.test_staff_payments import issue, payment_form

HUGE = "9" * 30


@pytest.fixture
def admin(client, make, staff_sign_in):
    make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in("admin@openflyers.example")


@pytest.mark.parametrize("path", ["/staff/audit", "/staff/statements", "/partner/clients"])
@pytest.mark.parametrize("page", [HUGE, "2147483648", "-5", "0", "1e9", "٣"])
def test_u4_a_page_number_beyond_any_list_shows_a_page_never_an_error(client, admin, path, page):
    response = client.get(path, query_string={"page": page})
    assert response.status_code in (200, 302)  # /partner/* sends staff to the partner sign-in


@pytest.mark.parametrize("path", [f"/staff/payments/{HUGE}/reverse", "/staff/payments/2147483648/reverse",
                                  "/staff/payments/0/reverse", f"/staff/statements/{HUGE}/confirm",
                                  f"/staff/statements/1/entries/{HUGE}/assign",
                                  f"/staff/statements/{HUGE}/entries/1/ignore"])
def test_a_row_id_the_database_cannot_hold_is_not_found(client, admin, path):
    assert post_form(client, path, {"reason": "x", "invoice_number": "F-2026-00001"},
                     token_from="/staff/").status_code == 404
    assert client.get(f"/staff/statements/{HUGE}").status_code == 404


@pytest.mark.parametrize("typed", ["1" * 29, "9" * 40 + ",99", "0," + "0" * 40 + "1"])
def test_m4_an_amount_of_more_digits_than_money_holds_is_a_field_error(client, admin, make, typed):
    invoice = issue(make.club("mermoz", resources=3))
    response = client.post(f"/staff/invoices/{invoice.number}/payments",
                           data=payment_form(client, invoice.number, amount=typed))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_m5_only_staff_may_send_a_body_as_large_as_a_statement(app, client):
    # Anyone else is held to MAX_CONTENT_LENGTH before anything reads the body.
    app.config.update(MAX_CONTENT_LENGTH=10_000, STATEMENT_MAX_BYTES=1_000_000)
    response = client.post("/staff/statements", data=b"x=" + b"x" * 200_000,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
