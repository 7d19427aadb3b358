"""FEC export of the sales and bank journals: A47 A-1 columns, balanced entries, continuous numbers (rule K3)."""

import csv
import io
import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openflyers_account.domain.fec import (
    FEC_COLUMNS,
    FEC_HEADER,
    BankMovement,
    SaleDocument,
    Settings,
    check_fec,
    csv_rows,
    fec_filename,
    fec_lines,
)
from openflyers_account.domain.money import from_cents

VALIDATED_ON = date(2026, 3, 31)


def _sale(number: str, issued: date, customer: tuple[str, str], excl: str, vat: str, label: str,
          *, credit_note: bool = False) -> SaleDocument:
    excl_amount, vat_amount = Decimal(excl), Decimal(vat)
    return SaleDocument(
        number=number,
        is_credit_note=credit_note,
        issue_date=issued,
        customer_code=customer[0],
        customer_name=customer[1],
        total_excl_vat=excl_amount,
        vat_total=vat_amount,
        total_incl_vat=excl_amount + vat_amount,
        label=label,
    )


def _movement(reference: str, day: date, method: str, amount: str, invoice: str, customer: tuple[str, str],
              label: str) -> BankMovement:
    return BankMovement(
        reference=reference,
        day=day,
        method=method,
        amount=Decimal(amount),
        invoice_number=invoice,
        customer_code=customer[0],
        customer_name=customer[1],
        label=label,
    )


MERMOZ = ("CLUB-mermoz", "Aéroclub Mermoz")
PARTNER = ("PART-12", "Partenaire Ciel")

SALES = [
    # FR 20 %.
    _sale("F-2026-00042", date(2026, 3, 2), MERMOZ, "100.00", "20.00", "Facture F-2026-00042"),
    # 0 % VAT: no 44571 line.
    _sale("F-2026-00043", date(2026, 3, 5), PARTNER, "250.00", "0.00", "Facture F-2026-00043"),
    # Credit note: same accounts, sides swapped; over 1,000 to show there is no thousands separator.
    _sale("AV-2026-00003", date(2026, 3, 10), MERMOZ, "1234.50", "246.90", "Avoir AV-2026-00003", credit_note=True),
]
MOVEMENTS = [
    _movement("PAY-101", date(2026, 3, 12), "cheque", "120.00", "F-2026-00042", MERMOZ, "Chèque 1234567"),
    _movement("VIR-A15", date(2026, 3, 15), "transfer", "250.00", "F-2026-00043", PARTNER, "Virement F-2026-00043"),
    _movement("PAY-101-R", date(2026, 3, 20), "cheque", "-120.00", "F-2026-00042", MERMOZ, "Chèque impayé"),
]


def _line(fields: str) -> str:
    """A FEC line from its first 13 fields written with `|`; no lettering, validated on 31/03/2026, euros."""
    return fields.replace("|", "\t") + "\t\t\t20260331\t\t\n"


EXPECTED_BODY = [
    _line("VE|Ventes|VE000001|20260302|411|Clients|CLUB-mermoz|Aéroclub Mermoz|F-2026-00042|20260302|"
          "Facture F-2026-00042|120,00|0,00"),
    _line("VE|Ventes|VE000001|20260302|706|Prestations de services|||F-2026-00042|20260302|"
          "Facture F-2026-00042|0,00|100,00"),
    _line("VE|Ventes|VE000001|20260302|44571|TVA collectée|||F-2026-00042|20260302|"
          "Facture F-2026-00042|0,00|20,00"),
    _line("VE|Ventes|VE000002|20260305|411|Clients|PART-12|Partenaire Ciel|F-2026-00043|20260305|"
          "Facture F-2026-00043|250,00|0,00"),
    _line("VE|Ventes|VE000002|20260305|706|Prestations de services|||F-2026-00043|20260305|"
          "Facture F-2026-00043|0,00|250,00"),
    _line("VE|Ventes|VE000003|20260310|411|Clients|CLUB-mermoz|Aéroclub Mermoz|AV-2026-00003|20260310|"
          "Avoir AV-2026-00003|0,00|1481,40"),
    _line("VE|Ventes|VE000003|20260310|706|Prestations de services|||AV-2026-00003|20260310|"
          "Avoir AV-2026-00003|1234,50|0,00"),
    _line("VE|Ventes|VE000003|20260310|44571|TVA collectée|||AV-2026-00003|20260310|"
          "Avoir AV-2026-00003|246,90|0,00"),
    _line("BQ|Banque|BQ000001|20260312|5112|Chèques à encaisser|||PAY-101|20260312|"
          "Chèque 1234567|120,00|0,00"),
    _line("BQ|Banque|BQ000001|20260312|411|Clients|CLUB-mermoz|Aéroclub Mermoz|PAY-101|20260312|"
          "Chèque 1234567|0,00|120,00"),
    _line("BQ|Banque|BQ000002|20260315|512|Banque|||VIR-A15|20260315|"
          "Virement F-2026-00043|250,00|0,00"),
    _line("BQ|Banque|BQ000002|20260315|411|Clients|PART-12|Partenaire Ciel|VIR-A15|20260315|"
          "Virement F-2026-00043|0,00|250,00"),
    _line("BQ|Banque|BQ000003|20260320|5112|Chèques à encaisser|||PAY-101-R|20260320|"
          "Chèque impayé|0,00|120,00"),
    _line("BQ|Banque|BQ000003|20260320|411|Clients|CLUB-mermoz|Aéroclub Mermoz|PAY-101-R|20260320|"
          "Chèque impayé|120,00|0,00"),
]


