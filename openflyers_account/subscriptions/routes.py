"""The club's door to its subscriptions: the list, each subscription's pages, the renewal (R1-R9)."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import format_currency, format_date
from flask_babel import gettext as _

from ..billing import operations as billing_operations
from ..billing.models import Invoice
from ..domain.periods import next_period
from ..errors import UserError
from ..forms import show_refusal
from ..messages import error_message
from ..partners.queries import partner_of
from ..web import (
    club_required,
    confirmation_page,
    current_club,
    needs_confirmation,
    render_page,
    signed_in_club,
    signed_in_club_facts,
)
from . import bp, estimate, operations, pages, queries
from .doors import Door
from .errors import PriceChanged, RenewalNotOpen
from .forms import CancelForm, ConfirmForm, RenewalForm
from .models import Subscription
from .purchase import Purchase, SubscriptionOrder, price_next_period, price_renewal


def club_door(values: dict | None = None) -> Door:
    """The signed-in club acting on its own subscriptions."""
    club = current_club._get_current_object()
    return Door("club", club, club, blueprint="subscriptions", base_template="base.html",
                invoice_endpoint="billing.invoice", manager=partner_of(club, signed_in_club_facts()))


pages.register_door(bp, "/subscriptions", club_door, club_required)


@bp.get("/subscriptions")
@club_required
def subscriptions():
    """The club's subscriptions: offer, resources, term, PO reference, period, state, end date, notice (R9)."""
    today = date.today()
    shown = [queries.view(subscription, today) for subscription in queries.club_subscriptions(current_club)]
    return render_page("subscriptions/list.html", door=club_door(), subscriptions=shown, today=today,
                       manager=partner_of(current_club, signed_in_club_facts()))


# -- renewal (R1-R3, R9) ------------------------------------------------------------------------------------

def _subscription_asked(text: str | None) -> Subscription | None:
    """The subscription the form names (404 for another club's); None when it names none."""
    if not text:
        return None
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    subscription = queries.club_subscription(current_club, int(text)) \
        if re.fullmatch(r"[0-9]{1,9}", text) else None
    if subscription is None:
        abort(404)
    return subscription


def _renewed(text: str | None) -> tuple[Subscription | None, list[Subscription]]:
    """The subscription being renewed: the one asked for, the club's only one, or none (a first subscription);
    with the club's subscriptions when it has several and named none."""
    asked = _subscription_asked(text)
    if asked is not None:
        return asked, []
    held = queries.club_subscriptions(current_club)
    return (held[0] if len(held) == 1 else None), (held if len(held) > 1 else [])


def _renewal_form(subscription: Subscription | None) -> RenewalForm:
    """The choice from the query string, or the subscription's terms and at least the floor (P4, R5, R9)."""
    if request.args and set(request.args) != {"subscription"}:
        return RenewalForm(request.args)
    today = date.today()
    window = queries.renewal_window(subscription, today)
    first_day = next_period(window.current_end, 1, today).start
    least = queries.floor(current_club, first_day, subscription.id if subscription else None)
    if subscription is None:
        return RenewalForm(data={"offer": current_club.offer.code, "resources": str(least), "term": "1"})
    current = queries.last_period(subscription)
    wanted = subscription.next_resources if subscription.next_resources is not None else (
        current.total_resources if current else 0)
    return RenewalForm(data={"subscription": str(subscription.id), "offer": subscription.offer.code,
                             "resources": str(max(least, wanted)), "term": str(subscription.term_years),
                             "po_reference": subscription.po_reference})


def _priced(form: RenewalForm, subscription: Subscription | None,
            signed: estimate.EstimateFacts | None = None) -> Purchase | None:
    """The estimate for a valid form, or None with the errors on the form's fields; from the `signed` facts when
    given."""
    if not form.validate():
        return None
    club = signed_in_club()
    try:
        if signed is not None:
            return price_next_period(club, signed.subscription_id, signed.current_end, form.order(),
                                     signed.made_on, facts=signed.facts)
        return price_renewal(club, subscription, form.order(), date.today())
    except UserError as error:
        if error.field not in form._fields:
            error.field = "resources"
        show_refusal(form, error)
        return None


