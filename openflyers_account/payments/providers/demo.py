"""The demo provider: a hosted-page simulation for development and demos, and the tests' double (M1).

It behaves like a remote provider that happens to be served by this app: `create_checkout` opens a
page at /payments/demo/<session_ref> whose state travels in a signed token (like the provider's
own database), and paying there sends a notification signed like Stripe's (`Demo-Signature:
t=<ts>,v1=<HMAC-SHA256 of "<ts>.<body>">`) through the same path as a real webhook. It takes no
money, so production configuration refuses it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...web import external_url
from .base import (
    BadNotification,
    CheckoutSession,
    Notification,
    PaymentData,
    PaymentProvider,
    check_signed_at,
    from_minor_units,
    header_value,
    register,
    to_minor_units,
)

SIGNATURE_HEADER = "Demo-Signature"
#: Seconds a signed notification stays acceptable, as Stripe's default tolerance.
TOLERANCE = 300
#: A demo checkout page stays open one day, like a Stripe Checkout Session.
PAGE_MAX_AGE = 24 * 3600
#: The only event the demo sends: the hosted page was paid.
COMPLETED = "checkout.completed"


@dataclass(frozen=True)
class DemoCheckoutPage:
    """What the simulated provider remembers about an open checkout page."""

    session_ref: str
    invoice_number: str
    amount: Decimal
    currency: str
    description: str
    customer_email: str
    success_url: str
    cancel_url: str


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Demo-Signature header for `payload`, computed as Stripe computes Stripe-Signature."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


@register
class DemoProvider(PaymentProvider):
    """Hosted-page simulation served by this app; signs its notifications with DEMO_PROVIDER_SECRET."""

    name = "demo"

    @property
    def secret(self) -> str:
        configured = self.config.get("DEMO_PROVIDER_SECRET")
        if configured:
            return configured
        # Not set: a secret of this installation, never a well-known default anyone could sign with.
        return hmac.new(str(self.config["SECRET_KEY"]).encode(), b"demo-provider", hashlib.sha256).hexdigest()

    def _pages(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="demo-checkout-page")

    def create_checkout(self, data: PaymentData) -> CheckoutSession:
        """Open a demo hosted page; its state travels in a signed token in the page address."""
        session_ref = f"demo_cs_{secrets.token_hex(12)}"
        token = self._pages().dumps({
            "ref": session_ref, "invoice": data.invoice_number, "currency": data.currency.lower(),
            "amount": to_minor_units(data.amount, data.currency), "description": data.description,
            "email": data.customer_email, "success": data.success_url, "cancel": data.cancel_url,
        })
        return CheckoutSession(session_ref, external_url("payments.demo_checkout", session_ref=session_ref,
                                                         page=token))

    def open_page(self, session_ref: str, token: str) -> DemoCheckoutPage | None:
        """The checkout page behind a demo address, or None when the address was not made here or expired."""
        try:
            state = self._pages().loads(token, max_age=PAGE_MAX_AGE)
        except BadSignature:
            return None
        if state.get("ref") != session_ref:
            return None
        return DemoCheckoutPage(session_ref, state["invoice"], from_minor_units(state["amount"], state["currency"]),
                                state["currency"].upper(), state["description"], state["email"],
                                state["success"], state["cancel"])

    def paid_notification(self, page: DemoCheckoutPage, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The webhook body and headers the simulated provider sends once the page is paid."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        payload = json.dumps({
            # One page is paid at most once: its completion is one event, whatever is re-sent.
            "id": f"evt_{page.session_ref}",
            "type": COMPLETED,
            "created": timestamp,
            "data": {"session": page.session_ref, "invoice_number": page.invoice_number,
                     "amount": to_minor_units(page.amount, page.currency), "currency": page.currency.lower(),
                     "status": "paid"},
        }).encode()
        return payload, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(payload, self.secret, timestamp)}

    def parse_notification(self, payload: bytes, headers: Mapping[str, str]) -> Notification | None:
        """The verified demo event; the same checks as Stripe's: signature, then a 300 s tolerance."""
        self._verify(payload, header_value(headers, SIGNATURE_HEADER))
        try:
            event = json.loads(payload)
            if event.get("type") != COMPLETED:
                return None
            data = event["data"]
            currency = str(data["currency"])
            return Notification(
                event_id=str(event["id"]), type=event["type"], session_ref=str(data["session"]),
                invoice_number=str(data.get("invoice_number", "")), amount=from_minor_units(data["amount"], currency),
                currency=currency.upper(), paid=data.get("status") == "paid",
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BadNotification(f"malformed notification: {error!r}") from error

    def _verify(self, payload: bytes, signature_header: str | None) -> None:
        if not signature_header:
            raise BadNotification(f"no {SIGNATURE_HEADER} header")
        try:
            parts = [item.split("=", 1) for item in signature_header.split(",")]
            timestamp = int(next(value for key, value in parts if key.strip() == "t"))
            signatures = [value for key, value in parts if key.strip() == "v1"]
        except (ValueError, StopIteration):
            raise BadNotification(f"unreadable {SIGNATURE_HEADER} header") from None
        expected = sign(payload, self.secret, timestamp).rpartition("v1=")[2]
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise BadNotification("bad signature")
        check_signed_at(timestamp, time.time(), TOLERANCE)
