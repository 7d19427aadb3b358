"""Recording payments against invoices (M4, R4, I5)."""
import html
import multiprocessing
import re
from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from sqlalchemy import select

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import CardCheckout, Invoice, InvoiceStatus, Payment, SubscriptionPeriod
from openflyers_account.payments import card, operations
from openflyers_account.payments.errors import NotPayable, PaymentRefused
from openflyers_account.payments.providers.demo import sign
from tests.concurrency_workers import deliver_webhook_at
from tests.test_card_payments import demo_event, secret_of


@pytest.fixture
def invoice(app, make):
    club = make.club("mermoz", resources=1)
    with app.test_request_context():
        return issue_renewal(club.id, None, SubscriptionOrder("business", 1, Term.ONE_YEAR), date.today(), club)


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
    from openflyers_account.subscriptions.operations import cancel_purchase

    with app.test_request_context():
        cancel_purchase(invoice.club.id, invoice.number, date.today(), invoice.club)
    with pytest.raises(NotPayable):
        operations.record_payment(invoice.id, Decimal("10.00"), PaymentMethod.CHEQUE, date.today(), "x")


def dashboard(client) -> str:
    return html.unescape(client.get("/").get_data(as_text=True))


def badge(page: str) -> tuple[str, str]:
    """The subscription card's status class and badge text."""
    status, text = re.search(r'class="card status status-(\w+)[^"]*".*?<p class="badge">([^<]*)</p>', page, re.S).groups()
    return status, text.strip()


def test_r4_the_dashboard_shows_the_balance_left_then_the_period_active_once_paid(client, sign_in, invoice, make):
    staff = make.staff()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in("mermoz")
    assert badge(dashboard(client)) == ("awaiting_payment", "Awaiting payment")

    operations.record_payment(invoice.id, Decimal("100.00"), PaymentMethod.CHEQUE, date.today(), staff,
                              reference="1234567", bank="LCL", drawer="Mermoz")
    page = dashboard(client)
    # M4: the club sees what is left, not the invoice's total, and the period waits for the rest (R4).
    assert f"Your invoice {invoice.number}" in page and "is partly paid: €332.00 left to pay." in page
    assert "€432.00" not in page
    assert badge(page) == ("awaiting_payment", "Awaiting payment")

    operations.record_payment(invoice.id, Decimal("332.00"), PaymentMethod.TRANSFER, date.today(), staff)
    page = dashboard(client)
    assert badge(page) == ("active", "Active")
    period = period_of(invoice)
    assert f"Current period: {format_date(period.start_date, 'medium', locale='en')} to " \
           f"{format_date(period.end_date, 'medium', locale='en')}" in page
    assert invoice.number not in page, "nothing left to pay"


def test_r4_an_unpaid_invoice_shows_its_full_amount_on_the_dashboard(client, sign_in, invoice):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in("mermoz")
    assert f"Your invoice {invoice.number}" in dashboard(client)
    assert "is waiting for payment: €432.00." in dashboard(client)


# -- the same notification from several worker processes at once (M1) -------------------------------------

WEBHOOK_WORKERS = 4


@pytest.mark.slow
def test_m1_the_same_signed_notification_from_several_processes_at_once_records_one_payment(app, app_config, invoice):
    """Gunicorn workers on one or several hosts may each receive a retry of the same event at once."""
    with app.test_request_context():
        card.start_card_payment(invoice.club, invoice.number)
    checkout = db.session.scalar(select(CardCheckout).where(CardCheckout.invoice_id == invoice.id))
    body = demo_event(checkout, invoice.number)
    headers = {"Demo-Signature": sign(body, secret_of(app))}
    config = {**app_config, "MAIL_SEND_IMMEDIATELY": False}
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.concurrency_workers", "openflyers_account.payments.card"])
    with context.Manager() as manager, context.Pool(WEBHOOK_WORKERS) as pool:
        barrier = manager.Barrier(WEBHOOK_WORKERS)
        answers = pool.starmap(deliver_webhook_at, [(config, "/webhooks/demo", body, headers, barrier)] *
                               WEBHOOK_WORKERS, chunksize=1)
    assert sorted(answers) == [(200, "already_applied")] * (WEBHOOK_WORKERS - 1) + [(200, "applied")]
    db.session.expire_all()
    [payment] = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert payment.amount == invoice.total_incl_vat and payment.method is PaymentMethod.CARD
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.PAID
    assert period_of(invoice).activated_at is not None
