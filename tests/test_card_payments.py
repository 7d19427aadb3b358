"""Card payments through the demo provider, end to end: hosted page, signed notification, applied once (M1, R4)."""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from openflyers_account import create_app
from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import CardCheckout, Invoice, InvoiceStatus, Payment, SubscriptionPeriod
from openflyers_account.payments import card, operations
from openflyers_account.payments.providers import PROVIDERS, CheckoutSession, PaymentData, provider
from openflyers_account.payments.providers.demo import DemoProvider, sign
from tests.conftest import csrf_token

CARD_LOG = "openflyers_account.payments.card"


@pytest.fixture
def card_log(caplog):
    """The card service's log records. Alembic's fileConfig (migrations/env.py, run in-process by the
    session's database templates) disables loggers that exist at that moment: switch ours back on."""
    logger = logging.getLogger(CARD_LOG)
    logger.disabled = False
    caplog.set_level(logging.INFO, logger=CARD_LOG)
    return caplog


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def invoice(app, make):
    club = make.club("mermoz", resources=1)
    with app.test_request_context():
        return issue_renewal(club.id, None, SubscriptionOrder("business", 1, Term.ONE_YEAR), date.today(), club)


@pytest.fixture
def checkout(app, invoice) -> CardCheckout:
    """A demo checkout opened for the invoice's balance, as the pay button does."""
    with app.test_request_context():
        card.start_card_payment(invoice.club, invoice.number)
    return db.session.scalar(select(CardCheckout).where(CardCheckout.invoice_id == invoice.id))


def fresh(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def payments_of(invoice: Invoice) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)))


def period_of(invoice: Invoice) -> SubscriptionPeriod:
    db.session.expire_all()
    return db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))


def demo_event(checkout: CardCheckout, number: str, event_id: str | None = None, **data) -> bytes:
    """A demo notification body, as the demo provider writes it (amounts in cents)."""
    return json.dumps({
        "id": event_id or f"evt_{checkout.session_ref}", "type": "checkout.completed", "created": int(time.time()),
        "data": {"session": checkout.session_ref, "invoice_number": number, "amount": int(checkout.amount * 100),
                 "currency": "eur", "status": "paid", **data},
    }).encode()


def deliver(client, body: bytes, secret: str, timestamp: int | None = None):
    return client.post("/webhooks/demo", data=body, content_type="application/json",
                       headers={"Demo-Signature": sign(body, secret, timestamp)})


def secret_of(app) -> str:
    return DemoProvider(app.config).secret


def pay_form(client, location: str) -> dict:
    return {"csrf_token": csrf_token(client, location)}


# -- the provider interface ---------------------------------------------------------------------------

def test_m1_providers_are_a_registry_of_small_classes(app):
    assert set(PROVIDERS) == {"demo", "stripe"}
    assert isinstance(provider(app.config), DemoProvider)
    with app.test_request_context():
        session = provider(app.config).create_checkout(PaymentData(
            "F-2026-00001", Decimal("432.00"), "EUR", "Invoice F-2026-00001", "t@x.example",
            "http://localhost/ok", "http://localhost/ko"))
    assert isinstance(session, CheckoutSession)
    assert session.session_ref.startswith("demo_cs_") and f"/payments/demo/{session.session_ref}?page=" in \
        session.redirect_url


# -- end to end -----------------------------------------------------------------------------------------

