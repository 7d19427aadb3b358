"""The app as served, with one more page: signed in, renders nothing.

What any signed-in page costs before its own work (session, club, hooks), so the price partial's own
cost can be told apart from the framework's.
"""
from openflyers_account import create_app
from openflyers_account.web import club_required

app = create_app()


@app.get("/_bench/signed-in")
@club_required
def signed_in():
    return "ok"
