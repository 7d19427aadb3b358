"""Staff record payments once per form, flag overpayments, reverse mistakes; what waits on /staff/ (M2-M4, R4, A5)."""
from __future__ import annotations

import html
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Invoice, InvoiceStatus, Payment, StaffRole, SubscriptionPeriod
from openflyers_account.payments import operations
from openflyers_account.staff.payment_forms import parse_payment_amount
from tests.billing_helpers import hidden_fields
from tests.conftest import PASSWORD, post_form

ADMIN = "admin@openflyers.example"
AGENT = "agent@openflyers.example"
TODAY = date.today()


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def agent(make, staff_sign_in, english):
    member = make.staff(StaffRole.STAFF, email=AGENT)
    staff_sign_in(AGENT)
    return member


@pytest.fixture
def mermoz(make):
    return make.club("mermoz", resources=3)


def issue(club, today: date = TODAY) -> Invoice:
    """A renewal invoice of 576.00 incl. VAT (business offer, 3 resources, 1 year)."""
    return issue_renewal(club.id, None, SubscriptionOrder("business", 3, Term.ONE_YEAR), today, club)


@pytest.fixture
def invoice(mermoz) -> Invoice:
    return issue(mermoz)


def payment_form(client, number: str, **fields) -> dict:
    """The record-payment form as the invoice page renders it (with its one-time key), filled in."""
    response = client.get(f"/staff/invoices/{number}")
    assert response.status_code == 200
    hidden = hidden_fields(response.get_data(as_text=True))
    assert len(hidden["request_key"]) == 32
    data = {"csrf_token": hidden["csrf_token"], "request_key": hidden["request_key"], "amount": "576.00",
            "received_on": TODAY.isoformat(), "method": "cheque", "cheque_number": "1234567",
            "bank": "Crédit Agricole", "drawer": "Aéroclub Mermoz", "transfer_reference": "", "note": ""}
    return {**data, **fields}


def record(client, number: str, **fields):
    return client.post(f"/staff/invoices/{number}/payments", data=payment_form(client, number, **fields))


def payments_of(invoice: Invoice) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)))


def status_of(invoice: Invoice) -> InvoiceStatus:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id).status


def period_of(invoice: Invoice) -> SubscriptionPeriod:
    db.session.expire_all()
    return db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))


def test_m4_r4_a5_a_partial_then_a_full_payment_pay_the_invoice_start_the_period_log_and_mail_the_club(
        client, agent, invoice, mailbox):
    first = record(client, invoice.number, amount="100,50")
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/staff/invoices/{invoice.number}#payments")
    assert status_of(invoice) is InvoiceStatus.PARTIALLY_PAID
    assert period_of(invoice).activated_at is None
    page = client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True)
    assert "€100.50" in page and "€475.50" in page and "Cheque no. 1234567" in page and "Crédit Agricole" in page

    second = record(client, invoice.number, amount="475.50", method="transfer", transfer_reference="VIR MERMOZ 42")
    assert second.status_code == 302
    assert status_of(invoice) is InvoiceStatus.PAID
    assert period_of(invoice).activated_at is not None
    cheque, transfer = payments_of(invoice)
    assert (cheque.amount, cheque.method, cheque.reference, cheque.bank, cheque.drawer, cheque.recorded_by) == (
        Decimal("100.50"), PaymentMethod.CHEQUE, "1234567", "Crédit Agricole", "Aéroclub Mermoz", AGENT)
    assert (transfer.amount, transfer.method, transfer.reference, transfer.bank) == (
        Decimal("475.50"), PaymentMethod.TRANSFER, "VIR MERMOZ 42", "")
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.recorded")
                               .order_by(AuditEntry.id)).all()
    assert [entry.actor for entry in audit] == [AGENT, AGENT]
    # A5: the log says which cheque it was, from whom and when it arrived, without opening the payment.
    assert audit[0].details == {"invoice": invoice.number, "amount": "100.50", "method": "cheque",
                                "received_on": TODAY.isoformat(), "reference": "1234567",
                                "bank": "Crédit Agricole", "drawer": "Aéroclub Mermoz"}
    assert (audit[1].details["received_on"], audit[1].details["bank"], audit[1].details["drawer"]) == (
        TODAY.isoformat(), "", "")
    for address in ("contact@mermoz.example", "tresorier@mermoz.example"):
        assert len(mailbox.to(address)) == 2 + 1  # the invoice, then one confirmation per payment