def test_m1_r4_a_demo_card_payment_pays_the_invoice_and_starts_the_period(english, sign_in, invoice, mailbox):
    client = english
    sign_in("mermoz")
    invoice_page = f"/invoices/{invoice.number}"
    response = client.post(f"{invoice_page}/pay/card", data=pay_form(client, invoice_page))
    assert response.status_code == 303
    hosted = response.headers["Location"]
    assert urlsplit(hosted).path.startswith("/payments/demo/demo_cs_")
    checkout = db.session.scalar(select(CardCheckout).where(CardCheckout.invoice_id == invoice.id))
    assert checkout.provider == "demo" and checkout.amount == invoice.total_incl_vat == Decimal("432.00")

    page = client.get(hosted)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "€432.00" in text and invoice.number in text
    assert "<script" not in text.split("</head>")[1] and "style=" not in text

    waiting = client.get(f"{invoice_page}/pay/card/return").get_data(as_text=True)
    assert "being confirmed" in text_of(waiting) and 'hx-trigger="every 2s"' in waiting
    assert fresh(invoice).status is InvoiceStatus.ISSUED

    paid = client.post(hosted, data={"action": "pay", "csrf_token": csrf_token(client, hosted)})
    assert paid.status_code == 303 and paid.headers["Location"].endswith(f"{invoice_page}/pay/card/return")

    assert fresh(invoice).status is InvoiceStatus.PAID
    assert period_of(invoice).activated_at is not None
    [payment] = payments_of(invoice)
    assert (payment.method, payment.recorded_by, payment.amount) == (PaymentMethod.CARD, "demo", Decimal("432.00"))
    assert payment.provider_event_id == f"demo:evt_{checkout.session_ref}"
    assert payment.reference == checkout.session_ref
    assert mailbox.to("tresorier@mermoz.example")
    assert any("Payment received" in m["Subject"] or "Paiement reçu" in m["Subject"] for m in mailbox.messages)

    done = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "is paid" in text_of(done) and "hx-trigger" not in done


def text_of(html: str) -> str:
    return " ".join(html.split())


def test_m1_the_status_fragment_is_polled_with_htmx_until_paid(english, sign_in, checkout, invoice, app):
    sign_in("mermoz")
    url = f"/invoices/{invoice.number}/pay/card/return"
    fragment = english.get(url, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="card-payment-status"')
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 2s"' in html and 'hx-swap="outerHTML"' in html
    assert f'href="{url}"' in html  # a plain refresh link without JavaScript
    assert "HX-Request" in fragment.headers["Vary"]
    deliver(english, demo_event(checkout, invoice.number), secret_of(app))
    paid = english.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in paid and "is paid" in text_of(paid)


def test_m1_the_return_url_alone_never_marks_an_invoice_paid(english, sign_in, checkout, invoice):
    sign_in("mermoz")
    for query in ("", "?cancelled=1", "?paid=1&session_id=" + checkout.session_ref):
        assert english.get(f"/invoices/{invoice.number}/pay/card/return{query}").status_code == 200
    assert fresh(invoice).status is InvoiceStatus.ISSUED
    assert payments_of(invoice) == []
    assert period_of(invoice).activated_at is None


def test_m1_cancelling_on_the_hosted_page_records_nothing(english, sign_in, invoice):
    sign_in("mermoz")
    hosted = english.post(f"/invoices/{invoice.number}/pay/card",
                          data=pay_form(english, f"/invoices/{invoice.number}")).headers["Location"]
    back = english.post(hosted, data={"action": "cancel", "csrf_token": csrf_token(english, hosted)})
    assert back.status_code == 303 and "cancelled=1" in back.headers["Location"]
    page = english.get(back.headers["Location"]).get_data(as_text=True)
    assert "cancelled" in page and "hx-trigger" not in page
    assert payments_of(invoice) == [] and fresh(invoice).status is InvoiceStatus.ISSUED


def test_m1_the_hosted_page_needs_its_csrf_token_and_its_signed_address(english, sign_in, invoice):
    sign_in("mermoz")
    hosted = english.post(f"/invoices/{invoice.number}/pay/card",
                          data=pay_form(english, f"/invoices/{invoice.number}")).headers["Location"]
    assert english.post(hosted, data={"action": "pay"}).status_code == 400
    path = urlsplit(hosted).path
    assert english.get(path).status_code == 404
    assert english.get(f"{path}?page=forged").status_code == 404
    other = english.get("/payments/demo/demo_cs_other?" + urlsplit(hosted).query)
    assert other.status_code == 404
    assert payments_of(invoice) == []


def test_m4_a_card_payment_takes_what_is_left_to_pay(app, invoice, make):
    operations.record_payment(invoice.id, Decimal("100.00"), PaymentMethod.CHEQUE, date.today(), make.staff())
    with app.test_request_context():
        card.start_card_payment(invoice.club, invoice.number)
    checkout = db.session.scalar(select(CardCheckout).where(CardCheckout.invoice_id == invoice.id))
    assert checkout.amount == Decimal("332.00")
    deliver(app.test_client(), demo_event(checkout, invoice.number), secret_of(app))
    assert fresh(invoice).status is InvoiceStatus.PAID
    assert sorted(p.amount for p in payments_of(invoice)) == [Decimal("100.00"), Decimal("332.00")]


def test_m1_a_paid_invoice_offers_no_card_payment(english, sign_in, invoice, make):
    operations.record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.TRANSFER, date.today(), make.staff())
    sign_in("mermoz")
    response = english.post(f"/invoices/{invoice.number}/pay/card",
                            data=pay_form(english, f"/invoices/{invoice.number}"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/invoices/{invoice.number}/pay")
    assert db.session.scalar(select(func.count()).select_from(CardCheckout)) == 0


def test_m1_a_club_cannot_pay_by_card_for_another_clubs_invoice(english, sign_in, invoice, make):
    make.club("bleriot", resources=1)
    sign_in("bleriot")
    response = english.post(f"/invoices/{invoice.number}/pay/card", data=pay_form(english, "/invoices"))
    assert response.status_code == 404
    assert english.get(f"/invoices/{invoice.number}/pay/card/return").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CardCheckout)) == 0


