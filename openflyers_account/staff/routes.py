"""Back-office pages: sign-in, what waits, clients and their accounts, audit log (A5, A6, S1, M4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Response, abort, current_app, flash, redirect, request, stream_with_context, url_for
from flask_babel import format_decimal, gettext as _
from flask_login import current_user

from .. import audit as audit_log
from ..accounts import operations, sessions
from ..api import operations as api_operations
from ..billing import operations as billing_operations
from ..domain.references import invoice_numbers_in_text
from ..errors import UserError
from ..extensions import limiter
from ..forms import show_refusal
from ..accounting.ranges import EARLIEST, LATEST, requested_range
from ..accounting.spreadsheets import csv_stream
from ..messages import AUDIT_ACTIONS, audit_action_label, audit_detail_label, error_message
from ..models import Club
from ..payments import operations as payments
from ..payments.operations import InvoicePosition
from ..partners.queries import partner_of
from ..subscriptions import queries as subscription_queries
from ..subscriptions.overview import club_overview
from ..renewals import queries as renewal_queries
from ..subscriptions.staff_routes import staff_door
from ..web import render_page, requested_page, safe_next, signed_in_staff, staff_required
from . import bp
from .forms import (
    ApiTokenForm,
    ClubDiscountForm,
    ActivatedResourcesForm,
    SendResetForm,
    StaffEmailsForm,
    StaffLoginForm,
)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _email_key() -> str:
    return "staff-login:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_email_key, methods=["POST"])
def login():
    """Staff sign-in with e-mail and password (A5)."""
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = operations.authenticate_staff(form.email.data, form.password.data)
        if staff is not None:
            sessions.sign_in(staff)
            operations.record_staff_sign_in(staff)
            return redirect(safe_next(request.args.get("next"), url_for(".home")))
        form.form_errors.append(error_message("staff_login_failed"))
    return render_page("staff/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.get("/logout")
def logout_page():
    """Ask before signing out: a GET (a prefetch, a link in a page) never ends a session."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return redirect(url_for(".login"))
    return render_page("accounts/logout.html", base="staff/base.html", action=url_for(".logout"))


@bp.post("/logout")
def logout():
    """Staff sign-out (a form with its CSRF token)."""
    sessions.sign_out(everywhere=request.form.get("everywhere") == "1")
    return redirect(url_for(".login"))


@dataclass(frozen=True)
class UnpaidInvoice:
    """An invoice waiting for money, with what is left and how late it is (I5: derived, never stored)."""

    position: InvoicePosition
    days_late: int


def _unpaid(today: date) -> list[UnpaidInvoice]:
    # unpaid_invoices() is ordered by due date: the most overdue come first.
    return [UnpaidInvoice(payments.position(invoice), max((today - invoice.due_date).days, 0))
            for invoice in payments.unpaid_invoices()]


@bp.get("/")
@staff_required
def home():
    """What waits for staff: payments the clubs say they sent, unpaid invoices by age, overpayments (M2-M4)."""
    today = date.today()
    return render_page("staff/home.html", recent=audit_log.entries(limit=10), declarations=payments.open_declarations(),
                       unpaid=_unpaid(today), overpaid=payments.overpaid_invoices(), today=today)


@bp.get("/clients")
@staff_required
def clients():
    """Find a club by subdomain, name or e-mail address, or by the number of one of its invoices or credit notes."""
    query = request.args.get("q", "")[:200]
    documents = _documents_named(query)
    clubs = operations.search_clubs(query)
    clubs = [*dict.fromkeys([document.club for document in documents] + clubs)]
    return render_page("staff/clients.html", query=query, clubs=clubs, documents=documents, block="results")


def _documents_named(query: str) -> list:
    """The invoices and credit notes whose number the query is, typed as people do (f 2026 42, AV-2026-00003)."""
    typed = " ".join(query.split()).upper()
    if not typed or len(typed) > 40:
        return []
    candidates = [*invoice_numbers_in_text(typed), typed.replace(" ", "-")]
    found = (billing_operations.document(number) for number in dict.fromkeys(candidates))
    return [document for document in found if document is not None]


def _club_or_404(subdomain: str) -> Club:
    club = operations.find_club(subdomain)
    if club is None:
        abort(404)
    return club


def _client_page(club: Club, status: int = 200, **forms):
    forms.setdefault("emails_form", StaffEmailsForm.blank(obj=club))
    forms.setdefault("reset_form", SendResetForm.blank())
    forms.setdefault("resources_form", ActivatedResourcesForm(formdata=None, activated_resources=club.activated_resources))
    forms.setdefault("token_form", ApiTokenForm())
    forms.setdefault("token", api_operations.token_created(club))
    if signed_in_staff().is_admin:
        forms.setdefault("discount_form", ClubDiscountForm(formdata=None, discount_percent=format_decimal(
            club.discount_percent)))
    overview = club_overview(club, date.today())
    shown = billing_operations.club_documents(club, billed_to=signed_in_staff(), page=requested_page())
    return render_page("staff/client.html", club=club, overview=overview, door=staff_door({"subdomain": club.subdomain}),
                       manager=partner_of(club),
                       latest={shown.subscription.id: subscription_queries.latest_invoices_of(shown.subscription)
                               for shown in overview.subscriptions},
                       pending=overview.pending_charges, history=operations.resource_history(club),
                       audit=audit_log.entries(club, limit=20), documents=shown.documents, shown=shown,
                       renewal_messages=renewal_queries.messages_of(club),
                       renewal_failures=renewal_queries.failures(club),
                       status=status, **forms)


