"""Errors a club, staff member or provider can cause with payments; `code` picks the translated message."""
from __future__ import annotations

from ..errors import UserError


class PaymentsError(UserError):
    """A problem with a payment the user or a provider caused."""


class NotPayable(PaymentsError):
    """Cancelled, a credit note, or already paid."""

    code = "invoice_not_payable"


class PaymentRefused(PaymentsError):
    """The amount or the reversal breaks a rule of the transition table (M4, I5)."""

    code = "payment_refused"


class AlreadyRecorded(PaymentsError):
    """The same cheque or transfer is already on the invoice and not reversed: entered twice (M4)."""


class ChequeAlreadyRecorded(AlreadyRecorded):
    """A cheque with this number and bank is already recorded on the invoice (M4)."""

    code = "cheque_already_recorded"
    field = "cheque_number"


class TransferAlreadyRecorded(AlreadyRecorded):
    """A transfer with this reference, amount and day is already recorded on the invoice (M4)."""

    code = "transfer_already_recorded"
    field = "transfer_reference"
