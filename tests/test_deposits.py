"""Cheque deposit slips: gapless numbers, count and total, a cheque on one slip only, printable, PDF (M6, A5)."""
from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, DepositSlip, Payment, StaffRole, StaffUser
from openflyers_account.payments import deposits, operations
from tests.conftest import post_form

AGENT = "agent@openflyers.example"
TODAY = date.today()
YEAR = TODAY.year


@pytest.fixture
def agent(make, staff_sign_in, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    member = make.staff(StaffRole.STAFF, email=AGENT)
    staff_sign_in(AGENT)
    return member


def cheque(club_name: str, make, amount: str, number: str, bank: str = "Crédit Agricole") -> Payment:
    """A cheque received for a new invoice of a new club."""
    club = make.club(club_name, resources=3)
    invoice = issue_renewal(club.id, None, SubscriptionOrder("business", 3, Term.ONE_YEAR), TODAY, "test")
    return operations.record_payment(invoice.id, Decimal(amount), PaymentMethod.CHEQUE, TODAY, "tests",
                                     reference=number, bank=bank, drawer=f"Aéroclub {club_name}")


@pytest.fixture
def cheques(make) -> list[Payment]:
    return [cheque("mermoz", make, "576.00", "1000001"), cheque("guillaumet", make, "100.50", "2000002", "LCL"),
            cheque("saint-ex", make, "250.00", "3000003", "Banque Populaire")]


def create_slip(client, payment_ids):
    return post_form(client, "/staff/deposits", {"cheques": [str(i) for i in payment_ids]})


def slip_numbers() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(DepositSlip.number).order_by(DepositSlip.id)))


def slip_of(payment: Payment) -> str | None:
    db.session.expire_all()
    fresh = db.session.get(Payment, payment.id)
    return fresh.deposit_slip.number if fresh.deposit_slip else None


def test_m6_received_cheques_are_offered_for_deposit_transfers_are_not(client, agent, cheques, make):
    club = make.club("latecoere", resources=3)
    invoice = issue_renewal(club.id, None, SubscriptionOrder("business", 3, Term.ONE_YEAR), TODAY, "test")
    operations.record_payment(invoice.id, Decimal("576.00"), PaymentMethod.TRANSFER, TODAY, "tests",
                              reference="VIR-9999999")
    page = client.get("/staff/deposits").get_data(as_text=True)
    for payment in cheques:
        assert f'value="{payment.id}"' in page and payment.reference in page
    assert "VIR-9999999" not in page
    assert [p.id for p in deposits.cheques_to_deposit()] == [p.id for p in cheques]


def test_m6_slips_are_numbered_without_gaps_and_add_up(client, agent, cheques):
    first = create_slip(client, [cheques[0].id, cheques[1].id])
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/staff/deposits/B-{YEAR}-0001")
    second = create_slip(client, [cheques[2].id])
    assert second.headers["Location"].endswith(f"/staff/deposits/B-{YEAR}-0002")
    assert slip_numbers() == [f"B-{YEAR}-0001", f"B-{YEAR}-0002"]

    page = client.get(f"/staff/deposits/B-{YEAR}-0001").get_data(as_text=True)
    assert re.search(r'class="slip-count">2<', page)
    assert re.search(r'class="slip-total">€676.50<', page)
    for payment in cheques[:2]:
        assert payment.reference in page and payment.drawer in page and payment.invoice.number in page
    assert "Crédit Agricole" in page and "LCL" in page and "€576.00" in page and "€100.50" in page
    assert cheques[2].reference not in page

    listing = client.get("/staff/deposits").get_data(as_text=True)
    assert "€676.50" in listing and "€250.00" in listing
    assert "No cheque waiting to be deposited." in listing
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "deposit_slip.created")
                               .order_by(AuditEntry.id)).first()
    assert entry.actor == AGENT and entry.details == {"number": f"B-{YEAR}-0001", "cheques": 2, "total": "676.50"}