def _export() -> list[str]:
    return list(fec_lines(SALES, MOVEMENTS, Settings(), VALIDATED_ON))


def test_k3_header_is_the_18_columns_of_a47_a1_in_order() -> None:
    assert FEC_HEADER == (
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\t"
        "PieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
    )
    assert len(FEC_COLUMNS) == 18


def test_k3_invoices_credit_notes_payments_and_reversals_give_these_exact_lines() -> None:
    lines = _export()
    assert lines[0] == FEC_HEADER + "\n"
    assert lines[1:] == EXPECTED_BODY


def test_k3_the_export_passes_its_own_checks() -> None:
    assert check_fec(_export()) == []


def test_k3_check_fec_accepts_crlf_and_bare_lines() -> None:
    lines = _export()
    assert check_fec(line.replace("\n", "\r\n") for line in lines) == []
    assert check_fec("".join(lines).splitlines()) == []


def test_k3_settings_choose_the_accounts_and_journals() -> None:
    custom = Settings(customers_account="411000", sales_account="706100", sales_journal="VT", sales_journal_label="VT")
    lines = list(fec_lines(SALES[:1], [], custom, VALIDATED_ON))
    assert [line.split("\t")[2] for line in lines[1:]] == ["VT000001"] * 3
    assert [line.split("\t")[4] for line in lines[1:]] == ["411000", "706100", "44571"]
    assert check_fec(lines) == []


def test_k3_settings_refuse_one_code_for_both_journals() -> None:
    with pytest.raises(ValueError):
        Settings(bank_journal="VE")


def test_k3_zero_amounts_write_no_line_and_take_no_number() -> None:
    free = _sale("F-2026-00001", date(2026, 1, 2), MERMOZ, "0.00", "0.00", "Facture gratuite")
    nothing = _movement("PAY-0", date(2026, 1, 3), "card", "0.00", "F-2026-00001", MERMOZ, "Rien")
    card = _movement("PAY-1", date(2026, 1, 4), "card", "5", "F-2026-00002", MERMOZ, "Carte")
    lines = list(fec_lines([free, SALES[0]], [nothing, card], Settings(), VALIDATED_ON))
    body = [line.split("\t") for line in lines[1:]]
    assert [(f[2], f[4], f[11], f[12]) for f in body] == [
        ("VE000001", "411", "120,00", "0,00"),
        ("VE000001", "706", "0,00", "100,00"),
        ("VE000001", "44571", "0,00", "20,00"),
        ("BQ000001", "512", "5,00", "0,00"),  # a card payment goes straight to the bank; 5 prints 5,00
        ("BQ000001", "411", "0,00", "5,00"),
    ]
    assert check_fec(lines) == []


def test_k3_tabs_and_line_breaks_in_text_become_spaces() -> None:
    sale = _sale("F-2026-00007", date(2026, 2, 1), ("CLUB-a\tb", "Club\r\nde\nl'air\u2028X"), "10.00", "2.00",
                 "Facture\tF-2026-00007\r\n")
    lines = list(fec_lines([sale], [], Settings(), VALIDATED_ON))
    first = lines[1].split("\t")
    assert len(first) == 18
    assert first[6:8] == ["CLUB-a b", "Club  de l'air X"]
    assert first[10] == "Facture F-2026-00007  "
    assert all(line.count("\n") == 1 and "\r" not in line for line in lines)
    assert check_fec(lines) == []


