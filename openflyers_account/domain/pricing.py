"""Price of a renewal or of added resources, line by line, with its VAT (rules P2, P3, P4, P5, R6)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from stdnum.eu import vat as eu_vat

from openflyers_account.domain.money import (
    ZERO,
    is_whole_cents,
    percent_of,
    require_decimal,
    round_cents,
)
from openflyers_account.domain.periods import prorate

#: P5: the largest number of resources a club can order.
MAX_RESOURCES = 999

#: France's standard VAT rate, in percent (P3).
FRENCH_VAT_RATE = Decimal("20")

#: The 27 EU member states (ISO 3166-1 alpha-2) and the prefix of their intra-EU VAT numbers.
#: Greece is GR in ISO 3166 but EL in VAT numbers.
EU_VAT_PREFIXES: dict[str, str] = {
    "AT": "AT", "BE": "BE", "BG": "BG", "CY": "CY", "CZ": "CZ", "DE": "DE", "DK": "DK",
    "EE": "EE", "ES": "ES", "FI": "FI", "FR": "FR", "GR": "EL", "HR": "HR", "HU": "HU",
    "IE": "IE", "IT": "IT", "LT": "LT", "LU": "LU", "LV": "LV", "MT": "MT", "NL": "NL",
    "PL": "PL", "PT": "PT", "RO": "RO", "SE": "SE", "SI": "SI", "SK": "SK",
}  # fmt: skip

#: Monaco belongs to the French VAT territory (Franco-Monegasque tax treaty of 1963).
FRENCH_VAT_COUNTRIES = frozenset({"FR", "MC"})


class Term(enum.IntEnum):
    """Length of a renewal in years, with its discount (P2)."""

    ONE_YEAR = 1
    THREE_YEARS = 3
    FIVE_YEARS = 5

    @property
    def years(self) -> int:
        """Number of years the term covers (P2)."""
        return int(self)

    @property
    def discount_percent(self) -> Decimal:
        """Discount for committing to this term, in percent (P2)."""
        return _TERM_DISCOUNTS[self]


_TERM_DISCOUNTS = {Term.ONE_YEAR: Decimal("0"), Term.THREE_YEARS: Decimal("10"), Term.FIVE_YEARS: Decimal("15")}


class ResourcesOutOfRange(ValueError):
    """Resources outside 0..999, or not a whole number (P5)."""

    def __init__(self, requested: object, minimum: int = 0, maximum: int = MAX_RESOURCES) -> None:
        super().__init__(f"resources must be a whole number from {minimum} to {maximum}, not {requested!r}")
        self.requested = requested
        self.minimum = minimum
        self.maximum = maximum


class BelowResourceFloor(ValueError):
    """Fewer resources than the platform has activated (P4)."""

    def __init__(self, floor: int, requested: int) -> None:
        super().__init__(f"{requested} resources is below the {floor} activated on the platform")
        self.floor = floor
        self.requested = requested


def renewal_floor(activated_resources: int) -> int:
    """Fewest resources a renewal may order: those activated on the platform (P4)."""
    if isinstance(activated_resources, bool) or not isinstance(activated_resources, int):
        raise TypeError(f"activated_resources must be an int, not {type(activated_resources).__name__}")
    if activated_resources < 0:
        raise ValueError(f"activated_resources cannot be negative: {activated_resources}")
    return activated_resources


def check_resources(requested: int, activated: int) -> None:
    """Refuse a resource count below the floor or outside 0..999 (P4, P5)."""
    floor = renewal_floor(activated)
    if isinstance(requested, bool) or not isinstance(requested, int):
        raise ResourcesOutOfRange(requested, floor)
    if not 0 <= requested <= MAX_RESOURCES:
        raise ResourcesOutOfRange(requested, floor)
    if requested < floor:
        raise BelowResourceFloor(floor=floor, requested=requested)


def _require_price(value: object, name: str) -> Decimal:
    """A catalogue price: a non-negative Decimal in whole cents, so quantity x unit price is exact (P3)."""
    amount = require_decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name} cannot be negative: {amount}")
    if not is_whole_cents(amount):
        raise ValueError(f"{name} must be in whole cents: {amount}")
    return round_cents(amount)


def _require_percent(value: object, name: str) -> Decimal:
    percent = require_decimal(value, name)
    if not 0 <= percent <= 100:
        raise ValueError(f"{name} must be between 0 and 100: {percent}")
    return percent


@dataclass(frozen=True)
class OfferPrice:
    """An offer's annual prices excluding VAT, as of the invoice date (P1)."""

    offer_code: str
    base_fee: Decimal
    per_resource_fee: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_fee", _require_price(self.base_fee, "base_fee"))
        object.__setattr__(self, "per_resource_fee", _require_price(self.per_resource_fee, "per_resource_fee"))


