"""The club's card payment (M1): off to the provider, back to a page that waits for the provider's word.

Also the demo provider's hosted page, served here only while PAYMENT_PROVIDER is demo.
"""
from __future__ import annotations

import logging
from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..billing.models import InvoiceStatus
from ..billing.operations import payer_invoice
from ..web import current_payer, payer_required, render_page
from . import bp, card
from .errors import NotPayable
from .providers import BadNotification, ProviderUnavailable, provider
from .providers.demo import DemoProvider

log = logging.getLogger(__name__)


@bp.post("/invoices/<number>/pay/card")
@payer_required
def card_checkout(number: str):
    """Send the club to the provider's hosted page for what it owes on the invoice (M1)."""
    try:
        address = card.start_card_payment(current_payer._get_current_object(), number)
    except card.InvoiceNotFound:
        abort(404)
    except NotPayable:
        flash(_("This invoice has nothing left to pay by card."), "error")
        return redirect(url_for(".pay", number=number))
    except ProviderUnavailable as error:
        log.error("card checkout for %s could not be opened: %s", number, error)
        flash(_("Card payment is not available at the moment. Try again in a few minutes, or pay by transfer."),
              "error")
        return redirect(url_for(".pay", number=number))
    return redirect(address, code=303)


@bp.get("/invoices/<number>/pay/card/return")
@payer_required
def card_return(number: str):
    """Where the provider sends the club back: shows the invoice's actual status, never pays it (M1)."""
    invoice = payer_invoice(current_payer, number)
    if invoice is None:
        abort(404)
    paid = invoice.status is InvoiceStatus.PAID
    cancelled = not paid and request.args.get("cancelled") == "1"
    # htmx polls the "status" block every 2 s until the provider's notification has paid the invoice.
    return render_page("payments/card_return.html", block="status", invoice=invoice, paid=paid, cancelled=cancelled,
                       today=date.today())


def _demo_provider() -> DemoProvider:
    """The demo provider, or 404: its pages exist only while it is the configured provider."""
    if current_app.config.get("PAYMENT_PROVIDER") != DemoProvider.name:
        abort(404)
    return provider(current_app.config)  # type: ignore[return-value]


@bp.route("/payments/demo/<session_ref>", methods=["GET", "POST"])
def demo_checkout(session_ref: str):
    """The demo provider's hosted card page: Pay sends a signed notification, as a real provider would."""
    gateway = _demo_provider()
    page = gateway.open_page(session_ref, request.args.get("page", ""))
    if page is None:
        abort(404)
    if request.method == "GET":
        return render_page("payments/demo_checkout.html", page=page)
    if request.form.get("action") != "pay":
        return redirect(page.cancel_url, code=303)
    payload, headers = gateway.paid_notification(page)
    try:
        # The very path a real provider's webhook takes: /webhooks/demo calls the same function.
        card.receive_notification(gateway.name, payload, headers)
    except BadNotification:
        pass  # logged by the service; the return page shows the invoice still waiting
    return redirect(page.success_url, code=303)
