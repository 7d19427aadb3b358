"""Errors a club or staff member can cause while billing; `code` picks the translated message."""
from __future__ import annotations

from ..errors import UserError


class BillingError(UserError):
    """A problem with a renewal, an invoice or the catalogue the user caused."""


class RenewalNotOpen(BillingError):
    code = "renewal_not_open"


class BelowResourceFloor(BillingError):
    code = "below_floor"
    field = "resources"


class ResourcesOutOfRange(BillingError):
    code = "resources_out_of_range"
    field = "resources"


class UnknownOffer(BillingError):
    code = "unknown_offer_choice"
    field = "offer"


class PriceChanged(BillingError):
    code = "price_changed"


class InvoiceNotCancellable(BillingError):
    code = "invoice_not_cancellable"


class NothingToCredit(BillingError):
    code = "nothing_to_credit"


class PriceListInvalid(BillingError):
    code = "price_list_invalid"
