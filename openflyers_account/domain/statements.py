"""Bank statement import: parse an ISO 20022 CAMT.053 file safely and match its credits to invoices (M5)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from io import BytesIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .money import CENT
from .references import invoice_numbers_in_text, references_in_text

#: camt.053.001.02 (the SEPA classic) to .08: the versions French banks deliver.
CAMT053_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0[2-8]")
ACCEPTED_CURRENCY = "EUR"
_AMOUNT = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,5})?")
#: Placeholder the SEPA rulebook puts in EndToEndId when the payer gave none.
NOT_PROVIDED = "NOTPROVIDED"


class StatementErrorCode(StrEnum):
    """Why a statement file was refused; the web layer turns each code into a message (M5)."""

    #: Not well-formed XML, or a CAMT.053 element missing or unreadable.
    MALFORMED = "malformed"
    #: A DTD, entity declaration or external reference: XXE, billion laughs and the like.
    HOSTILE = "hostile"
    #: Bigger than the size the caller allows.
    TOO_LARGE = "too_large"
    #: Well-formed XML but not one CAMT.053 account statement (.02 to .08).
    UNSUPPORTED = "unsupported"
    #: No booked credit entry: nothing that could pay an invoice.
    NO_CREDIT = "no_credit"
    #: An account or entry not in euros.
    CURRENCY = "currency"


class StatementError(Exception):
    """A statement file refused as a whole: nothing from it is recorded (M5)."""

    def __init__(self, code: StatementErrorCode | str, detail: str = "") -> None:
        self.code = StatementErrorCode(code)
        #: For logs, not for users: may quote the file.
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else str(self.code))


class CreditDebit(StrEnum):
    """Direction of a statement entry, as CAMT.053's CdtDbtInd says it (M5)."""

    #: Money in: may pay an invoice.
    CREDIT = "CRDT"
    #: Money out: never matched.
    DEBIT = "DBIT"


@dataclass(frozen=True)
class StatementEntry:
    """One booked movement of a statement, or one transaction of a batch entry (M5)."""

    #: The bank's unique reference (AcctSvcrRef): importing it twice records nothing twice.
    entry_ref: str
    booking_date: date
    #: Always positive; `direction` says which way the money went.
    amount: Decimal
    currency: str
    direction: CreditDebit
    debtor_name: str | None
    #: Unstructured remittance lines (RmtInf/Ustrd), joined by spaces; "" when none.
    remittance_text: str
    #: Structured creditor reference (RmtInf/Strd/CdtrRefInf/Ref), as the bank gave it.
    creditor_reference: str | None
    end_to_end_id: str | None
    #: The bank's own free text (AddtlNtryInf); some banks put the payer's text only here.
    additional_info: str | None
    #: False when the bank gave no reference and `entry_ref` is the entry's place in this statement: the
    #: same movement in another statement then has another `entry_ref`, and only its figures can tell.
    has_bank_reference: bool = True

    @property
    def is_credit(self) -> bool:
        """True for money in, the only entries matched to invoices (M5)."""
        return self.direction is CreditDebit.CREDIT


@dataclass(frozen=True)
class Statement:
    """A parsed CAMT.053 account statement with its booked entries (M5)."""

    id: str
    #: Compact IBAN of the account the statement is for.
    account_iban: str
    #: As the bank wrote it: aware when it gave an offset, naive otherwise.
    created_at: datetime
    entries: tuple[StatementEntry, ...]

    @property
    def credits(self) -> tuple[StatementEntry, ...]:
        """The credit entries, the only ones that can pay an invoice (M5)."""
        return tuple(entry for entry in self.entries if entry.is_credit)