def test_k3_csv_rows_are_the_fec_lines_as_fields() -> None:
    rows = list(csv_rows(SALES, MOVEMENTS, Settings(), VALIDATED_ON))
    assert rows == [line.rstrip("\n").split("\t") for line in _export()]
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    assert list(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == rows
    assert rows[6][11:13] == ["0,00", "1481,40"]


def test_k3_export_streams_without_reading_everything_first() -> None:
    endless = (
        _sale(f"F-2026-{n:05d}", date(2026, 1, 1), MERMOZ, "10.00", "2.00", "Facture") for n in itertools.count(1)
    )

    def movements_never_read():
        raise AssertionError("the bank journal comes after the whole sales journal")
        yield  # pragma: no cover

    first = list(itertools.islice(fec_lines(endless, movements_never_read(), Settings(), VALIDATED_ON), 7))
    assert [line.split("\t")[2] for line in first[1:]] == ["VE000001"] * 3 + ["VE000002"] * 3


def _replace(lines: list[str], index: int, column: str, value: str) -> list[str]:
    fields = lines[index].rstrip("\n").split("\t")
    fields[FEC_COLUMNS.index(column)] = value
    return lines[:index] + ["\t".join(fields) + "\n"] + lines[index + 1:]


def _renumber_third_sale(lines: list[str]) -> list[str]:
    return [line.replace("VE000003", "VE000004") for line in lines]


@pytest.mark.parametrize(
    ("break_file", "expected"),
    [
        pytest.param(lambda ls: _replace(ls, 2, "Credit", "100,01"), "entry VE VE000001: debit 120,00 is not credit "
                     "120,01", id="unbalanced"),
        pytest.param(_renumber_third_sale, "journal VE: entry numbers missing: 3", id="gap in numbering"),
        pytest.param(lambda ls: [ls[0]] + ls[4:], "journal VE: entry numbers missing: 1", id="starts at 2"),
        pytest.param(lambda ls: _replace(ls, 1, "Debit", "120.00"), "line 2: Debit '120.00' is not an amount",
                     id="dot decimal"),
        pytest.param(lambda ls: _replace(ls, 1, "Debit", "1 120,00"), "line 2: Debit", id="thousands separator"),
        pytest.param(lambda ls: _replace(ls, 1, "Debit", "-120,00"), "line 2: Debit", id="negative"),
        pytest.param(lambda ls: _replace(ls, 1, "Credit", "120,0"), "line 2: Credit", id="one decimal"),
        pytest.param(lambda ls: ls[:3] + [ls[3].replace("\t\t\n", "\t\n")] + ls[4:],
                     "line 4: 17 fields instead of 18", id="17 fields"),
        pytest.param(lambda ls: _replace(ls, 1, "EcritureDate", "20260230"), "line 2: EcritureDate '20260230'",
                     id="impossible date"),
        pytest.param(lambda ls: _replace(ls, 1, "PieceDate", "2026-03-02"), "line 2: PieceDate", id="iso date"),
        pytest.param(lambda ls: _replace(ls, 1, "ValidDate", ""), "line 2: ValidDate", id="no validation date"),
        pytest.param(lambda ls: _replace(ls, 2, "Debit", "100,00"), "line 3: both Debit and Credit are non-zero",
                     id="both sides"),
        pytest.param(lambda ls: _replace(ls, 1, "CompteNum", ""), "line 2: CompteNum is empty", id="no account"),
        pytest.param(lambda ls: [ls[0].replace("Montantdevise", "MontantDevise")] + ls[1:], "line 1: the header",
                     id="header"),
        pytest.param(lambda ls: ls[1:], "line 1: the header", id="no header"),
        pytest.param(lambda ls: [], "empty file", id="empty"),
    ],
)
def test_k3_check_fec_catches_a_broken_file(break_file, expected: str) -> None:
    problems = check_fec(break_file(_export()))
    assert any(expected in problem for problem in problems), problems


def test_k3_filename_is_siren_fec_closing_date() -> None:
    assert fec_filename("123456789", date(2026, 12, 31)) == "123456789FEC20261231.txt"


@pytest.mark.parametrize(
    "siren", ["12345678", "1234567890", "12345678A", "123 456 789", "١٢٣٤٥٦٧٨٩", "123456789\n", ""]
)
def test_k3_filename_refuses_a_siren_that_is_not_9_digits(siren: str) -> None:
    with pytest.raises(ValueError):
        fec_filename(siren, date(2026, 12, 31))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"total_incl_vat": Decimal("119.99")}, ValueError),
        ({"total_excl_vat": Decimal("-100.00"), "total_incl_vat": Decimal("-80.00")}, ValueError),
        ({"vat_total": Decimal("20.001"), "total_incl_vat": Decimal("120.001")}, ValueError),
        ({"vat_total": 20.0}, TypeError),
        ({"label": " \t"}, ValueError),
        ({"issue_date": "2026-03-02"}, TypeError),
    ],
)
def test_k3_sale_document_refuses_inconsistent_amounts(changes: dict, error: type[Exception]) -> None:
    fields = {
        "number": "F-2026-00042", "is_credit_note": False, "issue_date": date(2026, 3, 2),
        "customer_code": "CLUB-mermoz", "customer_name": "Aéroclub Mermoz", "total_excl_vat": Decimal("100.00"),
        "vat_total": Decimal("20.00"), "total_incl_vat": Decimal("120.00"), "label": "Facture",
    }
    with pytest.raises(error):
        SaleDocument(**(fields | changes))


