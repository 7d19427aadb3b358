"""Transfer instructions and the EPC069-12 QR code (M2)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import segno

from openflyers_account.domain.epc_qr import SepaTransfer, TransferDetailsInvalid, epc_qr, epc_qr_svg, sepa_transfer

IBAN = "FR7630006000011234567890189"
BIC = "AGRIFRPP"
REFERENCE = "RF93F202600042"


def transfer(**changes: object) -> SepaTransfer:
    fields: dict[str, object] = {
        "beneficiary": "OpenFlyers Démo",
        "iban": IBAN,
        "bic": BIC,
        "amount": Decimal("1440.50"),
        "reference": REFERENCE,
    }
    fields.update(changes)
    return sepa_transfer(**fields)  # type: ignore[arg-type]


def test_m2_epc_qr_payload_follows_epc069_12() -> None:
    # Service tag, version 002, character set 2 (ISO 8859-1, enough for "é"), SCT, BIC, name, IBAN,
    # amount, no purpose, the structured RF reference, and no unstructured text beside it.
    payload = "\n".join(
        ["BCD", "002", "2", "SCT", BIC, "OpenFlyers Démo", IBAN, "EUR1440.5", "", REFERENCE]
    ).encode("iso-8859-1")
    expected = segno.make_qr(payload, error="m", boost_error=False)

    qr = epc_qr(transfer())

    assert qr.matrix == expected.matrix
    # EPC069-12: error correction level M, at most version 13.
    assert qr.error == "M"
    assert qr.version <= 13


def test_m2_transfer_details_are_normalised() -> None:
    details = transfer(
        beneficiary="  OpenFlyers   Démo ",
        iban="fr76 3000 6000 0112 3456 7890 189",
        bic="agrifrppxxx",
        reference="rf93 f202 6000 42",
    )
    assert details == SepaTransfer("OpenFlyers Démo", IBAN, "AGRIFRPPXXX", Decimal("1440.50"), REFERENCE)
    assert details.iban_display == "FR76 3000 6000 0112 3456 7890 189"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"beneficiary": "   "}, "beneficiary"),
        ({"beneficiary": "A" * 71}, "beneficiary"),
        # Wrong check digits, unknown country, too short.
        ({"iban": "FR7630006000011234567890188"}, "iban"),
        ({"iban": "XX7630006000011234567890189"}, "iban"),
        ({"iban": "FR76"}, "iban"),
        ({"bic": "AGRIFRP"}, "bic"),
        ({"bic": "AGRIZZPP"}, "bic"),
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-10.00")}, "amount"),
        ({"amount": Decimal("10.005")}, "amount"),
        ({"amount": Decimal("1000000000.00")}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        # Money is never float (P3).
        ({"amount": 10.5}, "amount"),
        ({"reference": "RF94F202600042"}, "reference"),
        ({"reference": "F-2026-00042"}, "reference"),
    ],
)
def test_m2_invalid_transfer_details_are_refused_by_field(changes: dict[str, object], code: str) -> None:
    with pytest.raises(TransferDetailsInvalid) as refused:
        transfer(**changes)
    assert refused.value.code == code


@pytest.mark.parametrize("amount", [Decimal("0.01"), Decimal("999999999.99"), Decimal("12"), 12])
def test_m2_amounts_within_epc_limits_are_accepted(amount: Decimal) -> None:
    assert transfer(amount=amount).amount == amount


def test_m2_epc_qr_svg_embeds_in_a_page_with_a_title() -> None:
    svg = epc_qr_svg(transfer(), title="Payer F-2026-00042 <par virement>")
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    # Inline markup for an HTML page: no XML declaration, and the title is escaped.
    assert "<?xml" not in svg
    assert "<title>Payer F-2026-00042 &lt;par virement&gt;</title>" in svg


def test_m2_epc_qr_svg_is_the_same_for_the_same_invoice() -> None:
    assert epc_qr_svg(transfer()) == epc_qr_svg(transfer())
    assert epc_qr_svg(transfer()) != epc_qr_svg(transfer(amount=Decimal("1440.51")))
