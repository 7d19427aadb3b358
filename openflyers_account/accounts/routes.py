"""The club's pages: sign-in, password reset, dashboard, customer record."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..domain.accounts import login_subdomain
from ..extensions import limiter
from ..messages import error_message
from ..partners.queries import partner_of
from ..subscriptions.overview import club_overview
from ..web import club_required, current_club, render_page, safe_next, signed_in_club, signed_in_club_facts
from . import bp, operations, sessions
from .forms import ContactEmailsForm, ForgotPasswordForm, LoginForm, ResetPasswordForm


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _identifier_key() -> str:
    raw = request.form.get("identifier", "")
    return "club-login:" + (login_subdomain(raw) or raw.strip().lower()[:100])


def _email_key() -> str:
    return "reset:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_identifier_key, methods=["POST"])
def login():
    """Sign in with the platform subdomain and the password (A1)."""
    form = LoginForm()
    if form.validate_on_submit():
        club = operations.authenticate_club(form.identifier.data, form.password.data)
        if club is not None:
            sessions.sign_in(club)
            return redirect(safe_next(request.args.get("next"), url_for(".dashboard")))
        form.form_errors.append(error_message("login_failed"))
    status = 422 if form.is_submitted() else 200
    return render_page("accounts/login.html", form=form, status=status)


@bp.get("/logout")
def logout_page():
    """Ask before signing out: a GET (a prefetch, a link in a page) never ends a session."""
    if not current_user.is_authenticated or current_user.is_staff or current_user.is_partner:
        return redirect(url_for(".login"))
    return render_page("accounts/logout.html", base="base.html", action=url_for(".logout"))


@bp.post("/logout")
def logout():
    """Sign out (a form with its CSRF token)."""
    sessions.sign_out(everywhere=request.form.get("everywhere") == "1")
    return redirect(url_for(".login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, key_func=_email_key, methods=["POST"])
def forgot_password():
    """Ask for reset links by e-mail; the answer is the same whether or not anything matched (A2)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        return render_page("accounts/forgot_sent.html", email=form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_page("accounts/forgot.html", form=form, status=status)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password through the link from the e-mail (A2, A4)."""
    try:
        club = operations.club_for_reset_token(token)
    except operations.AccountError as error:
        return render_page("accounts/reset_invalid.html", message=error_message(error.code), status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data)
        except operations.AccountError as error:
            form.password.errors.append(error_message(error.code))
        else:
            logout_user()
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for(".login"))
    status = 422 if form.is_submitted() else 200
    return render_page("accounts/reset.html", form=form, club=club, status=status)


@bp.get("/")
@club_required
def dashboard():
    """The club's home: period, status, resources, what to do next."""
    club, known = signed_in_club(), signed_in_club_facts()
    return render_page("accounts/dashboard.html", overview=club_overview(club, date.today(), known),
                       manager=partner_of(club, known))


@bp.route("/account", methods=["GET", "POST"])
@club_required
def account():
    """The customer record; the club can change its two e-mail addresses."""
    form = ContactEmailsForm(obj=current_club if request.method == "GET" else None)
    if form.validate_on_submit():
        if operations.change_emails(current_club, form.structure_email.data, form.contact_email.data or ""):
            flash(_("The e-mail addresses have been saved."), "success")
        return redirect(url_for(".account"))
    status = 422 if form.is_submitted() else 200
    return render_page("accounts/account.html", form=form, club=current_club, status=status)