@pytest.mark.parametrize(("typed", "amount"), [("100", "100.00"), ("100.50", "100.50"), ("100,50", "100.50"),
                                               ("1 200,5", "1200.50"), ("576 €", "576.00")])
def test_m4_amounts_are_read_as_decimal_euros(typed, amount):
    assert parse_payment_amount(typed) == Decimal(amount)


def test_m4_an_overpayment_is_recorded_and_flagged_not_refused(client, agent, invoice):
    response = record(client, invoice.number, amount="600", method="transfer")
    assert response.status_code == 302
    (payment,) = payments_of(invoice)
    assert payment.amount == Decimal("600.00") and status_of(invoice) is InvoiceStatus.PAID
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "now overpaid by €24.00" in page and "flag-overpaid" in page
    home = client.get("/staff/").get_data(as_text=True)
    overpaid = home.split('id="overpaid"')[1].split("</section>")[0]
    assert invoice.number in overpaid and "€24.00" in overpaid
    # Still flagged later: the surplus stays visible until staff deal with it.
    assert "€24.00" in client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True)


def test_m4_the_same_form_sent_twice_records_one_payment(client, agent, invoice):
    data = payment_form(client, invoice.number, amount="200")
    first = client.post(f"/staff/invoices/{invoice.number}/payments", data=data)
    second = client.post(f"/staff/invoices/{invoice.number}/payments", data=data)
    assert first.status_code == second.status_code == 302
    assert [p.amount for p in payments_of(invoice)] == [Decimal("200.00")]
    assert "already been sent" in html.unescape(client.get(second.headers["Location"]).get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payment.recorded")) == 1


def signed_in_colleagues(app, make, count: int) -> list:
    """`count` more staff members, each in a browser of their own, signed in."""
    browsers = []
    for number in range(count):
        other = app.test_client()
        other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        email = f"colleague{number}@openflyers.example"
        make.staff(StaffRole.STAFF, email=email)
        assert post_form(other, "/staff/login", {"email": email, "password": PASSWORD}).status_code == 302
        browsers.append(other)
    return browsers


def post_at_once(number: str, posts: list[tuple]) -> list:
    """Send each (browser, form) at the same moment; the responses, in the same order."""
    barrier = threading.Barrier(len(posts))
    responses: list = [None] * len(posts)

    def send(index: int, browser, data: dict) -> None:
        barrier.wait(timeout=30)
        responses[index] = browser.post(f"/staff/invoices/{number}/payments", data=data)

    threads = [threading.Thread(target=send, args=(index, *post)) for index, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


@pytest.mark.parametrize("method, fields, message", [
    ("cheque", {"cheque_number": "1234567", "bank": "LCL"},
     "Cheque 1234567 (LCL) is already recorded on this invoice: €576.00 received on"),
    ("transfer", {"transfer_reference": "VIR MERMOZ 42", "cheque_number": "", "bank": "", "drawer": ""},
     "The transfer VIR MERMOZ 42 is already recorded on this invoice: €576.00 received on"),
])
def test_m4_two_staff_confirming_the_same_cheque_at_once_record_it_once(
        app, client, agent, make, invoice, method, fields, message):
    """Four staff members each load their own page (their own one-time key) and send the same cheque
    (or transfer) at the same moment: one payment, the others are told it is already there."""
    browsers = [client, *signed_in_colleagues(app, make, 3)]
    forms = [payment_form(browser, invoice.number, method=method, **fields) for browser in browsers]
    assert len({form["request_key"] for form in forms}) == len(browsers)

    responses = post_at_once(invoice.number, list(zip(browsers, forms, strict=True)))
    assert sorted(response.status_code for response in responses) == [302, 422, 422, 422]
    for refused in (response for response in responses if response.status_code == 422):
        page = html.unescape(refused.get_data(as_text=True))
        field = "cheque_number" if method == "cheque" else "transfer_reference"
        errors = page.split(f'id="{field}-errors"')[1].split("</div>")[0]
        assert message in errors
    (payment,) = payments_of(invoice)
    assert payment.amount == Decimal("576.00") and status_of(invoice) is InvoiceStatus.PAID
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payment.recorded")) == 1


def test_m4_transfer_instalments_with_the_same_words_add_up(client, agent, invoice):
    """Clubs write the same reference (often the RF one) on every instalment: another amount or another day
    is another transfer; the same words, amount and day entered again are the same transfer."""
    words = {"method": "transfer", "transfer_reference": invoice.creditor_reference, "cheque_number": "", "bank": "",
             "drawer": ""}
    assert record(client, invoice.number, amount="200", received_on="2026-11-02", **words).status_code == 302
    assert record(client, invoice.number, amount="200", received_on="2026-11-03", **words).status_code == 302
    assert record(client, invoice.number, amount="200", received_on="2026-11-03", **words).status_code == 422
    assert record(client, invoice.number, amount="176", received_on="2026-11-03", **words).status_code == 302
    assert [p.amount for p in payments_of(invoice)] == [Decimal("200.00"), Decimal("200.00"), Decimal("176.00")]
    assert status_of(invoice) is InvoiceStatus.PAID


def test_m4_the_same_cheque_entered_again_later_is_refused_until_it_is_reversed(app, client, agent, make, invoice):
    admin = make.staff(StaffRole.ADMIN, email=ADMIN)
    assert record(client, invoice.number, amount="100", cheque_number="1234567", bank="LCL").status_code == 302
    # Spaces and case do not make another cheque.
    again = record(client, invoice.number, amount="100", cheque_number="123 4567", bank="lcl ")
    assert again.status_code == 422
    assert "Cheque 1234567 (LCL) is already recorded on this invoice" in html.unescape(again.get_data(as_text=True))
    # Another cheque number, or the same number at another bank, is another cheque.
    assert record(client, invoice.number, amount="100", cheque_number="1234568", bank="LCL").status_code == 302
    assert record(client, invoice.number, amount="100", cheque_number="1234567", bank="BNP").status_code == 302
    first = payments_of(invoice)[0]
    operations.reverse_payment(first.id, admin, "cheque bounced")
    # Presented again after it bounced: recorded again.
    assert record(client, invoice.number, amount="100", cheque_number="1234567", bank="LCL").status_code == 302
    assert [p.amount for p in payments_of(invoice)] == [Decimal("100.00")] * 3 + [Decimal("-100.00"),
                                                                                   Decimal("100.00")]


def test_m4_the_same_request_key_from_four_threads_records_one_payment(app, invoice, make):
    """The service alone, without the web layer: its invoice lock and the key's unique index hold."""
    staff_id = make.staff().id
    barrier = threading.Barrier(4)
    recorded: list[int] = []

    def confirm():
        with app.app_context():
            from openflyers_account.models import StaffUser

            staff = db.session.get(StaffUser, staff_id)
            barrier.wait(timeout=30)
            payment = operations.record_payment(invoice.id, Decimal("100.00"), PaymentMethod.CHEQUE, TODAY, staff,
                                                reference="555", bank="LCL", drawer="Mermoz",
                                                request_key="0123456789abcdef0123456789abcdef")
            recorded.append(payment.id)
            db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(recorded) == 4 and len(set(recorded)) == 1
    assert len(payments_of(invoice)) == 1 and status_of(invoice) is InvoiceStatus.PARTIALLY_PAID


@pytest.mark.parametrize("fields", [
    {"amount": "abc"},
    {"amount": ""},
    {"amount": "0"},
    {"amount": "-50"},
    {"amount": "10.001"},
    {"amount": "99999999"},
    {"received_on": (TODAY + timedelta(days=1)).isoformat()},
    {"received_on": "2026-02-30"},
    {"received_on": ""},
    {"method": "card"},
    {"method": "cash"},
    {"request_key": ""},
    {"request_key": "not-a-key"},
    {"bank": ""},
    {"cheque_number": ""},
    {"drawer": ""},
])
def test_m4_bad_amounts_dates_and_missing_cheque_details_are_422_and_record_nothing(client, agent, invoice, fields):
    response = record(client, invoice.number, **fields)
    assert response.status_code == 422
    assert 'class="error' in response.get_data(as_text=True)
    assert payments_of(invoice) == []
    assert status_of(invoice) is InvoiceStatus.ISSUED


def test_m4_a_transfer_needs_no_cheque_details(client, agent, invoice):
    response = record(client, invoice.number, method="transfer", cheque_number="", bank="", drawer="")
    assert response.status_code == 302
    (payment,) = payments_of(invoice)
    assert (payment.method, payment.bank, payment.drawer) == (PaymentMethod.TRANSFER, "", "")


def test_i5_a_cancelled_invoice_takes_no_payment_from_staff(app, client, agent, invoice, mermoz):
    data = payment_form(client, invoice.number)
    from openflyers_account.subscriptions.operations import cancel_purchase

    with app.test_request_context():
        cancel_purchase(mermoz.id, invoice.number, TODAY, mermoz)
    response = client.post(f"/staff/invoices/{invoice.number}/payments", data=data)
    assert response.status_code == 422
    assert "needs no payment" in response.get_data(as_text=True)
    assert payments_of(invoice) == []


def test_m4_a5_only_an_admin_reverses_a_payment_with_a_reason(app, client, agent, make, invoice):
    record(client, invoice.number, amount="576.00")
    (payment,) = payments_of(invoice)
    assert period_of(invoice).activated_at is not None
    path = f"/staff/payments/{payment.id}/reverse"
    page = client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True)
    assert path not in page and "reversed by administrators" in page
    assert post_form(client, path, {"reason": "bounced"}, token_from="/staff/").status_code == 403
    assert len(payments_of(invoice)) == 1

    admin = app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    make.staff(StaffRole.ADMIN, email=ADMIN)
    post_form(admin, "/staff/login", {"email": ADMIN, "password": PASSWORD})
    assert path in admin.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True)
    missing = post_form(admin, path, {"reason": ""}, token_from="/staff/")
    assert missing.status_code == 422 and len(payments_of(invoice)) == 1

    # First the page that says what will happen; nothing is reversed until the admin says yes (U1).
    asked = post_form(admin, path, {"reason": "Cheque bounced"}, token_from="/staff/")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Reverse the payment of €576.00?" in text
    assert "This cannot be undone." in text and 'name="reason" value="Cheque bounced"' in text
    assert len(payments_of(invoice)) == 1
    response = post_form(admin, path, {"reason": "Cheque bounced", "confirmed": "1"}, token_from="/staff/")
    assert response.status_code == 302
    original, counter = payments_of(invoice)
    assert counter.amount == -original.amount and counter.reverses_id == original.id
    assert counter.note == "Cheque bounced" and counter.recorded_by == ADMIN
    assert status_of(invoice) is InvoiceStatus.ISSUED and period_of(invoice).activated_at is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.reversed")).one()
    assert entry.actor == ADMIN and entry.details["reason"] == "Cheque bounced"

    again = post_form(admin, path, {"reason": "twice", "confirmed": "1"}, token_from="/staff/")
    assert again.status_code == 422 and "already been reversed" in again.get_data(as_text=True)
    assert len(payments_of(invoice)) == 2


