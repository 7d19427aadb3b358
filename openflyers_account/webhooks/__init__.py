"""Notifications from payment providers: signed, applied once (rule M1)."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__)
