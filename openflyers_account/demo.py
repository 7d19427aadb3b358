"""Demo data for `make run`: invented clubs, their subscriptions and staff accounts, loaded idempotently."""
from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from .accounts import operations
from .accounts.models import Club, StaffRole, StaffUser
from .billing.models import Offer
from .extensions import db
from .partners import operations as partner_operations, queries as partner_queries
from .storage import utcnow
from .subscriptions.models import Subscription, SubscriptionPeriod
from .transactions import use_case

DEMO_PASSWORD = "demo-password"

#: Invented clubs (demo data): subdomain, name, offer, activated resources, record, contact address.
DEMO_CLUBS = [
    ("mermoz", "Aéroclub Jean Mermoz (démo)", "business", 4,
     {"address": "Aérodrome de Toussus-le-Noble", "postcode": "78117", "city": "Toussus-le-Noble",
      "siren": "123456782", "vat_number": "FR40123456782"}, "tresorier@mermoz.example"),
    ("guillaumet", "Aéroclub Henri Guillaumet (démo)", "first-price", 2,
     {"address": "Aérodrome de Montargis", "postcode": "45200", "city": "Amilly", "siren": "732829320"},
     "tresorier@guillaumet.example"),
    ("latecoere", "Cercle aérien Latécoère (démo)", "premiere", 7,
     {"address": "Aéroport de Toulouse-Lasbordes", "postcode": "31130", "city": "Balma", "siren": "552100554"},
     ""),
]

#: Their subscriptions, paid for before this site: subdomain, offer, resources, days to the end date, PO
#: reference, under notice. Mermoz has a second one, for its simulator centre, under notice (R7, R9).
DEMO_SUBSCRIPTIONS = [
    ("mermoz", "business", 4, 60, "", False),
    ("mermoz", "first-price", 1, 200, "Centre simulateur", True),
    ("guillaumet", "first-price", 2, 200, "", False),
    ("latecoere", "premiere", 7, -20, "", False),
]
DEMO_STAFF = [("admin@openflyers.example", StaffRole.ADMIN), ("staff@openflyers.example", StaffRole.STAFF)]

#: An invented partner (demo data): e-mail, name, discount and its reason, the clubs it manages (B1).
DEMO_PARTNER = ("partenaire@federation.example", "Fédération aéronautique régionale (démo)", Decimal("10"),
                "Accord fédéral (démo)", ("guillaumet", "latecoere"))


@use_case
def _add_subscriptions(club: Club, today: date) -> None:
    offers = {offer.code: offer.id for offer in db.session.scalars(select(Offer))}
    for subdomain, offer, resources, days_to_end, po_reference, under_notice in DEMO_SUBSCRIPTIONS:
        if subdomain != club.subdomain:
            continue
        subscription = Subscription(club_id=club.id, offer_id=offers[offer], term_years=1, po_reference=po_reference,
                                    notice_given_on=today if under_notice else None,
                                    notice_given_by="demo" if under_notice else "")
        db.session.add(subscription)
        db.session.flush()
        end = today + timedelta(days=days_to_end)
        db.session.add(SubscriptionPeriod(subscription_id=subscription.id, offer_id=offers[offer],
                                          start_date=end - timedelta(days=364), end_date=end, term_years=1,
                                          resources=resources, activated_at=utcnow()))


def load_demo_data(today: date | None = None) -> list[str]:
    """Create what is missing of the demo data; returns the logins to print."""
    today = today or date.today()
    for subdomain, name, offer, resources, record, contact in DEMO_CLUBS:
        if operations.find_club(subdomain) is None:
            club = operations.add_club(subdomain, name, f"contact@{subdomain}.example", offer, resources,
                                       contact_email=contact, password=DEMO_PASSWORD, actor="demo", **record)
            _add_subscriptions(club, today)
    for email, role in DEMO_STAFF:
        if db.session.scalar(select(StaffUser).where(StaffUser.email == email)) is None:
            operations.add_staff(email, role, DEMO_PASSWORD, actor="demo")
    email, name, discount, reason, clubs = DEMO_PARTNER
    if partner_queries.partner_by_email(email) is None:
        partner = partner_operations.add_partner(email, name, "demo", discount, reason, password=DEMO_PASSWORD)
        for subdomain in clubs:
            partner_operations.link_club(partner.id, subdomain, "demo")
    site = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    lines = ["Demo logins (password for all: %s)" % DEMO_PASSWORD]
    lines += [f"  club   {site}/login        {c[0]}" for c in DEMO_CLUBS]
    lines += [f"  staff  {site}/staff/login  {email} ({role})" for email, role in DEMO_STAFF]
    lines += [f"  partner {site}/partner/login  {DEMO_PARTNER[0]} (manages {', '.join(DEMO_PARTNER[4])})"]
    return lines
