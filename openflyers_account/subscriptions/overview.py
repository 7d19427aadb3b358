"""What the club's dashboard shows, read in one place: each subscription, the resources, the charges."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..accounts.facts import ClubFacts
from ..accounts.models import Club
from ..accounts.operations import pending_charges
from ..billing.models import PendingCharge
from . import queries
from .queries import SubscriptionView


@dataclass(frozen=True)
class ClubOverview:
    """The club's standing on a given day (R1, R2, R4, R9, P4, A6)."""

    club: Club
    today: date
    subscriptions: list[SubscriptionView]
    pending_charges: list[PendingCharge]

    @property
    def subscribed_resources(self) -> int:
        """Resources of every subscription running today, added ones included (R6, R9)."""
        return sum(shown.running_resources for shown in self.subscriptions)

    @property
    def resources_over_subscription(self) -> int:
        """Resources activated beyond what the running subscriptions cover (the floor of the next renewal)."""
        return max(0, self.club.activated_resources - self.subscribed_resources)

    @property
    def pending_total(self) -> Decimal:
        return sum((c.unit_price * c.quantity for c in self.pending_charges), Decimal("0"))


def club_overview(club: Club, today: date, known: ClubFacts | None = None) -> ClubOverview:
    """The dashboard's facts for `club` on `today`; what is `known` absent already is not looked for."""
    to_pay = known is None or known.period_to_pay
    return ClubOverview(club=club, today=today,
                        subscriptions=[queries.view(s, today, to_pay) for s in queries.club_subscriptions(club)],
                        pending_charges=pending_charges(club) if known is None or known.charges_waiting else [])
