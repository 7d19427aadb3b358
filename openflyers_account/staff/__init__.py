"""The vendor's back office: clients, payments waiting, audit log (rule A5)."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import routes  # noqa: E402,F401
from . import billing_routes  # noqa: E402,F401
