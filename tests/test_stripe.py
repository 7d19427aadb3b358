"""The Stripe provider against a local double of the Stripe API, and webhooks signed as Stripe signs them (M1)."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select
from werkzeug import Response

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import CardCheckout, Invoice, InvoiceStatus, Payment, SubscriptionPeriod
from openflyers_account.payments import card
from openflyers_account.payments.providers import BadNotification, CheckoutSession, PaymentData, provider
from openflyers_account.payments.providers.stripe_checkout import StripeProvider
from tests.conftest import csrf_token

SECRET_KEY = "sk_test_51Openflyers"
WEBHOOK_SECRET = "whsec_test_openflyers"
SESSION_ID = "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
CHECKOUT_URL = f"https://checkout.stripe.com/c/pay/{SESSION_ID}#fidkdWxOYHwnPyd1blpxYHZxWjA0"
CARD_LOG = "openflyers_account.payments.card"


@pytest.fixture
def app_config(app_config, httpserver):
    """The suite's configuration with Stripe as the provider, its API at the local double."""
    return {**app_config, "PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": httpserver.url_for("").rstrip("/")}


@pytest.fixture
def invoice(app, make):
    club = make.club("mermoz", resources=1)
    with app.test_request_context():
        return issue_renewal(club.id, None, SubscriptionOrder("business", 1, Term.ONE_YEAR), date.today(), "test")


def session_json(params: dict, session_id: str = SESSION_ID, **changes) -> dict:
    """A Checkout Session as the Stripe API returns it (abridged), for the parameters it was created with."""
    amount = int(params["line_items[0][price_data][unit_amount]"])
    return {
        "id": session_id, "object": "checkout.session", "after_expiration": None, "allow_promotion_codes": None,
        "amount_subtotal": amount, "amount_total": amount, "automatic_tax": {"enabled": False, "status": None},
        "billing_address_collection": None, "cancel_url": params["cancel_url"],
        "client_reference_id": params["client_reference_id"], "created": int(time.time()),
        "currency": params["line_items[0][price_data][currency]"], "customer": None,
        "customer_email": params.get("customer_email"), "expires_at": int(time.time()) + 86400,
        "livemode": False, "locale": None, "metadata": {"invoice_number": params["metadata[invoice_number]"]},
        "mode": "payment", "payment_intent": None, "payment_method_types": ["card"], "payment_status": "unpaid",
        "status": "open", "success_url": params["success_url"], "total_details": {"amount_discount": 0,
                                                                                 "amount_shipping": 0, "amount_tax": 0},
        "url": CHECKOUT_URL, **changes,
    }


class StripeDouble:
    """POST /v1/checkout/sessions on the local HTTP server; remembers what the adapter sent."""

    def __init__(self, httpserver):
        self.requests: list = []
        self.params: dict = {}
        httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(self.create)

    def create(self, request):
        self.requests.append(request)
        self.params = {key: values[-1] for key, values in parse_qs(request.get_data(as_text=True)).items()}
        return Response(json.dumps(session_json(self.params)), status=200, content_type="application/json",
                        headers={"Request-Id": "req_test123"})


@pytest.fixture
def stripe_api(httpserver) -> StripeDouble:
    return StripeDouble(httpserver)


def start(client, sign_in, invoice):
    sign_in("mermoz")
    page = f"/invoices/{invoice.number}"
    return client.post(f"{page}/pay/card", data={"csrf_token": csrf_token(client, page)})


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header exactly as Stripe computes it: HMAC-SHA256 of "<t>.<body>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(params: dict, event_type: str = "checkout.session.completed", event_id: str = "evt_1PaidTest",
                 **session) -> bytes:
    """A webhook body as Stripe sends it for the session created with `params`."""
    obj = session_json(params, payment_intent="pi_3TestPaid", payment_status="paid", status="complete")
    obj.update(session)
    return json.dumps({
        "id": event_id, "object": "event", "api_version": "2025-09-30.clover", "created": int(time.time()),
        "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": event_type,
    }, indent=2).encode()


def deliver(client, body: bytes, signature: str | None = None):
    headers = {"Stripe-Signature": signature if signature is not None else stripe_signature(body)}
    return client.post("/webhooks/stripe", data=body, content_type="application/json", headers=headers)


def payments_of(invoice: Invoice) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)))


def status_of(invoice: Invoice) -> InvoiceStatus:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id).status


