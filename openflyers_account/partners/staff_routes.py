"""The staff's pages for partners: create them, set their discount, link the clubs they manage (B1, A5)."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from .. import audit as audit_log
from ..errors import UserError
from ..forms import show_refusal
from ..staff import bp
from ..web import render_page, signed_in_staff, staff_required
from . import operations, queries
from .forms import DiscountForm, LinkClubForm, PartnerForm, UnlinkClubForm
from .models import Partner

_ID = "int(max=2147483647)"


def _partners_page(form: PartnerForm, status: int = 200):
    query = request.args.get("q", "")[:200]
    return render_page("partners/staff/list.html", partners=queries.search_partners(query), query=query, form=form,
                       status=status)


@bp.get("/partners")
@staff_required
def partners():
    """The partners, searchable, and a form to create one (B1)."""
    return _partners_page(PartnerForm(formdata=None))


@bp.post("/partners")
@staff_required
def add_partner():
    """Create a partner's account; it sets its password through a reset link (B1, A2)."""
    form = PartnerForm()
    if not form.validate_on_submit():
        return _partners_page(form, status=422)
    try:
        partner = operations.add_partner(form.email.data, form.name.data, signed_in_staff(), form.percent(),
                                         form.discount_reason.data or "", **form.record())
    except UserError as error:
        show_refusal(form, error)
        return _partners_page(form, status=422)
    flash(_("The partner %(name)s is created.", name=partner.name), "success")
    return redirect(url_for(".partner", partner_id=partner.id))


def _partner_or_404(partner_id: int) -> Partner:
    partner = queries.partner(partner_id)
    if partner is None:
        abort(404)
    return partner


def _partner_page(partner: Partner, status: int = 200, **forms):
    forms.setdefault("discount_form", DiscountForm(formdata=None, discount_percent=str(partner.discount_percent),
                                                   discount_reason=partner.discount_reason))
    forms.setdefault("link_form", LinkClubForm(formdata=None))
    return render_page("partners/staff/detail.html", partner=partner, clubs=queries.clubs_of(partner),
                       unlink_form=UnlinkClubForm(formdata=None),
                       audit=audit_log.entries_about_partner(partner.email, limit=20), status=status, **forms)


@bp.get(f"/partners/<{_ID}:partner_id>")
@staff_required
def partner(partner_id: int):
    """A partner's record, its discount and the clubs it manages (B1)."""
    return _partner_page(_partner_or_404(partner_id))


@bp.post(f"/partners/<{_ID}:partner_id>/discount")
@staff_required
def partner_discount(partner_id: int):
    """Set the partner discount, with the reason kept in the log (B1)."""
    partner = _partner_or_404(partner_id)
    form = DiscountForm()
    if not form.validate_on_submit():
        return _partner_page(partner, status=422, discount_form=form)
    try:
        changed = operations.set_discount(partner.id, form.percent(), form.discount_reason.data or "",
                                          signed_in_staff())
    except UserError as error:
        show_refusal(form, error)
        return _partner_page(partner, status=422, discount_form=form)
    if changed:
        flash(_("The partner discount is saved: it applies to what the partner buys from now on."), "success")
    return redirect(url_for(".partner", partner_id=partner.id))


@bp.post(f"/partners/<{_ID}:partner_id>/clubs")
@staff_required
def partner_link_club(partner_id: int):
    """The partner manages the club from now on, taken from its partner if it had one (B1)."""
    partner = _partner_or_404(partner_id)
    form = LinkClubForm()
    if not form.validate_on_submit():
        return _partner_page(partner, status=422, link_form=form)
    try:
        operations.link_club(partner.id, form.subdomain.data, signed_in_staff())
    except UserError as error:
        show_refusal(form, error)
        return _partner_page(partner, status=422, link_form=form)
    flash(_("%(partner)s manages %(club)s from now on.", partner=partner.name, club=form.subdomain.data), "success")
    return redirect(url_for(".partner", partner_id=partner.id))


@bp.post(f"/partners/<{_ID}:partner_id>/clubs/<subdomain>/unlink")
@staff_required
def partner_unlink_club(partner_id: int, subdomain: str):
    """The partner no longer manages the club (B1)."""
    partner = _partner_or_404(partner_id)
    if not UnlinkClubForm().validate_on_submit():
        abort(400)
    try:
        operations.unlink_club(partner.id, subdomain, signed_in_staff())
    except UserError:
        abort(404)
    flash(_("%(partner)s no longer manages %(club)s.", partner=partner.name, club=subdomain), "success")
    return redirect(url_for(".partner", partner_id=partner.id))
