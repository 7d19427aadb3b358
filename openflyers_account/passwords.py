"""Password hashing with argon2id (rule A4)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are the RFC 9106 low-memory profile (argon2id, 64 MiB);
    # tests lower the memory cost to stay quick, never the algorithm.
    config = current_app.config
    return PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", 3),
        memory_cost=config.get("ARGON2_MEMORY_KIB", 65536),
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; an unusable or empty hash never matches."""
    if not password_hash:
        # Spend the same time as a real check, so a missing account does not answer faster.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