def _closed_renewal(subscription: Subscription | None):
    """Where to send a club that cannot start this renewal now, or None when it can (R2)."""
    if subscription is None:
        return None
    existing = queries.open_purchase_invoice(subscription)
    if existing is not None:
        flash(_("You already have an invoice for this period. Pay it, or cancel it to start again."), "info")
        return redirect(url_for("billing.invoice", number=existing.number))
    window = queries.renewal_window(subscription, date.today())
    if not window.is_open:
        # The dashboard says what comes next: the message only says why the club landed there.
        if queries.view(subscription, date.today()).following is not None:
            flash(_("This subscription is already renewed: its card below shows the next period."), "info")
        else:
            flash(_("This subscription cannot be renewed yet: its card below says from when."), "info")
        return redirect(url_for("accounts.dashboard"))
    return None


def _choose(held: list[Subscription]):
    today = date.today()
    return render_page("subscriptions/choose.html", subscriptions=[queries.view(s, today) for s in held])


def _open_renewal() -> tuple[Subscription | None, object]:
    """The subscription to renew, or the page to show instead: which one (R9), its invoice, or the dashboard
    while renewal is not open (R2)."""
    subscription, held = _renewed(request.args.get("subscription"))
    return subscription, _choose(held) if held else _closed_renewal(subscription)


@bp.get("/renewal")
@club_required
def renewal():
    """Choose offer, resources, term and PO reference, with the price as you type (R3); which subscription first
    when the club has several (R9)."""
    subscription, elsewhere = _open_renewal()
    if elsewhere:
        return elsewhere
    form = _renewal_form(subscription)
    priced = _priced(form, subscription)
    form.facts.data = estimate.sign(current_club, subscription, date.today())
    asked = request.args and set(request.args) != {"subscription"}
    return render_page("subscriptions/renewal.html", form=form, estimate=priced, subscription=subscription,
                       status=422 if asked and priced is None else 200)


@bp.get("/renewal/price")
@club_required
def price():
    """The estimate alone, for HTMX as the club types (R3): from the facts the renewal page signed into the form
    when they can be trusted, else from the database."""
    today = date.today()
    signed = estimate.read(request.args.get("facts", ""), signed_in_club(), request.args.get("subscription"), today)
    if signed is not None:
        form = RenewalForm(request.args)
        priced = _priced(form, None, signed)
    else:
        subscription, held = _renewed(request.args.get("subscription"))
        form = _renewal_form(subscription)
        priced = None if held else _priced(form, subscription)
    return render_page("subscriptions/renewal.html", block="estimate", fragment=True, form=form, estimate=priced,
                       partial=True)


@bp.get("/renewal/review")
@club_required
def review():
    """Read the summary and the terms before confirming (R3)."""
    subscription, elsewhere = _open_renewal()
    if elsewhere:
        return elsewhere
    form = _renewal_form(subscription)
    priced = _priced(form, subscription)
    if priced is None:
        return render_page("subscriptions/renewal.html", form=form, estimate=None, subscription=subscription,
                           status=422)
    confirm = ConfirmForm(formdata=None, data={**form.data, "expected_total": str(priced.quote.total_incl_vat)})
    return render_page("subscriptions/renewal_review.html", estimate=priced, confirm=confirm)


