"""Partners: their accounts, the clubs they manage, their door to those clubs' subscriptions (B1-B4)."""
from flask import Blueprint

bp = Blueprint("partner", __name__)
