"""The club is e-mailed on every change to its money, in its own language whoever acts (K5)."""
from __future__ import annotations

from datetime import date

import pytest

from openflyers_account.billing.operations import issue_credit_note
from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import Club, Invoice, StaffRole
from openflyers_account.payments import operations as payments
from openflyers_account.subscriptions.operations import issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.conftest import post_form
from tests.test_staff_payments import record

ADDRESSES = ("contact@mermoz.example", "tresorier@mermoz.example")


def issue(club) -> Invoice:
    return issue_renewal(club.id, None, SubscriptionOrder("business", 3, Term.ONE_YEAR), date.today(), club)


def subjects(mailbox, address: str) -> list[str]:
    return [message["Subject"] for message in mailbox.to(address)]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_k5_issue_payment_reversal_and_credit_note_each_reach_both_club_addresses_in_its_language(
        app, make, mailbox, language):
    club = make.club("mermoz", resources=3)
    club.language = language
    db.session.commit()
    admin = make.staff(StaffRole.ADMIN)
    invoice = issue(club)
    payment = payments.record_payment(invoice.id, invoice.total_incl_vat, PaymentMethod.CHEQUE, date.today(), admin)
    payments.reverse_payment(payment.id, admin, "Chèque sans provision")
    issue_credit_note(admin, invoice.number, None, "Geste commercial", date.today())
    expected = {
        "fr": [f"Facture {invoice.number} pour mermoz", f"Paiement reçu pour la facture {invoice.number}",
               f"Paiement annulé sur la facture {invoice.number}"],
        "en": [f"Invoice {invoice.number} for mermoz", f"Payment received for invoice {invoice.number}",
               f"Payment cancelled on invoice {invoice.number}"],
    }[language]
    for address in ADDRESSES:
        received = subjects(mailbox, address)
        assert received[:3] == expected and received[3].startswith(("Avoir AV-", "Credit note AV-"))
    reversal = mailbox.to(ADDRESSES[0])[2].get_body(("plain",)).get_content()
    assert f"/invoices/{invoice.number}" in reversal
    assert ("Reste à payer" if language == "fr" else "Left to pay") in reversal


def test_k5_a_staff_member_reading_english_sends_the_club_its_mail_in_french(app, client, make, mailbox,
                                                                            staff_sign_in):
    club = make.club("mermoz", resources=3)
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in("agent@openflyers.example")
    invoice = issue(club)
    mailbox.clear()
    assert record(client, invoice.number, amount=str(invoice.total_incl_vat)).status_code == 302
    assert subjects(mailbox, ADDRESSES[0]) == [f"Paiement reçu pour la facture {invoice.number}"]


def test_k5_the_club_gets_its_mail_in_the_language_it_chose_on_the_site(app, client, make, sign_in):
    club = make.club("mermoz", resources=3)
    sign_in("mermoz")
    assert post_form(client, "/language", {"language": "en", "next": "/"}, token_from="/").status_code == 302
    db.session.expire_all()
    assert db.session.get(Club, club.id).language == "en"
    post_form(client, "/language", {"language": "fr", "next": "/"}, token_from="/")
    db.session.expire_all()
    assert db.session.get(Club, club.id).language == "fr"