class _Paths:
    """Namespace-qualified tags and paths for one CAMT.053 version, built once per file."""

    def __init__(self, namespace: str) -> None:
        def q(path: str) -> str:
            return "/".join(f"{{{namespace}}}{tag}" for tag in path.split("/"))

        self.document = q("Document")
        self.statement = q("Stmt")
        self.entry = q("Ntry")
        self.id = q("Id")
        self.created = q("CreDtTm")
        self.group_created = q("GrpHdr/CreDtTm")
        self.statement_group = q("BkToCstmrStmt")
        self.iban = q("Acct/Id/IBAN")
        self.account_currency = q("Acct/Ccy")
        self.amount = q("Amt")
        self.credit_debit = q("CdtDbtInd")
        # .02 to .06 write <Sts>BOOK</Sts>; .07 and .08 write <Sts><Cd>BOOK</Cd></Sts>.
        self.status = q("Sts")
        self.status_code = q("Sts/Cd")
        self.booking_date = q("BookgDt/Dt")
        self.booking_datetime = q("BookgDt/DtTm")
        self.value_date = q("ValDt/Dt")
        self.servicer_ref = q("AcctSvcrRef")
        self.entry_ref = q("NtryRef")
        self.additional_info = q("AddtlNtryInf")
        self.transactions = q("NtryDtls/TxDtls")
        self.tx_servicer_ref = q("Refs/AcctSvcrRef")
        self.end_to_end_id = q("Refs/EndToEndId")
        # .02 has the transaction amount only in AmtDtls; .03 and later also in TxDtls/Amt.
        self.tx_amount = q("Amt")
        self.tx_amount_details = q("AmtDtls/TxAmt/Amt")
        # .08 wraps the party in <Pty>; earlier versions put <Nm> straight under <Dbtr>.
        self.debtor_name = q("RltdPties/Dbtr/Nm")
        self.debtor_party_name = q("RltdPties/Dbtr/Pty/Nm")
        self.unstructured = q("RmtInf/Ustrd")
        self.creditor_ref = q("RmtInf/Strd/CdtrRefInf/Ref")


