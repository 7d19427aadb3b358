"""The invoice PDF: PDF/A-3b from the HTML template, with its Factur-X XML (rules I3, I4, R5)."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from lxml import etree
from pypdf import PdfReader
from weasyprint import HTML

from openflyers_account.invoicing.facturx_xml import NSMAP, build_facturx_xml
from openflyers_account.invoicing.pdf import MissingFacturXml, extract_facturx_xml, render_pdf

from .conftest import HOSTILE_PO_REFERENCE, LATE_PAYMENT_RATE, STATIC_FOLDER, make_document

XMP_PDFAID = "http://www.aiim.org/pdfa/ns/id/"


@pytest.fixture(scope="module")
def invoice():
    return make_document("france", po_reference=HOSTILE_PO_REFERENCE)


@pytest.fixture(scope="module")
def invoice_pdf(invoice, render_html) -> bytes:
    return render_pdf(render_html(invoice), build_facturx_xml(invoice), STATIC_FOLDER)


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    # Babel separates thousands and currency with (narrow) no-break spaces.
    return re.sub(r"[\u00a0\u202f]", " ", text)


def xmp_value(xmp: etree._Element, name: str) -> str:
    # XMP allows a property as an element or as an attribute of rdf:Description.
    for element in xmp.iter(f"{{{XMP_PDFAID}}}{name}"):
        return element.text
    for description in xmp.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        if f"{{{XMP_PDFAID}}}{name}" in description.attrib:
            return description.attrib[f"{{{XMP_PDFAID}}}{name}"]
    raise AssertionError(f"no pdfaid:{name} in the XMP metadata")


def test_i4_pdf_declares_pdf_a_3b(invoice_pdf):
    assert invoice_pdf.startswith(b"%PDF-1.7")
    reader = PdfReader(BytesIO(invoice_pdf))
    catalog = reader.trailer["/Root"]
    xmp = etree.fromstring(catalog["/Metadata"].get_object().get_data())
    assert xmp_value(xmp, "part") == "3"
    assert xmp_value(xmp, "conformance") == "B"
    assert "/OutputIntents" in catalog  # PDF/A needs the sRGB output intent
    assert catalog["/Lang"] == "fr"
    # PDF/A: every Info entry has an equal XMP twin; factur-x's XMP has neither of these.
    assert "/Producer" not in reader.metadata and "/Keywords" not in reader.metadata


def test_i4_pdf_embeds_facturx_xml_with_the_same_total(invoice, invoice_pdf):
    reader = PdfReader(BytesIO(invoice_pdf))
    assert list(reader.attachments) == ["factur-x.xml"]
    (embedded,) = reader.attachments["factur-x.xml"]
    root = etree.fromstring(embedded)
    grand_total = root.xpath("string(//ram:GrandTotalAmount)", namespaces=NSMAP)
    assert Decimal(grand_total) == invoice.total_incl_vat
    assert extract_facturx_xml(invoice_pdf) == build_facturx_xml(invoice)


def test_i4_a_pdf_without_facturx_xml_is_refused():
    plain_pdf = HTML(string="<p>Not an invoice</p>").write_pdf()
    with pytest.raises(MissingFacturXml):
        extract_facturx_xml(plain_pdf)


def test_i3_pdf_shows_the_mandatory_mentions(invoice, invoice_pdf):
    text = pdf_text(invoice_pdf)
    expected = [
        invoice.number,
        "2 mars 2026",  # issue date
        "1 avril 2026",  # due date
        "OpenFlyers SAS", "123456789", "FR32123456789",  # seller
        "Aéro-club Jean Mermoz", "987654321", "FR12987654321", "77185 Lognes",  # buyer
        "360,00 €", "20 %", "1 440,00 €",  # unit price, VAT rate, line amount
        "2 770,20 €", "554,04 €", "3 324,24 €",  # totals excl. VAT, VAT, incl. VAT
        LATE_PAYMENT_RATE,
        "40,00 €",  # fixed recovery indemnity
        "No discount for early payment",
        HOSTILE_PO_REFERENCE,
        "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPPXXX", "RF82 F202 6000 001",  # transfer
        "Payable to", "31000 Toulouse",  # cheque
    ]
    missing = [mention for mention in expected if mention not in text]
    assert not missing, f"missing from the PDF: {missing}"
    assert "40" in text and "€" in text


@pytest.mark.parametrize(
    ("regime", "mention"),
    [
        ("eu", "Autoliquidation"),
        ("outside_eu", "TVA non applicable, art. 259-1 du CGI"),
    ],
)
def test_p3_html_prints_the_vat_exemption_mention(render_html, regime, mention):
    html = render_html(make_document(regime))
    assert mention in html
    assert "0&nbsp;%" in html


def test_i3_credit_note_names_the_invoice_it_corrects(render_html):
    html = render_html(make_document(kind="credit_note"))
    assert "Credit note" in html and "AV-2026-00001" in html
    assert "This credit note corrects invoice F-2026-00001." in html
    assert "How to pay" not in html  # a credit note asks for no payment


def test_r5_po_reference_is_escaped_in_the_html(render_html):
    html = render_html(make_document(po_reference=HOSTILE_PO_REFERENCE))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html


def test_r5_no_po_reference_no_po_line(render_html):
    assert "Your PO reference" not in render_html(make_document(po_reference=None))
