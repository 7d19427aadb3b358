"""A subscription's pages, the same behind every front door (club, staff, partner): parse, call a service, render.

Each view takes the `Door` it is reached through; `routes.py` and `staff_routes.py` only say who may
use which door on which club.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from flask import abort, current_app, flash, redirect, request
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from ..errors import UserError
from ..forms import show_refusal
from ..messages import error_message
from ..web import confirmation_page, needs_confirmation, render_page
from . import operations, queries
from .doors import Door
from .errors import PriceChanged
from .forms import (
    AddConfirmForm,
    AddResourcesForm,
    LateNoticeForm,
    NoticeForm,
    PoReferenceForm,
    ReductionForm,
    ReissueForm,
    StartConfirmForm,
    StartForm,
    WithdrawNoticeForm,
)
from .models import Subscription
from .purchase import Purchase, addition_period, price_addition, price_new_subscription


def _subscription_or_404(door: Door, subscription_id: int) -> Subscription:
    subscription = queries.club_subscription(door.club, subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def _failure_message() -> str:
    return _("Nothing was issued and nothing is owed because of a problem on our side: please confirm again in a "
             "moment.")


# -- the subscription (R5-R7) -------------------------------------------------------------------------------

def _detail_page(door: Door, subscription: Subscription, status: int = 200, refusal: str | None = None, **forms):
    """The subscription page; a refused change comes back with its form and, above the actions, why."""
    today = date.today()
    shown = queries.view(subscription, today)
    invoices = [invoice for invoice in queries.invoices_of(subscription) if door.shows(invoice)]
    forms.setdefault("po_form", PoReferenceForm(formdata=None, po_reference=subscription.po_reference))
    last = queries.last_period(subscription)
    # A reduction is for the period after the last one bought: it starts from that period's count (R7).
    forms.setdefault("reduction_form", ReductionForm(formdata=None, resources=str(
        subscription.next_resources if subscription.next_resources is not None
        else (last.total_resources if last else 0))))
    forms.setdefault("late_form", LateNoticeForm(formdata=None))
    forms.setdefault("notice_form", NoticeForm(formdata=None))
    forms.setdefault("withdraw_form", WithdrawNoticeForm(formdata=None))
    reissue = [invoice for invoice in invoices if invoice.po_reference != subscription.po_reference
               and operations.reissuable(invoice)]
    return render_page("subscriptions/detail.html", door=door, shown=shown, invoices=invoices, reissue=reissue,
                       manager=door.manager,
                       reissue_form=ReissueForm(formdata=None), today=today, refusal=refusal, status=status,
                       **forms)


def detail(door: Door, subscription_id: int):
    """A subscription: its periods, invoices, notice and what can be done with it (R5-R7)."""
    return _detail_page(door, _subscription_or_404(door, subscription_id))


def _changed(door: Door, subscription: Subscription, message: str):
    flash(message, "success")
    return redirect(door.url("detail", subscription_id=subscription.id))


def _refused(door: Door, subscription: Subscription, form_name: str, form, error: UserError):
    """The page again with the refusal on its field, or above the actions when it names none: the form sent
    may no longer be shown (a deadline passed meanwhile)."""
    if error.field in form._fields:
        show_refusal(form, error)
        return _detail_page(door, subscription, status=422, **{form_name: form})
    return _detail_page(door, subscription, status=422, refusal=error_message(error.code, **error.params))


def po_reference(door: Door, subscription_id: int):
    """Change the PO reference the invoices issued from now on carry (R5)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = PoReferenceForm()
    if not form.validate_on_submit():
        return _detail_page(door, subscription, status=422, po_form=form)
    try:
        changed = operations.change_po_reference(door.club.id, subscription.id, form.po_reference.data or "",
                                                 door.actor)
    except UserError as error:
        return _refused(door, subscription, "po_form", form, error)
    if not changed:
        return redirect(door.url("detail", subscription_id=subscription.id))
    return _changed(door, subscription, _("The PO reference is saved: the invoices issued from now on carry it."))


