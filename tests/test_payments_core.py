"""Recording payments against invoices (M4, R4, I5)."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openflyers_account.billing.operations import issue_renewal
from openflyers_account.billing.renewal import RenewalOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, InvoiceStatus, SubscriptionPeriod
from openflyers_account.payments import operations
from openflyers_account.payments.errors import NotPayable, PaymentRefused


@pytest.fixture
def invoice(app, make):
    club = make.club("mermoz", resources=1)
    with app.test_request_context():
        return issue_renewal(club.id, RenewalOrder("business", 1, Term.ONE_YEAR), date.today())


def period_of(invoice):
    db.session.expire_all()
    return db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))


def test_m4_partial_payments_add_up_and_r4_the_period_starts_when_paid(invoice, make, mailbox):
    staff = make.staff()
    total = invoice.total_incl_vat  # 360.00 + VAT = 432.00
    operations.record_payment(invoice.id, Decimal("100.00"), PaymentMethod.CHEQUE, date.today(), staff,
                              reference="1234567", bank="Crédit Agricole", drawer="Aéroclub")
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.PARTIALLY_PAID
    assert period_of(invoice).activated_at is None
    operations.record_payment(invoice.id, total - Decimal("100.00"), PaymentMethod.TRANSFER, date.today(), staff)
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.PAID
    assert period_of(invoice).activated_at is not None
    assert any("Paiement reçu" in m["Subject"] or "Payment received" in m["Subject"] for m in mailbox.messages)


def test_m4_an_overpayment_is_flagged_not_swallowed(invoice, make):
    staff = make.staff()
    operations.record_payment(invoice.id, invoice.total_incl_vat + Decimal("10.00"), PaymentMethod.TRANSFER,
                              date.today(), staff)
    position = operations.position(db.session.get(Invoice, invoice.id))
    assert position.settlement.overpaid == Decimal("10.00")
    assert position.settlement.balance_due == Decimal("0.00")


def test_m4_a_mistake_is_reversed_by_a_counter_entry_never_deleted(invoice, make):
    staff = make.staff()
    payment = operations.record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.CHEQUE, date.today(), staff)
    assert period_of(invoice).activated_at is not None
    counter = operations.reverse_payment(payment.id, staff, "cheque bounced")
    assert counter.amount == -invoice.total_incl_vat and counter.reverses_id == payment.id
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.ISSUED
    assert period_of(invoice).activated_at is None
    with pytest.raises(PaymentRefused):
        operations.reverse_payment(payment.id, staff, "again")
    assert len(operations.position(db.session.get(Invoice, invoice.id)).payments) == 2


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5.00"), Decimal("1.001")])
def test_m4_amounts_must_be_whole_positive_cents(invoice, make, amount):
    with pytest.raises(PaymentRefused):
        operations.record_payment(invoice.id, amount, PaymentMethod.CHEQUE, date.today(), make.staff())


def test_m1_the_same_provider_event_records_one_payment(invoice):
    first = operations.record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.CARD, date.today(), "demo",
                                      provider_event_id="evt_1")
    second = operations.record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.CARD, date.today(), "demo",
                                       provider_event_id="evt_1")
    assert first.id == second.id
    assert len(operations.position(db.session.get(Invoice, invoice.id)).payments) == 1


def test_i5_a_cancelled_invoice_takes_no_payment(invoice, app):
    from openflyers_account.billing.operations import cancel_renewal

    with app.test_request_context():
        cancel_renewal(invoice.club, invoice.number, date.today())
    with pytest.raises(NotPayable):
        operations.record_payment(invoice.id, Decimal("10.00"), PaymentMethod.CHEQUE, date.today(), "x")
