"""Money arriving: card, transfer and cheque for the club; recording, statements and deposits for staff (M1-M6)."""
from flask import Blueprint

bp = Blueprint("payments", __name__)
