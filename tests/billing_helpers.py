"""Helpers for renewal tests: go through the review page and confirm, as a treasurer does."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import Subscription, SubscriptionPeriod, utcnow


def review(client, offer="business", resources=4, term=1, po_reference=""):
    return client.get("/renewal/review", query_string={"offer": offer, "resources": resources, "term": term,
                                                       "po_reference": po_reference})


def hidden_fields(html: str) -> dict:
    fields = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"',
                                                      html)} | {
        name: value for value, name in re.findall(r'<input[^>]*type="hidden"[^>]*value="([^"]*)"[^>]*name="([^"]+)"',
                                                  html)}
    return {name: html_lib.unescape(value) for name, value in fields.items()}


def confirm_form(client, **choice) -> dict:
    """The confirmation form of the review page, terms accepted."""
    page = review(client, **choice)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    fields = hidden_fields(page.get_data(as_text=True))
    return {**fields, "accept_terms": "y"}


def renew(client, **choice):
    """Review then confirm; returns the confirm response."""
    return client.post("/renewal/confirm", data=confirm_form(client, **choice))


def subscription_of(club, po_reference: str = "") -> Subscription:
    """The club's subscription with this PO reference, made on first use (periods from before this site)."""
    subscription = db.session.scalar(select(Subscription).where(Subscription.club_id == club.id,
                                                                Subscription.po_reference == po_reference))
    if subscription is None:
        subscription = Subscription(club_id=club.id, offer_id=club.offer_id, term_years=1, po_reference=po_reference)
        db.session.add(subscription)
        db.session.flush()
    return subscription


def add_paid_period(club, days_to_end: int, resources: int = 3, paid: bool = True, po_reference: str = "",
                    days: int = 365) -> SubscriptionPeriod:
    """A period of the club's subscription, paid before this site (no invoice), ending `days_to_end` from today."""
    end = date.today() + timedelta(days=days_to_end)
    period = SubscriptionPeriod(subscription_id=subscription_of(club, po_reference).id, offer_id=club.offer_id,
                                start_date=end - timedelta(days=days - 1), end_date=end, term_years=1,
                                resources=resources, activated_at=utcnow() if paid else None)
    db.session.add(period)
    db.session.commit()
    return period


def add_resources(client, base: str, added: int, accept: bool = True):
    """Add resources through `base` (`/subscriptions/1` or the staff's), review then confirm; the confirm response."""
    page = client.get(f"{base}/resources/review", query_string={"added": added})
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    data = hidden_fields(page.get_data(as_text=True))
    if accept:
        data["accept_terms"] = "y"
    return client.post(f"{base}/resources/confirm", data=data)


def start_subscription(client, subdomain: str, start: date, offer: str = "business", resources: int = 1, term: int = 1,
                       po_reference: str = "", door: str = "/staff"):
    """Staff (or a partner, door="/partner") start a subscription for the club: review then confirm; the confirm
    response."""
    base = f"{door}/clients/{subdomain}/subscriptions/new"
    page = client.get(f"{base}/review", query_string={"start": start.isoformat(), "offer": offer,
                                                      "resources": resources, "term": term,
                                                      "po_reference": po_reference})
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    return client.post(f"{base}/confirm", data={**hidden_fields(page.get_data(as_text=True)), "accept_terms": "y"})


def form_fields(html: str, action: str) -> dict:
    """The hidden fields (CSRF token, one-time key) of the page's form posting to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert form, f"no form to {action}"
    return hidden_fields(form.group(0))