@bp.post("/renewal/confirm")
@club_required
def confirm():
    """Issue the renewal invoice the club reviewed (R2, R3)."""
    form = ConfirmForm()
    subscription, held = _renewed(form.subscription.data)
    if held:
        return _choose(held)
    if not form.validate_on_submit():
        if form.tampered():
            return _choose_again(subscription)  # the choice again, as posted, with what is wrong
        return _review_again(form, subscription, None)
    order = form.order()
    try:
        invoice = operations.issue_renewal(current_club.id, subscription.id if subscription else None, order,
                                           date.today(), current_club._get_current_object(), form.shown_total())
    except RenewalNotOpen:
        return _closed_renewal(subscription) or redirect(url_for(".renewal"))
    except PriceChanged as error:
        form.accept_terms.data = False  # a new price is accepted anew
        return _review_again(form, subscription, error_message(error.code, **error.params))
    except UserError as error:
        if error.field:
            return _choose_again(subscription)
        return _review_again(form, subscription, error_message(error.code, **error.params))
    except Exception:  # noqa: BLE001 - the use case rolled everything back: say so and let the club retry
        current_app.logger.exception("The renewal invoice of %s could not be issued", current_club.subdomain)
        return _review_again(form, subscription, _("Your invoice could not be issued because of a problem on our "
                                                   "side. Nothing was issued and nothing is owed: please confirm "
                                                   "again in a moment."), status=500)
    if not _issued_for(invoice, order):
        # R2: one unpaid renewal invoice; another tab's different choice, or the automatic renewal that came
        # first (R8), does not get replaced silently.
        if queries.renewed_automatically(invoice):
            flash(_("Your subscription renewed itself on %(day)s with invoice %(number)s, before your choice was "
                    "confirmed. To change it, cancel this invoice, then start your renewal again.",
                    day=format_date(invoice.issue_date, "long"), number=invoice.number), "info")
        else:
            flash(_("Your renewal invoice %(number)s was already issued for another choice and is kept. To change "
                    "it, cancel this invoice, then start your renewal again.", number=invoice.number), "info")
    return redirect(url_for("billing.invoice", number=invoice.number))


def _issued_for(invoice: Invoice, order: SubscriptionOrder) -> bool:
    return (invoice.offer_code, invoice.resources, invoice.term_years, invoice.po_reference) == (
        order.offer_code, order.resources, order.term.years, order.po_reference)


def _choose_again(subscription: Subscription | None):
    """The choice page with the order as posted and each problem on its own field (P4, P5, R3)."""
    choice = RenewalForm(request.form)
    priced = _priced(choice, subscription)
    return render_page("subscriptions/renewal.html", form=choice, estimate=priced, subscription=subscription,
                       status=200 if priced else 422)


def _review_again(form: ConfirmForm, subscription: Subscription | None, message: str | None, status: int = 422):
    """The review page again, re-priced, with what went wrong (price change, unticked box, failure)."""
    try:
        priced = price_renewal(current_club, subscription, form.order(), date.today())
    except UserError:
        return _choose_again(subscription)  # a stale page: the platform reported more resources, an offer went
    form.expected_total.data = str(priced.quote.total_incl_vat)
    return render_page("subscriptions/renewal_review.html", estimate=priced, confirm=form, message=message,
                       status=status)


# -- cancelling an unpaid purchase (R2, R6) ------------------------------------------------------------------

@bp.post("/invoices/<number>/cancel")
@club_required
def cancel(number: str):
    """Cancel an unpaid invoice of a subscription; a credit note is issued for it (R2, R6, I5)."""
    invoice = billing_operations.club_invoice(current_club, number)
    if invoice is None:
        abort(404)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    if needs_confirmation():
        return cancel_confirmation(invoice, "base.html", url_for("billing.invoice", number=number))
    purpose = queries.purpose_of(invoice)
    try:
        credit = operations.cancel_purchase(current_club.id, number, date.today(), current_club._get_current_object())
    except UserError as error:
        flash(error_message(error.code, **error.params), "error")
        return redirect(url_for("billing.invoice", number=number))
    flash(_("The invoice is cancelled by credit note %(number)s.", number=credit.number), "success")
    # Where the person goes next: the subscription the invoice was for, to renew or add resources again.
    if purpose is None:
        return redirect(url_for("billing.invoice", number=credit.number))
    return redirect(url_for("subscriptions.detail", subscription_id=purpose.subscription_id))


def cancel_confirmation(invoice, base: str, back: str):
    """The confirmation page before cancelling an unpaid invoice: a credit note, for good (R2, U1)."""
    return confirmation_page(
        title=_("Cancel invoice %(number)s?", number=invoice.number),
        consequences=[_("A credit note of %(amount)s is issued for it: the invoice can no longer be paid, and what "
                        "it was for (a renewal, a new subscription, added resources) is cancelled with it.",
                        amount=format_currency(invoice.total_incl_vat, invoice.currency)),
                      _("You can then make a new choice from the subscription's page.")],
        action=_("Yes, cancel the invoice"), back=back, base=base)