def test_a5_a_club_cannot_post_to_staff_payment_urls(client, make, sign_in, english, invoice):
    operations.record_payment(invoice.id, Decimal("10.00"), PaymentMethod.CHEQUE, TODAY, "tests")
    (payment,) = payments_of(invoice)
    sign_in("mermoz")
    for path, data in ((f"/staff/invoices/{invoice.number}/payments",
                        {"amount": "576", "received_on": TODAY.isoformat(), "method": "transfer",
                         "request_key": "0" * 32}),
                       (f"/staff/payments/{payment.id}/reverse", {"reason": "mine"})):
        response = post_form(client, path, data, token_from="/invoices")
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert [p.amount for p in payments_of(invoice)] == [Decimal("10.00")]
    assert client.get(f"/staff/invoices/{invoice.number}").status_code == 302


def test_m2_m3_staff_home_lists_declarations_and_unpaid_invoices_overdue_first(client, agent, make, mermoz):
    late = issue(make.club("guillaumet"), today=TODAY - timedelta(days=40))  # due 10 days ago
    current = issue(mermoz)
    operations.declare_payment(mermoz, current.number, PaymentMethod.TRANSFER, "Sent from our Crédit Mutuel")
    home = client.get("/staff/").get_data(as_text=True)
    declarations = home.split('id="declarations"')[1].split("</section>")[0]
    assert current.number in declarations and "Sent from our Crédit Mutuel" in declarations
    unpaid = home.split('id="unpaid"')[1].split("</section>")[0]
    assert unpaid.index(late.number) < unpaid.index(current.number)
    assert "10 days late" in unpaid and "€576.00" in unpaid

    record(client, current.number, amount="576", method="transfer")
    home = client.get("/staff/").get_data(as_text=True)
    assert current.number not in home.split('id="declarations"')[1].split("</section>")[0]
    assert current.number not in home.split('id="unpaid"')[1].split("</section>")[0]
