"""The catalogue's prices: offers and chargeable services, which price list applies on a day, publishing a new one
(rules P1, P6, A6)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, g, has_request_context, request
from sqlalchemy import func, select

from .. import audit
from ..accounts.models import StaffUser
from ..domain import pricing
from ..extensions import db
from ..transactions import use_case
from .errors import PriceListInvalid, UnknownOffer
from .models import ChargeableService, Offer, OfferPrice, PriceList, ServicePrice


@dataclass(frozen=True)
class OfferInfo:
    """An offer as the forms and the pricing need it, detached from any session."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ServiceInfo:
    """A chargeable service (A6) as the catalogue shows it."""

    id: int
    code: str
    #: Its invoice label, in French.
    label: str


@dataclass(frozen=True)
class PriceListPrices:
    """One price list's figures: the offers' annual fees and the services' prices, excl. VAT (P1)."""

    valid_from: date
    offers: dict[str, pricing.OfferPrice]
    services: dict[str, Decimal]


@dataclass(frozen=True)
class CatalogueSnapshot:
    """The offers, services and every price list, read once and kept while no new price list is published (P1)."""

    #: The database engine it was read from, and the newest price list's id.
    key: tuple[object, int | None]
    offers: tuple[OfferInfo, ...]
    services: tuple[ServiceInfo, ...]
    #: The most recent first.
    price_lists: tuple[PriceListPrices, ...]

    def price_list_on(self, day: date) -> PriceListPrices:
        for price_list in self.price_lists:
            if price_list.valid_from <= day:
                return price_list
        raise LookupError(f"no price list applies on {day}")

    def prices_on(self, day: date) -> dict[str, pricing.OfferPrice]:
        return self.price_list_on(day).offers

    def next_after(self, day: date) -> PriceListPrices | None:
        """The first price list published to apply after `day`, if any (P6)."""
        later = [price_list for price_list in self.price_lists if price_list.valid_from > day]
        return later[-1] if later else None


_snapshot: CatalogueSnapshot | None = None
#: When this process last checked that `_snapshot` is still the catalogue (time.monotonic()).
_checked_at = float("-inf")
#: Where the session keeps the transaction in which the catalogue's version was last checked.
_CHECKED_IN = "catalogue_checked_in"


def snapshot() -> CatalogueSnapshot:
    """The catalogue as this process keeps it (P1).

    Price lists are append-only and offers never change at run time, so the newest price list's id is the
    catalogue's version. A page (a GET) trusts what the process holds for CATALOGUE_RECHECK_SECONDS before it asks
    the database for that version again: an estimate shows a price list published by another process within that
    delay. Anything that writes (the confirm step, staff forms, the scheduled jobs) checks the version first, so
    what is billed is always the catalogue in force.
    """
    global _snapshot, _checked_at
    # Within one request the catalogue is read once, however many forms and estimates ask for it.
    if has_request_context() and "catalogue" in g:
        return g.catalogue
    engine = db.engine
    session = db.session()
    held = _snapshot is not None and _snapshot.key[0] is engine
    # A page trusts the delay; a write checks once per transaction (a job pricing many renewals in one asks once).
    trusted = held and (
        (has_request_context() and request.method == "GET"
         and time.monotonic() - _checked_at < current_app.config["CATALOGUE_RECHECK_SECONDS"])
        or session.info.get(_CHECKED_IN, False) is session.get_transaction())
    if not trusted:
        key = (engine, session.scalar(select(func.max(PriceList.id))))
        if _snapshot is None or _snapshot.key != key:
            _snapshot = _read(key)
        _checked_at = time.monotonic()
        session.info[_CHECKED_IN] = session.get_transaction()
    if has_request_context():
        g.catalogue = _snapshot
    return _snapshot


