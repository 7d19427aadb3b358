"""The PO reference belongs to the subscription; an unpaid invoice can be reissued with a new one (R5, I2)."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openflyers_account.accounts import operations as accounts
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    Club,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PendingCharge,
    StaffRole,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)
from openflyers_account.payments import operations as payments
from tests.billing_helpers import add_paid_period, add_resources, form_fields, renew
from tests.conftest import post_form


@pytest.fixture
def mermoz(make, sign_in):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=60, resources=2, po_reference="BC-2026-01")
    sign_in("mermoz")
    return period.subscription_id


def change(client, subscription_id: int, reference: str):
    path = f"/subscriptions/{subscription_id}"
    return post_form(client, f"{path}/po-reference", {"po_reference": reference}, token_from=path)


def documents() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def test_r5_the_reference_changes_at_any_time_and_later_invoices_carry_it(client, mermoz):
    assert change(client, mermoz, "  BC-2027-07 ").status_code == 302
    assert db.session.get(Subscription, mermoz).po_reference == "BC-2027-07"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.po_reference_changed")).one()
    assert (entry.actor, entry.details["before"], entry.details["after"]) == ("club:mermoz", "BC-2026-01", "BC-2027-07")
    add_resources(client, f"/subscriptions/{mermoz}", 1)
    (invoice,) = documents()
    assert invoice.po_reference == "BC-2027-07"
    assert "BC-2027-07" in client.get(f"/invoices/{invoice.number}").get_data(as_text=True)


def test_r5_the_renewal_starts_from_the_subscriptions_reference(client, mermoz):
    page = client.get("/renewal").get_data(as_text=True)
    assert 'value="BC-2026-01"' in page
    renew(client, resources=2, po_reference="BC-2026-01")
    (invoice,) = documents()
    assert invoice.po_reference == "BC-2026-01"


@pytest.mark.parametrize("reference", ["x" * 71, "BC\x0717"])
def test_r5_a_reference_over_70_characters_or_unprintable_is_a_field_error(client, mermoz, reference):
    response = change(client, mermoz, reference)
    assert response.status_code == 422
    assert 'id="po_reference-errors" class="field-errors"><p class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscription, mermoz).po_reference == "BC-2026-01"


def reissue(client, subscription_id: int, number: str):
    """The reissue button, then yes on the page that says a credit note is issued (U1)."""
    path = f"/subscriptions/{subscription_id}"
    page = client.get(path).get_data(as_text=True)
    fields = form_fields(page, f"{path}/invoices/{number}/reissue")
    before = len(documents())
    asked = client.post(f"{path}/invoices/{number}/reissue", data=fields)
    if asked.status_code != 200:
        return asked
    assert "Réémettre la facture" in asked.get_data(as_text=True) and len(documents()) == before
    return client.post(f"{path}/invoices/{number}/reissue", data={**fields, "confirmed": "1"})


def test_r5_an_unpaid_invoice_is_reissued_with_the_new_reference(client, make, sign_in):
    club = make.club("guillaumet", offer="first-price", resources=1)
    subscription_id = add_paid_period(club, days_to_end=60, resources=1, po_reference="BC-2026-01").subscription_id
    accounts.send_reset_by_staff(db.session.get(Club, club.id), make.staff())  # billed on the next invoice (A6)
    sign_in("guillaumet")
    renew(client, offer="first-price", resources=1, po_reference="BC-2026-01")
    (old,) = documents()
    change(client, subscription_id, "BC-2027-07")
    response = reissue(client, subscription_id, old.number)
    assert response.status_code == 302
    old_after, new, credit = documents()
    assert response.headers["Location"] == f"/invoices/{new.number}"
    assert old_after.status is InvoiceStatus.CANCELLED and credit.kind is InvoiceKind.CREDIT_NOTE
    assert credit.corrects_id == old.id and credit.total_incl_vat == old.total_incl_vat
    # Same lines, amounts and due date; only the number, the issue date and the reference are new.
    assert [(line.kind, line.description, line.quantity, line.unit_price, line.amount_excl_vat)
            for line in new.lines] == [(line.kind, line.description, line.quantity, line.unit_price,
                                        line.amount_excl_vat) for line in old.lines]
    assert (new.total_excl_vat, new.total_vat, new.total_incl_vat, new.due_date, new.period_start,
            new.period_end) == (old.total_excl_vat, old.total_vat, old.total_incl_vat, old.due_date,
                                old.period_start, old.period_end)
    assert (new.po_reference, new.status, new.issue_date) == ("BC-2027-07", InvoiceStatus.ISSUED, date.today())
    # What the old invoice bought now hangs on the new one.
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.start_date == old.period_start))
    assert period.invoice_id == new.id
    assert db.session.get(SubscriptionInvoice, new.id).subscription_id == subscription_id
    assert [charge.invoice_id for charge in db.session.scalars(select(PendingCharge))] == [new.id]
    assert old_after.pdf_sha256 == old.pdf_sha256 and old_after.po_reference == "BC-2026-01"


def test_r5_i2_an_invoice_with_a_payment_never_changes(client, make, mermoz):
    renew(client, resources=2, po_reference="BC-2026-01")
    (invoice,) = documents()
    payments.record_payment(invoice.id, Decimal("10.00"), PaymentMethod.CHEQUE, date.today(), make.staff(),
                            reference="123", bank="LCL")
    change(client, mermoz, "BC-2027-07")
    page = client.get(f"/subscriptions/{mermoz}").get_data(as_text=True)
    assert f"/invoices/{invoice.number}/reissue" not in page
    response = post_form(client, f"/subscriptions/{mermoz}/invoices/{invoice.number}/reissue", {"confirmed": "1"},
                         token_from=f"/subscriptions/{mermoz}")
    assert response.status_code == 302
    (still,) = documents()
    assert (still.po_reference, still.status, still.pdf_sha256) == ("BC-2026-01", InvoiceStatus.PARTIALLY_PAID,
                                                                     invoice.pdf_sha256)


def test_r5_an_invoice_already_carrying_the_reference_is_not_reissued(client, mermoz):
    renew(client, resources=2, po_reference="BC-2026-01")
    (invoice,) = documents()
    assert f"/invoices/{invoice.number}/reissue" not in client.get(f"/subscriptions/{mermoz}").get_data(as_text=True)
    post_form(client, f"/subscriptions/{mermoz}/invoices/{invoice.number}/reissue", {"confirmed": "1"},
              token_from=f"/subscriptions/{mermoz}")
    assert len(documents()) == 1


def test_r5_staff_change_the_reference_and_the_log_names_them(client, make, mermoz, staff_sign_in):
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    staff_sign_in("agent@openflyers.example")
    path = f"/staff/clients/mermoz/subscriptions/{mermoz}"
    assert post_form(client, f"{path}/po-reference", {"po_reference": "Base 2"}, token_from=path).status_code == 302
    assert db.session.get(Subscription, mermoz).po_reference == "Base 2"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.po_reference_changed")).one()
    assert entry.actor == "agent@openflyers.example" and entry.staff_id is not None
