"""The front doors to a club's subscriptions: the club itself, staff, and partners.

A door says who acts (for the services and the audit log) and where its pages are; the pages, the
forms and the services are the same behind every door (R3, B2).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from ..accounts.models import Club
from ..audit import Actor


@dataclass(frozen=True)
class Door:
    """One way into a club's subscriptions."""

    #: club, staff or partner.
    name: str
    club: Club
    actor: Actor
    #: The blueprint whose endpoints serve this door's subscription pages.
    blueprint: str
    #: The page layout of this door.
    base_template: str
    #: The endpoint showing one invoice to this door.
    invoice_endpoint: str

    @property
    def is_club(self) -> bool:
        return self.name == "club"

    @property
    def may_accept_late_notice(self) -> bool:
        """Only staff accept a notice given after the deadline (R7)."""
        return self.name == "staff"

    @property
    def may_start(self) -> bool:
        """Staff and partners start subscriptions on a chosen date (R10)."""
        return self.name != "club"

    def url(self, action: str, **values) -> str:
        """The URL of one of this door's subscription pages, e.g. url("detail", subscription_id=3)."""
        if self.is_club:
            return url_for(f"{self.blueprint}.{action}", **values)
        return url_for(f"{self.blueprint}.subscription_{action}", subdomain=self.club.subdomain, **values)

    def invoice_url(self, number: str) -> str:
        return url_for(self.invoice_endpoint, number=number)

    def home_url(self) -> str:
        """Where this door lists the club's subscriptions."""
        if self.is_club:
            return url_for(f"{self.blueprint}.subscriptions")
        return url_for(f"{self.blueprint}.client", subdomain=self.club.subdomain)