def reissue(door: Door, subscription_id: int, number: str):
    """Reissue an unpaid invoice with the subscription's PO reference: credit note and new invoice (R5)."""
    subscription = _subscription_or_404(door, subscription_id)
    if not ReissueForm().validate_on_submit():
        abort(400)
    if needs_confirmation():
        return confirmation_page(
            title=_("Reissue invoice %(number)s?", number=number),
            consequences=[_("A credit note cancels invoice %(number)s, and a new invoice with the same lines, amounts "
                            "and due date is issued with the reference \"%(reference)s\".", number=number,
                            reference=subscription.po_reference)],
            action=_("Yes, reissue the invoice"), back=door.url("detail", subscription_id=subscription.id),
            base=door.base_template)
    try:
        invoice = operations.reissue_with_po_reference(door.club.id, subscription.id, number, date.today(),
                                                      door.actor)
    except UserError as error:
        flash(error_message(error.code, **error.params), "error")
        return redirect(door.url("detail", subscription_id=subscription.id))
    flash(_("Invoice %(old)s is cancelled by a credit note and reissued as %(new)s with the reference "
            "\"%(reference)s\".", old=number, new=invoice.number, reference=invoice.po_reference), "success")
    return redirect(door.invoice_url(invoice.number))


def notice(door: Door, subscription_id: int):
    """Give notice not to renew, at least 90 days before the end date (R7)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = NoticeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.give_notice(door.club.id, subscription.id, date.today(), door.actor)
    except UserError as error:
        return _refused(door, subscription, "notice_form", form, error)
    return _changed(door, subscription, _("Notice is given: the subscription will not renew and ends on its end "
                                          "date. You can withdraw the notice until then."))


def late_notice(door: Door, subscription_id: int):
    """Staff accept a notice given after the deadline, with the reason (R7)."""
    if not door.may_accept_late_notice:
        abort(403)
    subscription = _subscription_or_404(door, subscription_id)
    form = LateNoticeForm()
    if not form.validate_on_submit():
        return _detail_page(door, subscription, status=422, late_form=form)
    try:
        operations.give_notice(door.club.id, subscription.id, date.today(), door.actor, late_reason=form.reason.data)
    except UserError as error:
        return _refused(door, subscription, "late_form", form, error)
    return _changed(door, subscription, _("The late notice is accepted: the subscription ends on its end date."))


def withdraw_notice(door: Door, subscription_id: int):
    """Withdraw the notice until the end date: the subscription renews itself again (R7)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = WithdrawNoticeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.withdraw_notice(door.club.id, subscription.id, date.today(), door.actor)
    except UserError as error:
        return _refused(door, subscription, "withdraw_form", form, error)
    return _changed(door, subscription, _("The notice is withdrawn: the subscription renews itself again."))


def reduction(door: Door, subscription_id: int):
    """Ask for fewer resources for the next period, at least 90 days before the end date (R7)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = ReductionForm()
    if not form.validate_on_submit():
        return _detail_page(door, subscription, status=422, reduction_form=form)
    try:
        operations.request_reduction(door.club.id, subscription.id, int(form.resources.data), date.today(),
                                     door.actor)
    except UserError as error:
        return _refused(door, subscription, "reduction_form", form, error)
    return _changed(door, subscription, _("Saved: the next period will have the resources asked for, never fewer "
                                          "than those activated on the platform."))


# -- added resources (R6) ---------------------------------------------------------------------------------

def _addition_form() -> AddResourcesForm:
    return AddResourcesForm(request.args) if request.args else AddResourcesForm(formdata=None, added="1")


def _priced_addition(door: Door, subscription: Subscription, form: AddResourcesForm) -> Purchase | None:
    if not form.validate():
        return None
    try:
        return price_addition(door.club, subscription, int(form.added.data), date.today(), door.payer)
    except UserError as error:
        show_refusal(form, error)
        return None


def _bought_after(subscription: Subscription):
    """The period already bought after the one resources are added to: they do not reach it (R6)."""
    target = addition_period(subscription, date.today())
    return next((p for p in subscription.periods if target is not None and p.start_date > target.end_date), None)


def add(door: Door, subscription_id: int):
    """Choose how many resources to add, with the price for the days left as you type (R3, R6)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = _addition_form()
    priced = _priced_addition(door, subscription, form)
    return render_page("subscriptions/add.html", door=door, subscription=subscription, form=form, estimate=priced,
                       following=_bought_after(subscription), status=422 if request.args and priced is None else 200)


def add_price(door: Door, subscription_id: int):
    """The estimate alone, for HTMX as the buyer types (R3, R6)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = _addition_form()
    return render_page("subscriptions/add.html", block="estimate", fragment=True, door=door,
                       subscription=subscription, form=form, estimate=_priced_addition(door, subscription, form),
                       partial=True)


def add_review(door: Door, subscription_id: int):
    """Read the summary and the terms before confirming the addition (R3, R6)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = _addition_form()
    priced = _priced_addition(door, subscription, form)
    if priced is None:
        return render_page("subscriptions/add.html", door=door, subscription=subscription, form=form,
                           estimate=None, status=422)
    confirm = AddConfirmForm.blank(added=form.added.data, expected_total=str(priced.quote.total_incl_vat))
    return render_page("subscriptions/add_review.html", door=door, subscription=subscription, estimate=priced,
                       confirm=confirm, following=_bought_after(subscription))


