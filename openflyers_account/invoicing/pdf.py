"""The invoice PDF: PDF/A-3b rendered by WeasyPrint with its Factur-X XML embedded (I4)."""

from __future__ import annotations

from io import BytesIO

import facturx
from pypdf import PdfWriter
from weasyprint import HTML
from weasyprint.urls import URLFetcher

FACTURX_LEVEL = "en16931"
#: Info entries that factur-x's XMP packet does not restate with the same value.
_INFO_WITHOUT_XMP_TWIN = ("/Producer", "/Keywords")


class MissingFacturXml(ValueError):
    """The PDF carries no valid factur-x.xml (not one of ours, or damaged)."""


def render_pdf(html: str, xml: bytes, base_url: str) -> bytes:
    """PDF/A-3b of the invoice page with `xml` embedded as factur-x.xml (I4).

    `base_url` is the folder the page's relative links (its stylesheet) resolve against,
    normally the app's static folder.
    """
    # An invoice never reaches the network: only local files (stylesheet, fonts) and data: URLs,
    # and a missing stylesheet fails the issue instead of producing an unstyled legal document.
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    page = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    pdf = page.write_pdf(pdf_variant="pdf/a-3b")
    # factur-x keeps WeasyPrint's output intent (sRGB) and replaces the XMP packet with one
    # declaring pdfaid:part=3, conformance B and the Factur-X extension schema; it re-checks
    # the XML against the XSD.
    pdf = facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level=FACTURX_LEVEL, check_xsd=True
    )
    return _align_info_with_xmp(pdf)


def _align_info_with_xmp(pdf: bytes) -> bytes:
    # PDF/A (ISO 19005-3, 6.6.2.3.1): each Info entry must equal its XMP twin. factur-x's XMP
    # names pypdf as producer and has no keywords, while the Info dictionary keeps WeasyPrint's
    # /Producer and gains /Keywords: drop both rather than leave a mismatch.
    writer = PdfWriter(clone_from=BytesIO(pdf))
    writer.pdf_header = pdf[: pdf.index(b"\n")]  # cloning would fall back to %PDF-1.3
    info = dict(writer.metadata or {})
    writer.metadata = {
        key: value for key, value in info.items() if key not in _INFO_WITHOUT_XMP_TWIN
    }
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def extract_facturx_xml(pdf: bytes) -> bytes:
    """The factur-x.xml embedded in an invoice PDF, checked against the XSD (I4)."""
    filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    if not filename:
        raise MissingFacturXml("this PDF carries no valid Factur-X XML")
    return xml
