"""From a stored invoice to its legal document: the snapshot, the page, the Factur-X PDF (I2-I4)."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from flask import current_app, render_template
from flask_babel import force_locale

from ..accounts.models import Club
from ..domain.invoice_document import (
    DocumentLine,
    InvoiceDocument,
    LegalMentions,
    Party,
    PaymentInstructions,
    VatBreakdown,
)
from ..domain.pricing import VatMention
from ..invoicing.facturx_xml import build_facturx_xml
from ..invoicing.pdf import render_pdf
from .models import Invoice

#: EN 16931 VAT category and the mention French law asks for, per VAT treatment (P3, I3).
VAT_CATEGORIES = {
    VatMention.NONE: ("S", None),
    VatMention.REVERSE_CHARGE: (
        "AE", "Autoliquidation : TVA due par le preneur (article 283-2 du CGI, article 196 de la directive 2006/112/CE)"
    ),
    VatMention.OUTSIDE_EU: ("G", "TVA non applicable, article 259-1 du CGI"),
}


def seller_snapshot() -> dict:
    """The seller's identity and bank details from the configuration, as printed at issue (I3)."""
    config = current_app.config
    return {
        "name": config["SELLER_NAME"],
        "address_lines": [config["SELLER_ADDRESS"]],
        "postcode": config["SELLER_POSTCODE"],
        "city": config["SELLER_CITY"],
        "country_code": config["SELLER_COUNTRY"],
        "siren": config["SELLER_SIREN"] or None,
        "vat_number": config["SELLER_VAT_NUMBER"] or None,
        "email": config["SELLER_EMAIL"] or None,
        "iban": config["SELLER_IBAN"].replace(" ", ""),
        "bic": config["SELLER_BIC"],
        "late_payment_penalty_rate": config["LATE_PAYMENT_PENALTY_RATE"],
        # The 2026 mentions (I6): kept in the snapshot, so an invoice prints what held when it was issued.
        "legal_form": config["SELLER_LEGAL_FORM"],
        "share_capital": config["SELLER_SHARE_CAPITAL"],
        "rcs_city": config["SELLER_RCS_CITY"],
        "vat_on_debits": bool(config["SELLER_VAT_ON_DEBITS"]),
    }


def party_snapshot(account, email: str, **extra) -> dict:
    """A buyer's identity as it stands today, from anything with a name, an address, a country, a SIREN and a VAT
    number (a club, a partner); the invoice keeps it whatever changes later (I2)."""
    return {
        "name": account.name,
        "address_lines": [line for line in account.address.splitlines() if line.strip()][:3],
        "postcode": account.postcode,
        "city": account.city,
        "country_code": account.country,
        "siren": account.siren or None,
        "vat_number": account.vat_number or None,
        "email": email or None,
        **extra,
    }


def buyer_snapshot(club: Club) -> dict:
    """The club as the buyer of its own invoices (I2, I3)."""
    return party_snapshot(club, club.structure_email, subdomain=club.subdomain)


def _party(snapshot: dict) -> Party:
    return Party(
        name=snapshot["name"], address_lines=tuple(snapshot["address_lines"]), postcode=snapshot["postcode"],
        city=snapshot["city"], country_code=snapshot["country_code"], siren=snapshot.get("siren"),
        vat_number=snapshot.get("vat_number"), email=snapshot.get("email"),
    )


def vat_breakdown_json(rows: list[tuple[Decimal, Decimal, Decimal]], mention: VatMention) -> list[dict]:
    category, reason = VAT_CATEGORIES[mention]
    return [{"rate": str(rate), "base": str(base), "amount": str(amount), "category": category, "reason": reason}
            for rate, base, amount in rows]


def document_of(invoice: Invoice) -> InvoiceDocument:
    """The frozen legal document an invoice row stands for (I2, I3)."""
    seller = invoice.seller
    category, _ = VAT_CATEGORIES[VatMention(invoice.vat_mention)]
    corrected = invoice.corrects
    payment = None
    if not invoice.is_credit_note:
        payment = PaymentInstructions(
            payee=seller["name"], iban=seller["iban"], bic=seller["bic"],
            creditor_reference=invoice.creditor_reference,
            cheque_address=(seller["name"], *seller["address_lines"], f"{seller['postcode']} {seller['city']}"),
        )
    return InvoiceDocument(
        kind=invoice.kind.value,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        seller=_party(seller),
        buyer=_party(invoice.buyer),
        lines=tuple(
            DocumentLine(description=line.description, quantity=line.quantity, unit_price_excl_vat=line.unit_price,
                         vat_rate=line.vat_rate, amount_excl_vat=line.amount_excl_vat, vat_category=category)
            for line in invoice.lines
        ),
        vat_breakdown=tuple(
            VatBreakdown(rate=Decimal(row["rate"]), base=Decimal(row["base"]), amount=Decimal(row["amount"]),
                         category=row["category"], exemption_reason=row["reason"])
            for row in invoice.vat_breakdown
        ),
        total_excl_vat=invoice.total_excl_vat,
        total_vat=invoice.total_vat,
        total_incl_vat=invoice.total_incl_vat,
        legal_mentions=LegalMentions(
            late_payment_penalty_rate=seller["late_payment_penalty_rate"], legal_form=seller.get("legal_form", ""),
            share_capital=seller.get("share_capital", ""), rcs_city=seller.get("rcs_city", ""),
            vat_on_debits=seller.get("vat_on_debits", False)),
        payment=payment,
        currency=invoice.currency,
        buyer_order_reference=invoice.po_reference or None,
        corrected_invoice_number=corrected.number if corrected else None,
        corrected_invoice_date=corrected.issue_date if corrected else None,
        service_period_start=invoice.period_start,
        service_period_end=invoice.period_end,
        end_customer=_party(invoice.buyer["end_customer"]) if invoice.buyer.get("end_customer") else None,
    )


#: True while a batch job issues invoices (the automatic renewals).
_in_batch: ContextVar[bool] = ContextVar("issuing_in_batch", default=False)


@contextmanager
def issuing_in_batch() -> Iterator[None]:
    """Issue the invoices of the block as a job issuing thousands does: each PDF is rendered the first time it is
    needed (its e-mail, a download), not in the job (I4; `billing.operations.pdf_of`), and the rows are written with
    the rest of the job's transaction, many at a time, not one invoice at a time."""
    token = _in_batch.set(True)
    try:
        yield
    finally:
        _in_batch.reset(token)


def in_batch() -> bool:
    return _in_batch.get()


def is_rendered(invoice: Invoice) -> bool:
    return bool(invoice.pdf_sha256)


def render_invoice_pdf(invoice: Invoice) -> None:
    """Set the invoice's PDF at issue (I4): rendered now, or left empty inside `issuing_in_batch`."""
    if _in_batch.get():
        invoice.pdf, invoice.pdf_sha256 = b"", ""
        return
    invoice.pdf = invoice_pdf(invoice)
    invoice.pdf_sha256 = hashlib.sha256(invoice.pdf).hexdigest()


def invoice_pdf(invoice: Invoice) -> bytes:
    """The Factur-X PDF of the invoice's frozen snapshot (I2, I4)."""
    document = document_of(invoice)
    # Invoices are French documents, whatever language the club browses in.
    with force_locale("fr"):
        html = render_template("invoices/document.html", doc=document)
    return render_pdf(html, build_facturx_xml(document), base_url=current_app.static_folder)