@dataclass(frozen=True)
class ExtraCharge:
    """A pending charge billed on the next invoice, never discounted (A6)."""

    code: str
    label: str
    quantity: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError(f"quantity must be an int, not {type(self.quantity).__name__}")
        if self.quantity < 1:
            raise ValueError(f"quantity must be at least 1: {self.quantity}")
        object.__setattr__(self, "unit_price", _require_price(self.unit_price, "unit_price"))


class LineKind(enum.StrEnum):
    """What an invoice line bills; the web layer turns it into a label in the user's language."""

    #: The offer's base fee: quantity = years, unit price = annual base fee.
    BASE_FEE = "base_fee"
    #: Resources: quantity = resources, unit price = annual fee per resource x years.
    RESOURCES = "resources"
    #: Discount for a 3- or 5-year term, on base fee + resources.
    TERM_DISCOUNT = "term_discount"
    #: The club's negotiated discount, on the subtotal after the term discount.
    CLUB_DISCOUNT = "club_discount"
    #: A pending charge (A6), copied as is.
    EXTRA_CHARGE = "extra_charge"
    #: Resources added to a running period: quantity = resources added, unit price = the fee for the
    #: whole term prorated to the days left (R6).
    ADDED_RESOURCES = "added_resources"


class VatMention(enum.StrEnum):
    """Which VAT mention the invoice must print (P3)."""

    #: French VAT charged: no mention needed.
    NONE = "none"
    #: EU business customer with a valid VAT number: "Autoliquidation" (art. 196 of directive 2006/112/EC).
    REVERSE_CHARGE = "reverse_charge"
    #: Customer outside the EU: French VAT not applicable (art. 259-1 of the CGI).
    OUTSIDE_EU = "outside_eu"


@dataclass(frozen=True)
class VatTreatment:
    """VAT rate (percent) and mention that apply to a customer (P3)."""

    rate: Decimal
    mention: VatMention

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", _require_percent(self.rate, "rate"))
        object.__setattr__(self, "mention", VatMention(self.mention))


def vat_treatment(country_code: str, vat_number: str | None) -> VatTreatment:
    """VAT for a customer from their country and intra-EU VAT number (P3)."""
    country = country_code.strip()
    # Check ASCII before upper(): "ı".upper() is "I", which would turn "Fı" into Finland.
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ValueError(f"country_code must be an ISO 3166-1 alpha-2 code: {country_code!r}")
    country = country.upper()
    if country in FRENCH_VAT_COUNTRIES:
        return VatTreatment(FRENCH_VAT_RATE, VatMention.NONE)
    if country not in EU_VAT_PREFIXES:
        return VatTreatment(Decimal("0"), VatMention.OUTSIDE_EU)
    if vat_number and _is_valid_vat_number(vat_number, EU_VAT_PREFIXES[country]):
        return VatTreatment(Decimal("0"), VatMention.REVERSE_CHARGE)
    # An EU customer without a usable VAT number is treated as a consumer: French VAT applies.
    return VatTreatment(FRENCH_VAT_RATE, VatMention.NONE)


def _is_valid_vat_number(vat_number: str, prefix: str) -> bool:
    # Format and check digits only (no VIES call); the number must belong to the customer's country.
    try:
        compact = eu_vat.compact(vat_number)
    except ValueError:  # stdnum's ValidationError is a ValueError
        return False
    return compact.startswith(prefix) and eu_vat.is_valid(compact)


@dataclass(frozen=True)
class QuoteLine:
    """One invoice line excluding VAT; quantity x unit_price == amount exactly (P2, P3)."""

    kind: LineKind
    quantity: int | Decimal
    unit_price: Decimal
    #: Rounded to the cent; negative for discounts.
    amount: Decimal
    #: Percent, e.g. Decimal("20").
    vat_rate: Decimal
    #: Term length, for BASE_FEE, RESOURCES and TERM_DISCOUNT labels.
    years: int | None = None
    #: Resource count, for the RESOURCES label.
    resources: int | None = None
    #: Discount percent, for TERM_DISCOUNT and CLUB_DISCOUNT labels.
    percent: Decimal | None = None
    #: Offer code (BASE_FEE) or catalogue item code (EXTRA_CHARGE).
    code: str | None = None
    #: Label of an EXTRA_CHARGE, as given by the catalogue.
    label: str | None = None
    #: The days an ADDED_RESOURCES line is billed for, out of its period's (R6).
    proration: "Proration | None" = None


class VatSubtotal(NamedTuple):
    """VAT for one rate, computed on the total excluding VAT at that rate (P3)."""

    rate: Decimal
    base: Decimal
    vat_amount: Decimal


@dataclass(frozen=True)
class Quote:
    """A priced renewal: lines, totals and VAT, ready to be shown or issued (P2, P3)."""

    lines: tuple[QuoteLine, ...]
    total_excl_vat: Decimal
    vat_by_rate: tuple[VatSubtotal, ...]
    total_vat: Decimal
    total_incl_vat: Decimal
    vat: VatTreatment