def add_confirm(door: Door, subscription_id: int):
    """Issue the invoice for the added resources the buyer reviewed; a double submit gives one (R6)."""
    subscription = _subscription_or_404(door, subscription_id)
    form = AddConfirmForm()
    if not form.validate_on_submit():
        if form.added.errors:
            return redirect(door.url("add", subscription_id=subscription.id))
        return _review_addition_again(door, subscription, form, None)
    try:
        invoice = operations.add_resources(door.club.id, subscription.id, int(form.added.data), date.today(),
                                           door.actor, form.shown_total(), form.request_key.data, door.payer)
    except PriceChanged as error:
        form.accept_terms.data = False  # a new price is accepted anew
        return _review_addition_again(door, subscription, form, error_message(error.code, **error.params))
    except UserError as error:
        if error.field:
            return _choose_addition_again(door, subscription, form.added.data, error)
        return _review_addition_again(door, subscription, form, error_message(error.code, **error.params))
    except Exception:  # noqa: BLE001 - the use case rolled everything back: say so and let the buyer retry
        current_app.logger.exception("Resources could not be added to subscription %s", subscription.id)
        return _review_addition_again(door, subscription, form, _failure_message(), status=500)
    flash(ngettext("%(num)d resource is added to the period: it counts at once. Invoice %(number)s is issued for "
                   "the days left.", "%(num)d resources are added to the period: they count at once. Invoice "
                   "%(number)s is issued for the days left.", invoice.resources, number=invoice.number), "success")
    return redirect(door.invoice_url(invoice.number))


def _choose_addition_again(door: Door, subscription: Subscription, added: str, error: UserError):
    form = AddResourcesForm(formdata=None, added=added)
    show_refusal(form, error)
    return render_page("subscriptions/add.html", door=door, subscription=subscription, form=form, estimate=None,
                       status=422)


def _review_addition_again(door: Door, subscription: Subscription, form: AddConfirmForm, message: str | None,
                           status: int = 422):
    """The review page again, re-priced, with what went wrong (price change, unticked box, failure)."""
    try:
        priced = price_addition(door.club, subscription, int(form.added.data), date.today(), door.payer)
    except UserError as error:
        return _choose_addition_again(door, subscription, form.added.data, error)
    form.expected_total.data = str(priced.quote.total_incl_vat)
    return render_page("subscriptions/add_review.html", door=door, subscription=subscription, estimate=priced,
                       confirm=form, message=message, status=status)


# -- a new subscription (R9, R10): staff and partners ------------------------------------------------------

def _start_form(door: Door) -> StartForm:
    if request.args:
        return StartForm(request.args)
    today = date.today()
    return StartForm(formdata=None, start=today, offer=door.club.offer.code, term="1",
                     resources=str(queries.floor(door.club, today, None)))


def _priced_start(door: Door, form: StartForm) -> Purchase | None:
    if not form.validate():
        return None
    try:
        return price_new_subscription(door.club, form.order(), form.start.data, date.today(), door.payer)
    except UserError as error:
        show_refusal(form, error)
        return None


def _start_guard(door: Door) -> None:
    if not door.may_start:
        abort(404)


def start(door: Door):
    """Start a subscription for the club on a chosen date, with the price as you type (R3, R10)."""
    _start_guard(door)
    form = _start_form(door)
    priced = _priced_start(door, form)
    return render_page("subscriptions/start.html", door=door, form=form, estimate=priced,
                       status=422 if request.args and priced is None else 200)


def start_price(door: Door):
    """The estimate alone, for HTMX as staff type (R3, R10)."""
    _start_guard(door)
    form = _start_form(door)
    return render_page("subscriptions/start.html", block="estimate", fragment=True, door=door, form=form,
                       estimate=_priced_start(door, form), partial=True)


def start_review(door: Door):
    """Read the summary and the terms before starting the subscription (R3, R10)."""
    _start_guard(door)
    form = _start_form(door)
    priced = _priced_start(door, form)
    if priced is None:
        return render_page("subscriptions/start.html", door=door, form=form, estimate=None, status=422)
    confirm = StartConfirmForm.blank(start=form.start.data.isoformat(), offer=form.offer.data,
                                     resources=form.resources.data, term=form.term.data,
                                     po_reference=form.po_reference.data or "",
                                     expected_total=str(priced.quote.total_incl_vat))
    return render_page("subscriptions/start_review.html", door=door, estimate=priced, confirm=confirm)


