"""Factur-X EN 16931 (CII) XML of an issued invoice or credit note (rules I4, R5)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from lxml.builder import ElementMaker

from openflyers_account.domain.invoice_document import (
    DocumentLine,
    InvoiceDocument,
    Party,
    VatBreakdown,
)

NSMAP = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
RSM = ElementMaker(namespace=NSMAP["rsm"], nsmap=NSMAP)
RAM = ElementMaker(namespace=NSMAP["ram"], nsmap=NSMAP)
UDT = ElementMaker(namespace=NSMAP["udt"], nsmap=NSMAP)
QDT = ElementMaker(namespace=NSMAP["qdt"], nsmap=NSMAP)

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
#: BT-8 (UNTDID 2005): the tax point is the invoice's date, the "option pour les débits" (I6).
VAT_ON_DEBITS_CODE = "5"
#: BT-23, the billing framework the French rules ask for (BR-FR-08): S1, a service invoiced to be paid (I6).
BILLING_FRAMEWORK = "S1"
TYPE_CODES = {"invoice": "380", "credit_note": "381"}  # UNTDID 1001
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "G": "VATEX-EU-G"}
UNIT_CODE = "C62"  # UN/ECE rec. 20 "one": a fee or a resource counts in units
CENT = Decimal("0.01")


def build_facturx_xml(doc: InvoiceDocument) -> bytes:
    """The document as Factur-X EN 16931 XML; credit notes keep positive amounts (I4)."""
    root = RSM.CrossIndustryInvoice(
        RSM.ExchangedDocumentContext(
            RAM.BusinessProcessSpecifiedDocumentContextParameter(RAM.ID(BILLING_FRAMEWORK)),
            RAM.GuidelineSpecifiedDocumentContextParameter(RAM.ID(EN16931_GUIDELINE)),
        ),
        RSM.ExchangedDocument(
            RAM.ID(doc.number),
            RAM.TypeCode(TYPE_CODES[doc.kind]),
            RAM.IssueDateTime(_date(doc.issue_date)),
            *_legal_notes(doc),
        ),
        RSM.SupplyChainTradeTransaction(
            *(_line_item(index, line) for index, line in enumerate(doc.charged_lines, start=1)),
            _agreement(doc),
            RAM.ApplicableHeaderTradeDelivery(*_ship_to(doc), _delivered(doc)),
            _settlement(doc),
        ),
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _legal_notes(doc: InvoiceDocument) -> list[etree._Element]:
    # The French e-invoicing rules expect the I3 payment mentions as coded notes
    # (PMD penalties, PMT recovery indemnity, AAB discount), written in French.
    notes = {
        "PMD": _penalty_text(doc),
        "PMT": "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
        f"{_number(doc.legal_mentions.recovery_indemnity)} €",
        "AAB": "Pas d'escompte pour paiement anticipé",
    }
    return [
        RAM.IncludedNote(RAM.Content(text), RAM.SubjectCode(code)) for code, text in notes.items()
    ]


def _penalty_text(doc: InvoiceDocument) -> str:
    return f"Pénalités de retard : {doc.legal_mentions.late_payment_penalty_rate}"


def _line_item(line_id: int, line: DocumentLine) -> etree._Element:
    return RAM.IncludedSupplyChainTradeLineItem(
        RAM.AssociatedDocumentLineDocument(RAM.LineID(str(line_id))),
        RAM.SpecifiedTradeProduct(RAM.Name(line.description)),
        RAM.SpecifiedLineTradeAgreement(
            RAM.NetPriceProductTradePrice(RAM.ChargeAmount(_price(line.unit_price_excl_vat))),
        ),
        RAM.SpecifiedLineTradeDelivery(
            RAM.BilledQuantity(_number(line.quantity), unitCode=UNIT_CODE),
        ),
        RAM.SpecifiedLineTradeSettlement(
            _category_tax(line.vat_category, line.vat_rate),
            RAM.SpecifiedTradeSettlementLineMonetarySummation(
                RAM.LineTotalAmount(_amount(line.amount_excl_vat)),
            ),
        ),
    )


def _agreement(doc: InvoiceDocument) -> etree._Element:
    order = doc.buyer_order_reference
    return RAM.ApplicableHeaderTradeAgreement(
        _party("SellerTradeParty", doc.seller),
        _party("BuyerTradeParty", doc.buyer),
        # R5: the club's PO reference is BT-13, so the buyer's platform can match its order.
        *([RAM.BuyerOrderReferencedDocument(RAM.IssuerAssignedID(order))] if order else []),
    )


def _ship_to(doc: InvoiceDocument) -> list[etree._Element]:
    """BG-13: a partner is the buyer, the club it bought for receives the service (B3)."""
    club = doc.end_customer
    if club is None:
        return []
    street = zip(("LineOne", "LineTwo", "LineThree"), club.address_lines)
    return [RAM.ShipToTradeParty(
        RAM.Name(club.name),
        RAM.PostalTradeAddress(
            *([RAM.PostcodeCode(club.postcode)] if club.postcode else []),
            *(RAM(name, text) for name, text in street),
            *([RAM.CityName(club.city)] if club.city else []),
            RAM.CountryID(club.country_code),
        ),
    )]


def _delivered(doc: InvoiceDocument) -> etree._Element:
    """BT-72: when the service is delivered, its period's first day (or the issue day); the delivery group may not
    be empty (PEPPOL-EN16931-R008, I6)."""
    day = doc.service_period_start or doc.issue_date
    return RAM.ActualDeliverySupplyChainEvent(RAM.OccurrenceDateTime(_date(day)))


def _party(tag: str, party: Party) -> etree._Element:
    street = zip(("LineOne", "LineTwo", "LineThree"), party.address_lines)
    children = [RAM.Name(party.name)]
    if party.siren:
        children.append(RAM.SpecifiedLegalOrganization(RAM.ID(party.siren, schemeID=SIREN_SCHEME)))
    children.append(
        # An address part the record does not have is left out: no empty element (PEPPOL-EN16931-R008, I6).
        RAM.PostalTradeAddress(
            *([RAM.PostcodeCode(party.postcode)] if party.postcode else []),
            *(RAM(name, text) for name, text in street if text),
            *([RAM.CityName(party.city)] if party.city else []),
            RAM.CountryID(party.country_code),
        )
    )
    if party.email:
        children.append(RAM.URIUniversalCommunication(RAM.URIID(party.email, schemeID="EM")))
    if party.vat_number:
        children.append(RAM.SpecifiedTaxRegistration(RAM.ID(party.vat_number, schemeID="VA")))
    return RAM(tag, *children)


def _settlement(doc: InvoiceDocument) -> etree._Element:
    children: list[etree._Element] = []
    if doc.payment:
        # BT-83: the RF reference lets the bank statement import match the transfer (M2, M5).
        children.append(RAM.PaymentReference(doc.payment.creditor_reference))
    children.append(RAM.InvoiceCurrencyCode(doc.currency))
    if doc.payment:
        children.append(
            RAM.SpecifiedTradeSettlementPaymentMeans(
                RAM.TypeCode(SEPA_CREDIT_TRANSFER),
                RAM.PayeePartyCreditorFinancialAccount(
                    RAM.IBANID(doc.payment.iban), RAM.AccountName(doc.payment.payee)
                ),
                RAM.PayeeSpecifiedCreditorFinancialInstitution(RAM.BICID(doc.payment.bic)),
            )
        )
    children.extend(_header_tax(vat, doc.legal_mentions.vat_on_debits) for vat in doc.vat_breakdown)
    if doc.service_period_start or doc.service_period_end:
        period = RAM.BillingSpecifiedPeriod()
        if doc.service_period_start:
            period.append(RAM.StartDateTime(_date(doc.service_period_start)))
        if doc.service_period_end:
            period.append(RAM.EndDateTime(_date(doc.service_period_end)))
        children.append(period)
    # Discount lines become allowances: a line item may not have a negative price (BR-27).
    children.extend(_allowance(line) for line in doc.allowance_lines)
    children.append(
        RAM.SpecifiedTradePaymentTerms(
            RAM.Description(_penalty_text(doc)),
            RAM.DueDateDateTime(_date(doc.due_date)),
        )
    )
    children.append(_totals(doc))
    if doc.corrected_invoice_number:
        children.append(
            _corrected_invoice(doc.corrected_invoice_number, doc.corrected_invoice_date)
        )
    return RAM.ApplicableHeaderTradeSettlement(*children)


def _corrected_invoice(number: str, issued: date | None) -> etree._Element:
    # BT-25/BT-26: a credit note names the invoice it corrects (I2).
    reference = RAM.InvoiceReferencedDocument(RAM.IssuerAssignedID(number))
    if issued:
        reference.append(
            RAM.FormattedIssueDateTime(QDT.DateTimeString(_yyyymmdd(issued), format="102"))
        )
    return reference


def _header_tax(vat: VatBreakdown, on_debits: bool = False) -> etree._Element:
    exempt = vat.category in EXEMPTION_CODES
    return RAM.ApplicableTradeTax(
        RAM.CalculatedAmount(_amount(vat.amount)),
        RAM.TypeCode("VAT"),
        *([RAM.ExemptionReason(vat.exemption_reason or "")] if exempt else []),
        RAM.BasisAmount(_amount(vat.base)),
        RAM.CategoryCode(vat.category),
        *([RAM.ExemptionReasonCode(EXEMPTION_CODES[vat.category])] if exempt else []),
        # BT-8: VAT on debits is due at the invoice's date (UNTDID 2005 code 5), when the seller opted (I6).
        *([RAM.DueDateTypeCode(VAT_ON_DEBITS_CODE)] if on_debits and not exempt else []),
        RAM.RateApplicablePercent(_number(vat.rate)),
    )


def _allowance(line: DocumentLine) -> etree._Element:
    return RAM.SpecifiedTradeAllowanceCharge(
        RAM.ChargeIndicator(UDT.Indicator("false")),
        RAM.ActualAmount(_amount(-line.amount_excl_vat)),
        RAM.Reason(line.description),
        RAM.CategoryTradeTax(
            RAM.TypeCode("VAT"),
            RAM.CategoryCode(line.vat_category),
            RAM.RateApplicablePercent(_number(line.vat_rate)),
        ),
    )


def _totals(doc: InvoiceDocument) -> etree._Element:
    line_total = sum((line.amount_excl_vat for line in doc.charged_lines), Decimal(0))
    allowance_total = -sum((line.amount_excl_vat for line in doc.allowance_lines), Decimal(0))
    return RAM.SpecifiedTradeSettlementHeaderMonetarySummation(
        RAM.LineTotalAmount(_amount(line_total)),
        *([RAM.AllowanceTotalAmount(_amount(allowance_total))] if allowance_total else []),
        RAM.TaxBasisTotalAmount(_amount(doc.total_excl_vat)),
        # The EN 16931 schematron finds the VAT total (BT-110) by its currencyID.
        RAM.TaxTotalAmount(_amount(doc.total_vat), currencyID=doc.currency),
        RAM.GrandTotalAmount(_amount(doc.total_incl_vat)),
        RAM.DuePayableAmount(_amount(doc.total_incl_vat)),
    )


def _category_tax(category: str, rate: Decimal) -> etree._Element:
    return RAM.ApplicableTradeTax(
        RAM.TypeCode("VAT"),
        RAM.CategoryCode(category),
        RAM.RateApplicablePercent(_number(rate)),
    )


def _date(day: date) -> etree._Element:
    return UDT.DateTimeString(_yyyymmdd(day), format="102")


def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _price(value: Decimal) -> str:
    # A prorated unit price may carry more than two decimals; never round it away.
    return _amount(value) if value == value.quantize(CENT) else _number(value)


def _number(value: Decimal) -> str:
    # format "f" avoids the exponent notation str() gives for e.g. Decimal("2E+1").
    return format(value.normalize(), "f")
