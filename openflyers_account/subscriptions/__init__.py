"""Subscriptions: what a club buys, renews, changes and gives notice on (R1-R10); the club's door to them."""
from flask import Blueprint

bp = Blueprint("subscriptions", __name__)