def test_m1_starting_a_card_payment_needs_a_signed_in_club_and_the_csrf_token(english, sign_in, invoice):
    assert english.post(f"/invoices/{invoice.number}/pay/card").status_code in (302, 400)
    sign_in("mermoz")
    assert english.post(f"/invoices/{invoice.number}/pay/card").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CardCheckout)) == 0


# -- notifications: applied once ----------------------------------------------------------------------

def test_m1_the_same_notification_delivered_three_times_records_one_payment(app, client, checkout, invoice):
    body = demo_event(checkout, invoice.number)
    answers = [deliver(client, body, secret_of(app)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json()["status"] for a in answers] == ["applied", "already_applied", "already_applied"]
    assert len(payments_of(invoice)) == 1 and fresh(invoice).status is InvoiceStatus.PAID


def test_m1_a_checkout_session_pays_once_even_under_two_event_ids(app, client, checkout, invoice):
    deliver(client, demo_event(checkout, invoice.number, event_id="evt_one"), secret_of(app))
    again = deliver(client, demo_event(checkout, invoice.number, event_id="evt_two"), secret_of(app))
    assert again.get_json()["status"] == "already_applied"
    assert len(payments_of(invoice)) == 1


def test_m1_the_same_notification_delivered_concurrently_records_one_payment(app, checkout, invoice):
    body, secret, workers = demo_event(checkout, invoice.number), secret_of(app), 6
    barrier = threading.Barrier(workers)
    answers: list = [None] * workers

    def deliver_at_once(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        answers[index] = deliver(client, body, secret)

    threads = [threading.Thread(target=deliver_at_once, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200] * workers
    assert sorted(a.get_json()["status"] for a in answers) == ["already_applied"] * (workers - 1) + ["applied"]
    assert len(payments_of(invoice)) == 1
    assert fresh(invoice).status is InvoiceStatus.PAID


# -- notifications that change nothing ----------------------------------------------------------------

@pytest.mark.parametrize("case, status, reason", [
    ("wrong secret", 400, "bad signature"),
    ("tampered body", 400, "bad signature"),
    ("no signature", 400, "no Demo-Signature header"),
    ("stale timestamp", 400, "stale timestamp"),
    ("timestamp in the future", 400, "in the future"),
    ("malformed JSON", 400, "malformed notification"),
    ("unknown session", 200, "unknown checkout session"),
    ("wrong amount", 200, "amount 431.99"),
    ("wrong currency", 200, "currency 'USD'"),
    ("another invoice number", 200, "the notification names"),
])
def test_m1_a_notification_that_cannot_be_trusted_or_does_not_match_records_nothing(
        app, client, checkout, invoice, card_log, case, status, reason):
    secret = secret_of(app)
    body = demo_event(checkout, invoice.number)
    headers = None
    if case == "wrong secret":
        secret = "not-the-secret"
    elif case == "tampered body":
        headers = {"Demo-Signature": sign(body, secret)}
        body = body.replace(b'"amount": 43200', b'"amount": 4320')
    elif case == "no signature":
        headers = {}
    elif case == "malformed JSON":
        body = b'{"id": "evt_x", "type": "checkout.completed", "data": '
    elif case == "unknown session":
        body = demo_event(checkout, invoice.number, session="demo_cs_unknown")
    elif case == "wrong amount":
        body = demo_event(checkout, invoice.number, amount=43199)
    elif case == "wrong currency":
        body = demo_event(checkout, invoice.number, currency="usd")
    elif case == "another invoice number":
        body = demo_event(checkout, invoice.number, invoice_number="F-2000-00001")
    timestamp = {"stale timestamp": int(time.time()) - 301,
                 "timestamp in the future": int(time.time()) + 301}.get(case)
    if headers is None:
        response = deliver(client, body, secret, timestamp)
    else:
        response = client.post("/webhooks/demo", data=body, content_type="application/json", headers=headers)
    assert response.status_code == status
    assert payments_of(invoice) == [] and fresh(invoice).status is InvoiceStatus.ISSUED
    assert period_of(invoice).activated_at is None
    logged = [r for r in card_log.records if r.name == CARD_LOG and r.levelno >= logging.WARNING]
    assert any(reason in r.getMessage() for r in logged), [r.getMessage() for r in logged]


def test_m1_events_we_do_not_act_on_are_answered_200_and_change_nothing(app, client, checkout, invoice):
    other_type = json.dumps({"id": "evt_refund", "type": "charge.refunded", "data": {}}).encode()
    not_paid = demo_event(checkout, invoice.number, status="pending")
    for body in (other_type, not_paid):
        response = deliver(client, body, secret_of(app))
        assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert payments_of(invoice) == []


def test_m1_a_notification_for_a_cancelled_invoice_is_refused_and_logged(app, client, checkout, invoice,
                                                                          card_log):
    from openflyers_account.subscriptions.operations import cancel_purchase

    with app.test_request_context():
        cancel_purchase(invoice.club.id, invoice.number, date.today(), invoice.club)
    response = deliver(client, demo_event(checkout, invoice.number), secret_of(app))
    assert response.status_code == 200 and response.get_json()["status"] == "refused"
    assert payments_of(invoice) == []
    assert any(r.levelno == logging.ERROR and "refund it" in r.getMessage() for r in card_log.records)


# -- configuration ---------------------------------------------------------------------------------------

def test_m1_demo_pages_and_webhook_are_404_unless_demo_is_the_provider(app, english, sign_in, invoice):
    sign_in("mermoz")
    hosted = english.post(f"/invoices/{invoice.number}/pay/card",
                          data=pay_form(english, f"/invoices/{invoice.number}")).headers["Location"]
    checkout = db.session.scalar(select(CardCheckout).where(CardCheckout.invoice_id == invoice.id))
    body = demo_event(checkout, invoice.number)
    secret = secret_of(app)
    app.config["PAYMENT_PROVIDER"] = "stripe"
    assert english.get(hosted).status_code == 404
    token = csrf_token(english, f"/invoices/{invoice.number}")
    assert english.post(hosted, data={"action": "pay", "csrf_token": token}).status_code == 404
    assert deliver(english, body, secret).status_code == 404
    assert payments_of(invoice) == []


def test_m1_the_stripe_webhook_is_404_while_the_demo_provider_is_configured(client):
    assert client.post("/webhooks/stripe", data=b"{}", content_type="application/json").status_code == 404


def test_m1_production_config_refuses_the_demo_provider_and_needs_the_stripe_keys(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENFLYERS_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    monkeypatch.setenv("SITE_URL", "https://compte.openflyers.example")
    monkeypatch.setenv("SELLER_IBAN", "DE89 3704 0044 0532 0130 00")
    monkeypatch.setenv("SELLER_BIC", "COBADEFFXXX")
    monkeypatch.setenv("PAYMENT_PROVIDER", "demo")
    with pytest.raises(RuntimeError, match="demo"):
        create_app()
    for unknown in ("paypal", "Stripe", ""):
        monkeypatch.setenv("PAYMENT_PROVIDER", unknown)
        with pytest.raises(RuntimeError, match="PAYMENT_PROVIDER .* is unknown; use one of: stripe"):
            create_app()
    monkeypatch.setenv("PAYMENT_PROVIDER", "stripe")
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    with pytest.raises(RuntimeError, match="STRIPE_WEBHOOK_SECRET"):
        create_app()
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    assert create_app().config["PAYMENT_PROVIDER"] == "stripe"
    monkeypatch.delenv("PAYMENT_PROVIDER")
    assert create_app().config["PAYMENT_PROVIDER"] == "stripe"  # the production default


@pytest.mark.parametrize("key, value, message", [
    ("SELLER_IBAN", None, "SELLER_IBAN is the demo value"),
    ("SELLER_IBAN", "FR76 3000 6000 0112 3456 7890 189", "SELLER_IBAN is the demo value"),
    ("SELLER_BIC", None, "SELLER_BIC is the demo value"),
    ("SELLER_BIC", "agrifrpp", "SELLER_BIC is the demo value"),
    ("SELLER_IBAN", "DE89370400440532013001", "SELLER_IBAN is not a valid IBAN"),
    ("SELLER_IBAN", "not an iban", "SELLER_IBAN is not a valid IBAN"),
    ("SELLER_BIC", "COBADEF", "SELLER_BIC is not a valid BIC"),
    ("SELLER_BIC", "ZZZZZZZZ", "SELLER_BIC is not a valid BIC"),
])
def test_m2_production_config_refuses_demo_or_invalid_bank_details(monkeypatch, tmp_path, key, value, message):
    monkeypatch.setenv("OPENFLYERS_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name, setting in {"SECRET_KEY": "a real secret", "SITE_URL": "https://compte.openflyers.example",
                          "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
                          "SELLER_IBAN": "DE89370400440532013000", "SELLER_BIC": "COBADEFFXXX"}.items():
        monkeypatch.setenv(name, setting)
    assert create_app().config["SELLER_IBAN"] == "DE89370400440532013000"
    if value is None:
        monkeypatch.delenv(key)  # the demo default
    else:
        monkeypatch.setenv(key, value)
    with pytest.raises(RuntimeError, match=message):
        create_app()


def test_m2_bank_details_are_checked_at_start_in_development_too(app_config):
    with pytest.raises(RuntimeError, match="SELLER_IBAN is not a valid IBAN"):
        create_app({**app_config, "SELLER_IBAN": "FR7630006000011234567890188"})
    with pytest.raises(RuntimeError, match="SELLER_BIC is not a valid BIC"):
        create_app({**app_config, "SELLER_BIC": "AGRI"})


def test_m1_development_defaults_to_the_demo_provider_with_a_secret_of_its_own(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENFLYERS_ENV", raising=False)
    monkeypatch.delenv("PAYMENT_PROVIDER", raising=False)
    monkeypatch.delenv("DEMO_PROVIDER_SECRET", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    one = create_app({"SECRET_KEY": "one"})
    two = create_app({"SECRET_KEY": "two"})
    assert one.config["PAYMENT_PROVIDER"] == "demo"
    assert DemoProvider(one.config).secret != DemoProvider(two.config).secret
