"""Entry point: `flask --app app run`, `gunicorn app:app`."""
from openflyers_account import create_app

app = create_app()
