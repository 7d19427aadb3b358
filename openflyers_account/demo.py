"""Demo data for `make run`: invented clubs and staff accounts, loaded idempotently."""
from __future__ import annotations

import os
from datetime import date, timedelta

from sqlalchemy import select

from .accounts import operations
from .extensions import db
from .models import Club, StaffRole, StaffUser, SubscriptionPeriod, utcnow
from .transactions import use_case

DEMO_PASSWORD = "demo-password"

#: Invented clubs (demo data): subdomain, name, offer, activated resources, days to the end of the period.
DEMO_CLUBS = [
    ("mermoz", "Aéroclub Jean Mermoz (démo)", "business", 4, 60,
     {"address": "Aérodrome de Toussus-le-Noble", "postcode": "78117", "city": "Toussus-le-Noble",
      "siren": "123456782", "vat_number": "FR40123456782"}, "tresorier@mermoz.example"),
    ("guillaumet", "Aéroclub Henri Guillaumet (démo)", "first-price", 2, 200,
     {"address": "Aérodrome de Montargis", "postcode": "45200", "city": "Amilly", "siren": "732829320"},
     "tresorier@guillaumet.example"),
    ("latecoere", "Cercle aérien Latécoère (démo)", "premiere", 7, -20,
     {"address": "Aéroport de Toulouse-Lasbordes", "postcode": "31130", "city": "Balma", "siren": "552100554"},
     ""),
]
DEMO_STAFF = [("admin@openflyers.example", StaffRole.ADMIN), ("staff@openflyers.example", StaffRole.STAFF)]


@use_case
def _add_period(club: Club, days_to_end: int, today: date) -> None:
    end = today + timedelta(days=days_to_end)
    start = end - timedelta(days=364)
    db.session.add(SubscriptionPeriod(club_id=club.id, offer_id=club.offer_id, start_date=start, end_date=end,
                                      resources=club.activated_resources, activated_at=utcnow()))


def load_demo_data(today: date | None = None) -> list[str]:
    """Create what is missing of the demo data; returns the logins to print."""
    today = today or date.today()
    for subdomain, name, offer, resources, days_to_end, record, contact in DEMO_CLUBS:
        if operations.find_club(subdomain) is None:
            club = operations.add_club(subdomain, name, f"contact@{subdomain}.example", offer, resources,
                                       contact_email=contact, password=DEMO_PASSWORD, actor="demo", **record)
            _add_period(club, days_to_end, today)
    for email, role in DEMO_STAFF:
        if db.session.scalar(select(StaffUser).where(StaffUser.email == email)) is None:
            operations.add_staff(email, role, DEMO_PASSWORD, actor="demo")
    site = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    lines = ["Demo logins (password for all: %s)" % DEMO_PASSWORD]
    lines += [f"  club   {site}/login        {c[0]}" for c in DEMO_CLUBS]
    lines += [f"  staff  {site}/staff/login  {email} ({role})" for email, role in DEMO_STAFF]
    return lines
