"""Settings, read from the environment with embedded defaults for `make run`.

Every setting is listed in the README's "Configuration" section.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

#: The demo bank details `make run` prints on transfers: refused in production, they are nobody's account.
DEMO_SELLER_IBAN = "FR7630006000011234567890189"
DEMO_SELLER_BIC = "AGRIFRPP"
#: The late-payment penalty rate printed on invoices unless LATE_PAYMENT_PENALTY_RATE says otherwise (I3).
DEFAULT_PENALTY_RATE = "trois fois le taux d'intérêt légal en vigueur"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """The configuration for this process, from environment variables."""
    instance = Path(instance_path)
    production = os.environ.get("OPENFLYERS_ENV", "development") == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-secret-change-me"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'openflyers_account.sqlite'}"
        ),
        # Base of every link in e-mails; required in production, so no Host header ever shapes a link.
        "SITE_URL": os.environ.get("SITE_URL", ""),
        # Port `make run` serves on; links built outside a request point there when SITE_URL is empty.
        "PORT": int(os.environ.get("PORT", "5000")),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none); rate limits
        # (A3) count per client address, which behind a proxy only X-Forwarded-For carries.
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", "0")),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LANGUAGE", "fr"),
        "LANGUAGES": [x.strip() for x in os.environ.get("LANGUAGES", "fr,en").split(",") if x.strip()],
        # E-mail: "file" writes .eml files (development), "smtp" sends (production, tests).
        "MAIL_TRANSPORT": os.environ.get("MAIL_TRANSPORT", "smtp" if production else "file"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(instance / "outbox")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "OpenFlyers <compte@openflyers.example>"),
        # Send right after the use case commits; cron's `flask outbox send` retries what failed.
        "MAIL_SEND_IMMEDIATELY": _bool("MAIL_SEND_IMMEDIATELY", True),
        # Seconds an SMTP exchange may take: in `flask outbox send`, and (shorter) inside a web request.
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        "MAIL_REQUEST_TIMEOUT": float(os.environ.get("MAIL_REQUEST_TIMEOUT", "3")),
        # Tries before a message is marked failed; it is kept and listed by `flask outbox status`.
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "10")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Reports of one platform through the API (S1).
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "60 per minute"),
        "RESET_RATE_LIMIT": os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        # Seconds a session lasts at most, and a staff session without a request (issue: lost sessions).
        "SESSION_MAX_AGE": int(os.environ.get("SESSION_MAX_AGE", str(30 * 24 * 3600))),
        "STAFF_IDLE_TIMEOUT": int(os.environ.get("STAFF_IDLE_TIMEOUT", str(30 * 60))),
        # Seconds a page trusts the price catalogue this process holds before it checks for a newer price list; the
        # confirm step and every other write always check (P1).
        "CATALOGUE_RECHECK_SECONDS": float(os.environ.get("CATALOGUE_RECHECK_SECONDS", "10")),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        # The seller printed on every invoice (rule I3) and the payment instructions (M2, M3).
        "SELLER_NAME": os.environ.get("SELLER_NAME", "OpenFlyers SAS (démo)"),
        "SELLER_ADDRESS": os.environ.get("SELLER_ADDRESS", "12 rue des Pionniers de l'Aéropostale"),
        "SELLER_POSTCODE": os.environ.get("SELLER_POSTCODE", "31000"),
        "SELLER_CITY": os.environ.get("SELLER_CITY", "Toulouse"),
        "SELLER_COUNTRY": os.environ.get("SELLER_COUNTRY", "FR"),
        "SELLER_SIREN": os.environ.get("SELLER_SIREN", "732829320"),
        "SELLER_VAT_NUMBER": os.environ.get("SELLER_VAT_NUMBER", "FR44732829320"),
        "SELLER_EMAIL": os.environ.get("SELLER_EMAIL", "compta@openflyers.example"),
        # Printed on every invoice (I6): legal form, share capital, RCS city; the VAT-on-debits option.
        "SELLER_LEGAL_FORM": os.environ.get("SELLER_LEGAL_FORM", "SAS"),
        "SELLER_SHARE_CAPITAL": os.environ.get("SELLER_SHARE_CAPITAL", "10 000 €"),
        "SELLER_RCS_CITY": os.environ.get("SELLER_RCS_CITY", "Toulouse"),
        "SELLER_VAT_ON_DEBITS": _bool("SELLER_VAT_ON_DEBITS", False),
        "SELLER_IBAN": os.environ.get("SELLER_IBAN", DEMO_SELLER_IBAN),
        "SELLER_BIC": os.environ.get("SELLER_BIC", DEMO_SELLER_BIC),
        "PAYMENT_TERMS_DAYS": int(os.environ.get("PAYMENT_TERMS_DAYS", "30")),
        "LATE_PAYMENT_PENALTY_RATE": os.environ.get("LATE_PAYMENT_PENALTY_RATE", DEFAULT_PENALTY_RATE),
        # Card payments (M1): "demo" simulates a hosted page and takes no money; production uses "stripe".
        "PAYMENT_PROVIDER": os.environ.get("PAYMENT_PROVIDER", "stripe" if production else "demo"),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", "https://api.stripe.com"),
        # Empty: derived from SECRET_KEY, so no well-known key can sign demo notifications.
        "DEMO_PROVIDER_SECRET": os.environ.get("DEMO_PROVIDER_SECRET", ""),
        # The accountant's exports (K3): accounts and journal codes of the FEC; empty keeps the French chart's.
        **{key: os.environ.get(key, "") for key in (
            "FEC_CUSTOMERS_ACCOUNT", "FEC_SALES_ACCOUNT", "FEC_VAT_ACCOUNT", "FEC_BANK_ACCOUNT", "FEC_CHEQUES_ACCOUNT",
            "FEC_SALES_JOURNAL", "FEC_BANK_JOURNAL")},
        "STATEMENT_MAX_BYTES": int(os.environ.get("STATEMENT_MAX_BYTES", str(20 * 1024 * 1024))),
        "PLATFORM_DOMAINS": [
            x.strip()
            for x in os.environ.get("PLATFORM_DOMAINS", "openflyers.fr,openflyers.com,openflyers.org").split(",")
            if x.strip()
        ],
    }


def check(config: dict) -> None:
    """Refuse to start on settings that cannot work: bad bank details anywhere, development defaults in production."""
    _check_bank_details(config)
    if int(config["PROXY_FIX_X_FOR"]) < 0:
        raise RuntimeError("PROXY_FIX_X_FOR is the number of trusted proxies: 0 or more")
    check_production(config)


def _check_bank_details(config: dict) -> None:
    # Printed on every transfer page and invoice (M2, I3): a typo here would send clubs' money nowhere.
    try:
        IBAN(config["SELLER_IBAN"])
    except SchwiftyException as error:
        raise RuntimeError(f"SELLER_IBAN is not a valid IBAN: {error}") from error
    try:
        BIC(config["SELLER_BIC"])
    except SchwiftyException as error:
        raise RuntimeError(f"SELLER_BIC is not a valid BIC: {error}") from error


def _is_site_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and not parts.query and not parts.fragment


def check_production(config: dict) -> None:
    """Refuse to start a production process on development defaults."""
    if config["ENV_NAME"] != "production":
        return
    from .payments.providers import PROVIDERS

    if config["SECRET_KEY"].startswith("dev-only"):
        raise RuntimeError("SECRET_KEY must be set in production")
    if not _is_site_url(config.get("SITE_URL") or ""):
        raise RuntimeError("SITE_URL must be set in production to the site's http(s) address, "
                           "e.g. https://compte.openflyers.com: e-mail links are built on it")
    if config["MAIL_TRANSPORT"] != "smtp":
        raise RuntimeError("MAIL_TRANSPORT must be smtp in production")
    provider = config.get("PAYMENT_PROVIDER")
    if provider == "demo":
        raise RuntimeError("PAYMENT_PROVIDER demo takes no money: it is refused in production (use stripe)")
    if provider not in PROVIDERS:
        raise RuntimeError(f"PAYMENT_PROVIDER {provider!r} is unknown; use one of: "
                           + ", ".join(sorted(name for name in PROVIDERS if name != "demo")))
    if provider == "stripe":
        for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not config.get(key):
                raise RuntimeError(f"{key} must be set in production with PAYMENT_PROVIDER stripe")
    for key, demo in (("SELLER_IBAN", DEMO_SELLER_IBAN), ("SELLER_BIC", DEMO_SELLER_BIC)):
        if config[key].replace(" ", "").upper() == demo:
            raise RuntimeError(f"{key} is the demo value: set the seller's real bank details in production")
