"""Sessions that end when their owner signs out, for clubs, partners and staff alike.

The session lives in a signed cookie (the app servers keep no state), so a copy of the cookie would sign
in for as long as the secret key lasts. Each sign-in therefore gets a random id; signing out records that
id on the server, and every request refuses a recorded one. "Sign out on every device" moves the
account's `sessions_valid_from`; staff sessions also end after STAFF_IDLE_TIMEOUT seconds without a
request, and every session after SESSION_MAX_AGE seconds. Requests only read: the only writes are at
sign-out.
"""
from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import Flask, current_app, flash, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, exists, select

from ..extensions import db
from ..signing import KeptSignerSerializer
from ..transactions import use_case
from .models import SignedOutSession

SID = "sid"
SINCE = "since"
SEEN = "seen"
#: How often, at most, a staff session's last-seen time is written back into its cookie.
SEEN_RESOLUTION = 60


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the same cookie, with the signing serializer made once per secret key rather
    than at every request (performance budget)."""

    _made: tuple[tuple, KeptSignerSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> KeptSignerSerializer | None:
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (*fallbacks, app.secret_key)  # the current key last, as itsdangerous expects
        if self._made is None or self._made[0] != keys:
            self._made = (keys, KeptSignerSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method}))
        return self._made[1]


def now() -> float:
    """The time sessions are measured by, in seconds: the seam the tests move."""
    return time.time()


class Account(Protocol):
    is_staff: bool
    sessions_valid_from: object


def sign_in(account: Account) -> None:
    """Open a session for `account` with an id of its own, on a cookie emptied of what came before (its CSRF token
    included); a session this browser held for another account ends on the server too."""
    earlier = session.get(SID)
    if isinstance(earlier, str):
        _record_sign_out(earlier, None)
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    login_user(account)
    # Flask-Login's own protection is off (extensions.SessionLogins): its browser fingerprint would only make the
    # cookie longer.
    session.pop("_id", None)
    at = now()
    session[SID] = secrets.token_urlsafe(24)
    session[SINCE] = at
    session[SEEN] = at


def sign_out(everywhere: bool = False) -> None:
    """End this session on the server too; with `everywhere`, every session of the account."""
    account = current_user._get_current_object() if current_user.is_authenticated else None
    sid = session.get(SID)
    if isinstance(sid, str) or (everywhere and account is not None):
        _record_sign_out(sid if isinstance(sid, str) else None, account if everywhere else None)
    logout_user()
    for key in (SID, SINCE, SEEN):
        session.pop(key, None)


@use_case
def _record_sign_out(sid: str | None, account: Account | None) -> None:
    at = datetime.fromtimestamp(now(), UTC)
    if sid is not None and not db.session.scalar(select(exists().where(SignedOutSession.sid == sid))):
        db.session.add(SignedOutSession(sid=sid, signed_out_at=at))
    if account is not None:
        db.session.merge(account).sessions_valid_from = at
    # A recorded id older than any session that could still be valid is of no use any more.
    oldest = at - timedelta(seconds=current_app.config["SESSION_MAX_AGE"])
    db.session.execute(delete(SignedOutSession).where(SignedOutSession.signed_out_at < oldest))


def session_id() -> str:
    """The id of the session in the cookie; empty when it has none."""
    sid = session.get(SID)
    return sid if isinstance(sid, str) else ""


def signed_out(sid):
    """A column saying whether the session id `sid` was signed out, to read with the account it names."""
    return exists().where(SignedOutSession.sid == sid).label("signed_out")


def is_open(account: Account, signed_out: bool) -> bool:
    """Whether the session in the cookie still speaks for `account`, given whether its id was `signed_out` (read
    only, but for staff's last-seen time)."""
    sid, since = session.get(SID), session.get(SINCE)
    if not isinstance(sid, str) or not isinstance(since, int | float):
        return False
    at = now()
    if at - since > current_app.config["SESSION_MAX_AGE"]:
        return False
    valid_from = account.sessions_valid_from
    if valid_from is not None and since < valid_from.timestamp():
        return False
    if account.is_staff and not _staff_still_there(at):
        return False
    return not signed_out


def _staff_still_there(at: float) -> bool:
    seen = session.get(SEEN)
    timeout = current_app.config["STAFF_IDLE_TIMEOUT"]
    if not isinstance(seen, int | float) or at - seen > timeout:
        for key in ("_user_id", SID, SINCE, SEEN):
            session.pop(key, None)
        flash(_("Your session ended after %(minutes)d minutes without activity. Please sign in again.",
                minutes=timeout // 60), "info")
        return False
    if at - seen >= SEEN_RESOLUTION:
        session[SEEN] = at
    return True
