"""The FEC ("fichier des écritures comptables", LPF article A47 A-1) of the sales and bank journals (rule K3).

Accounting facts in (invoices, credit notes, payments, reversals), journal lines out, streamed: the
iterables are read one document at a time, so a year of invoices takes constant memory. The caller
encodes the text and writes the file; `check_fec` reads a FEC back and lists what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import CENT, ZERO, require_decimal
from .payments import PaymentMethod

#: The 18 columns of A47 A-1, in the order the law lists them; the header line spells them so.
FEC_COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
#: A47 A-1 allows a tab or a `|` between fields; a tab never appears in our (sanitised) text.
FIELD_SEPARATOR = "\t"
#: A47 A-1 ends a record with CR and/or LF; LF alone is what every tool reads.
LINE_END = "\n"
FEC_HEADER = FIELD_SEPARATOR.join(FEC_COLUMNS)

# Every character str.splitlines() breaks on, plus the tab: any of them inside a field would split a
# record or a field for some reader of the file.
_BREAKING = {ord(c): " " for c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
# [0-9] rather than \d: \d also matches non-ASCII digits.
_AMOUNT = re.compile(r"[0-9]+,[0-9]{2}")
_DATE = re.compile(r"[0-9]{8}")
_SIREN = re.compile(r"[0-9]{9}")
_CODE = re.compile(r"[0-9A-Za-z]+")
_SEQUENCE = re.compile(r"[0-9]+$")
#: Fields A47 A-1 requires on every line; CompAuxNum/CompAuxLib, lettering and currency may be empty.
_REQUIRED = ("JournalCode", "JournalLib", "EcritureNum", "CompteNum", "CompteLib", "PieceRef", "EcritureLib")
_DATE_COLUMNS = ("EcritureDate", "PieceDate", "ValidDate")
#: check_fec stops listing after this many problems of one kind per journal, to keep its report readable.
_MAX_LISTED_GAPS = 10


@dataclass(frozen=True)
class Settings:
    """Accounts and journals of the export; the defaults follow the French chart of accounts (K3)."""

    customers_account: str = "411"
    customers_account_label: str = "Clients"
    sales_account: str = "706"
    sales_account_label: str = "Prestations de services"
    vat_account: str = "44571"
    vat_account_label: str = "TVA collectée"
    bank_account: str = "512"
    bank_account_label: str = "Banque"
    #: Cheques received but not yet on the bank statement (M3, M6).
    cheques_account: str = "5112"
    cheques_account_label: str = "Chèques à encaisser"
    sales_journal: str = "VE"
    sales_journal_label: str = "Ventes"
    bank_journal: str = "BQ"
    bank_journal_label: str = "Banque"

    def __post_init__(self) -> None:
        codes = ("customers_account", "sales_account", "vat_account", "bank_account", "cheques_account",
                 "sales_journal", "bank_journal")
        for name in codes:
            if not _CODE.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} must be letters and digits, got {getattr(self, name)!r}")
            _require_text(self, f"{name}_label")
        # Entry numbers run per journal: two journals sharing a code would number over each other.
        if self.sales_journal == self.bank_journal:
            raise ValueError(f"the sales and bank journals need two codes, both are {self.sales_journal!r}")


@dataclass(frozen=True)
class SaleDocument:
    """An issued invoice or credit note, as the sales journal records it (K3, I1, I2).

    Amounts are positive for both; `is_credit_note` puts them on the other side.
    """

    #: "F-2026-00042" or "AV-2026-00003": the piece reference (PieceRef).
    number: str
    is_credit_note: bool
    issue_date: date
    #: The customer's auxiliary account under 411, one per club or partner: "CLUB-mermoz", "PART-12".
    customer_code: str
    customer_name: str
    total_excl_vat: Decimal
    vat_total: Decimal
    total_incl_vat: Decimal
    #: Free text of the entry (EcritureLib), e.g. "Facture F-2026-00042 Aéroclub X".
    label: str

    def __post_init__(self) -> None:
        for name in ("number", "customer_code", "customer_name", "label"):
            _require_text(self, name)
        _require_date(self.issue_date, "issue_date")
        for name in ("total_excl_vat", "vat_total", "total_incl_vat"):
            amount = _require_cents(getattr(self, name), name)
            if amount < 0:
                raise ValueError(f"{name} is positive, also on a credit note: {amount}")
            object.__setattr__(self, name, amount)
        if self.total_excl_vat + self.vat_total != self.total_incl_vat:
            raise ValueError(
                f"{self.number}: {self.total_excl_vat} excl. VAT + {self.vat_total} VAT"
                f" is not {self.total_incl_vat} incl. VAT"
            )


@dataclass(frozen=True)
class BankMovement:
    """A payment received, or its reversal, as the bank journal records it (K3, M1 to M4).

    `amount` is positive for a payment and negative for a reversal (the counter-entry of a payment).
    """

    #: Payment id or bank reference: the piece reference (PieceRef).
    reference: str
    day: date
    method: PaymentMethod
    amount: Decimal
    #: The invoice the money settles, None when it settles none yet; lettering (EcritureLet) is left
    #: empty today, this is what it would use.
    invoice_number: str | None
    customer_code: str
    customer_name: str
    label: str

    def __post_init__(self) -> None:
        for name in ("reference", "customer_code", "customer_name", "label"):
            _require_text(self, name)
        _require_date(self.day, "day")
        object.__setattr__(self, "method", PaymentMethod(self.method))
        object.__setattr__(self, "amount", _require_cents(self.amount, "amount"))


@dataclass(frozen=True)
class _Posting:
    """One accounting line of an entry: an account, and an amount on one side only."""

    account: str
    account_label: str
    aux_code: str
    aux_name: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class _Entry:
    """One balanced journal entry, not yet numbered."""

    journal: str
    journal_label: str
    day: date
    piece_ref: str
    label: str
    postings: tuple[_Posting, ...]

    def __post_init__(self) -> None:
        # Built balanced by construction; this guards the construction.
        debit = sum((p.debit for p in self.postings), ZERO)
        credit = sum((p.credit for p in self.postings), ZERO)
        if debit != credit:
            raise ValueError(f"{self.piece_ref}: unbalanced entry, debit {debit} credit {credit}")


def fec_lines(
    sales: Iterable[SaleDocument],
    movements: Iterable[BankMovement],
    settings: Settings,
    validated_on: date,
) -> Iterator[str]:
    """The FEC as text lines, each ending with LINE_END: the header, the sales journal, then the bank journal (K3).

    Sales and movements are journaled in the order given (the caller sorts them by date, then number) and
    read lazily, one at a time. Fields are tab-separated, dates YYYYMMDD, amounts with a decimal comma.
    """
    yield FEC_HEADER + LINE_END
    for row in _rows(sales, movements, settings, validated_on):
        yield FIELD_SEPARATOR.join(row) + LINE_END


def csv_rows(
    sales: Iterable[SaleDocument],
    movements: Iterable[BankMovement],
    settings: Settings,
    validated_on: date,
) -> Iterator[list[str]]:
    """The FEC's header and lines as rows of fields, for a spreadsheet CSV (`;`, decimal comma) (K3).

    The caller writes them with csv.writer(delimiter=";") after a UTF-8 BOM.
    """
    yield list(FEC_COLUMNS)
    yield from _rows(sales, movements, settings, validated_on)


def fec_filename(siren: str, closing_date: date) -> str:
    """`<SIREN>FEC<YYYYMMDD>.txt`, the name A47 A-1 gives the file, dated by the period's closing day (K3)."""
    if not isinstance(siren, str) or not _SIREN.fullmatch(siren):
        raise ValueError(f"a SIREN has 9 digits, got {siren!r}")
    _require_date(closing_date, "closing_date")
    return f"{siren}FEC{_date(closing_date)}.txt"


