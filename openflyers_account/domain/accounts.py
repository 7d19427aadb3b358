"""Account rules: the login identifier (A1), passwords (A4), e-mail addresses (A2)."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

#: A DNS label: lower-case letters, digits and inner hyphens, 1 to 63 characters.
SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
PASSWORD_MIN_LENGTH = 10
#: Long enough for any passphrase, short enough that hashing it is not a denial of service.
PASSWORD_MAX_LENGTH = 200
#: Pasted addresses are never this long; anything longer is not an identifier.
IDENTIFIER_MAX_LENGTH = 300
DEFAULT_PLATFORM_DOMAINS = ("openflyers.fr", "openflyers.com", "openflyers.org")


def is_subdomain(text: str) -> bool:
    """True when `text` is already a valid platform subdomain (A1)."""
    return bool(SUBDOMAIN_RE.match(text))


def login_subdomain(raw: str, platform_domains: tuple[str, ...] = DEFAULT_PLATFORM_DOMAINS) -> str | None:
    """The subdomain a treasurer meant, from what they typed or pasted; None if nothing fits (A1).

    `MERMOZ`, `mermoz.openflyers.fr`, `https://mermoz.openflyers.fr/` and
    `https://openflyers.com/mermoz/` all mean `mermoz`.
    """
    if not raw or len(raw) > IDENTIFIER_MAX_LENGTH:
        return None
    # NFKC folds what phones and word processors produce (full-width letters, non-breaking spaces).
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if not text or not text.isascii():
        return None
    if is_subdomain(text):
        return text
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if host.startswith("www."):
        host = host[4:]
    for domain in platform_domains:
        if host == domain:
            # openflyers.com/mermoz/...: the account is the first path segment.
            segment = parts.path.strip("/").split("/", 1)[0]
            return segment if is_subdomain(segment) else None
        if host.endswith("." + domain):
            label = host[: -len(domain) - 1]
            return label if is_subdomain(label) else None
    return None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, as a code, or None when it is acceptable (A4)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in password):
        return "control_characters"
    return None


def same_email(a: str, b: str) -> bool:
    """E-mail addresses compare without case (A2)."""
    return bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()
