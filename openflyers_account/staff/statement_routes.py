"""Back-office bank statements: import a CAMT.053 file, confirm the proposed matches in one action (M5)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import abort, flash, redirect, url_for
from flask_babel import format_decimal, gettext as _, ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import csrf
from ..messages import error_message
from ..models import BankStatement
from ..payments import statements
from ..payments.statements import StatementRefused
from ..web import larger_body, render_page, requested_page, signed_in_staff, staff_required
from . import bp
from .statement_forms import (
    AssignInvoiceForm,
    ConfirmMatchesForm,
    IgnoreEntryForm,
    KeepEntryForm,
    StatementUploadForm,
    upload_field_error,
)

#: Room for the multipart envelope and the CSRF field around the file itself.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
STATEMENTS_PER_PAGE = 50


def _refusal(error: StatementRefused) -> str:
    """The staff's words for a refused file or choice, in their language."""
    params = dict(error.params)
    max_bytes = params.pop("max_bytes", None)
    if error.code == "statement_too_large" and max_bytes is not None:
        params["megabytes"] = format_decimal(max_bytes / 1_000_000, format="#,##0.###")
    return error_message(error.code, **params)


def _statements_page(form: StatementUploadForm, status: int = 200):
    page = requested_page()
    summaries = statements.statement_summaries(limit=STATEMENTS_PER_PAGE + 1, offset=(page - 1) * STATEMENTS_PER_PAGE)
    return render_page("staff/statements.html", form=form, summaries=summaries[:STATEMENTS_PER_PAGE], page=page,
                       has_more=len(summaries) > STATEMENTS_PER_PAGE, status=status)


@bp.get("/statements")
@staff_required
def statements_page():
    """Import a bank statement; the statements imported and what is left to confirm (M5)."""
    return _statements_page(StatementUploadForm(formdata=None))


def _upload_limit() -> int:
    return statements.statement_max_bytes() + UPLOAD_OVERHEAD_BYTES


# A statement may be larger than MAX_CONTENT_LENGTH allows other requests: its limit is set before any hook
# reads the body. The global CSRF check would refuse an oversized body before this view could say why, so
# the form's own csrf_token field is checked below instead: the view is not open to cross-site posts.
@bp.post("/statements")
@csrf.exempt
@staff_required
@larger_body(_upload_limit)
def upload_statement():
    """Import a CAMT.053 file: new credit entries with a proposed invoice each; a refused file records nothing (M5)."""
    max_bytes = statements.statement_max_bytes()
    try:
        form = StatementUploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = StatementUploadForm(formdata=None)
        upload_field_error(form, _refusal(StatementRefused("statement_too_large", max_bytes=max_bytes)))
        return _statements_page(form, status=422)
    if form.csrf_token.errors:
        raise CSRFError(form.csrf_token.errors[0])
    if not valid:
        return _statements_page(form, status=422)
    upload = form.statement.data
    # One byte more than allowed is enough to know the file is too large.
    data = upload.stream.read(max_bytes + 1)
    if not data:
        upload_field_error(form, error_message("statement_empty"))
        return _statements_page(form, status=422)
    try:
        statement = statements.import_statement(signed_in_staff(), data, upload.filename or "")
    except StatementRefused as error:
        upload_field_error(form, _refusal(error))
        return _statements_page(form, status=422)
    flash(_("Statement %(reference)s imported. Check the proposed invoices, then confirm them.",
            reference=statement.statement_ref), "success")
    return redirect(url_for(".statement", statement_id=statement.id))


def _statement_or_404(statement_id: int) -> BankStatement:
    statement = statements.find_statement(statement_id)
    if statement is None:
        abort(404)
    return statement


def _statement_page(statement: BankStatement, confirm_form: ConfirmMatchesForm | None = None,
                    entry_errors: dict[int, str] | None = None, status: int = 200):
    lines = statements.statement_lines(statement.id)
    confirm_form = confirm_form or ConfirmMatchesForm(formdata=None)
    ticked = confirm_form.ticked()
    if ticked is None:
        ticked = {line.entry.id for line in lines if line.pre_ticked}
    return render_page("staff/statement.html", statement=statement, lines=lines, confirm_form=confirm_form,
                       ticked=ticked, entry_errors=entry_errors or {},
                       confirmable=sum(1 for line in lines if line.confirmable), status=status)