def check_fec(lines: Iterable[str]) -> list[str]:
    """What is wrong with a FEC, one message per problem; an empty list when none is found (K3).

    Checks the header, 18 fields per line, dates, amounts, one side per line, balanced entries,
    entry numbers continuous from 1 in each journal, and the fields A47 A-1 requires.
    """
    problems: list[str] = []
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return ["empty file: no header line"]
    if _strip_line_end(first) != FEC_HEADER:
        problems.append("line 1: the header is not the 18 FEC column names, tab-separated, in order")
    balances: dict[tuple[str, str], list[int]] = {}
    numbers: dict[str, set[int]] = {}
    for n, raw in enumerate(iterator, start=2):
        fields = _strip_line_end(raw).split(FIELD_SEPARATOR)
        if len(fields) != len(FEC_COLUMNS):
            problems.append(f"line {n}: {len(fields)} fields instead of {len(FEC_COLUMNS)}")
            continue
        row = dict(zip(FEC_COLUMNS, fields))
        for column in _REQUIRED:
            if not row[column].strip():
                problems.append(f"line {n}: {column} is empty")
        if row["CompAuxNum"].strip() and not row["CompAuxLib"].strip():
            problems.append(f"line {n}: CompAuxLib is empty while CompAuxNum is {row['CompAuxNum']!r}")
        for column in _DATE_COLUMNS:
            if not _is_fec_date(row[column]):
                problems.append(f"line {n}: {column} {row[column]!r} is not a date YYYYMMDD")
        if row["DateLet"] and not _is_fec_date(row["DateLet"]):
            problems.append(f"line {n}: DateLet {row['DateLet']!r} is not a date YYYYMMDD")
        cents = []
        for column in ("Debit", "Credit"):
            if _AMOUNT.fullmatch(row[column]):
                cents.append(int(row[column].replace(",", "")))
            else:
                problems.append(f"line {n}: {column} {row[column]!r} is not an amount like 1234,50")
        if len(cents) == 2:
            debit, credit = cents
            if debit and credit:
                problems.append(f"line {n}: both Debit and Credit are non-zero")
            balance = balances.setdefault((row["JournalCode"], row["EcritureNum"]), [0, 0])
            balance[0] += debit
            balance[1] += credit
        sequence = _SEQUENCE.search(row["EcritureNum"])
        if sequence is None:
            problems.append(f"line {n}: EcritureNum {row['EcritureNum']!r} does not end with a number")
        else:
            numbers.setdefault(row["JournalCode"], set()).add(int(sequence.group()))
    for (journal, number), (debit, credit) in balances.items():
        if debit != credit:
            problems.append(
                f"entry {journal} {number}: debit {_cents_text(debit)} is not credit {_cents_text(credit)}"
            )
    for journal, seen in numbers.items():
        missing = sorted(set(range(1, max(seen) + 1)) - seen)
        if missing:
            listed = ", ".join(str(m) for m in missing[:_MAX_LISTED_GAPS])
            more = "..." if len(missing) > _MAX_LISTED_GAPS else ""
            problems.append(f"journal {journal}: entry numbers missing: {listed}{more}")
        if 0 in seen:
            problems.append(f"journal {journal}: entry numbers start at 1, not 0")
    return problems


