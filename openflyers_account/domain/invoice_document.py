"""The frozen content of an issued invoice or credit note, as printed and as e-invoiced (I2, I3)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from stdnum import iban, iso11649

DocumentKind = Literal["invoice", "credit_note"]

#: EN 16931 VAT category (UNTDID 5305): "S" standard rate, "AE" reverse charge (EU buyer with a
#: VAT number), "G" outside the EU (rule P3).
VatCategory = Literal["S", "AE", "G"]

#: The longest PO reference a club may give (rule R5).
PO_REFERENCE_MAX_LENGTH = 70


def po_reference_problem(reference: str) -> str | None:
    """Why a PO reference cannot be printed: "too_long" or "characters" (control characters), else None (R5)."""
    if len(reference) > PO_REFERENCE_MAX_LENGTH:
        return "too_long"
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in reference):
        return "characters"
    return None


@dataclass(frozen=True)
class Party:
    """A seller or buyer as it stood on the issue date (I2, I3)."""

    name: str
    address_lines: tuple[str, ...]  #: street lines, at most three (Factur-X carries three)
    postcode: str
    city: str
    country_code: str  #: ISO 3166-1 alpha-2, e.g. "FR"
    siren: str | None = None  #: 9 digits; foreign buyers have none
    vat_number: str | None = None  #: intra-EU VAT number, e.g. "FR40123456789"
    email: str | None = None

    def __post_init__(self) -> None:
        if self.siren is not None and not (len(self.siren) == 9 and self.siren.isdigit()):
            raise ValueError(f"a SIREN has 9 digits, got {self.siren!r}")
        if len(self.address_lines) > 3:
            raise ValueError("at most three address lines")


@dataclass(frozen=True)
class DocumentLine:
    """One printed line: quantity x unit price excl. VAT, at a VAT rate (I3, P2)."""

    description: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    vat_rate: Decimal  #: percent, e.g. Decimal("20")
    amount_excl_vat: Decimal  #: rounded to the cent (P3); negative for a discount line
    vat_category: VatCategory = "S"

    @property
    def is_allowance(self) -> bool:
        """A term or club discount line (P2): a document-level allowance in Factur-X."""
        return self.amount_excl_vat < 0


@dataclass(frozen=True)
class VatBreakdown:
    """VAT for one category and rate, computed on its total excl. VAT (P3)."""

    rate: Decimal  #: percent
    base: Decimal
    amount: Decimal
    category: VatCategory = "S"
    #: the legal mention for AE ("Autoliquidation ...") and G ("TVA non applicable, art. 259-1 ...")
    exemption_reason: str | None = None

    def __post_init__(self) -> None:
        exempt = self.rate == 0 and self.amount == 0 and self.exemption_reason
        if self.category != "S" and not exempt:
            raise ValueError(f"category {self.category} is 0 % VAT with its legal mention")


@dataclass(frozen=True)
class LegalMentions:
    """Late-payment terms every French B2B invoice prints (I3, Code de commerce L441-10)."""

    late_payment_penalty_rate: str  #: e.g. "3 fois le taux d'intérêt légal"
    recovery_indemnity: Decimal = Decimal("40.00")  #: fixed, per late invoice (D441-5)
    #: The seller's legal form, share capital and RCS city (Code de commerce R123-237); empty when not set (I6).
    legal_form: str = ""
    share_capital: str = ""
    rcs_city: str = ""
    #: "Option pour le paiement de la taxe d'après les débits" is printed when the seller opted (I6).
    vat_on_debits: bool = False


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay: SEPA transfer (M2) or cheque (M3)."""

    payee: str  #: beneficiary of the transfer and payee of the cheque
    iban: str  #: compact, no spaces
    bic: str
    creditor_reference: str  #: ISO 11649 "RF.." reference derived from the invoice (M2)
    cheque_address: tuple[str, ...]  #: where cheques are posted, one line each (M3)

    # Printed in blocks of four so the treasurer can read them out and type them (M2).
    @property
    def iban_display(self) -> str:
        return iban.format(self.iban)

    @property
    def creditor_reference_display(self) -> str:
        return iso11649.format(self.creditor_reference)


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything an issued invoice or credit note shows, frozen at issue (I2, I3, I4)."""

    kind: DocumentKind
    number: str  #: F-2026-00001 or AV-2026-00001 (I1)
    issue_date: date
    due_date: date
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    legal_mentions: LegalMentions
    #: required on invoices; a credit note asks for no payment
    payment: PaymentInstructions | None = None
    currency: str = "EUR"
    buyer_order_reference: str | None = None  #: the club's PO reference, free text (R5)
    corrected_invoice_number: str | None = None  #: the invoice a credit note corrects (I2)
    corrected_invoice_date: date | None = None
    service_period_start: date | None = None
    service_period_end: date | None = None
    #: The club a partner bought for, when the partner is the buyer (B3): the service's recipient.
    end_customer: Party | None = None
    language: str = "fr"

    def __post_init__(self) -> None:
        if self.kind not in ("invoice", "credit_note"):
            raise ValueError(f"unknown document kind {self.kind!r}")
        if self.kind == "invoice" and self.payment is None:
            raise ValueError("an invoice prints its payment instructions (I3)")
        if self.kind == "credit_note" and not self.corrected_invoice_number:
            raise ValueError("a credit note names the invoice it corrects (I2)")
        if self.buyer_order_reference and len(self.buyer_order_reference) > PO_REFERENCE_MAX_LENGTH:
            raise ValueError(f"PO reference longer than {PO_REFERENCE_MAX_LENGTH} characters (R5)")
        if not self.lines:
            raise ValueError("a document has at least one line")
        self._check_totals()

    def _check_totals(self) -> None:
        # The e-invoice restates these sums (EN 16931 BR-CO-10 to BR-CO-15); a snapshot whose
        # figures disagree must fail here, at issue, not at the buyer's platform.
        bases: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            bases[(line.vat_category, line.vat_rate)] += line.amount_excl_vat
        breakdown = {(vat.category, vat.rate): vat.base for vat in self.vat_breakdown}
        if breakdown != dict(bases):
            raise ValueError(f"VAT bases {breakdown} do not match the lines {dict(bases)}")
        if sum((line.amount_excl_vat for line in self.lines), Decimal(0)) != self.total_excl_vat:
            raise ValueError("total excl. VAT is not the sum of the lines")
        if sum((vat.amount for vat in self.vat_breakdown), Decimal(0)) != self.total_vat:
            raise ValueError("total VAT is not the sum of the VAT breakdown")
        if self.total_excl_vat + self.total_vat != self.total_incl_vat:
            raise ValueError("total incl. VAT is not total excl. VAT plus VAT")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def charged_lines(self) -> tuple[DocumentLine, ...]:
        """Lines that are sold items, not discounts (Factur-X line items)."""
        return tuple(line for line in self.lines if not line.is_allowance)

    @property
    def allowance_lines(self) -> tuple[DocumentLine, ...]:
        """Discount lines (P2), carried as document-level allowances in Factur-X."""
        return tuple(line for line in self.lines if line.is_allowance)
