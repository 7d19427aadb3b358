"""Bank statement import in the back office: matching, confirmation, refusals (M5, M4, R4, A5)."""
from __future__ import annotations

import html
import io
import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.subscriptions.operations import cancel_purchase, issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    BankStatement,
    BankStatementEntry,
    Invoice,
    InvoiceStatus,
    Payment,
    StatementEntryStatus,
    SubscriptionPeriod,
)
from openflyers_account.payments import operations, statements
from openflyers_account.payments.statements import StatementRefused
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.domain.camt_factory import CamtEntry, camt053

AGENT = "agent@openflyers.example"
BOOKED = date(2026, 1, 15)
CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def agent(make, staff_sign_in, english):
    member = make.staff(email=AGENT)
    staff_sign_in(AGENT)
    return member


@pytest.fixture
def issue(app, make):
    """Issue a real renewal invoice for a new club named `name` (1 resource, business, 1 year)."""

    def issue(subdomain: str, name: str) -> Invoice:
        club = make.club(subdomain, resources=1, name=name)
        with app.test_request_context():
            return issue_renewal(club.id, None, SubscriptionOrder("business", 1, Term.ONE_YEAR), date.today(), club)

    return issue


@pytest.fixture
def mermoz(issue) -> Invoice:
    return issue("mermoz", "Aéroclub Mermoz")


@pytest.fixture
def latecoere(issue) -> Invoice:
    return issue("latecoere", "Aéro-Club Latécoère")


@pytest.fixture
def guillaumet(issue) -> Invoice:
    return issue("guillaumet", "Aéroclub Guillaumet")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload(client, data: bytes | None, filename: str = "releve.xml"):
    files = {} if data is None else {"statement": (io.BytesIO(data), filename)}
    return post_form(client, "/staff/statements", files, content_type="multipart/form-data")


def imported(client, data: bytes) -> int:
    """Upload a statement that must be accepted; returns its id."""
    response = upload(client, data)
    assert response.status_code == 302, page_text(response)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def checkboxes(client, statement_id: int) -> dict[int, bool]:
    """Entry id -> ticked, as the confirmation page shows them."""
    page = client.get(f"/staff/statements/{statement_id}").get_data(as_text=True)
    return {int(value): bool(checked) for value, checked in re.findall(
        r'<input type="checkbox" name="entries" value="(\d+)"[^>]*?( checked)?>', page, flags=re.S)}


def confirm(client, statement_id: int, entry_ids):
    path = f"/staff/statements/{statement_id}"
    return post_form(client, f"{path}/confirm", {"entries": [str(i) for i in entry_ids]}, token_from=path)