def start_confirm(door: Door):
    """Start the subscription and issue its first invoice for the whole term; a double submit starts one (R10)."""
    _start_guard(door)
    form = StartConfirmForm()
    if not form.validate_on_submit():
        if form.tampered():
            return _choose_start_again(door, None)
        return _review_start_again(door, form, None)
    try:
        invoice = operations.start_subscription(door.club.id, form.order(), form.start_date(), date.today(),
                                                door.actor, form.shown_total(), form.request_key.data, door.payer)
    except PriceChanged as error:
        form.accept_terms.data = False
        return _review_start_again(door, form, error_message(error.code, **error.params))
    except UserError as error:
        if error.field:
            return _choose_start_again(door, error)
        return _review_start_again(door, form, error_message(error.code, **error.params))
    except Exception:  # noqa: BLE001 - the use case rolled everything back: say so and let staff retry
        current_app.logger.exception("A subscription of %s could not be started", door.club.subdomain)
        return _review_start_again(door, form, _failure_message(), status=500)
    flash(_("The subscription is started from %(start)s; its first invoice %(number)s is issued.",
            start=format_date(invoice.period_start, "long"), number=invoice.number), "success")
    return redirect(door.invoice_url(invoice.number))


def _choose_start_again(door: Door, error: UserError | None):
    form = StartForm(request.form)
    priced = _priced_start(door, form)
    if error is not None and priced is not None:
        show_refusal(form, error)
        priced = None
    return render_page("subscriptions/start.html", door=door, form=form, estimate=priced, status=422)


def _review_start_again(door: Door, form: StartConfirmForm, message: str | None, status: int = 422):
    try:
        priced = price_new_subscription(door.club, form.order(), form.start_date(), date.today(), door.payer)
    except UserError as error:
        return _choose_start_again(door, error)
    form.expected_total.data = str(priced.quote.total_incl_vat)
    return render_page("subscriptions/start_review.html", door=door, estimate=priced, confirm=form, message=message,
                       status=status)


# -- the URL rules, the same below every door ---------------------------------------------------------------

#: Largest id a URL may name: the database's integer; beyond it the page does not exist.
_ID = "int(max=2147483647)"

#: Every page of a club's subscriptions: (rule below the door's prefix, methods, action, view).
PAGES = [
    (f"/<{_ID}:subscription_id>", ("GET",), "detail", detail),
    (f"/<{_ID}:subscription_id>/po-reference", ("POST",), "po_reference", po_reference),
    (f"/<{_ID}:subscription_id>/invoices/<number>/reissue", ("POST",), "reissue", reissue),
    (f"/<{_ID}:subscription_id>/notice", ("POST",), "notice", notice),
    (f"/<{_ID}:subscription_id>/notice/late", ("POST",), "late_notice", late_notice),
    (f"/<{_ID}:subscription_id>/notice/withdraw", ("POST",), "withdraw_notice", withdraw_notice),
    (f"/<{_ID}:subscription_id>/reduction", ("POST",), "reduction", reduction),
    (f"/<{_ID}:subscription_id>/resources", ("GET",), "add", add),
    (f"/<{_ID}:subscription_id>/resources/price", ("GET",), "add_price", add_price),
    (f"/<{_ID}:subscription_id>/resources/review", ("GET",), "add_review", add_review),
    (f"/<{_ID}:subscription_id>/resources/confirm", ("POST",), "add_confirm", add_confirm),
]

#: Starting a subscription on a chosen date: staff and partners only (R10).
START_PAGES = [
    ("/new", ("GET",), "start", start),
    ("/new/price", ("GET",), "start_price", start_price),
    ("/new/review", ("GET",), "start_review", start_review),
    ("/new/confirm", ("POST",), "start_confirm", start_confirm),
]


def register_door(bp, prefix: str, open_door: Callable[[dict], Door], guard: Callable, endpoint_prefix: str = "",
                  starts: bool = False) -> None:
    """Serve every subscription page on `bp` below `prefix`, through the door `open_door` makes from the URL's
    values (it takes its own, e.g. the subdomain, out of them), to those `guard` lets in."""
    for rule, methods, action, page in [*PAGES, *(START_PAGES if starts else [])]:
        bp.add_url_rule(prefix + rule, endpoint=endpoint_prefix + action, methods=list(methods),
                        view_func=guard(_through(open_door, page)))


def _through(open_door: Callable[[dict], Door], page: Callable):
    @functools.wraps(page)
    def view(**values):
        door = open_door(values)
        return page(door, **values)

    return view
