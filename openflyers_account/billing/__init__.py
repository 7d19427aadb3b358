"""The club's renewal and invoices; credit notes and the catalogue for staff (P1-P5, R1-R5, I1-I5)."""
from flask import Blueprint

bp = Blueprint("billing", __name__)
