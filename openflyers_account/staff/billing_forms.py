"""Back-office billing forms: a new price list (P1) and a credit note for chosen lines (I2)."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from ..billing.catalogue import ServiceInfo
from ..billing.errors import DiscountCreditedAlone
from ..forms import DayField, EuroField, Form, parse_euros
from ..messages import MESSAGES, error_message
from ..models import InvoiceLine, Offer

#: The largest fee staff may type, in euros excl. VAT: anything above is a typo, not a price (P1).
MAX_FEE = Decimal("1000000")

#: Longest credit-note reason: the invoice column holds 500 characters (I2).
REASON_MAX_LENGTH = 500

#: Why the service refused a price list (PriceListInvalid.params["reason"]), said on the field concerned.
PRICE_LIST_REFUSALS = {
    "past": ("valid_from", _l("A price list applies from today or a later date.")),
    "taken": ("valid_from", _l("A price list already applies from this date: choose another date.")),
    "offers": (None, _l("The offers have changed since this page was opened: check the prices, then publish "
                        "again.")),
}

def parse_fee(text: str) -> Decimal:
    """A fee typed by staff as Decimal euros, zero or more, at most MAX_FEE (P1, P3)."""
    amount = parse_euros(text, MAX_FEE)
    if amount < 0:
        raise ValidationError(_("A fee cannot be negative."))
    return amount


class PriceListForm(Form):
    """A new price list: the day it applies from, two fees per offer, a note (P1).

    The fee fields are added per offer by `price_list_form`, named by offer id.
    """

    valid_from = DayField(_l("Applies from"), description=_l("Today or later. Invoices already issued keep their prices."))
    note = StringField(_l("Note (optional)"), validators=[
        Optional(), Length(max=500, message=_l("This is too long (500 characters at most)."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value])
    submit = SubmitField(_l("Publish the price list"))

    #: (offer, base fee field, per-resource fee field), in the catalogue's order.
    offer_fields: list[tuple[Offer, EuroField, EuroField]]
    #: (service, price field), in the catalogue's order (A6).
    service_fields: list[tuple[ServiceInfo, EuroField]]

    def prices(self) -> dict[str, tuple[Decimal, Decimal]]:
        """The fees as the catalogue service takes them; call after `validate()`."""
        return {offer.code: (base.amount, per_resource.amount) for offer, base, per_resource in self.offer_fields}

    def service_prices(self) -> dict[str, Decimal]:
        """The chargeable services' prices (A6); call after `validate()`."""
        return {service.code: price.amount for service, price in self.service_fields}


def price_list_form(offers: list[Offer], services: list[ServiceInfo] = (),
                    current: dict[str, tuple[Decimal, Decimal]] | None = None,
                    current_services: dict[str, Decimal] | None = None, today: date | None = None) -> PriceListForm:
    """The publish form with a base fee and a per-resource fee for each offer, and a price per service.

    Pre-filled with `current` and `today` for a blank form; read from the request alone when posted,
    so a missing field is an error, never a silent default.
    """

    class OfferPricesForm(PriceListForm):
        pass

    for offer in offers:
        setattr(OfferPricesForm, f"base_fee_{offer.id}", EuroField(
            _l("%(offer)s: annual base fee excl. VAT (€)", offer=offer.name), parse=parse_fee))
        setattr(OfferPricesForm, f"per_resource_fee_{offer.id}", EuroField(
            _l("%(offer)s: annual fee per resource excl. VAT (€)", offer=offer.name), parse=parse_fee))
    for service in services:
        setattr(OfferPricesForm, f"service_price_{service.id}", EuroField(
            _l("%(service)s: price excl. VAT (€)", service=service.label), parse=parse_fee))
    if current is None:
        form = OfferPricesForm()
    else:
        data: dict[str, object] = {"valid_from": today}
        for offer in offers:
            base, per_resource = current.get(offer.code, (None, None))
            data[f"base_fee_{offer.id}"] = str(base) if base is not None else ""
            data[f"per_resource_fee_{offer.id}"] = str(per_resource) if per_resource is not None else ""
        for service in services:
            price = (current_services or {}).get(service.code)
            data[f"service_price_{service.id}"] = str(price) if price is not None else ""
        form = OfferPricesForm(formdata=None, data=data)
    form.offer_fields = [(offer, form[f"base_fee_{offer.id}"], form[f"per_resource_fee_{offer.id}"])
                         for offer in offers]
    form.service_fields = [(service, form[f"service_price_{service.id}"]) for service in services]
    return form


class CreditNoteForm(Form):
    """The lines to credit (all of them: a full credit note) and why (I2, I5)."""

    # Choices are checked in `validate_lines` with our own message: a wrong id means a tampered or stale form.
    lines = SelectMultipleField(_l("Lines to credit"), coerce=str, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=MESSAGES["required"]),
        Length(max=REASON_MAX_LENGTH, message=_l("This is too long (500 characters at most)."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l("Kept with the credit note and in the audit log, e.g. \"wrong number of resources\"."))
    submit = SubmitField(_l("Issue the credit note"))

    def __init__(self, creditable: list[InvoiceLine], discounts: Collection[int] = (), *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The invoice's lines no credit note has credited yet, discounts apart.
        self.creditable = creditable
        #: The invoice's discount lines: credited with the lines they discount, never chosen (P2).
        self.discounts = {str(line_id) for line_id in discounts}

    def validate_lines(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one line to credit."))
        if any(value in self.discounts for value in field.data):
            raise ValidationError(error_message(DiscountCreditedAlone.code))
        allowed = {str(line.id) for line in self.creditable}
        if any(value not in allowed for value in field.data):
            raise ValidationError(_("A chosen line is not a line of this invoice still to credit. "
                                    "Reload the page and choose again."))

    def line_ids(self) -> set[int]:
        return {int(value) for value in self.lines.data}

    def chosen(self, line: InvoiceLine) -> bool:
        return str(line.id) in (self.lines.data or [])