def quote(
    offer: OfferPrice,
    resources: int,
    term: Term,
    club_discount_percent: Decimal,
    vat: VatTreatment,
    extra_charges: Sequence[ExtraCharge] = (),
) -> Quote:
    """Price of one renewal, line by line, with VAT per rate (rules P2, P3, P5)."""
    if isinstance(resources, bool) or not isinstance(resources, int) or not 0 <= resources <= MAX_RESOURCES:
        raise ResourcesOutOfRange(resources)
    if isinstance(term, bool) or not isinstance(term, int):
        raise TypeError(f"term must be a Term, not {type(term).__name__}")
    term = Term(term)
    club_percent = _require_percent(club_discount_percent, "club_discount_percent")
    years = term.years
    rate = vat.rate

    base_line = QuoteLine(
        LineKind.BASE_FEE, years, offer.base_fee, offer.base_fee * years, rate, years=years, code=offer.offer_code
    )
    lines = [base_line]
    # One line per resource count rather than per resource-year, so the invoice reads
    # "4 resources x 37.50 (3 years)"; a club with no resources gets no empty line.
    if resources:
        unit = offer.per_resource_fee * years
        lines.append(
            QuoteLine(LineKind.RESOURCES, resources, unit, unit * resources, rate, years=years, resources=resources)
        )
    # P2: term discount first, then the club discount on what remains; each rounded on its own line.
    lines = list(_with_discounts(lines, term, club_percent, rate))
    for charge in extra_charges:
        lines.append(
            QuoteLine(
                LineKind.EXTRA_CHARGE,
                charge.quantity,
                charge.unit_price,
                charge.unit_price * charge.quantity,
                rate,
                code=charge.code,
                label=charge.label,
            )
        )
    return _totals(tuple(lines), vat)


@dataclass(frozen=True)
class Proration:
    """The days left in a period from `start` to its `end`, both included, out of the period's days (R6)."""

    start: date
    end: date
    days: int
    period_days: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"proration ends ({self.end}) before it starts ({self.start})")
        if self.days != (self.end - self.start).days + 1:
            raise ValueError(f"{self.start} to {self.end} is not {self.days} days")
        if not 1 <= self.days <= self.period_days:
            raise ValueError(f"{self.days} days left of a period of {self.period_days}")


def quote_added_resources(
    offer: OfferPrice,
    added: int,
    term: Term,
    club_discount_percent: Decimal,
    vat: VatTreatment,
    proration: Proration,
) -> Quote:
    """Price of resources added to a running period (rule R6, P2, P3).

    Each added resource costs the per-resource fee for the period's whole term (years x annual fee),
    prorated to the days left, rounded half-up to the cent; then the period's term discount and the
    club discount, as on a renewal.
    """
    if isinstance(added, bool) or not isinstance(added, int) or not 1 <= added <= MAX_RESOURCES:
        raise ResourcesOutOfRange(added, 1)
    term = Term(term)
    club_percent = _require_percent(club_discount_percent, "club_discount_percent")
    rate = vat.rate
    unit = prorate(offer.per_resource_fee * term.years, proration.days, proration.period_days)
    lines = [QuoteLine(LineKind.ADDED_RESOURCES, added, unit, unit * added, rate, years=term.years, resources=added,
                       proration=proration)]
    return _totals(_with_discounts(lines, term, club_percent, rate), vat)


def _with_discounts(lines: list[QuoteLine], term: Term, club_percent: Decimal, rate: Decimal) -> tuple[QuoteLine, ...]:
    """The lines followed by the term discount, then the club discount on what remains (P2), each rounded."""
    subtotal = sum((line.amount for line in lines), ZERO)
    term_discount = percent_of(subtotal, term.discount_percent)
    discounts = []
    if term_discount:
        discounts.append(_discount_line(LineKind.TERM_DISCOUNT, term_discount, rate, term.discount_percent, term.years))
    club_discount = percent_of(subtotal - term_discount, club_percent)
    if club_discount:
        discounts.append(_discount_line(LineKind.CLUB_DISCOUNT, club_discount, rate, club_percent, None))
    return (*lines, *discounts)


def _discount_line(kind: LineKind, discount: Decimal, rate: Decimal, percent: Decimal, years: int | None) -> QuoteLine:
    return QuoteLine(kind, 1, -discount, -discount, rate, years=years, percent=percent)


def _totals(lines: tuple[QuoteLine, ...], vat: VatTreatment) -> Quote:
    # P3: VAT is rounded once per rate on that rate's total, not line by line.
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, ZERO) + line.amount
    vat_by_rate = tuple(
        VatSubtotal(rate, base, percent_of(base, rate)) for rate, base in sorted(bases.items())
    )
    total_excl_vat = sum((line.amount for line in lines), ZERO)
    total_vat = sum((subtotal.vat_amount for subtotal in vat_by_rate), ZERO)
    return Quote(
        lines=lines,
        total_excl_vat=total_excl_vat,
        vat_by_rate=vat_by_rate,
        total_vat=total_vat,
        total_incl_vat=total_excl_vat + total_vat,
        vat=vat,
    )
