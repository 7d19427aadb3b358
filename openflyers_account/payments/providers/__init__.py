"""Card payment providers: a small base class and a registry (rule M1); importing this fills the registry."""
from . import demo, stripe_checkout  # noqa: F401  (each module registers its provider)
from .base import (
    PROVIDERS,
    BadNotification,
    CheckoutSession,
    Notification,
    PaymentData,
    PaymentProvider,
    ProviderUnavailable,
    UnknownProvider,
    provider,
)

__all__ = [
    "PROVIDERS", "BadNotification", "CheckoutSession", "Notification", "PaymentData", "PaymentProvider",
    "ProviderUnavailable", "UnknownProvider", "provider",
]
