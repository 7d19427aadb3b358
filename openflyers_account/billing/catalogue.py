"""The catalogue's prices: which price list applies on a day, and publishing a new one (rule P1)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from .. import audit
from ..domain import pricing
from ..extensions import db
from ..models import Offer, OfferPrice, PriceList, StaffUser
from ..transactions import use_case
from .errors import PriceListInvalid, UnknownOffer


def offers() -> list[Offer]:
    return list(db.session.scalars(select(Offer).order_by(Offer.position)))


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
    for price in price_list_on(day).prices:
        if price.offer.code == offer_code:
            return pricing.OfferPrice(offer_code, price.base_fee, price.per_resource_fee)
    raise UnknownOffer()


def price_lists() -> list[PriceList]:
    return list(db.session.scalars(select(PriceList).order_by(PriceList.valid_from.desc())))


@use_case
def publish_price_list(staff: StaffUser, valid_from: date, prices: dict[str, tuple[Decimal, Decimal]],
                       today: date, note: str = "") -> PriceList:
    """Publish the prices that apply from `valid_from`; invoices already issued keep theirs (P1)."""
    if valid_from < today:
        raise PriceListInvalid(reason="past")
    if db.session.scalar(select(PriceList).where(PriceList.valid_from == valid_from)):
        raise PriceListInvalid(reason="taken")
    known = {offer.code: offer for offer in offers()}
    if set(prices) != set(known):
        raise PriceListInvalid(reason="offers")
    price_list = PriceList(valid_from=valid_from, published_by=staff.email, note=note)
    for code, (base_fee, per_resource_fee) in prices.items():
        # The pure code checks the figures: Decimal, whole cents, not negative.
        checked = pricing.OfferPrice(code, base_fee, per_resource_fee)
        price_list.prices.append(OfferPrice(offer=known[code], base_fee=checked.base_fee,
                                            per_resource_fee=checked.per_resource_fee))
    db.session.add(price_list)
    audit.record(staff, "catalogue.published", valid_from=valid_from.isoformat(),
                 prices={code: [str(b), str(r)] for code, (b, r) in prices.items()})
    return price_list
