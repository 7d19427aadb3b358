"""The partner's door: sign-in and password reset, its clients (B1, B2)."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..accounts.forms import ForgotPasswordForm, ResetPasswordForm
from ..accounts import sessions
from ..accounts.operations import AccountError
from ..extensions import limiter
from ..messages import error_message
from ..accounts.models import Club
from ..billing import operations as billing
from ..billing.routes import invoice_page
from ..errors import UserError
from ..subscriptions import operations as subscription_operations
from ..subscriptions import pages
from ..subscriptions.forms import CancelForm
from ..subscriptions.operations import cancellable_by
from ..subscriptions.routes import cancel_confirmation
from ..subscriptions import queries as subscription_queries
from ..subscriptions.doors import Door
from ..subscriptions.overview import club_overview
from ..web import (
    needs_confirmation,
    partner_required,
    pdf_download,
    render_page,
    requested_page,
    safe_next,
    signed_in_partner,
)
from . import accounts, bp, operations, queries
from .forms import PartnerLoginForm


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _email_key() -> str:
    return "partner:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_email_key, methods=["POST"])
def login():
    """A partner signs in with its e-mail address and password (B1, A3, A4)."""
    form = PartnerLoginForm()
    if form.validate_on_submit():
        partner = accounts.authenticate_partner(form.email.data, form.password.data)
        if partner is not None:
            sessions.sign_in(partner)
            return redirect(safe_next(request.args.get("next"), url_for(".clients")))
        form.form_errors.append(error_message("partner_login_failed"))
    return render_page("partners/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.get("/logout")
def logout_page():
    """Ask before signing out: a GET never ends a session."""
    if not current_user.is_authenticated or not current_user.is_partner:
        return redirect(url_for(".login"))
    return render_page("accounts/logout.html", base="partners/base.html", action=url_for(".logout"))


@bp.post("/logout")
def logout():
    """Partner sign-out (a form with its CSRF token)."""
    sessions.sign_out(everywhere=request.form.get("everywhere") == "1")
    return redirect(url_for(".login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, key_func=_email_key, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not a partner uses the address (A2)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data)
        return render_page("partners/forgot_sent.html", email=form.email.data)
    return render_page("partners/forgot.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password through the link from the e-mail (A2, A4)."""
    try:
        partner = accounts.partner_for_reset_token(token)
    except AccountError as error:
        return render_page("partners/reset_invalid.html", message=error_message(error.code), status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except AccountError as error:
            form.password.errors.append(error_message(error.code))
        else:
            logout_user()
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for(".login"))
    return render_page("partners/reset.html", form=form, partner=partner, status=422 if form.is_submitted() else 200)


@bp.get("/")
@partner_required
def home():
    """The partner's home is its clients."""
    return redirect(url_for(".clients"))


@bp.get("/clients")
@partner_required
def clients():
    """The partner's clubs: activated and subscribed resources, next end date, state; search, pages (B2, U4)."""
    query = request.args.get("q", "")[:200]
    page = requested_page()
    rows, total = queries.client_rows(signed_in_partner(), query, page, date.today())
    return render_page("partners/clients.html", rows=rows, total=total, query=query, page=page,
                       pages=max(1, -(-total // queries.CLIENTS_PER_PAGE)), block="results")


def managed_club_or_404(subdomain: str) -> Club:
    """One of the signed-in partner's clubs; another partner's club, or none, is 404 (B4)."""
    club = queries.managed_club(signed_in_partner(), subdomain)
    if club is None:
        abort(404)
    return club


def door_to(club: Club) -> Door:
    """The signed-in partner acting on one of its clubs, billed for what it buys (B1, B3)."""
    partner = signed_in_partner()
    return Door("partner", club, partner, blueprint="partner", base_template="partners/base.html",
                invoice_endpoint="partner.invoice", payer=operations.partner_payer(partner, club))


def partner_door(values: dict) -> Door:
    """The door to the club the URL names, if the partner manages it (B4)."""
    return door_to(managed_club_or_404(values.pop("subdomain")))


pages.register_door(bp, "/clients/<subdomain>/subscriptions", partner_door, partner_required,
                    endpoint_prefix="subscription_", starts=True)


@bp.get("/clients/<subdomain>")
@partner_required
def client(subdomain: str):
    """One of its clubs: its details, both counts, each subscription with its periods (B2)."""
    door = partner_door({"subdomain": subdomain})
    overview = club_overview(door.club, date.today())
    return render_page("partners/client.html", club=door.club, door=door, overview=overview, today=overview.today,
                       latest={shown.subscription.id: _latest_shown(door, shown.subscription)
                               for shown in overview.subscriptions})


def _latest_shown(door, subscription) -> tuple[list, bool]:
    """The subscription's newest documents the partner may see, and whether there are older ones (B3, U4)."""
    latest, older = subscription_queries.latest_invoices_of(subscription)
    return [invoice for invoice in latest if door.shows(invoice)], older


# -- invoices billed to the partner (B3) ---------------------------------------------------------------------

@bp.get("/invoices")
@partner_required
def invoices():
    """The invoices and credit notes billed to the partner, newest first (B3)."""
    shown = billing.partner_documents(signed_in_partner(), page=requested_page())
    return render_page("partners/invoices.html", documents=shown.documents, shown=shown, today=date.today())


def _billed_document(number: str):
    document = billing.payer_invoice(signed_in_partner(), number)
    if document is None:
        abort(404)
    return document


@bp.get("/invoices/<number>")
@partner_required
def invoice(number: str):
    """One document billed to the partner, its payments and what is left, the way to pay it (B3, M1-M3)."""
    document = _billed_document(number)
    cancellable = not document.is_credit_note and cancellable_by(document, signed_in_partner())
    return invoice_page(door_to(document.club), document, cancellable)


@bp.post("/invoices/<number>/cancel")
@partner_required
def cancel(number: str):
    """Cancel an unpaid purchase of the partner's, to start again: a credit note is issued (R2, R6, B3)."""
    document = _billed_document(number)
    if not CancelForm().validate_on_submit():
        abort(400)
    if needs_confirmation():
        return cancel_confirmation(document, "partners/base.html", url_for(".invoice", number=number))
    try:
        credit = subscription_operations.cancel_purchase(document.club_id, number, date.today(),
                                                         signed_in_partner())
    except UserError as error:
        flash(error_message(error.code, **error.params), "error")
        return redirect(url_for(".invoice", number=number))
    flash(_("The invoice is cancelled by credit note %(number)s.", number=credit.number), "success")
    return redirect(url_for(".invoice", number=credit.number))


@bp.get("/invoices/<number>.pdf")
@partner_required
def invoice_pdf(number: str):
    """The PDF stored at issue (I4)."""
    document = _billed_document(number)
    return pdf_download(billing.pdf_of(document), f"{document.number}.pdf", etag=document.pdf_sha256)
