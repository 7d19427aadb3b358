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
    field = "lines"


class DiscountCreditedAlone(BillingError):
    """A term or club discount is credited with the lines it discounts, never on its own (P2, I2)."""

    code = "discount_credited_alone"
    field = "lines"


class CreditNotPositive(BillingError):
    """The chosen lines, net of their discounts, come to nothing to credit."""

    code = "credit_not_positive"
    field = "lines"


class CreditExceedsInvoice(BillingError):
    """All the credit notes of an invoice never credit more than its total incl. VAT (I2)."""

    code = "credit_exceeds_invoice"
    field = "lines"


class PriceListInvalid(BillingError):
    code = "price_list_invalid"