def _rows(
    sales: Iterable[SaleDocument],
    movements: Iterable[BankMovement],
    settings: Settings,
    validated_on: date,
) -> Iterator[list[str]]:
    """The FEC lines as fields, sales journal then bank journal, each numbered from 1."""
    _require_date(validated_on, "validated_on")
    valid = _date(validated_on)
    entries = (_sale_entry(doc, settings) for doc in sales)
    yield from _numbered(entries, valid)
    entries = (_bank_entry(movement, settings) for movement in movements)
    yield from _numbered(entries, valid)


def _numbered(entries: Iterable[_Entry | None], valid: str) -> Iterator[list[str]]:
    number = 0
    for entry in entries:
        # An entry with no amount writes no line and takes no number, so the numbering stays continuous.
        if entry is None:
            continue
        number += 1
        entry_number = f"{entry.journal}{number:06d}"
        day = _date(entry.day)
        # Each text once per entry, not once per line: the same on every line of the entry.
        journal, journal_label = _text(entry.journal), _text(entry.journal_label)
        piece_ref, label = _text(entry.piece_ref), _text(entry.label)
        for posting in entry.postings:
            yield [
                journal,
                journal_label,
                entry_number,
                day,
                _text(posting.account),
                _text(posting.account_label),
                _text(posting.aux_code),
                _text(posting.aux_name),
                piece_ref,
                day,
                label,
                _amount(posting.debit),
                _amount(posting.credit),
                "",  # EcritureLet: no lettering exported
                "",  # DateLet
                valid,
                "",  # Montantdevise: euros only
                "",  # Idevise
            ]


