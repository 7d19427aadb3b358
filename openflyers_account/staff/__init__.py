"""The vendor's back office: clients, payments waiting, audit log (rule A5)."""
from flask import Blueprint

bp = Blueprint("staff", __name__)
