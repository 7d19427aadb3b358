"""The staff door to a club's subscriptions: every page the club has, plus starting one and late notices (R7, R10)."""
from __future__ import annotations

from flask import abort

from ..accounts import operations as accounts
from ..staff import bp
from ..web import signed_in_staff, staff_required
from . import pages
from .doors import Door


def staff_door(values: dict) -> Door:
    """Staff acting on the club the URL names (A5)."""
    club = accounts.find_club(values.pop("subdomain"))
    if club is None:
        abort(404)
    return Door("staff", club, signed_in_staff(), blueprint="staff", base_template="staff/base.html",
                invoice_endpoint="staff.invoice")


pages.register_door(bp, "/clients/<subdomain>/subscriptions", staff_door, staff_required,
                    endpoint_prefix="subscription_", starts=True)