@bp.get("/statements/<id:statement_id>")
@staff_required
def statement(statement_id: int):
    """A statement's credit entries with their proposed invoice, ticked when the match is sure (M5)."""
    return _statement_page(_statement_or_404(statement_id))


@bp.post("/statements/<id:statement_id>/confirm")
@staff_required
def confirm_statement(statement_id: int):
    """Record a payment for every ticked entry, all in one transaction (M5, M4)."""
    statement = _statement_or_404(statement_id)
    form = ConfirmMatchesForm()
    if not form.validate_on_submit():
        return _statement_page(statement, form, status=422)
    try:
        payments = statements.confirm_matches(signed_in_staff(), statement.id, form.entry_ids(), today=date.today())
    except StatementRefused as error:
        form.form_errors.append(_refusal(error))
        return _statement_page(_statement_or_404(statement_id), form, status=422)
    if payments:
        flash(ngettext("%(num)d payment recorded.", "%(num)d payments recorded.", len(payments)), "success")
    else:
        flash(_("These entries were already confirmed: nothing was recorded again."), "success")
    return redirect(url_for(".statement", statement_id=statement.id))


@bp.post("/statements/<id:statement_id>/entries/<id:entry_id>/assign")
@staff_required
def assign_statement_entry(statement_id: int, entry_id: int):
    """Choose by hand the invoice a pending entry pays (M5)."""
    statement = _statement_or_404(statement_id)
    form = AssignInvoiceForm()
    if not form.validate_on_submit():
        message = next(iter(form.invoice_number.errors), None) or error_message("invalid")
        return _statement_page(statement, entry_errors={entry_id: message}, status=422)
    try:
        entry = statements.assign_entry(signed_in_staff(), statement.id, entry_id, form.invoice_number.data)
    except StatementRefused as error:
        return _statement_page(_statement_or_404(statement_id), entry_errors={entry_id: _refusal(error)}, status=422)
    flash(_("Entry %(entry)s is now matched to invoice %(invoice)s: tick it and confirm to record the payment.",
            entry=entry.entry_ref, invoice=entry.invoice.number), "success")
    return redirect(url_for(".statement", statement_id=statement.id))


def _decide(statement_id: int, entry_id: int, form: FlaskForm, decide, done: Callable[[str], str]):
    """One staff decision on a pending entry, through `decide(staff, statement_id, entry_id)`, then back to the page."""
    statement = _statement_or_404(statement_id)
    if not form.validate_on_submit():
        return _statement_page(statement, entry_errors={entry_id: error_message("invalid")}, status=422)
    try:
        entry = decide(signed_in_staff(), statement.id, entry_id)
    except StatementRefused as error:
        return _statement_page(_statement_or_404(statement_id), entry_errors={entry_id: _refusal(error)}, status=422)
    flash(done(entry.entry_ref), "success")
    return redirect(url_for(".statement", statement_id=statement.id))


@bp.post("/statements/<id:statement_id>/entries/<id:entry_id>/ignore")
@staff_required
def ignore_statement_entry(statement_id: int, entry_id: int):
    """Set aside a pending entry that pays no invoice, or a likely duplicate (M5)."""
    return _decide(statement_id, entry_id, IgnoreEntryForm(), statements.ignore_entry,
                   lambda entry: _("Entry %(entry)s was set aside.", entry=entry))


@bp.post("/statements/<id:statement_id>/entries/<id:entry_id>/keep")
@staff_required
def keep_statement_entry(statement_id: int, entry_id: int):
    """A likely duplicate is another payment after all: it can be confirmed like any entry (M5)."""
    return _decide(statement_id, entry_id, KeepEntryForm(), statements.keep_entry,
                   lambda entry: _("Entry %(entry)s is kept as another payment: tick it and confirm to record it.",
                                   entry=entry))