def test_k3_bank_movement_refuses_an_unknown_method_and_fractions_of_cents() -> None:
    with pytest.raises(ValueError):
        _movement("P", date(2026, 1, 1), "cash", "1.00", "F-2026-00001", MERMOZ, "Espèces")
    with pytest.raises(ValueError):
        _movement("P", date(2026, 1, 1), "card", "1.005", "F-2026-00001", MERMOZ, "Carte")


# Property tests: whatever the documents, the file is valid and the accounts add up.

_text = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(["a\tb", "x\r\ny", "é\u2028z", "|;\"'"]),
).filter(str.strip)
_customer = st.tuples(_text, _text)


@st.composite
def _sales(draw) -> SaleDocument:
    excl, vat = draw(st.integers(0, 10**9)), draw(st.integers(0, 10**8))
    code, name = draw(_customer)
    return SaleDocument(
        number=draw(_text), is_credit_note=draw(st.booleans()), issue_date=draw(st.dates()),
        customer_code=code, customer_name=name, total_excl_vat=from_cents(excl), vat_total=from_cents(vat),
        total_incl_vat=from_cents(excl + vat), label=draw(_text),
    )


@st.composite
def _movements(draw) -> BankMovement:
    code, name = draw(_customer)
    return BankMovement(
        reference=draw(_text), day=draw(st.dates()), method=draw(st.sampled_from(["cheque", "transfer", "card"])),
        amount=from_cents(draw(st.integers(-10**9, 10**9))), invoice_number=draw(st.none() | _text),
        customer_code=code, customer_name=name, label=draw(_text),
    )


def _balances(lines: list[str]) -> dict[str, int]:
    """Debit minus credit per account, in cents."""
    balances: dict[str, int] = {}
    for line in lines[1:]:
        fields = line.rstrip("\n").split("\t")
        debit, credit = (int(amount.replace(",", "")) for amount in fields[11:13])
        balances[fields[4]] = balances.get(fields[4], 0) + debit - credit
    return balances


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


@settings(max_examples=100, deadline=None)
@given(sales=st.lists(_sales(), max_size=8), movements=st.lists(_movements(), max_size=8))
def test_k3_any_export_is_a_valid_fec_whose_accounts_add_up(sales, movements) -> None:
    lines = list(fec_lines(iter(sales), iter(movements), Settings(), VALIDATED_ON))
    assert check_fec(lines) == []
    balances = _balances(lines)

    def signed(doc: SaleDocument, amount: Decimal) -> int:
        return -_cents(amount) if doc.is_credit_note else _cents(amount)

    assert -balances.get("706", 0) == sum(signed(d, d.total_excl_vat) for d in sales)
    assert -balances.get("44571", 0) == sum(signed(d, d.vat_total) for d in sales)
    paid = sum(_cents(m.amount) for m in movements)  # reversals are negative
    assert balances.get("411", 0) == sum(signed(d, d.total_incl_vat) for d in sales) - paid
    assert balances.get("512", 0) + balances.get("5112", 0) == paid
