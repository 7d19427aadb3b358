"""Invoice and estimate lines in words: what each priced line bills (P2, R6, A6)."""
from __future__ import annotations

from decimal import Decimal

from ..domain import pricing
from ..i18n import day, decimal, gettext as _, ngettext


def line_description(line: pricing.QuoteLine, offer_name: str, partner: bool = False) -> str:
    """A quote line in the current language; invoices are issued with French as the language."""
    if line.kind is pricing.LineKind.BASE_FEE:
        return _("%(offer)s subscription, annual base fee", offer=offer_name)
    if line.kind is pricing.LineKind.RESOURCES:
        return ngettext("Resources (aircraft, simulators), annual fee for %(num)d year",
                        "Resources (aircraft, simulators), annual fee for %(num)d years", line.years)
    if line.kind is pricing.LineKind.ADDED_RESOURCES and line.proration is not None:
        days = line.proration
        return _("%(offer)s, resources added (aircraft, simulators) from %(start)s to %(end)s, %(days)d days out "
                 "of %(period_days)d", offer=offer_name, start=day(days.start, "long"),
                 end=day(days.end, "long"), days=days.days, period_days=days.period_days)
    if line.kind is pricing.LineKind.TERM_DISCOUNT:
        return _("%(years)d-year term discount (%(percent)s %%)", years=line.years, percent=_percent(line.percent))
    if line.kind is pricing.LineKind.CLUB_DISCOUNT:
        if partner:
            # B1: the partner's discount takes the club discount's place on what the partner buys.
            return _("Partner discount (%(percent)s %%)", percent=_percent(line.percent))
        return _("Club discount (%(percent)s %%)", percent=_percent(line.percent))
    return line.label or ""


def _percent(value: Decimal | None) -> str:
    return decimal(value) if value is not None else ""