def _text(element: Element, path: str) -> str | None:
    """Stripped text at `path`, with runs of whitespace collapsed; None when absent or empty."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    text = " ".join(found.text.split())
    return text or None


def _amount(element: Element | None, where: str) -> Decimal:
    """A positive amount in whole cents from an <Amt Ccy="EUR"> element; other currencies are refused."""
    if element is None or element.text is None:
        raise StatementError(StatementErrorCode.MALFORMED, f"{where}: no amount")
    currency = (element.get("Ccy") or "").strip().upper()
    if currency != ACCEPTED_CURRENCY:
        raise StatementError(StatementErrorCode.CURRENCY, f"{where}: currency {currency!r}")
    text = element.text.strip()
    # xs:decimal as CAMT writes it (at most 18 digits, 5 decimals); Decimal() alone would also
    # take "NaN", "1e3" or "1_000".
    amount = Decimal(text) if _AMOUNT.fullmatch(text) else None
    if amount is None or amount <= 0 or amount != amount.quantize(CENT):
        raise StatementError(StatementErrorCode.MALFORMED, f"{where}: amount {element.text!r}")
    return amount.quantize(CENT)


def _datetime(text: str | None, where: str) -> datetime:
    if text is None:
        raise StatementError(StatementErrorCode.MALFORMED, f"{where}: missing")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise StatementError(StatementErrorCode.MALFORMED, f"{where}: {text!r}") from None


def _booking_date(entry: Element, paths: _Paths, where: str) -> date:
    day = _text(entry, paths.booking_date) or _text(entry, paths.value_date)
    if day is not None:
        try:
            return date.fromisoformat(day)
        except ValueError:
            raise StatementError(StatementErrorCode.MALFORMED, f"{where}: date {day!r}") from None
    return _datetime(_text(entry, paths.booking_datetime), f"{where}: booking date").date()


def _entries(entry: Element, paths: _Paths, fallback_ref: str) -> list[StatementEntry]:
    """The statement entries of one <Ntry>: one, or one per transaction of a batch booking."""
    where = f"entry {fallback_ref}"
    status = _text(entry, paths.status_code) or _text(entry, paths.status)
    if status not in (None, "BOOK"):
        # Pending or informational lines are not money on the account yet.
        return []
    amount = _amount(entry.find(paths.amount), where)
    indicator = _text(entry, paths.credit_debit)
    try:
        direction = CreditDebit(indicator)
    except ValueError:
        raise StatementError(StatementErrorCode.MALFORMED, f"{where}: CdtDbtInd {indicator!r}") from None
    booking_date = _booking_date(entry, paths, where)
    additional_info = _text(entry, paths.additional_info)
    transactions = entry.findall(paths.transactions)
    entry_ref = _text(entry, paths.servicer_ref) or _text(entry, paths.entry_ref)
    if entry_ref is None and len(transactions) == 1:
        entry_ref = _text(transactions[0], paths.tx_servicer_ref)
    # Without a bank reference, the entry's place in this statement is what repeats when the
    # same file is imported again.
    has_bank_reference = entry_ref is not None
    entry_ref = entry_ref or fallback_ref
    if len(transactions) <= 1:
        details = transactions[0] if transactions else None
        return [_entry(details, paths, entry_ref, booking_date, amount, direction, additional_info,
                       has_bank_reference)]
    # A batch booking: each transaction has its own payer and text, so each is matched alone.
    batch = []
    for position, tx in enumerate(transactions, start=1):
        tx_amount = tx.find(paths.tx_amount)
        if tx_amount is None:
            tx_amount = tx.find(paths.tx_amount_details)
        amount = _amount(tx_amount, f"{where} transaction {position}")
        batch.append(_entry(tx, paths, f"{entry_ref}/{position}", booking_date, amount, direction, additional_info,
                            has_bank_reference))
    return batch


def _entry(
    tx: Element | None,
    paths: _Paths,
    entry_ref: str,
    booking_date: date,
    amount: Decimal,
    direction: CreditDebit,
    additional_info: str | None,
    has_bank_reference: bool,
) -> StatementEntry:
    """One statement entry from the entry's figures and its transaction details (<TxDtls>), if any."""
    if tx is None:
        return StatementEntry(entry_ref, booking_date, amount, ACCEPTED_CURRENCY, direction, None, "", None, None,
                              additional_info, has_bank_reference)
    end_to_end_id = _text(tx, paths.end_to_end_id)
    lines = (" ".join((line.text or "").split()) for line in tx.iterfind(paths.unstructured))
    return StatementEntry(
        entry_ref=entry_ref,
        booking_date=booking_date,
        amount=amount,
        currency=ACCEPTED_CURRENCY,
        direction=direction,
        debtor_name=_text(tx, paths.debtor_name) or _text(tx, paths.debtor_party_name),
        # Banks cut long texts into 140-character lines; the matchers tolerate the added spaces.
        remittance_text=" ".join(line for line in lines if line),
        creditor_reference=_text(tx, paths.creditor_ref),
        end_to_end_id=None if end_to_end_id == NOT_PROVIDED else end_to_end_id,
        additional_info=additional_info,
        has_bank_reference=has_bank_reference,
    )