def _sale_entry(doc: SaleDocument, settings: Settings) -> _Entry | None:
    """Invoice: debit the customer, credit sales and VAT; a credit note the other way round (K3)."""
    customer_debits = not doc.is_credit_note
    postings = (
        _posting(settings.customers_account, settings.customers_account_label, doc.total_incl_vat,
                 customer_debits, doc.customer_code, doc.customer_name),
        _posting(settings.sales_account, settings.sales_account_label, doc.total_excl_vat, not customer_debits),
        _posting(settings.vat_account, settings.vat_account_label, doc.vat_total, not customer_debits),
    )
    return _entry(settings.sales_journal, settings.sales_journal_label, doc.issue_date, doc.number, doc.label,
                  postings)


def _bank_entry(movement: BankMovement, settings: Settings) -> _Entry | None:
    """Payment: debit the bank (cheques to deposit for a cheque), credit the customer; a reversal the other way (K3)."""
    if movement.method is PaymentMethod.CHEQUE:
        account, account_label = settings.cheques_account, settings.cheques_account_label
    else:
        account, account_label = settings.bank_account, settings.bank_account_label
    bank_debits = movement.amount > 0
    amount = abs(movement.amount)
    postings = (
        _posting(account, account_label, amount, bank_debits),
        _posting(settings.customers_account, settings.customers_account_label, amount, not bank_debits,
                 movement.customer_code, movement.customer_name),
    )
    return _entry(settings.bank_journal, settings.bank_journal_label, movement.day, movement.reference,
                  movement.label, postings)


def _posting(account: str, label: str, amount: Decimal, debit: bool, aux_code: str = "",
             aux_name: str = "") -> _Posting:
    return _Posting(account, label, aux_code, aux_name, amount if debit else ZERO, ZERO if debit else amount)


def _entry(journal: str, journal_label: str, day: date, piece_ref: str, label: str,
           postings: tuple[_Posting, ...]) -> _Entry | None:
    # Zero-amount lines are never written (a 0 % VAT line, an all-free invoice).
    kept = tuple(p for p in postings if p.debit or p.credit)
    if not kept:
        return None
    return _Entry(journal, journal_label, day, piece_ref, label, kept)


def _text(value: str) -> str:
    # Most text has nothing to replace: isprintable() is False for every character of _BREAKING.
    return value if value.isprintable() else value.translate(_BREAKING)


def _amount(value: Decimal) -> str:
    # Amounts reach here non-negative and in whole cents; "-0.00" cannot come out of abs() or ZERO.
    return f"{value:.2f}".replace(".", ",")


def _cents_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _date(value: date) -> str:
    # Not strftime: its %Y does not pad years before 1000 on every platform.
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _is_fec_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _strip_line_end(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def _require_text(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    # A47 A-1 requires the labels and references; a blank one would make the file fail its checks.
    if not value.strip():
        raise ValueError(f"{name} must not be blank")


def _require_date(value: object, name: str) -> None:
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _require_cents(value: object, name: str) -> Decimal:
    amount = require_decimal(value, name)
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError(f"{name} is not a whole number of cents: {amount}")
    # Normalised to two decimals and never "-0.00": 5, 5.0 and 5.000 all print as 5,00.
    return cents if cents else ZERO
