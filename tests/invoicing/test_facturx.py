"""Factur-X EN 16931 XML built from an invoice snapshot (rules I4, R5, P3)."""

from dataclasses import replace
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from openflyers_account.invoicing.facturx_xml import NSMAP, build_facturx_xml

from .conftest import BUYERS, HOSTILE_PO_REFERENCE, LATE_PAYMENT_RATE, make_document

DOCUMENTS = {
    "france_20_percent": lambda: make_document("france"),
    "eu_reverse_charge": lambda: make_document("eu"),
    "outside_eu": lambda: make_document("outside_eu"),
    "credit_note": lambda: make_document("france", kind="credit_note"),
    "partner_billed": lambda: replace(make_document("france"), end_customer=BUYERS["outside_eu"]),
}
SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> str:
    return root.xpath(f"string({path})", namespaces=NSMAP)


def nodes(root: etree._Element, path: str) -> list:
    return root.xpath(path, namespaces=NSMAP)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_i4_xml_passes_the_en16931_xsd(name):
    xml = build_facturx_xml(DOCUMENTS[name]())
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(parse(xml), "factur-x") == "en16931"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_i4_xml_totals_equal_the_document(name):
    doc = DOCUMENTS[name]()
    root = parse(build_facturx_xml(doc))
    charged = sum(line.amount_excl_vat for line in doc.lines if line.amount_excl_vat > 0)
    discounts = -sum(line.amount_excl_vat for line in doc.lines if line.amount_excl_vat < 0)
    assert Decimal(text(root, SUMMATION + "LineTotalAmount")) == charged
    assert Decimal(text(root, SUMMATION + "AllowanceTotalAmount")) == discounts
    assert Decimal(text(root, SUMMATION + "TaxBasisTotalAmount")) == doc.total_excl_vat
    assert Decimal(text(root, SUMMATION + "TaxTotalAmount[@currencyID='EUR']")) == doc.total_vat
    assert Decimal(text(root, SUMMATION + "GrandTotalAmount")) == doc.total_incl_vat
    assert Decimal(text(root, SUMMATION + "DuePayableAmount")) == doc.total_incl_vat


def test_p2_discount_lines_are_document_level_allowances():
    root = parse(build_facturx_xml(make_document()))
    allowances = nodes(root, "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge")
    assert [text(a, "ram:ChargeIndicator/udt:Indicator") for a in allowances] == ["false"] * 2
    assert [text(a, "ram:ActualAmount") for a in allowances] == ["324.00", "145.80"]
    assert [text(a, "ram:CategoryTradeTax/ram:RateApplicablePercent") for a in allowances] == ["20"] * 2
    # EN 16931 forbids negative item prices (BR-27): only the two priced lines are line items.
    prices = nodes(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()")
    assert prices == ["1800.00", "360.00"]


@pytest.mark.parametrize(
    ("regime", "category", "reason_code", "mention"),
    [
        ("france", "S", "", ""),
        ("eu", "AE", "VATEX-EU-AE", "art. 283-2 du CGI"),
        ("outside_eu", "G", "VATEX-EU-G", "art. 259-1 du CGI"),
    ],
)
def test_p3_vat_breakdown_carries_the_category_and_its_mention(
    regime, category, reason_code, mention
):
    root = parse(build_facturx_xml(make_document(regime)))
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:"
    assert text(root, tax + "CategoryCode") == category
    assert text(root, tax + "ExemptionReasonCode") == reason_code
    assert mention in text(root, tax + "ExemptionReason")
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
    assert set(nodes(root, line_tax + "ram:CategoryCode/text()")) == {category}


def test_i4_invoice_is_type_380_and_credit_note_381_naming_the_invoice():
    invoice = parse(build_facturx_xml(make_document()))
    credit_note = parse(build_facturx_xml(make_document(kind="credit_note")))
    assert text(invoice, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(credit_note, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert text(credit_note, "//rsm:ExchangedDocument/ram:ID") == "AV-2026-00001"
    corrected = "//ram:InvoiceReferencedDocument/"
    assert text(credit_note, corrected + "ram:IssuerAssignedID") == "F-2026-00001"
    assert text(credit_note, corrected + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260302"
    assert Decimal(text(credit_note, SUMMATION + "GrandTotalAmount")) > 0
    assert not nodes(invoice, "//ram:InvoiceReferencedDocument")


def test_i3_parties_carry_siren_and_vat_number():
    root = parse(build_facturx_xml(make_document()))
    siren = "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"
    vat_number = "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
    assert text(root, "//ram:SellerTradeParty/" + siren) == "123456789"
    assert text(root, "//ram:SellerTradeParty/" + vat_number) == "FR32123456789"
    assert text(root, "//ram:BuyerTradeParty/" + siren) == "987654321"
    assert text(root, "//ram:BuyerTradeParty/" + vat_number) == "FR12987654321"
    foreign = parse(build_facturx_xml(make_document("outside_eu")))
    assert not nodes(foreign, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization")


def test_m2_payment_is_a_sepa_transfer_with_the_rf_reference():
    doc = make_document()
    root = parse(build_facturx_xml(doc))
    means = "//ram:SpecifiedTradeSettlementPaymentMeans/"
    assert text(root, means + "ram:TypeCode") == "58"
    assert text(root, means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == doc.payment.iban
    assert text(root, means + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "AGRIFRPPXXX"
    assert text(root, "//ram:PaymentReference") == "RF82F2026000001"
    terms = "//ram:SpecifiedTradePaymentTerms/"
    assert text(root, terms + "ram:DueDateDateTime/udt:DateTimeString") == "20260401"
    assert LATE_PAYMENT_RATE in text(root, terms + "ram:Description")


def test_i3_xml_notes_carry_the_late_payment_mentions():
    root = parse(build_facturx_xml(make_document()))
    notes = {
        text(note, "ram:SubjectCode"): text(note, "ram:Content")
        for note in nodes(root, "//rsm:ExchangedDocument/ram:IncludedNote")
    }
    assert "40 €" in notes["PMT"]
    assert LATE_PAYMENT_RATE in notes["PMD"]
    assert "escompte" in notes["AAB"]


def test_r5_po_reference_is_the_buyer_order_reference():
    xml = build_facturx_xml(make_document(po_reference=HOSTILE_PO_REFERENCE))
    root = parse(xml)
    order = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument/"
    assert text(root, order + "ram:IssuerAssignedID") == HOSTILE_PO_REFERENCE
    assert b"<script>" not in xml
    assert not root.xpath("//script")
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_r5_no_po_reference_no_buyer_order_document():
    root = parse(build_facturx_xml(make_document(po_reference=None)))
    assert not nodes(root, "//ram:BuyerOrderReferencedDocument")


def test_p3_a_snapshot_whose_totals_disagree_is_refused():
    doc = make_document()
    with pytest.raises(ValueError, match="total incl. VAT"):
        replace(doc, total_incl_vat=doc.total_incl_vat + Decimal("0.01"))
    with pytest.raises(ValueError, match="VAT bases"):
        replace(doc, lines=doc.lines[:-1])


def test_b3_a_partner_billed_invoice_names_the_club_it_is_for_as_the_ship_to_party():
    club = BUYERS["outside_eu"]
    root = parse(build_facturx_xml(replace(make_document("france"), end_customer=club)))
    assert text(root, "//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:Name") == club.name
    assert text(root, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == "CH"
    assert not nodes(parse(build_facturx_xml(make_document("france"))), "//ram:ShipToTradeParty")
