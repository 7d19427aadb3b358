"""Provider notifications (M1): verified by the provider's signature, applied once, never CSRF-protected.

400 for a notification we cannot trust or read (the provider shows the failure and retries); 200
for everything verified, whether applied, already applied, ignored or refused (refusals are logged
for staff: retrying would not change them).
"""
from __future__ import annotations

from flask import abort, jsonify, request

from ..extensions import csrf
from ..payments import card
from ..payments.providers import BadNotification, UnknownProvider
from . import bp


def _receive(provider_name: str):
    try:
        outcome = card.receive_notification(provider_name, request.get_data(cache=False), request.headers)
    except UnknownProvider:
        abort(404)
    except BadNotification as error:
        return jsonify(status="rejected", reason=error.reason), 400
    return jsonify(status=str(outcome)), 200


@bp.post("/stripe")
@csrf.exempt
def stripe():
    """Stripe's checkout events, signed with STRIPE_WEBHOOK_SECRET (M1)."""
    return _receive("stripe")


@bp.post("/demo")
@csrf.exempt
def demo():
    """The demo provider's notifications, signed with DEMO_PROVIDER_SECRET (M1)."""
    return _receive("demo")
