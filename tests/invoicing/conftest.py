"""Invoice documents and a template environment for the invoicing tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from babel import Locale
from jinja2 import Environment, FileSystemLoader

from openflyers_account.domain.invoice_document import (
    DocumentLine,
    InvoiceDocument,
    LegalMentions,
    Party,
    PaymentInstructions,
    VatBreakdown,
)

ROOT = Path(__file__).resolve().parents[2]
STATIC_FOLDER = str(ROOT / "static")
HOSTILE_PO_REFERENCE = '<script>alert(1)</script> & "quotes"'
LATE_PAYMENT_RATE = "3 fois le taux d'intérêt légal"

SELLER = Party(
    name="OpenFlyers SAS",
    address_lines=("12 rue des Hangars",),
    postcode="31000",
    city="Toulouse",
    country_code="FR",
    siren="123456789",
    vat_number="FR32123456789",
    email="factures@openflyers.example",
)
BUYERS = {
    "france": Party(
        name="Aéro-club Jean Mermoz",
        address_lines=("Aérodrome de Lognes", "Hangar 3"),
        postcode="77185",
        city="Lognes",
        country_code="FR",
        siren="987654321",
        vat_number="FR12987654321",
        email="tresorier@mermoz.example",
    ),
    "eu": Party(
        name="Aéroclub de Bruxelles ASBL",
        address_lines=("Chaussée de Louvain 1",),
        postcode="1000",
        city="Bruxelles",
        country_code="BE",
        vat_number="BE0123456789",
        email="contact@aeroclub-bruxelles.example",
    ),
    "outside_eu": Party(
        name="Aéro-club de Genève",
        address_lines=("Route de l'Aéroport 21",),
        postcode="1215",
        city="Genève",
        country_code="CH",
        email="contact@aeroclub-geneve.example",
    ),
}
#: regime -> (VAT category, rate, printed mention), rule P3
VAT_REGIMES = {
    "france": ("S", Decimal("20"), None),
    "eu": (
        "AE",
        Decimal("0"),
        "Autoliquidation : TVA due par le preneur, art. 283-2 du CGI, "
        "art. 196 de la directive 2006/112/CE",
    ),
    "outside_eu": ("G", Decimal("0"), "TVA non applicable, art. 259-1 du CGI"),
}
#: Business offer, 4 resources, 3 years (-10 %), club discount 5 % (rule P2)
PRICED_LINES = (
    ("Offre Business, forfait annuel x 3 ans", "1", "1800.00", "1800.00"),
    ("Offre Business, ressource x 3 ans", "4", "360.00", "1440.00"),
    ("Remise engagement 3 ans (-10 %)", "1", "-324.00", "-324.00"),
    ("Remise fédération (-5 %)", "1", "-145.80", "-145.80"),
)


def make_document(
    regime: str = "france", kind: str = "invoice", po_reference: str | None = None
) -> InvoiceDocument:
    """A renewal invoice (or the credit note cancelling it) for one VAT regime."""
    category, rate, mention = VAT_REGIMES[regime]
    lines = tuple(
        DocumentLine(
            description, Decimal(quantity), Decimal(price), rate, Decimal(amount), category
        )
        for description, quantity, price, amount in PRICED_LINES
    )
    base = sum((line.amount_excl_vat for line in lines), Decimal(0))
    vat = (base * rate / 100).quantize(Decimal("0.01"))
    document = InvoiceDocument(
        kind="invoice",
        number="F-2026-00001",
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1),
        seller=SELLER,
        buyer=BUYERS[regime],
        lines=lines,
        vat_breakdown=(VatBreakdown(rate, base, vat, category, mention),),
        total_excl_vat=base,
        total_vat=vat,
        total_incl_vat=base + vat,
        legal_mentions=LegalMentions(late_payment_penalty_rate=LATE_PAYMENT_RATE),
        payment=PaymentInstructions(
            payee="OpenFlyers SAS",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            creditor_reference="RF82F2026000001",
            cheque_address=(
                "OpenFlyers SAS", "Service facturation", "12 rue des Hangars", "31000 Toulouse"
            ),
        ),
        buyer_order_reference=po_reference,
        service_period_start=date(2026, 4, 1),
        service_period_end=date(2029, 3, 31),
    )
    if kind == "credit_note":
        document = replace(
            document,
            kind="credit_note",
            number="AV-2026-00001",
            issue_date=date(2026, 3, 5),
            payment=None,
            corrected_invoice_number="F-2026-00001",
            corrected_invoice_date=date(2026, 3, 2),
        )
    return document


def build_template_env() -> Environment:
    """The filters and i18n the app registers, without the app (French formats, English msgids)."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
    )
    env.install_null_translations(newstyle=True)
    env.filters["money"] = lambda value, currency: format_currency(value, currency, locale="fr_FR")
    env.filters["date"] = lambda value: format_date(value, "long", locale="fr_FR")
    env.filters["country"] = lambda code: Locale.parse("fr").territories.get(code, code)
    # The app words its default rate in the reader's language; in French, the configured text as it is.
    env.globals["penalty_rate"] = lambda rate: rate
    return env


@pytest.fixture(scope="session")
def render_html() -> Callable[[InvoiceDocument], str]:
    template = build_template_env().get_template("invoices/document.html")
    return lambda doc: template.render(doc=doc)