def parse_statement(data: bytes, *, max_bytes: int) -> Statement:
    """Parse one CAMT.053 account statement in a single streaming pass; refuse hostile or odd files whole (M5)."""
    if len(data) > max_bytes:
        raise StatementError(StatementErrorCode.TOO_LARGE, f"{len(data)} bytes, at most {max_bytes}")
    paths: _Paths | None = None
    root: Element | None = None
    statement: Element | None = None
    statement_id: str | None = None
    entry_count = 0
    entries: list[StatementEntry] = []
    try:
        # forbid_dtd: a statement never needs a DOCTYPE, and refusing it stops XXE and entity
        # expansion before expat resolves anything; entities and external references are refused too.
        for event, element in iterparse(
            BytesIO(data), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                if paths is None:
                    paths = _root_paths(element)
                    root = element
                elif element.tag == paths.statement:
                    if statement is not None:
                        raise StatementError(StatementErrorCode.UNSUPPORTED, "more than one <Stmt>")
                    statement = element
                continue
            assert paths is not None
            if element.tag == paths.entry:
                # <Id> comes before the first <Ntry> in every CAMT.053 version.
                statement_id = statement_id or _statement_id(statement, paths)
                entry_count += 1
                entries.extend(_entries(element, paths, f"{statement_id}/{entry_count}"))
                # Entries are read once: dropping their content keeps memory flat on large files.
                element.clear()
    except DefusedXmlException as error:
        raise StatementError(StatementErrorCode.HOSTILE, type(error).__name__) from None
    except ParseError as error:
        raise StatementError(StatementErrorCode.MALFORMED, str(error)) from None
    assert paths is not None and root is not None  # a well-formed document has a root
    if statement is None:
        raise StatementError(StatementErrorCode.MALFORMED, "no <Stmt>")
    account_currency = _text(statement, paths.account_currency)
    if account_currency is not None and account_currency.upper() != ACCEPTED_CURRENCY:
        raise StatementError(StatementErrorCode.CURRENCY, f"account currency {account_currency!r}")
    iban = _text(statement, paths.iban)
    if iban is None:
        raise StatementError(StatementErrorCode.MALFORMED, "no account IBAN")
    created_text = _text(statement, paths.created) or _text(root, paths.group_created)
    parsed = Statement(
        id=statement_id or _statement_id(statement, paths),
        account_iban=compact_iban(iban),
        created_at=_datetime(created_text, "CreDtTm"),
        entries=tuple(entries),
    )
    if not parsed.credits:
        raise StatementError(StatementErrorCode.NO_CREDIT, f"{len(parsed.entries)} booked entries, no credit")
    return parsed


def compact_iban(iban: str) -> str:
    """An IBAN as a comparable string: no spaces, upper case ("fr76 3000 ..." -> "FR763000...")."""
    return "".join(iban.split()).upper()


def is_statement_of(statement: Statement, account_iban: str) -> bool:
    """True when the statement is for the account `account_iban`, the one invoices are paid to (M5).

    A statement that names no IBAN, or a check with no account configured, has nothing to compare.
    """
    if not statement.account_iban or not account_iban.strip():
        return True
    return compact_iban(statement.account_iban) == compact_iban(account_iban)


def _root_paths(root: Element) -> _Paths:
    """Paths for the file's CAMT.053 version, or UNSUPPORTED for any other document."""
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "Document" or not CAMT053_NAMESPACE.fullmatch(namespace):
        raise StatementError(StatementErrorCode.UNSUPPORTED, f"root {root.tag!r}")
    return _Paths(namespace)


def _statement_id(statement: Element | None, paths: _Paths) -> str:
    statement_id = None if statement is None else _text(statement, paths.id)
    if statement_id is None:
        raise StatementError(StatementErrorCode.MALFORMED, "no statement <Id>")
    return statement_id


# --- Matching (M5) ---------------------------------------------------------------------------


class MatchMethod(StrEnum):
    """How a credit entry was tied to an invoice, most reliable first (M5)."""

    #: The ISO 11649 creditor reference, structured or in the free text: check digits prove it.
    REFERENCE = "reference"
    #: The invoice number in the free text.
    INVOICE_NUMBER = "invoice_number"
    #: Only a suggestion: same amount as one open invoice's balance and a resembling payer name.
    SUGGESTED = "suggested"
    #: Nothing found: staff decide.
    NONE = "none"


#: Confidence out of 100 for each method when the amount equals the balance due.
CONFIDENCE = {
    MatchMethod.REFERENCE: 100,
    MatchMethod.INVOICE_NUMBER: 90,
    MatchMethod.SUGGESTED: 60,
    MatchMethod.NONE: 0,
}
#: Taken off when the invoice is certain but the amount is not its balance (partial or overpayment).
AMOUNT_MISMATCH_PENALTY = 20

#: Words every club name has or that say nothing about which club it is.
NAME_STOP_WORDS = frozenset(
    {"aeroclub", "aero", "club", "clubs", "association", "asso", "assoc", "des", "les", "sur", "saint", "sainte"}
)
#: Shorter words are articles and initials ("de", "l", "ac") that many clubs share.
NAME_MIN_WORD_LENGTH = 3


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice still waiting for money, as the matcher needs it (M5)."""

    number: str
    rf_reference: str
    balance_due: Decimal
    buyer_name: str


@dataclass(frozen=True)
class Match:
    """The invoice proposed for one credit entry; staff confirm it (M5)."""

    entry: StatementEntry
    invoice_number: str | None
    method: MatchMethod
    #: 0 to 100: how sure the proposal is (see CONFIDENCE).
    confidence: int


def name_words(name: str) -> frozenset[str]:
    """The words that tell one club from another: no case, accents, punctuation or "aéro-club" (M5)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return frozenset(word for word in words if len(word) >= NAME_MIN_WORD_LENGTH and word not in NAME_STOP_WORDS)


def match_entries(entries: Iterable[StatementEntry], open_invoices: Iterable[OpenInvoice]) -> tuple[Match, ...]:
    """Propose an invoice for each credit entry: by RF reference, then invoice number, then amount and name (M5)."""
    invoices = tuple(open_invoices)
    by_reference = {invoice.rf_reference.replace(" ", "").upper(): invoice for invoice in invoices}
    by_number = {invoice.number: invoice for invoice in invoices}
    # (balance, name word) -> invoices: a suggestion costs a few dict lookups, not a scan of every invoice.
    by_balance_and_word: dict[tuple[Decimal, str], list[OpenInvoice]] = {}
    for invoice in invoices:
        for word in name_words(invoice.buyer_name):
            by_balance_and_word.setdefault((invoice.balance_due, word), []).append(invoice)

    matches = []
    for entry in entries:
        if not entry.is_credit:
            continue
        invoice, method = _find_invoice(entry, by_reference, by_number, by_balance_and_word)
        matches.append(_match(entry, invoice, method))
    return tuple(matches)


def _find_invoice(
    entry: StatementEntry,
    by_reference: dict[str, OpenInvoice],
    by_number: dict[str, OpenInvoice],
    by_balance_and_word: dict[tuple[Decimal, str], list[OpenInvoice]],
) -> tuple[OpenInvoice | None, MatchMethod]:
    free_text = " ".join(text for text in (entry.remittance_text, entry.additional_info) if text)
    structured = references_in_text(entry.creditor_reference) if entry.creditor_reference else ()
    for reference in (*structured, *references_in_text(free_text)):
        if reference in by_reference:
            return by_reference[reference], MatchMethod.REFERENCE
    for number in invoice_numbers_in_text(free_text):
        if number in by_number:
            return by_number[number], MatchMethod.INVOICE_NUMBER
    if entry.debtor_name:
        candidates = {
            invoice.number: invoice
            for word in name_words(entry.debtor_name)
            for invoice in by_balance_and_word.get((entry.amount, word), ())
        }
        # Two clubs owing the same amount under resembling names: a guess would be a coin toss.
        if len(candidates) == 1:
            return next(iter(candidates.values())), MatchMethod.SUGGESTED
    return None, MatchMethod.NONE


def _match(entry: StatementEntry, invoice: OpenInvoice | None, method: MatchMethod) -> Match:
    if invoice is None:
        return Match(entry, None, MatchMethod.NONE, CONFIDENCE[MatchMethod.NONE])
    confidence = CONFIDENCE[method]
    if entry.amount != invoice.balance_due:
        confidence -= AMOUNT_MISMATCH_PENALTY
    return Match(entry, invoice.number, method, confidence)