def _read(key: tuple) -> CatalogueSnapshot:
    rows = db.session.scalars(select(Offer).order_by(Offer.position)).all()
    services = db.session.scalars(select(ChargeableService).order_by(ChargeableService.position)).all()
    lists = db.session.scalars(select(PriceList).order_by(PriceList.valid_from.desc())).all()
    return CatalogueSnapshot(
        key=key,
        offers=tuple(OfferInfo(offer.id, offer.code, offer.name) for offer in rows),
        services=tuple(ServiceInfo(service.id, service.code, service.label) for service in services),
        price_lists=tuple(
            PriceListPrices(
                price_list.valid_from,
                {price.offer.code: pricing.OfferPrice(price.offer.code, price.base_fee, price.per_resource_fee)
                 for price in price_list.prices},
                {price.service.code: price.unit_price for price in price_list.service_prices})
            for price_list in lists
        ),
    )


def forget() -> None:
    """Read the catalogue again at its next use: a price list was just published by this process."""
    global _snapshot
    _snapshot = None
    if has_request_context():
        g.pop("catalogue", None)


def offers() -> tuple[OfferInfo, ...]:
    return snapshot().offers


def services() -> tuple[ServiceInfo, ...]:
    return snapshot().services


def service_price(service_code: str, day: date) -> Decimal:
    """A chargeable service's price excl. VAT on `day` (P1, A6)."""
    return snapshot().price_list_on(day).services[service_code]


def price_list_on(day: date) -> PriceList:
    """The price list in force on `day`: the latest one that applies from that day or before."""
    price_list = db.session.scalar(
        select(PriceList).where(PriceList.valid_from <= day).order_by(PriceList.valid_from.desc()).limit(1)
    )
    if price_list is None:
        raise LookupError(f"no price list applies on {day}")
    return price_list


def offer_price(offer_code: str, day: date) -> pricing.OfferPrice:
    """An offer's annual prices on `day`, as the pure pricing code takes them (P1, P2)."""
    try:
        return snapshot().prices_on(day)[offer_code]
    except KeyError as error:
        raise UnknownOffer() from error


def price_lists() -> list[PriceList]:
    return list(db.session.scalars(select(PriceList).order_by(PriceList.valid_from.desc())))


@use_case
def publish_price_list(staff: StaffUser, valid_from: date, prices: dict[str, tuple[Decimal, Decimal]],
                       today: date, note: str = "", service_prices: dict[str, Decimal] | None = None) -> PriceList:
    """Publish the offers' and services' prices that apply from `valid_from`; invoices already issued and
    charges already recorded keep theirs (P1, A6). Services left out keep the price in force on `valid_from`."""
    if valid_from < today:
        raise PriceListInvalid(reason="past")
    if db.session.scalar(select(PriceList).where(PriceList.valid_from == valid_from)):
        raise PriceListInvalid(reason="taken")
    known = {offer.code: offer for offer in db.session.scalars(select(Offer))}
    if set(prices) != set(known):
        raise PriceListInvalid(reason="offers")
    services = {service.code: service for service in db.session.scalars(select(ChargeableService))}
    # The list in force on that day, not today's: a change already scheduled before it must not be undone.
    service_prices = {**_service_prices_in_force(valid_from), **(service_prices or {})}
    if set(service_prices) != set(services):
        raise PriceListInvalid(reason="offers")
    price_list = PriceList(valid_from=valid_from, published_by=staff.email, note=note)
    for code, (base_fee, per_resource_fee) in prices.items():
        # The pure code checks the figures: Decimal, whole cents, not negative.
        checked = pricing.OfferPrice(code, base_fee, per_resource_fee)
        price_list.prices.append(OfferPrice(offer=known[code], base_fee=checked.base_fee,
                                            per_resource_fee=checked.per_resource_fee))
    for code, unit_price in service_prices.items():
        checked = pricing.ExtraCharge(code, services[code].label, 1, unit_price)
        price_list.service_prices.append(ServicePrice(service=services[code], unit_price=checked.unit_price))
    db.session.add(price_list)
    forget()
    audit.record(staff, "catalogue.published", valid_from=valid_from.isoformat(),
                 prices={code: [str(b), str(r)] for code, (b, r) in prices.items()},
                 services={code: str(price) for code, price in service_prices.items()})
    return price_list


def _service_prices_in_force(day: date) -> dict[str, Decimal]:
    try:
        return dict(snapshot().price_list_on(day).services)
    except LookupError:
        return {}