def test_m6_a_cheque_goes_on_one_slip_only_and_a_refused_slip_uses_no_number(client, agent, cheques):
    create_slip(client, [cheques[0].id])
    refused = create_slip(client, [cheques[0].id, cheques[1].id])
    assert refused.status_code == 409
    assert "already on a deposit slip" in refused.get_data(as_text=True)
    assert slip_of(cheques[0]) == f"B-{YEAR}-0001" and slip_of(cheques[1]) is None
    assert slip_numbers() == [f"B-{YEAR}-0001"]
    assert create_slip(client, [cheques[1].id]).headers["Location"].endswith(f"B-{YEAR}-0002")


def test_m6_two_staff_making_slips_with_the_same_cheque_at_once_put_it_on_one(app, make, cheques):
    """Four threads, each its own app context and connection, on both databases."""
    staff_id = make.staff().id
    barrier = threading.Barrier(4)
    outcomes: list[str | None] = []

    def make_slip(payment_ids):
        with app.app_context():
            staff = db.session.get(StaffUser, staff_id)
            barrier.wait(timeout=30)
            try:
                outcomes.append(deposits.create_deposit_slip(payment_ids, staff, TODAY).number)
            except deposits.ChequesUnavailable:
                outcomes.append(None)
            finally:
                db.session.remove()

    shared = cheques[0].id
    threads = [threading.Thread(target=make_slip, args=([shared, other.id],))
               for other in (cheques[1], cheques[2])] + [threading.Thread(target=make_slip, args=([shared],))
                                                        for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    made = [number for number in outcomes if number]
    assert made == [f"B-{YEAR}-0001"] and outcomes.count(None) == 3
    assert slip_numbers() == [f"B-{YEAR}-0001"]
    assert slip_of(cheques[0]) == f"B-{YEAR}-0001"


def test_m6_reversed_cheques_are_not_offered_and_cannot_be_deposited(client, agent, cheques, make):
    admin = make.staff(StaffRole.ADMIN)
    operations.reverse_payment(cheques[1].id, admin, "Cheque not signed")
    page = client.get("/staff/deposits").get_data(as_text=True)
    assert cheques[1].reference not in page and f'value="{cheques[1].id}"' not in page
    refused = create_slip(client, [cheques[1].id])
    assert refused.status_code == 409 and slip_numbers() == []
    counter = db.session.scalar(select(Payment).where(Payment.reverses_id == cheques[1].id))
    assert create_slip(client, [counter.id]).status_code == 409


@pytest.mark.parametrize("chosen", [[], ["abc"], ["-1"]])
def test_m6_choosing_nothing_or_nonsense_is_422(client, agent, cheques, chosen):
    response = post_form(client, "/staff/deposits", {"cheques": chosen})
    assert response.status_code == 422 and slip_numbers() == []


def test_m6_the_slip_prints_from_a_stylesheet_and_downloads_as_pdf(client, agent, cheques):
    create_slip(client, [c.id for c in cheques])
    number = f"B-{YEAR}-0001"
    page = client.get(f"/staff/deposits/{number}").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/css/deposit_slip\.[0-9a-f]{12}\.css)"', page).group(1)
    assert client.get(stylesheet).status_code == 200
    assert "style=" not in page and "<style" not in page
    response = client.get(f"/staff/deposits/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(response.data)).pages)
    assert number in text and "1000001" in text and "3000003" in text and "926.50" in text


@pytest.mark.parametrize("number", ["B-2026-9999", "F-2026-00001", "B-2026-1", "x" * 300])
def test_m6_unknown_slips_are_404(client, agent, number):
    assert client.get(f"/staff/deposits/{number}").status_code == 404
    assert client.get(f"/staff/deposits/{number}.pdf").status_code == 404


def test_a5_deposit_slips_are_for_staff(client, make, sign_in, cheques):
    sign_in("mermoz")
    assert client.get("/staff/deposits").status_code == 302
    response = post_form(client, "/staff/deposits", {"cheques": [str(cheques[0].id)]}, token_from="/invoices")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert slip_numbers() == []