# -- the checkout session -----------------------------------------------------------------------------

def test_m1_the_adapter_creates_a_checkout_session_for_the_amount_due_in_cents(client, sign_in, invoice, stripe_api):
    response = start(client, sign_in, invoice)
    assert response.status_code == 303 and response.headers["Location"] == CHECKOUT_URL
    [request] = stripe_api.requests
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    params = stripe_api.params
    assert params["mode"] == "payment"
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][unit_amount]"] == "43200"  # 432.00 EUR
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert invoice.number in params["line_items[0][price_data][product_data][name]"]
    assert params["metadata[invoice_number]"] == params["client_reference_id"] == invoice.number
    assert params["success_url"] == f"http://localhost/invoices/{invoice.number}/pay/card/return"
    assert params["cancel_url"] == f"http://localhost/invoices/{invoice.number}/pay/card/return?cancelled=1"
    assert params["customer_email"] == "tresorier@mermoz.example"
    checkout = db.session.scalar(select(CardCheckout))
    assert (checkout.provider, checkout.session_ref, checkout.amount) == ("stripe", SESSION_ID, Decimal("432.00"))
    assert status_of(invoice) is InvoiceStatus.ISSUED  # opening the page pays nothing


def test_m1_the_adapter_takes_payment_data_and_returns_a_checkout_session(app, stripe_api):
    gateway = provider(app.config)
    assert isinstance(gateway, StripeProvider)
    session = gateway.create_checkout(PaymentData("F-2026-00042", Decimal("1234.56"), "EUR", "Invoice F-2026-00042",
                                                  "", "https://site.example/ok", "https://site.example/ko"))
    assert session == CheckoutSession(SESSION_ID, CHECKOUT_URL)
    assert stripe_api.params["line_items[0][price_data][unit_amount]"] == "123456"
    assert "customer_email" not in stripe_api.params


def test_m1_a_stripe_error_opens_nothing_and_says_so(client, sign_in, invoice, httpserver):
    httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_***"}}, status=401)
    response = start(client, sign_in, invoice)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/invoices/{invoice.number}/pay")
    assert db.session.scalar(select(func.count()).select_from(CardCheckout)) == 0


# -- webhooks -------------------------------------------------------------------------------------------

@pytest.fixture
def opened(client, sign_in, invoice, stripe_api) -> dict:
    """A Checkout Session opened through the pay button; the parameters the adapter sent."""
    assert start(client, sign_in, invoice).status_code == 303
    return stripe_api.params


def test_m1_r4_a_signed_completed_event_pays_the_invoice(client, invoice, opened, mailbox):
    response = deliver(client, stripe_event(opened))
    assert response.status_code == 200 and response.get_json() == {"status": "applied"}
    assert status_of(invoice) is InvoiceStatus.PAID
    [payment] = payments_of(invoice)
    assert (payment.method, payment.amount, payment.recorded_by) == (PaymentMethod.CARD, Decimal("432.00"), "stripe")
    assert payment.provider_event_id == "stripe:evt_1PaidTest" and payment.reference == SESSION_ID
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))
    assert period.activated_at is not None
    assert mailbox.to("tresorier@mermoz.example")


def test_m1_a_stripe_event_delivered_three_times_records_one_payment(client, invoice, opened):
    body = stripe_event(opened)
    statuses = [deliver(client, body).get_json()["status"] for _ in range(3)]
    assert statuses == ["applied", "already_applied", "already_applied"]
    assert len(payments_of(invoice)) == 1


@pytest.mark.parametrize("event_ids", [["evt_1PaidTest"] * 6, ["evt_1PaidTest", "evt_2PaidTest"] * 3],
                         ids=["same event", "two events for one session"])
