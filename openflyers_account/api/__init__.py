"""The platform API (S1): each club's OpenFlyers platform reports its activated resources, with its own token."""
from flask import Blueprint

bp = Blueprint("api", __name__)
