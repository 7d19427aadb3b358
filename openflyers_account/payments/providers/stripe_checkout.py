"""The Stripe provider: a Checkout Session per payment, signed webhooks (rule M1).

Stripe speaks in minor units (cents) and lower-case currencies; the conversion happens here and
nowhere else. STRIPE_API_BASE points the client at another address (the tests' local double).
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import stripe

from .base import (
    BadNotification,
    CheckoutSession,
    Notification,
    PaymentData,
    PaymentProvider,
    ProviderUnavailable,
    check_signed_at,
    from_minor_units,
    header_value,
    register,
    to_minor_units,
)

SIGNATURE_HEADER = "Stripe-Signature"
#: Seconds a signed event stays acceptable (Stripe's recommended tolerance).
TOLERANCE = 300
#: Checkout events that may carry the money: a card is paid at completion, a bank debit later (async).
PAYMENT_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})


@register
class StripeProvider(PaymentProvider):
    """Stripe Checkout (mode payment) and its webhook, verified with stripe.Webhook.construct_event."""

    name = "stripe"
    redirect_origins = ("https://checkout.stripe.com",)

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.client = stripe.StripeClient(
            config.get("STRIPE_SECRET_KEY") or "",
            base_addresses={"api": config.get("STRIPE_API_BASE") or stripe.DEFAULT_API_BASE},
            max_network_retries=2,
        )

    def create_checkout(self, data: PaymentData) -> CheckoutSession:
        """Open a Checkout Session for the amount due: one line, the invoice number in its metadata."""
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": data.currency.lower(),
                    "unit_amount": to_minor_units(data.amount, data.currency),
                    "product_data": {"name": data.description},
                },
            }],
            "client_reference_id": data.invoice_number,
            "metadata": {"invoice_number": data.invoice_number},
            "payment_intent_data": {"metadata": {"invoice_number": data.invoice_number},
                                    "description": data.description},
            "success_url": data.success_url,
            "cancel_url": data.cancel_url,
        }
        if data.customer_email:
            params["customer_email"] = data.customer_email
        try:
            session = self.client.v1.checkout.sessions.create(params=params)
        except stripe.StripeError as error:
            raise ProviderUnavailable(f"Stripe refused the checkout session: {error}") from error
        if not session.id or not session.url:
            raise ProviderUnavailable("Stripe answered without a session id or url")
        return CheckoutSession(session.id, session.url)

    def parse_notification(self, payload: bytes, headers: Mapping[str, str]) -> Notification | None:
        """The verified checkout event; other event types are None (answered 200 and ignored)."""
        signature = header_value(headers, SIGNATURE_HEADER)
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.config["STRIPE_WEBHOOK_SECRET"],
                                                   tolerance=TOLERANCE)
        except stripe.SignatureVerificationError as error:
            raise BadNotification(f"bad signature: {error.user_message or error}") from error
        except ValueError as error:  # not UTF-8 or not JSON
            raise BadNotification(f"malformed notification: {error!r}") from error
        # The library refuses old signatures only; one from the future is refused too.
        check_signed_at(_signed_at(signature), time.time(), TOLERANCE)
        try:
            values = event.to_dict()
            if values["type"] not in PAYMENT_EVENTS:
                return None
            session = values["data"]["object"]
            currency = str(session["currency"])
            return Notification(
                event_id=str(values["id"]), type=values["type"], session_ref=str(session["id"]),
                invoice_number=str((session.get("metadata") or {}).get("invoice_number")
                                   or session.get("client_reference_id") or ""),
                amount=from_minor_units(session["amount_total"], currency), currency=currency.upper(),
                # checkout.session.completed with "unpaid": a bank debit still on its way (async event later).
                paid=session.get("payment_status") == "paid",
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BadNotification(f"malformed notification: {error!r}") from error


def _signed_at(signature: str) -> int:
    """The `t=` of a Stripe-Signature header the library has just verified."""
    return int(next(item.split("=", 1)[1] for item in signature.split(",") if item.strip().startswith("t=")))
