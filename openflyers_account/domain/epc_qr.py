"""SEPA transfer instructions and their EPC069-12 QR code for banking apps (M2)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import segno
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from segno.helpers import make_epc_qr
from stdnum import iso11649

from .money import is_whole_cents, require_decimal

#: EPC069-12 limits: beneficiary name up to 70 characters, amount 0.01 to 999,999,999.99 EUR.
BENEFICIARY_MAX_LENGTH = 70
AMOUNT_MIN = Decimal("0.01")
AMOUNT_MAX = Decimal("999999999.99")


class TransferDetailsInvalid(ValueError):
    """Transfer instructions that a bank would refuse; `code` names the field (M2)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        #: One of "beneficiary", "iban", "bic", "amount", "reference".
        self.code = code


@dataclass(frozen=True)
class SepaTransfer:
    """What the club needs to pay an invoice by transfer: checked, in compact form (M2)."""

    beneficiary: str
    #: Compact IBAN, e.g. FR7630006000011234567890189.
    iban: str
    #: Compact BIC, 8 or 11 characters.
    bic: str
    #: Exact amount in EUR, whole cents.
    amount: Decimal
    #: Compact ISO 11649 creditor reference (RF..) derived from the invoice.
    reference: str

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of 4, as banks print it (M2)."""
        return IBAN(self.iban).formatted


def sepa_transfer(beneficiary: str, iban: str, bic: str, amount: Decimal, reference: str) -> SepaTransfer:
    """Check and normalise transfer instructions: IBAN and BIC with schwifty, RF reference with stdnum (M2)."""
    name = " ".join(beneficiary.split())
    if not 0 < len(name) <= BENEFICIARY_MAX_LENGTH:
        raise TransferDetailsInvalid(
            "beneficiary", f"beneficiary name must be 1 to {BENEFICIARY_MAX_LENGTH} characters"
        )
    try:
        iban_compact = IBAN(iban).compact
    except SchwiftyException as error:
        raise TransferDetailsInvalid("iban", f"invalid IBAN: {error}") from error
    try:
        # Structure and country only: a demo BIC need not be in schwifty's bank registry.
        bic_compact = BIC(bic).compact
    except SchwiftyException as error:
        raise TransferDetailsInvalid("bic", f"invalid BIC: {error}") from error
    try:
        value = require_decimal(amount)
    except (TypeError, ValueError) as error:
        raise TransferDetailsInvalid("amount", str(error)) from error
    if not (AMOUNT_MIN <= value <= AMOUNT_MAX and is_whole_cents(value)):
        raise TransferDetailsInvalid("amount", f"amount must be whole cents from {AMOUNT_MIN} to {AMOUNT_MAX} EUR")
    if not iso11649.is_valid(reference):
        raise TransferDetailsInvalid("reference", f"invalid ISO 11649 creditor reference: {reference!r}")
    return SepaTransfer(name, iban_compact, bic_compact, value, iso11649.compact(reference))


def epc_qr(transfer: SepaTransfer) -> segno.QRCode:
    """The EPC069-12 QR code of a transfer, with the RF reference as structured remittance (M2)."""
    # The structured reference lets the bank statement carry it back in RmtInf/Strd for matching (M5).
    return make_epc_qr(
        name=transfer.beneficiary,
        iban=transfer.iban,
        amount=transfer.amount,
        reference=transfer.reference,
        bic=transfer.bic,
    )


def epc_qr_svg(transfer: SepaTransfer, *, title: str | None = None, scale: int = 4) -> str:
    """The EPC QR code as inline SVG markup, ready to embed in the payment page or invoice (M2)."""
    # Inline SVG keeps the page self-contained (no data: URL for a Content-Security-Policy to allow);
    # segno keeps the 4-module quiet zone that scanners need.
    options: dict[str, object] = {"scale": scale}
    if title:
        options["title"] = title
    return epc_qr(transfer).svg_inline(**options)
