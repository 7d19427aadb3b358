"""What the club's dashboard shows, read from the database in one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..domain.periods import Period, SubscriptionStatus, renewal_opens_on, subscription_status
from ..billing.renewal import open_renewal_invoice
from ..payments.operations import position
from ..models import Club, Invoice, PendingCharge, SubscriptionPeriod
from .operations import pending_charges


@dataclass(frozen=True)
class ClubOverview:
    """The club's standing on a given day (R1, R2, R4, P4, A6)."""

    club: Club
    today: date
    #: The paid period covering today, else the last paid one.
    current: SubscriptionPeriod | None
    #: A paid period after the current one: the club has already renewed.
    renewed: SubscriptionPeriod | None
    status: SubscriptionStatus
    renewal_opens_on: date | None
    pending_charges: list[PendingCharge]
    #: The unpaid renewal invoice, if the club has issued one (R2).
    renewal_invoice: Invoice | None
    #: What is still owed on it, after its payments (M4, R4).
    renewal_left_to_pay: Decimal | None

    @property
    def subscribed_resources(self) -> int:
        return self.current.resources if self.current else 0

    @property
    def resources_over_subscription(self) -> int:
        """Resources activated beyond what the current period covers (the floor of the next renewal)."""
        return max(0, self.club.activated_resources - self.subscribed_resources)

    @property
    def pending_total(self) -> Decimal:
        return sum((c.unit_price * c.quantity for c in self.pending_charges), Decimal("0"))


def club_overview(club: Club, today: date) -> ClubOverview:
    """The dashboard's facts for `club` on `today`."""
    paid = [p for p in club.periods if p.activated_at is not None]
    covering = [p for p in paid if p.start_date <= today <= p.end_date]
    past = [p for p in paid if p.end_date < today]
    current = covering[-1] if covering else (past[-1] if past else None)
    renewed = next((p for p in paid if current is not None and p.start_date > current.end_date), None)
    period = Period(current.start_date, current.end_date) if current else None
    status = subscription_status(period, today)
    renewal_invoice = open_renewal_invoice(club)
    if renewed is not None and status is SubscriptionStatus.RENEWAL_OPEN:
        status = SubscriptionStatus.ACTIVE
    return ClubOverview(
        club=club,
        today=today,
        current=current,
        renewed=renewed,
        status=status,
        renewal_opens_on=renewal_opens_on(current.end_date) if current else None,
        pending_charges=pending_charges(club),
        renewal_invoice=renewal_invoice,
        renewal_left_to_pay=position(renewal_invoice).settlement.balance_due if renewal_invoice else None,
    )
