"""The front doors to a club's subscriptions: the club itself, staff, and partners.

A door says who acts (for the services and the audit log) and where its pages are; the pages, the
forms and the services are the same behind every door (R3, B2).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from ..accounts.models import Club
from ..audit import Actor
from ..billing.models import Invoice
from .purchase import Payer


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
    #: Who pays what is bought through this door: the club (None) or the partner buying for it (B3).
    payer: Payer | None = None
    #: The partner managing the club, shown to the club (B3); the door that opens it knows it.
    manager: object | None = None

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

    def shows(self, invoice: Invoice) -> bool:
        """The club sees its own invoices, a partner those billed to it, staff all of them (B3)."""
        if self.name == "club":
            return invoice.partner_id is None
        if self.name == "partner":
            return invoice.partner_id == self.actor.id
        return True

    def home_url(self) -> str:
        """Where this door lists the club's subscriptions."""
        if self.is_club:
            return url_for(f"{self.blueprint}.subscriptions")
        return url_for(f"{self.blueprint}.client", subdomain=self.club.subdomain)
