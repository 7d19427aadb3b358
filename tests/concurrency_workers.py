"""Code run in separate processes by the concurrency tests: each process is its own app, like a worker."""
from __future__ import annotations

from datetime import date


def issue_renewal_at(config: dict, club_id: int, barrier) -> str:
    """Wait until every worker is ready, then issue a renewal for the club; returns the invoice number."""
    from openflyers_account import create_app
    from openflyers_account.subscriptions.operations import issue_renewal
    from openflyers_account.subscriptions.purchase import SubscriptionOrder
    from openflyers_account.domain.pricing import Term

    app = create_app(config)
    with app.app_context():
        order = SubscriptionOrder(offer_code="business", resources=1, term=Term.ONE_YEAR)
        barrier.wait(timeout=120)
        return issue_renewal(club_id, None, order, date.today(), "test").number


def send_outbox_at(config: dict, barrier) -> int:
    """Wait until every worker is ready, then send what is due, as `flask outbox send` does; returns how many."""
    from openflyers_account import create_app
    from openflyers_account.mail.outbox import send_pending
    from openflyers_account.models import utcnow

    app = create_app(config)
    with app.app_context():
        barrier.wait(timeout=120)
        return send_pending(utcnow()).sent


def login_attempts(config: dict, identifier: str, remote_addr: str, count: int) -> list[int]:
    """Wrong-password sign-ins from one worker process; returns the status codes."""
    import re

    from openflyers_account import create_app

    client = create_app(config).test_client()
    codes = []
    for _ in range(count):
        page = client.get("/login", environ_base={"REMOTE_ADDR": remote_addr}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"identifier": identifier, "password": "wrong password",
                                               "csrf_token": token}, environ_base={"REMOTE_ADDR": remote_addr})
        codes.append(response.status_code)
    return codes


def deliver_webhook_at(config: dict, path: str, body: bytes, headers: dict, barrier) -> tuple[int, str]:
    """Wait until every worker is ready, then post one provider notification; returns its status and outcome."""
    from openflyers_account import create_app

    client = create_app(config).test_client()
    barrier.wait(timeout=120)
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    return response.status_code, (response.get_json(silent=True) or {}).get("status", "")


def add_resources_at(config: dict, club_id: int, subscription_id: int, added: int, request_key: str, barrier) -> str:
    """Wait until every worker is ready, then add resources to the subscription as a staff member does (R6);
    returns the invoice number."""
    from openflyers_account import create_app
    from openflyers_account.subscriptions.operations import add_resources

    app = create_app(config)
    with app.app_context():
        barrier.wait(timeout=120)
        return add_resources(club_id, subscription_id, added, date.today(), f"staff-{request_key[:4]}",
                             request_key=request_key).number


def run_renewals_at(config: dict, day: date, barrier) -> dict:
    """Wait until every worker is ready, then run the renewal job for `day` as `flask renewals run` does; returns
    what it did."""
    from openflyers_account import create_app
    from openflyers_account.renewals.operations import run_renewals

    app = create_app(config)
    with app.app_context():
        if barrier is not None:
            barrier.wait(timeout=120)
        report = run_renewals(day, date.today())
        return {"done": report.total_done, "skipped": report.skipped, "failed": report.failed}