def test_m1_stripe_events_delivered_concurrently_record_one_payment(app, invoice, opened, event_ids):
    """Stripe retries, and may send a session's completion and its async success, at the same moment."""
    bodies = [stripe_event(opened, event_id=event_id) for event_id in event_ids]
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def deliver_at_once(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        answers[index] = deliver(client, bodies[index])

    threads = [threading.Thread(target=deliver_at_once, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [answer.status_code for answer in answers] == [200] * len(bodies)
    assert sorted(answer.get_json()["status"] for answer in answers) == (
        ["already_applied"] * (len(bodies) - 1) + ["applied"])
    [payment] = payments_of(invoice)
    assert payment.amount == Decimal("432.00") and payment.recorded_by == "stripe"
    assert status_of(invoice) is InvoiceStatus.PAID


def test_m1_a_bank_debit_pays_when_its_async_event_arrives(client, invoice, opened):
    pending = deliver(client, stripe_event(opened, event_id="evt_pending", payment_status="unpaid"))
    assert pending.status_code == 200 and pending.get_json()["status"] == "ignored"
    assert status_of(invoice) is InvoiceStatus.ISSUED
    paid = deliver(client, stripe_event(opened, "checkout.session.async_payment_succeeded", "evt_async"))
    assert paid.get_json()["status"] == "applied" and status_of(invoice) is InvoiceStatus.PAID


@pytest.mark.parametrize("event_type", ["payment_intent.succeeded", "checkout.session.expired",
                                        "checkout.session.async_payment_failed", "charge.refunded"])
def test_m1_other_stripe_events_are_answered_200_and_ignored(client, invoice, opened, event_type):
    response = deliver(client, stripe_event(opened, event_type, f"evt_{event_type}"))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert payments_of(invoice) == []


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "old timestamp", "timestamp in the future",
                                  "no signature", "signature of another scheme", "not JSON"])
def test_m1_a_webhook_stripe_did_not_sign_now_is_refused(client, invoice, opened, case, caplog):
    logging.getLogger(CARD_LOG).disabled = False  # see test_card_payments.card_log
    caplog.set_level(logging.INFO, logger=CARD_LOG)
    body = stripe_event(opened)
    signature = stripe_signature(body)
    if case == "tampered body":
        body = body.replace(b'"amount_total": 43200', b'"amount_total": 100')
    elif case == "wrong secret":
        signature = stripe_signature(body, secret="whsec_someone_else")
    elif case == "old timestamp":
        signature = stripe_signature(body, timestamp=int(time.time()) - 301)
    elif case == "timestamp in the future":
        signature = stripe_signature(body, timestamp=int(time.time()) + 301)
    elif case == "no signature":
        signature = ""
    elif case == "signature of another scheme":
        signature = signature.replace("v1=", "v0=")
    elif case == "not JSON":
        body = b"event=checkout.session.completed"
        signature = stripe_signature(body)
    response = deliver(client, body, signature)
    assert response.status_code == 400
    assert payments_of(invoice) == [] and status_of(invoice) is InvoiceStatus.ISSUED
    assert any(r.name == CARD_LOG and r.levelno == logging.WARNING and "rejected" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("session, reason", [
    ({"id": "cs_test_unknown"}, "unknown checkout session"),
    ({"amount_total": 4320}, "amount 43.20"),
    ({"currency": "usd"}, "currency 'USD'"),
])
def test_m1_a_signed_event_that_does_not_match_the_checkout_records_nothing(client, invoice, opened, caplog,
                                                                             session, reason):
    logging.getLogger(CARD_LOG).disabled = False
    caplog.set_level(logging.INFO, logger=CARD_LOG)
    response = deliver(client, stripe_event(opened, **session))
    assert response.status_code == 200 and response.get_json()["status"] == "refused"
    assert payments_of(invoice) == []
    assert any(reason in r.getMessage() for r in caplog.records if r.name == CARD_LOG)


def test_m1_the_real_stripe_library_verifies_what_the_adapter_accepts(app, invoice, opened):
    """The adapter itself: the same checks through stripe.Webhook.construct_event, 300 s tolerance."""
    gateway = provider(app.config)
    body = stripe_event(opened)
    notification = gateway.parse_notification(body, {"stripe-signature": stripe_signature(body)})
    assert (notification.session_ref, notification.amount, notification.currency, notification.paid) == (
        SESSION_ID, Decimal("432.00"), "EUR", True)
    assert notification.invoice_number == invoice.number
    assert gateway.parse_notification(body, {"Stripe-Signature": stripe_signature(
        body, timestamp=int(time.time()) - 290)}) == notification
    with pytest.raises(BadNotification, match="tolerance"):
        gateway.parse_notification(body, {"Stripe-Signature": stripe_signature(body, timestamp=int(time.time()) - 310)})


def test_m1_the_demo_webhook_is_404_while_stripe_is_configured(client, invoice, opened):
    assert client.post("/webhooks/demo", data=b"{}", content_type="application/json").status_code == 404
    with client.application.test_request_context():
        assert card.configured_provider_name() == "stripe"
