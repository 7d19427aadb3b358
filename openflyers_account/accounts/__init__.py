"""The club's side of accounts: sign-in by subdomain, password reset, dashboard, customer record."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import routes  # noqa: E402,F401
