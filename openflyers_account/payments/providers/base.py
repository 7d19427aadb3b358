"""What every card payment provider offers: a hosted checkout and signed notifications (rule M1).

A provider takes and returns the dataclasses below; amounts are Decimal euros here and become minor
units (cents) only inside a provider, at the edge where it talks to the outside.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from babel.numbers import get_currency_precision


@dataclass(frozen=True)
class PaymentData:
    """What the club is asked to pay, as the provider's hosted page shows it."""

    invoice_number: str
    #: Decimal euros, whole cents.
    amount: Decimal
    #: ISO 4217, upper case (EUR).
    currency: str
    description: str
    customer_email: str
    #: Where the provider sends the browser back: after paying, or after giving up.
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted payment page opened at the provider."""

    #: The provider's id of the page (Stripe Checkout Session id); notifications name it.
    session_ref: str
    #: Where to send the club's browser.
    redirect_url: str


@dataclass(frozen=True)
class Notification:
    """A verified event from the provider about one checkout session."""

    #: The provider's event id: an event is applied once however often it is delivered (M1).
    event_id: str
    #: The provider's event type, e.g. checkout.session.completed.
    type: str
    session_ref: str
    #: The invoice number the checkout was opened for, as the provider echoes it back.
    invoice_number: str
    #: Decimal euros, converted from the provider's minor units.
    amount: Decimal
    #: ISO 4217, upper case.
    currency: str
    #: True once the money is taken; a completed but still pending checkout is not paid yet.
    paid: bool


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A request header by name whatever its case (Werkzeug's headers or a plain dict)."""
    value = headers.get(name)
    if value is not None:
        return value
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


class BadNotification(Exception):
    """A notification that cannot be trusted or read: bad signature, stale timestamp, malformed body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_signed_at(timestamp: int, now: float, tolerance: int) -> None:
    """A signature is only good within `tolerance` seconds of now, either way: an old one may be a replay, one from
    the future a forged clock or a clock gone wrong (M1)."""
    if timestamp < now - tolerance:
        raise BadNotification(f"stale timestamp {timestamp} (older than {tolerance} s)")
    if timestamp > now + tolerance:
        raise BadNotification(f"timestamp {timestamp} in the future (more than {tolerance} s ahead)")


class ProviderUnavailable(Exception):
    """The provider could not open a checkout (network, outage, refused request)."""


class PaymentProvider:
    """A card payment provider; subclasses register under `name` in PROVIDERS."""

    #: The PAYMENT_PROVIDER value that selects it, and the webhook path /webhooks/<name>.
    name: ClassVar[str]
    #: Origins the club's browser is sent to after posting the pay form: the page's CSP form-action
    #: must allow them, since browsers apply it to the redirect that follows a form submission.
    redirect_origins: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def create_checkout(self, data: PaymentData) -> CheckoutSession:
        """Open a hosted payment page for `data`."""
        raise NotImplementedError

    def parse_notification(self, payload: bytes, headers: Mapping[str, str]) -> Notification | None:
        """The verified event in a webhook body, or None for an event type we do not act on.

        Raises BadNotification when the signature, the timestamp or the body is wrong.
        """
        raise NotImplementedError


#: Every provider by name: the registry PAYMENT_PROVIDER picks from.
PROVIDERS: dict[str, type[PaymentProvider]] = {}


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    """Class decorator adding a provider to PROVIDERS."""
    PROVIDERS[cls.name] = cls
    return cls


class UnknownProvider(LookupError):
    """PAYMENT_PROVIDER names no registered provider."""


def provider(app_config: Mapping[str, Any], name: str | None = None) -> PaymentProvider:
    """The configured provider (or the one named), built from the application's configuration."""
    name = name or app_config["PAYMENT_PROVIDER"]
    try:
        return PROVIDERS[name](app_config)
    except KeyError:
        raise UnknownProvider(name) from None


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal euros to the provider's integer minor units (cents for EUR)."""
    scaled = amount.scaleb(get_currency_precision(currency.upper()))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """The provider's integer minor units back to Decimal euros."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"{amount!r} is not an integer amount")
    precision = get_currency_precision(currency.upper())
    return Decimal(amount).scaleb(-precision).quantize(Decimal(1).scaleb(-precision))
