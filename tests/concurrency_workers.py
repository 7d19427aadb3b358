"""Code run in separate processes by the concurrency tests: each process is its own app, like a worker."""
from __future__ import annotations

from datetime import date


def issue_renewal_at(config: dict, club_id: int, barrier) -> str:
    """Wait until every worker is ready, then issue a renewal for the club; returns the invoice number."""
    from openflyers_account import create_app
    from openflyers_account.billing.operations import issue_renewal
    from openflyers_account.billing.renewal import RenewalOrder
    from openflyers_account.domain.pricing import Term

    app = create_app(config)
    with app.app_context():
        order = RenewalOrder(offer_code="business", resources=1, term=Term.ONE_YEAR)
        barrier.wait(timeout=120)
        return issue_renewal(club_id, order, date.today()).number
