"""Errors a club, staff member or provider can cause with payments; `code` picks the translated message."""
from __future__ import annotations


class PaymentsError(Exception):
    code = "invalid"

    def __init__(self, code: str | None = None, **params):
        super().__init__(code or self.code)
        self.code = code or self.code
        self.params = params


class NotPayable(PaymentsError):
    """Cancelled, a credit note, or already paid."""

    code = "invoice_not_payable"


class PaymentRefused(PaymentsError):
    """The amount or the reversal breaks a rule of the transition table (M4, I5)."""

    code = "payment_refused"