def counts() -> tuple[int, int, int]:
    """Rows of statements, statement entries and payments."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (BankStatement, BankStatementEntry, Payment))


def entries_of(statement_id: int) -> list[BankStatementEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(BankStatementEntry).where(BankStatementEntry.statement_id == statement_id)
                                   .order_by(BankStatementEntry.id)))


def fresh(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def by_reference(invoice: Invoice, ref: str = "BANKREF1", **fields) -> CamtEntry:
    return CamtEntry(amount=invoice.total_incl_vat, creditor_reference=invoice.creditor_reference,
                     servicer_ref=ref, **fields)


# -- matching ------------------------------------------------------------------------------------------


def test_m5_credits_matched_by_reference_then_invoice_number_then_suggested_by_amount_and_name(
        client, agent, mermoz, latecoere, guillaumet):
    data = camt053([
        by_reference(mermoz, "BANKREF1", debtor_name="AEROCLUB MERMOZ"),
        CamtEntry(amount=latecoere.total_incl_vat, debtor_name="TRESORIER AC", servicer_ref="BANKREF2",
                  remittance=(f"COTISATION FACTURE {latecoere.number.lower()} MERCI",)),
        CamtEntry(amount=guillaumet.total_incl_vat, debtor_name="ASSOCIATION AEROCLUB GUILLAUMET",
                  servicer_ref="BANKREF3", remittance=("COTISATION LOGICIEL",)),
        CamtEntry(amount=Decimal("12.34"), debtor_name="INCONNU", servicer_ref="BANKREF4"),
        CamtEntry(amount=Decimal("99.00"), credit=False, debtor_name=None, servicer_ref="BANKREF5"),
    ])
    statement_id = imported(client, data)

    entries = entries_of(statement_id)
    # Only credits are stored: the debit is not money in (M5).
    assert [e.entry_ref for e in entries] == ["BANKREF1", "BANKREF2", "BANKREF3", "BANKREF4"]
    assert [(e.invoice_id, e.match_method) for e in entries] == [
        (mermoz.id, "reference"), (latecoere.id, "invoice_number"), (guillaumet.id, "suggested"), (None, "none")]
    assert all(e.status is StatementEntryStatus.PENDING for e in entries)
    assert counts()[2] == 0, "nothing is paid before staff confirm"

    # Sure matches are ticked, the suggestion is not, the unmatched entry has no box.
    assert checkboxes(client, statement_id) == {entries[0].id: True, entries[1].id: True, entries[2].id: False}
    page = page_text(client.get(f"/staff/statements/{statement_id}"))
    for text in ("creditor reference", "invoice number in the text", "suggested from amount and payer name",
                 "no match", mermoz.number, latecoere.number, guillaumet.number, "ASSOCIATION AEROCLUB GUILLAUMET"):
        assert text in page
    listing = page_text(client.get("/staff/statements"))
    assert "STMT-2026-01-15" in listing


def test_m5_m4_r4_confirm_records_the_payments_and_the_invoices_become_paid(
        client, agent, mermoz, latecoere, guillaumet, mailbox):
    statement_id = imported(client, camt053([
        by_reference(mermoz, "BANKREF1"),
        CamtEntry(amount=latecoere.total_incl_vat, servicer_ref="BANKREF2", remittance=(latecoere.number,)),
        CamtEntry(amount=guillaumet.total_incl_vat, debtor_name="AEROCLUB GUILLAUMET", servicer_ref="BANKREF3"),
    ]))
    ticked = [entry_id for entry_id, on in checkboxes(client, statement_id).items() if on]
    assert len(ticked) == 2

    response = confirm(client, statement_id, ticked)
    assert response.status_code == 302, page_text(response)[:2000]
    assert fresh(mermoz).status is InvoiceStatus.PAID
    assert fresh(latecoere).status is InvoiceStatus.PAID
    assert fresh(guillaumet).status is InvoiceStatus.ISSUED, "an unticked suggestion records nothing"
    for invoice in (mermoz, latecoere):
        period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == invoice.id))
        assert period.activated_at is not None  # R4: in production once fully paid
    payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert [(p.invoice_id, p.amount, p.method, p.received_on, p.recorded_by) for p in payments] == [
        (mermoz.id, mermoz.total_incl_vat, PaymentMethod.TRANSFER, BOOKED, AGENT),
        (latecoere.id, latecoere.total_incl_vat, PaymentMethod.TRANSFER, BOOKED, AGENT),
    ]
    assert {p.statement_entry_id for p in payments} == set(ticked)
    entries = entries_of(statement_id)
    assert [e.status for e in entries] == [StatementEntryStatus.CONFIRMED, StatementEntryStatus.CONFIRMED,
                                           StatementEntryStatus.PENDING]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statement.matches_confirmed")) is not None
    assert mailbox.to("tresorier@mermoz.example"), "the club is told the money arrived (M4)"

    page = page_text(client.get(f"/staff/statements/{statement_id}"))
    assert "Payment of" in page and "2 payments recorded." in page
    # The suggestion, checked by a human, is confirmed on its own afterwards.
    assert confirm(client, statement_id, [entries[2].id]).status_code == 302
    assert fresh(guillaumet).status is InvoiceStatus.PAID


def test_m5_m4_a_partial_payment_by_statement_leaves_the_invoice_partially_paid(client, agent, mermoz):
    statement_id = imported(client, camt053([
        CamtEntry(amount=Decimal("100.00"), creditor_reference=mermoz.creditor_reference, servicer_ref="PART1")]))
    [entry] = entries_of(statement_id)
    assert entry.invoice_id == mermoz.id and entry.match_method == "reference"
    assert confirm(client, statement_id, [entry.id]).status_code == 302
    assert fresh(mermoz).status is InvoiceStatus.PARTIALLY_PAID
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.invoice_id == mermoz.id))
    assert period.activated_at is None

    # The next statement's proposal knows what is left to pay.
    invoices, _ = statements.open_invoices()
    [open_invoice] = [i for i in invoices if i.number == mermoz.number]
    assert open_invoice.balance_due == mermoz.total_incl_vat - Decimal("100.00")
    assert open_invoice.balance_due == operations.position(fresh(mermoz)).settlement.balance_due
    rest = imported(client, camt053([CamtEntry(amount=open_invoice.balance_due, servicer_ref="PART2",
                                               remittance=(f"SOLDE {mermoz.number}",))], statement_id="STMT-2"))
    assert confirm(client, rest, [e.id for e in entries_of(rest)]).status_code == 302
    assert fresh(mermoz).status is InvoiceStatus.PAID


# -- nothing recorded twice -----------------------------------------------------------------------------


def test_m5_importing_the_same_file_again_records_nothing_twice(client, agent, mermoz):
    data = camt053([by_reference(mermoz)])
    imported(client, data)
    before = counts()
    assert before == (1, 1, 0)

    again = upload(client, data)
    assert again.status_code == 422
    assert "was already imported on" in page_text(again)
    # The same statement id in another file (another CAMT version, a re-export) is the same statement.
    reexport = upload(client, camt053([by_reference(mermoz)], version="08"))
    assert reexport.status_code == 422 and "STMT-2026-01-15" in page_text(reexport)
    assert counts() == before


def test_m5_a_different_file_repeating_an_entry_records_it_once(client, agent, mermoz, latecoere):
    first = imported(client, camt053([by_reference(mermoz, "BANKREF1")], statement_id="STMT-A"))
    second = imported(client, camt053([
        by_reference(mermoz, "BANKREF1"),
        by_reference(latecoere, "BANKREF2"),
    ], statement_id="STMT-B"))
    assert [e.entry_ref for e in entries_of(first)] == ["BANKREF1"]
    assert [e.entry_ref for e in entries_of(second)] == ["BANKREF2"]
    assert counts() == (2, 2, 0)
    skipped = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "statement.imported")
                                 .order_by(AuditEntry.id)).all()
    assert [a.details["skipped"] for a in skipped] == [0, 1]


def test_m5_confirming_twice_records_once(client, agent, mermoz):
    statement_id = imported(client, camt053([by_reference(mermoz)]))
    [entry] = entries_of(statement_id)
    path = f"/staff/statements/{statement_id}"
    token = csrf_token(client, path)
    form = {"entries": [str(entry.id)], "csrf_token": token}
    # A double click: the same form posted twice.
    assert client.post(f"{path}/confirm", data=form).status_code == 302
    second = client.post(f"{path}/confirm", data=form, follow_redirects=True)
    assert "already confirmed" in page_text(second)
    assert counts()[2] == 1
    # And straight through the service: the entry's payment is applied once.
    statements.confirm_matches(agent, statement_id, [entry.id], today=date.today())
    assert counts()[2] == 1
    assert fresh(mermoz).status is InvoiceStatus.PAID


def test_m5_a_tampered_entry_id_from_another_statement_is_refused(client, agent, mermoz, latecoere):
    mine = imported(client, camt053([by_reference(mermoz, "BANKREF1")], statement_id="STMT-A"))
    other = imported(client, camt053([by_reference(latecoere, "BANKREF2")], statement_id="STMT-B"))
    [own] = entries_of(mine)
    [foreign] = entries_of(other)
    response = confirm(client, mine, [own.id, foreign.id])
    assert response.status_code == 422
    assert "is not an entry of this statement" in page_text(response)
    assert counts()[2] == 0, "all or nothing: the valid entry is not recorded either"
    for bogus in (["999999"], ["abc"], []):
        refused = confirm(client, mine, bogus)
        assert refused.status_code == 422
    assert counts()[2] == 0


def test_m5_an_entry_whose_invoice_is_no_longer_payable_is_named_and_nothing_is_recorded(
        app, client, agent, mermoz, latecoere):
    statement_id = imported(client, camt053([by_reference(mermoz, "BANKREF1"), by_reference(latecoere, "BANKREF2")]))
    with app.test_request_context():
        cancel_purchase(latecoere.club.id, latecoere.number, date.today(), latecoere.club)
    entries = entries_of(statement_id)
    response = confirm(client, statement_id, [e.id for e in entries])
    assert response.status_code == 422
    text = page_text(response)
    assert f"Entry BANKREF2 cannot pay invoice {latecoere.number}" in text
    assert counts()[2] == 0 and fresh(mermoz).status is InvoiceStatus.ISSUED
    assert "cancelled" in page_text(client.get(f"/staff/statements/{statement_id}"))
    # Unticking it confirms the other.
    assert confirm(client, statement_id, [entries[0].id]).status_code == 302
    assert fresh(mermoz).status is InvoiceStatus.PAID


def test_m5_staff_assign_an_unmatched_entry_by_hand_or_set_it_aside(client, agent, mermoz):
    statement_id = imported(client, camt053([
        CamtEntry(amount=mermoz.total_incl_vat, debtor_name="M DUPONT", servicer_ref="BANKREF1"),
        CamtEntry(amount=Decimal("5.00"), debtor_name="BANQUE", servicer_ref="BANKREF2"),
    ]))
    unmatched, fee = entries_of(statement_id)
    assert unmatched.invoice_id is None and checkboxes(client, statement_id) == {}
    path = f"/staff/statements/{statement_id}"

    wrong = post_form(client, f"{path}/entries/{unmatched.id}/assign", {"invoice_number": "F-1999-00001"},
                      token_from=path)
    assert wrong.status_code == 422 and 'has the number "F-1999-00001"' in page_text(wrong)
    typed = mermoz.number.lower().replace("-", " ")  # as people type it
    assert post_form(client, f"{path}/entries/{unmatched.id}/assign", {"invoice_number": typed},
                     token_from=path).status_code == 302
    assert post_form(client, f"{path}/entries/{fee.id}/ignore", {}, token_from=path).status_code == 302
    unmatched, fee = entries_of(statement_id)
    assert (unmatched.invoice_id, unmatched.match_method) == (mermoz.id, "manual")
    assert fee.status is StatementEntryStatus.IGNORED
    assert checkboxes(client, statement_id) == {unmatched.id: True}
    refused = confirm(client, statement_id, [unmatched.id, fee.id])
    assert refused.status_code == 422 and "Entry BANKREF2 was already confirmed or set aside" in page_text(refused)
    assert confirm(client, statement_id, [unmatched.id]).status_code == 302
    assert fresh(mermoz).status is InvoiceStatus.PAID


# -- refused files -------------------------------------------------------------------------------------

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<Document xmlns="{CAMT}"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>'
).encode()
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    + f']>\n<Document xmlns="{CAMT}"><BkToCstmrStmt><Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>'
).encode()


def _refused_files():
    credit = CamtEntry(amount=Decimal("432.00"), servicer_ref="BANKREF1")
    valid = camt053([credit])
    return [
        ("malformed", valid[: len(valid) // 2], "cannot be read as a CAMT.053 bank statement"),
        ("no IBAN", valid.replace(b"<IBAN>", b"<Other>").replace(b"</IBAN>", b"</Other>"),
         "cannot be read as a CAMT.053 bank statement"),
        ("debit only", camt053([CamtEntry(amount=Decimal("50.00"), credit=False, servicer_ref="D1")]),
         "has no booked credit entry"),
        ("USD entry", camt053([CamtEntry(amount=Decimal("432.00"), currency="USD", servicer_ref="U1")]),
         "is not in euros"),
        ("USD account", camt053([credit], account_currency="USD"), "is not in euros"),
        ("XXE", XXE, "refused for safety"),
        ("billion laughs", BILLION_LAUGHS, "refused for safety"),
        ("not a CAMT.053", valid.replace(b"camt.053.001.02", b"camt.054.001.02"), "is not a CAMT.053 bank statement"),
        ("not XML", b"%PDF-1.7 not a statement", "cannot be read as a CAMT.053 bank statement"),
        ("empty file", b"", "Choose the bank statement file to import"),
        ("no file", None, "Choose the bank statement file to import"),
    ]


@pytest.mark.parametrize("label, data, message", _refused_files(), ids=[case[0] for case in _refused_files()])
def test_m5_a_malformed_or_hostile_file_is_refused_with_a_message_and_records_nothing(
        client, agent, label, data, message):
    response = upload(client, data)
    assert response.status_code == 422, label
    assert message in page_text(response)
    assert counts() == (0, 0, 0)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statement.imported")) is None


@pytest.mark.parametrize("size", [4_000, 200_000])
def test_m5_a_file_over_the_size_limit_is_refused_and_records_nothing(app, client, agent, size):
    app.config["STATEMENT_MAX_BYTES"] = 2_000
    data = camt053([CamtEntry(amount=Decimal("432.00"), servicer_ref=f"BANKREF{n}") for n in range(size // 900)])
    assert len(data) > 2_000
    response = upload(client, data)
    assert response.status_code == 422
    assert "This file is too large: a statement file may have at most 0.002 MB" in page_text(response)
    assert counts() == (0, 0, 0)


def test_m5_the_service_refuses_an_oversized_file_before_parsing_it(app, agent):
    app.config["STATEMENT_MAX_BYTES"] = 10
    with pytest.raises(StatementRefused) as error:
        statements.import_statement(agent, camt053([CamtEntry(amount=Decimal("1.00"))]), "big.xml")
    assert error.value.code == "statement_too_large"
    assert counts() == (0, 0, 0)


# -- who may import ------------------------------------------------------------------------------------


def test_a5_a_club_cannot_reach_the_statements_pages(client, make, sign_in, mermoz):
    sign_in("mermoz")
    data = camt053([by_reference(mermoz)])
    assert client.get("/staff/statements").status_code == 302
    response = client.post("/staff/statements", data={"statement": (io.BytesIO(data), "x.xml"),
                                                      "csrf_token": csrf_token(client, "/account")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert counts() == (0, 0, 0)


def test_m5_the_upload_needs_the_csrf_token(client, agent, mermoz):
    response = client.post("/staff/statements", data={"statement": (io.BytesIO(camt053([by_reference(mermoz)])),
                                                                    "x.xml")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts() == (0, 0, 0)


def test_a5_imports_and_decisions_land_in_the_audit_log(client, agent, mermoz):
    statement_id = imported(client, camt053([by_reference(mermoz)]))
    confirm(client, statement_id, [e.id for e in entries_of(statement_id)])
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert {"statement.imported", "payment.recorded", "statement.matches_confirmed"} <= set(actions)
    page = page_text(client.get("/staff/audit"))
    assert "Bank statement imported" in page and "Bank statement payments confirmed" in page


# -- the account the statement is for --------------------------------------------------------------------

OTHER_IBAN = "FR7610107001011234567890129"


def test_m5_a_statement_of_another_account_is_refused_and_records_nothing(client, agent, mermoz):
    response = upload(client, camt053([by_reference(mermoz)], iban=OTHER_IBAN))
    assert response.status_code == 422
    assert ("This statement is for the account FR76 1010 7001 0112 3456 7890 129, not for the account invoices are "
            "paid to (FR76 3000 6000 0112 3456 7890 189). Import the statement of that account. Nothing was "
            "imported.") in page_text(response)
    assert counts() == (0, 0, 0)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statement.imported")) is None


def test_m5_the_account_is_compared_without_spaces_or_case(app, client, agent, mermoz):
    app.config["SELLER_IBAN"] = "fr76 3000 6000 0112 3456 7890 189"
    statement_id = imported(client, camt053([by_reference(mermoz)], iban="FR76 3000 6000 0112 3456 7890 189"))
    assert [entry.invoice_id for entry in entries_of(statement_id)] == [mermoz.id]


# -- nothing recorded twice, across ways in --------------------------------------------------------------


def test_m4_m5_a_transfer_entered_by_hand_is_not_recorded_again_from_the_statement(client, agent, mermoz):
    operations.record_payment(mermoz.id, Decimal("100.00"), PaymentMethod.TRANSFER, BOOKED, agent,
                              reference="BANKREF1")
    statement_id = imported(client, camt053([
        CamtEntry(amount=Decimal("100.00"), creditor_reference=mermoz.creditor_reference, servicer_ref="BANKREF1")]))
    [entry] = entries_of(statement_id)
    response = confirm(client, statement_id, [entry.id])
    assert response.status_code == 422
    assert (f"Entry BANKREF1 is already recorded as a payment of invoice {mermoz.number}. Untick it or set it aside"
            in page_text(response))
    assert counts()[2] == 1 and entries_of(statement_id)[0].status is StatementEntryStatus.PENDING


def test_m5_two_staff_confirming_the_same_statement_at_once_record_each_payment_once(
        app, client, agent, make, mermoz, latecoere, guillaumet):
    statement_id = imported(client, camt053([by_reference(invoice, f"BANKREF{n}")
                                             for n, invoice in enumerate((mermoz, latecoere, guillaumet), 1)]))
    entry_ids = [entry.id for entry in entries_of(statement_id)]
    browsers = [client]
    for number in range(2):
        colleague = app.test_client()
        colleague.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        make.staff(email=f"colleague{number}@openflyers.example")
        assert post_form(colleague, "/staff/login", {"email": f"colleague{number}@openflyers.example",
                                                     "password": PASSWORD}).status_code == 302
        browsers.append(colleague)
    path = f"/staff/statements/{statement_id}"
    # Each staff member has the confirmation page open in their own browser.
    forms = [{"entries": [str(i) for i in entry_ids], "csrf_token": csrf_token(browser, path)} for browser in browsers]
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def confirm_at_once(browser, form) -> None:
        barrier.wait(timeout=30)
        statuses.append(browser.post(f"{path}/confirm", data=form).status_code)

    threads = [threading.Thread(target=confirm_at_once, args=pair) for pair in zip(browsers, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [302] * len(browsers)
    db.session.expire_all()
    payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert sorted(p.statement_entry_id for p in payments) == entry_ids
    assert {p.invoice_id for p in payments} == {mermoz.id, latecoere.id, guillaumet.id}
    assert all(fresh(invoice).status is InvoiceStatus.PAID for invoice in (mermoz, latecoere, guillaumet))
    assert [e.status for e in entries_of(statement_id)] == [StatementEntryStatus.CONFIRMED] * 3
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "statement.matches_confirmed")) == 1


def test_m5_a_statement_larger_than_other_requests_may_be_reaches_the_import(app, client, agent, mermoz):
    # Every other request stops at MAX_CONTENT_LENGTH; a statement up to STATEMENT_MAX_BYTES is read whole.
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    app.config["STATEMENT_MAX_BYTES"] = 200_000
    data = camt053([CamtEntry(amount=mermoz.total_incl_vat, creditor_reference=mermoz.creditor_reference,
                              servicer_ref=f"BANKREF{n}") for n in range(60)])
    assert 20_000 < len(data) < 200_000
    assert imported(client, data)
    too_big = camt053([CamtEntry(amount=Decimal("1.00"), servicer_ref=f"REF{n}") for n in range(450)])
    assert len(too_big) > 200_000
    response = upload(client, too_big)
    assert response.status_code == 422 and "This file is too large" in page_text(response)


# -- the same movement in a re-exported statement, without a bank reference ----------------------------


def part_of(invoice: Invoice, **fields) -> CamtEntry:
    """A third of the invoice, paid by transfer with its reference but no bank reference (no AcctSvcrRef)."""
    return CamtEntry(amount=(invoice.total_incl_vat / 3).quantize(Decimal("0.01")),
                     creditor_reference=invoice.creditor_reference, servicer_ref=None, **fields)


def test_m5_a_transfer_without_bank_reference_re_exported_under_another_id_waits_for_staff(client, agent, mermoz):
    first = imported(client, camt053([part_of(mermoz)], statement_id="STMT-A"))
    [original] = entries_of(first)
    assert confirm(client, first, [original.id]).status_code == 302
    assert counts() == (1, 1, 1)

    # The bank exports the same day again under another statement id: the entry's only key is its place.
    second = imported(client, camt053([part_of(mermoz)], statement_id="STMT-B"))
    [again] = entries_of(second)
    assert again.entry_ref != original.entry_ref and again.duplicate_of_id == original.id
    assert again.invoice_id == mermoz.id
    page = page_text(client.get(f"/staff/statements/{second}"))
    assert "Likely duplicate" in page and f"entry {original.entry_ref} of statement STMT-A (confirmed)" in page
    assert checkboxes(client, second) == {}
    assert "1 likely duplicate" in page_text(client.get("/staff/statements"))

    # Posted anyway (a forged or stale form): refused, nothing recorded.
    refused = confirm(client, second, [again.id])
    assert refused.status_code == 422
    assert f"Entry {again.entry_ref} looks like an entry already imported" in page_text(refused)
    assert counts() == (2, 2, 1)

    path = f"/staff/statements/{second}"
    assert post_form(client, f"{path}/entries/{again.id}/ignore", {}, token_from=path).status_code == 302
    [again] = entries_of(second)
    assert again.status is StatementEntryStatus.IGNORED
    assert counts() == (2, 2, 1) and fresh(mermoz).status is InvoiceStatus.PARTIALLY_PAID


def test_m5_staff_keep_a_likely_duplicate_that_is_another_payment_and_confirm_it(client, agent, mermoz):
    first = imported(client, camt053([part_of(mermoz)], statement_id="STMT-A"))
    [original] = entries_of(first)
    confirm(client, first, [original.id])
    second = imported(client, camt053([part_of(mermoz)], statement_id="STMT-B"))
    [again] = entries_of(second)
    path = f"/staff/statements/{second}"

    assert post_form(client, f"{path}/entries/{again.id}/keep", {}, token_from=path).status_code == 302
    assert entries_of(second)[0].duplicate_of_id is None
    assert checkboxes(client, second) == {again.id: True}
    assert confirm(client, second, [again.id]).status_code == 302
    assert counts() == (2, 2, 2)
    kept = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statement.entry_kept"))
    assert kept.details["looked_like"] == original.entry_ref
    # Keeping it twice (a double click) says why and changes nothing.
    twice = post_form(client, f"{path}/entries/{again.id}/keep", {}, token_from=path)
    assert twice.status_code == 422 and "already confirmed or set aside" in page_text(twice)


def test_m5_only_entries_without_bank_reference_and_with_the_same_figures_are_suspected(
        client, agent, mermoz, latecoere):
    imported(client, camt053([part_of(mermoz), by_reference(latecoere, "BANKREF9")], statement_id="STMT-A"))
    second = imported(client, camt053([
        part_of(mermoz, remittance=("ACOMPTE 2",)),  # another text: another transfer
        part_of(mermoz, booking_date=date(2026, 1, 16)),  # another day
        part_of(mermoz, debtor_name="M DUPONT"),  # another payer
        CamtEntry(amount=latecoere.total_incl_vat, creditor_reference=latecoere.creditor_reference,
                  servicer_ref="BANKREF10"),  # same figures, but the bank's own reference tells them apart
    ], statement_id="STMT-B"))
    assert [entry.duplicate_of_id for entry in entries_of(second)] == [None] * 4
    # Two identical movements in one statement are two payments: each has its own place in it. The same
    # figures with another invoice's reference are another transfer too.
    third = imported(client, camt053([part_of(latecoere), part_of(latecoere)], statement_id="STMT-C"))
    assert [entry.duplicate_of_id for entry in entries_of(third)] == [None, None]
