"""Records and accounting: receipts, statements of account, exports for the accountant (K1-K3)."""
from flask import Blueprint

bp = Blueprint("accounting", __name__)