@bp.get("/clients/<subdomain>")
@staff_required
def client(subdomain: str):
    """One club's record, subscription periods, charges and history."""
    return _client_page(_club_or_404(subdomain))


@bp.post("/clients/<subdomain>/password-reset")
@staff_required
def send_reset(subdomain: str):
    """Send the club a reset link; billed on the First Price offer (A2, A6)."""
    club = _club_or_404(subdomain)
    form = SendResetForm()
    if not form.validate_on_submit():
        return _client_page(club, status=422, reset_form=form)
    done = operations.send_reset_by_staff(club, signed_in_staff(), form.request_key.data)
    if done.repeated:
        flash(_("This form had already been sent: it was applied once."), "info")
    else:
        flash(_("A reset link was sent to %(addresses)s.", addresses=", ".join(done.addresses)), "success")
    return redirect(url_for(".client", subdomain=club.subdomain))


@bp.post("/clients/<subdomain>/emails")
@staff_required
def change_emails(subdomain: str):
    """Change the club's addresses on its behalf; billed on the First Price offer (A6)."""
    club = _club_or_404(subdomain)
    form = StaffEmailsForm()
    if not form.validate_on_submit():
        return _client_page(club, status=422, emails_form=form)
    done = operations.change_emails_by_staff(club, form.structure_email.data, form.contact_email.data or "",
                                             signed_in_staff(), form.request_key.data)
    if done.repeated:
        flash(_("This form had already been sent: it was applied once."), "info")
    elif done.changed:
        flash(_("The e-mail addresses have been saved."), "success")
    return redirect(url_for(".client", subdomain=club.subdomain))


@bp.post("/clients/<subdomain>/resources")
@staff_required
def set_resources(subdomain: str):
    """Set the activated resource count by hand, with a reason (S1)."""
    club = _club_or_404(subdomain)
    form = ActivatedResourcesForm()
    if not form.validate_on_submit():
        return _client_page(club, status=422, resources_form=form)
    operations.set_activated_resources(club, form.activated_resources.data, "staff", form.reason.data,
                                       staff=signed_in_staff())
    flash(_("The activated resources have been updated."), "success")
    return redirect(url_for(".client", subdomain=club.subdomain))


@bp.post("/clients/<subdomain>/api-token")
@staff_required
def rotate_api_token(subdomain: str):
    """Create or rotate the token the club's platform reports its resources with; shown on this answer only (S1)."""
    club = _club_or_404(subdomain)
    if not ApiTokenForm().validate_on_submit():
        abort(400)
    token = api_operations.rotate_token(club, signed_in_staff())
    # Shown in this page, never in a flash message: the session cookie is signed, not encrypted.
    return _client_page(club, new_token=token)


@bp.post("/clients/<subdomain>/discount")
@staff_required(admin=True)
def set_discount(subdomain: str):
    """Set the club's negotiated discount, with a reason kept in the audit log (P2)."""
    club = _club_or_404(subdomain)
    form = ClubDiscountForm()
    if not form.validate_on_submit():
        return _client_page(club, status=422, discount_form=form)
    try:
        changed = operations.set_club_discount(club, form.discount_percent.percent, form.discount_reason.data,
                                               signed_in_staff())
    except UserError as error:
        show_refusal(form, error)
        return _client_page(club, status=422, discount_form=form)
    if changed:
        flash(_("The club discount is saved: it applies to what the club buys from now on."), "success")
    return redirect(url_for(".client", subdomain=club.subdomain))


def _audit_filter() -> tuple[audit_log.AuditFilter, str | None]:
    """The log's filters from the query string (K4); an error in words for dates that are not a range."""
    start, end, error = requested_range(EARLIEST, LATEST)
    filters = audit_log.AuditFilter(
        subdomain=request.args.get("club", "").strip().lower()[:63], actor=request.args.get("actor", "").strip()[:254],
        action=request.args.get("action", "") if request.args.get("action", "") in AUDIT_ACTIONS else "",
        start=None if start == EARLIEST else start, end=None if end == LATEST else end)
    return filters, error


@bp.get("/audit")
@staff_required
def audit():
    """The audit log, newest first, filtered by club, actor, action and dates, page by page (K4, U4)."""
    filters, error = _audit_filter()
    page = requested_page()
    entries = audit_log.entries(limit=51, offset=(page - 1) * 50, filters=filters)
    query = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_page("staff/audit.html", entries=entries[:50], page=page, has_more=len(entries) > 50,
                       filters=filters, error=error, query=query, actions=AUDIT_ACTIONS,
                       status=422 if error else 200)


@bp.get("/audit.csv")
@staff_required
def audit_csv():
    """The entries the filters select, for a spreadsheet: `;`, UTF-8 with a BOM (K4)."""
    filters, error = _audit_filter()
    if error:
        abort(404)
    response = Response(stream_with_context(csv_stream(_audit_rows(filters))), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="journal-audit.csv"'
    return response


def _audit_rows(filters: audit_log.AuditFilter):
    yield [_("When"), _("Who"), _("What"), _("Club"), _("Details")]
    for entry in audit_log.every_entry(filters):
        yield [entry.at.isoformat(timespec="seconds"), entry.actor, audit_action_label(entry.action),
               entry.club.subdomain if entry.club else "",
               "; ".join(f"{audit_detail_label(key)}: {value}" for key, value in entry.details.items()
                         if value not in ("", None, [], {}))]