"""The live estimate's facts, carried signed in the renewal form so that each keystroke costs one query, the
session's (R3, performance budget).

The renewal page works out what the price depends on besides the club's choice (which subscription, when its
current period ends, the resources the club's other subscriptions hold then, the charges waiting for its next
invoice) and signs it into the form. The price partial trusts those facts for ESTIMATE_FACTS_MAX_AGE seconds, on
the day they were made, for the club that was signed in; the club's activated resources and discount come from its
row, read with the session. The review step and the confirmation re-read everything (R3).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from itsdangerous import BadData

from ..accounts.models import Club
from ..signing import KeptSignerSerializer
from ..domain.periods import next_period
from . import queries
from .models import Subscription
from .purchase import PurchaseFacts, purchase_facts

#: Seconds an estimate trusts the facts of the page it was typed on.
ESTIMATE_FACTS_MAX_AGE = 600


@dataclass(frozen=True)
class Charge:
    """A charge waiting for the club's next invoice, as the estimate prices it (A6)."""

    service_code: str
    label: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class EstimateFacts:
    club_id: int
    subscription_id: int | None
    made_on: date
    #: The last day of the subscription's last period; empty for a first subscription.
    current_end: date | None
    facts: PurchaseFacts


def _serializer() -> KeptSignerSerializer:
    return _serializer_for(current_app.secret_key)


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str | bytes) -> KeptSignerSerializer:
    return KeptSignerSerializer(secret_key, salt="renewal-estimate")


def sign(club: Club, subscription: Subscription | None, today: date) -> str:
    """The facts of a renewal of `subscription` (a first subscription without one) as the database holds them now."""
    current_end = queries.renewal_window(subscription, today).current_end
    first_day = next_period(current_end, 1, today).start
    facts = purchase_facts(club, first_day, subscription.id if subscription else None)
    return _serializer().dumps({
        "club": club.id, "subscription": subscription.id if subscription else None, "day": today.isoformat(),
        "end": current_end.isoformat() if current_end else None, "elsewhere": facts.elsewhere,
        "charges": [[c.service_code, c.label, c.quantity, str(c.unit_price)] for c in facts.charges],
    })


def read(token: str, club: Club, subscription_asked: str | None, today: date) -> EstimateFacts | None:
    """The facts signed in `token`, or None when they cannot be trusted: forged, too old, made another day, for
    another club or another subscription than the form names."""
    try:
        data = _serializer().loads(token, max_age=ESTIMATE_FACTS_MAX_AGE)
        subscription_id = data["subscription"]
        if data["club"] != club.id or data["day"] != today.isoformat() or \
                str(subscription_id or "") != (subscription_asked or ""):
            return None
        charges = tuple(Charge(code, label, int(quantity), Decimal(price))
                        for code, label, quantity, price in data["charges"])
        return EstimateFacts(club.id, subscription_id, today, date.fromisoformat(data["end"]) if data["end"] else None,
                             PurchaseFacts(int(data["elsewhere"]), charges))
    except (BadData, KeyError, TypeError, ValueError, InvalidOperation):
        return None
