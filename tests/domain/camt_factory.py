"""Builds CAMT.053 bank statements for tests and the M5 benchmark."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from openflyers_account.domain.references import creditor_reference
from openflyers_account.domain.statements import OpenInvoice

VENDOR_IBAN = "FR7630006000011234567890189"


@dataclass(frozen=True)
class CamtEntry:
    """One <Ntry> with a single transaction, as a French bank writes an incoming SEPA transfer."""

    amount: Decimal
    credit: bool = True
    currency: str = "EUR"
    debtor_name: str | None = "AEROCLUB DE MERMOZ"
    #: RmtInf/Ustrd lines.
    remittance: tuple[str, ...] = ()
    #: RmtInf/Strd/CdtrRefInf/Ref.
    creditor_reference: str | None = None
    end_to_end_id: str = "NOTPROVIDED"
    #: AcctSvcrRef; None leaves it out.
    servicer_ref: str | None = None
    booking_date: date = date(2026, 1, 15)
    status: str = "BOOK"


def _entry_xml(entry: CamtEntry, version: str) -> str:
    ccy = escape(entry.currency)
    status = f"<Sts><Cd>{entry.status}</Cd></Sts>" if version >= "07" else f"<Sts>{entry.status}</Sts>"
    name = ""
    if entry.debtor_name is not None:
        # camt.053.001.08 wraps the party in <Pty>.
        inner = f"<Nm>{escape(entry.debtor_name)}</Nm>"
        party = f"<Pty>{inner}</Pty>" if version >= "08" else inner
        name = f"<RltdPties><Dbtr>{party}</Dbtr></RltdPties>"
    remittance = "".join(f"<Ustrd>{escape(line)}</Ustrd>" for line in entry.remittance)
    if entry.creditor_reference is not None:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
            f"<Ref>{escape(entry.creditor_reference)}</Ref></CdtrRefInf></Strd>"
        )
    remittance = f"<RmtInf>{remittance}</RmtInf>" if remittance else ""
    servicer_ref = f"<AcctSvcrRef>{escape(entry.servicer_ref)}</AcctSvcrRef>" if entry.servicer_ref else ""
    indicator = "CRDT" if entry.credit else "DBIT"
    family = "RCDT" if entry.credit else "ICDT"
    return (
        f"<Ntry><Amt Ccy=\"{ccy}\">{entry.amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{status}"
        f"<BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{entry.booking_date.isoformat()}</Dt></ValDt>{servicer_ref}"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        "<NtryDtls><TxDtls>"
        f"<Refs><EndToEndId>{escape(entry.end_to_end_id)}</EndToEndId></Refs>"
        f"<AmtDtls><TxAmt><Amt Ccy=\"{ccy}\">{entry.amount}</Amt></TxAmt></AmtDtls>"
        f"{name}{remittance}"
        "</TxDtls></NtryDtls>"
        f"<AddtlNtryInf>{'VIR SEPA RECU' if entry.credit else 'VIR SEPA EMIS'}</AddtlNtryInf>"
        "</Ntry>"
    )


def camt053(
    entries: Sequence[CamtEntry],
    *,
    version: str = "02",
    statement_id: str = "STMT-2026-01-15",
    iban: str = VENDOR_IBAN,
    account_currency: str = "EUR",
) -> bytes:
    """A camt.053.001.<version> document with one statement holding `entries`."""
    namespace = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    body = "".join(_entry_xml(entry, version) for entry in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{namespace}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-2026-01-15</MsgId><CreDtTm>2026-01-15T22:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>2026-01-15T22:00:00+01:00</CreDtTm>"
        f"<Acct><Id><IBAN>{escape(iban)}</IBAN></Id><Ccy>{escape(account_currency)}</Ccy></Acct>"
        f"{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def invoice_number(index: int) -> str:
    return f"F-2026-{index:05d}"


def open_invoices(count: int) -> tuple[OpenInvoice, ...]:
    """`count` open invoices with distinct balances and club names, F-2026-00001 onwards."""
    return tuple(
        OpenInvoice(
            number=invoice_number(index),
            rf_reference=creditor_reference(invoice_number(index)),
            balance_due=Decimal(1000 + index) + Decimal("0.50"),
            buyer_name=f"Aéro-Club de Ville{index:05d}",
        )
        for index in range(1, count + 1)
    )


def statement_for(invoices: Sequence[OpenInvoice], *, version: str = "02") -> bytes:
    """One credit per invoice, paying its balance, the four ways clubs word a transfer in turn."""
    entries = []
    for position, invoice in enumerate(invoices):
        way = position % 4
        entries.append(
            CamtEntry(
                amount=invoice.balance_due,
                debtor_name=f"ASSOCIATION AEROCLUB VILLE{invoice.number[-5:]}",
                creditor_reference=invoice.rf_reference if way == 0 else None,
                remittance=(
                    (f"REGLEMENT {invoice.rf_reference}",),
                    (f"FACTURE {invoice.number}",),
                    ("COTISATION LOGICIEL",),
                )[way - 1]
                if way
                else (),
                servicer_ref=f"BANKREF{position:08d}",
            )
        )
    return camt053(entries, version=version)


def camt053_with_entries(count: int, *, version: str = "02") -> tuple[bytes, tuple[OpenInvoice, ...]]:
    """A statement with `count` credit entries and the `count` open invoices they pay (M5 benchmark)."""
    invoices = open_invoices(count)
    return statement_for(invoices, version=version), invoices
