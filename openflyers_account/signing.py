"""itsdangerous' timed URL-safe serializer, with its signer and derived keys made once rather than at every use.

itsdangerous makes a new signer for each value it reads, and derives the signing key from the secret key and the
salt (an HMAC) every time: two HMACs where one would do. The session cookie is read on every request, the live
estimate's facts at every keystroke (performance budget). The signatures are the same: a cookie or token made by
one is read by the other.
"""
from __future__ import annotations

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

#: Derived keys by (secret key, salt, derivation, digest): a handful per process.
_derived: dict[tuple, bytes] = {}


class KeptKeySigner(TimestampSigner):
    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        chosen = self.secret_keys[-1] if secret_key is None else secret_key
        key = (chosen, self.salt, self.key_derivation, self.digest_method)
        found = _derived.get(key)
        if found is None:
            if len(_derived) > 64:
                _derived.clear()  # secret keys changed many times (tests): start again
            found = _derived[key] = super().derive_key(secret_key)
        return found


class KeptSignerSerializer(URLSafeTimedSerializer):
    default_signer = KeptKeySigner

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        signers = self.__dict__.setdefault("_signers", {})
        found = signers.get(salt)
        if found is None:
            found = signers[salt] = super().make_signer(salt)
        return found
