"""The app as served, with two more pages that render nothing: one for anybody, one signed in.

What any page and any signed-in page cost before their own work (hooks; session and club), so a page's own cost
can be told apart from the framework's.
"""
from openflyers_account import create_app
from openflyers_account.web import club_required

app = create_app()


@app.get("/_bench/signed-in")
@club_required
def signed_in():
    return "ok"


@app.get("/_bench/empty")
def empty():
    return "ok"
