"""The club's side of accounts: sign-in by subdomain, password reset, dashboard, customer record."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
