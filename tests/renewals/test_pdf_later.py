"""The automatic renewals' PDFs: issued by the job without them, rendered once when first needed, then the same bytes
for every e-mail and every download (I2, I4, K5)."""
import threading
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from openflyers_account.billing.operations import pdf_of
from openflyers_account.extensions import db
from openflyers_account.invoicing.pdf import extract_facturx_xml
from openflyers_account.mail.outbox import send_pending
from openflyers_account.models import Invoice, OutboxMessage, utcnow
from tests.billing_helpers import add_paid_period
from tests.renewals.helpers import mails, run_job

TODAY = date.today()
ADDRESSES = ["contact@mermoz.example", "tresorier@mermoz.example"]


def renewed_by_the_job(make, runner) -> Invoice:
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=3)
    result = run_job(runner)
    assert result.exit_code == 0 and "1 automatic renewals" in result.output, result.output
    db.session.expire_all()
    return db.session.scalars(select(Invoice)).one()


def stored(invoice_id: int) -> tuple[bytes, str]:
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice_id)
    return invoice.pdf, invoice.pdf_sha256


def test_i4_the_job_issues_the_invoice_and_leaves_its_pdf_to_the_first_that_needs_it(app, make, runner):
    invoice = renewed_by_the_job(make, runner)
    assert invoice.number.startswith("F-") and invoice.total_incl_vat > 0
    assert stored(invoice.id) == (b"", "")
    # Its e-mails name it; they do not carry a copy of it.
    assert [m.attachments for m in mails(ADDRESSES[0]) if m.attachments] == [[
        {"filename": f"{invoice.number}.pdf", "content_type": "application/pdf", "source": "invoice_pdf",
         "key": invoice.number}]]


def test_i4_k5_outbox_send_renders_the_pdf_once_and_both_addresses_get_the_same_bytes(app, make, runner, mailbox):
    invoice = renewed_by_the_job(make, runner)
    waiting = "automatic invoices waiting for their PDF: 1 "
    assert waiting in run_job(runner, command="status").output
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    pdf, digest = stored(invoice.id)
    assert pdf.startswith(b"%PDF") and digest
    attached = [attachment.get_content() for address in ADDRESSES for message in mailbox.to(address)
                for attachment in message.iter_attachments()]
    assert attached == [pdf, pdf]
    assert waiting not in run_job(runner, command="status").output
    # A Factur-X invoice of this number and amount.
    xml = extract_facturx_xml(pdf).decode()
    assert invoice.number in xml and str(invoice.total_incl_vat) in xml


def test_i4_every_download_of_a_pdf_rendered_later_gives_the_same_file(app, make, runner, client, sign_in,
                                                                        staff_sign_in):
    invoice = renewed_by_the_job(make, runner)
    sign_in("mermoz")
    first = client.get(f"/invoices/{invoice.number}.pdf")
    second = client.get(f"/invoices/{invoice.number}.pdf")
    assert first.status_code == second.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data == stored(invoice.id)[0]
    client.get("/logout")
    make.staff(email="compta@openflyers.example")
    staff_sign_in("compta@openflyers.example")
    assert client.get(f"/staff/invoices/{invoice.number}.pdf").data == first.data


def test_i4_readers_at_the_same_moment_all_get_the_one_pdf_stored(app, make, runner):
    invoice_id = renewed_by_the_job(make, runner).id
    results: list[bytes] = []
    start = threading.Barrier(3)

    def reader():
        with app.app_context():
            start.wait(timeout=30)
            results.append(pdf_of(db.session.get(Invoice, invoice_id)))
            db.session.remove()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and results[0] == results[1] == results[2] == stored(invoice_id)[0]


def test_i4_a_pdf_that_cannot_be_rendered_now_leaves_its_message_waiting(app, make, runner, mailbox, monkeypatch):
    invoice = renewed_by_the_job(make, runner)

    def broken(document):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("openflyers_account.billing.operations.invoice_pdf", broken)
    runner.invoke(args=["outbox", "send"])
    assert stored(invoice.id) == (b"", "")
    waiting = [m for m in mails(ADDRESSES[0]) if m.attachments]
    assert waiting[0].sent_at is None and waiting[0].failed_at is None
    assert "renderer down" in waiting[0].last_error
    assert not [m for m in mailbox.to(ADDRESSES[0]) if list(m.iter_attachments())]
    # Rendered and sent by a later run, once the renderer is back.
    monkeypatch.undo()
    db.session.execute(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
    db.session.commit()
    runner.invoke(args=["outbox", "send"])
    assert stored(invoice.id)[1]
    assert [a.get_content() for m in mailbox.to(ADDRESSES[0]) for a in m.iter_attachments()] == [stored(invoice.id)[0]]


@pytest.mark.parametrize("change", ["pdf", "pdf_sha256"])
def test_i2_once_rendered_the_pdf_never_changes_even_round_the_application(app, make, runner, change):
    invoice = renewed_by_the_job(make, runner)
    pdf = pdf_of(invoice)
    forged = {"pdf": b"%PDF-forged", "pdf_sha256": "0" * 64}[change]
    with pytest.raises(IntegrityError, match="rule I2"):
        with db.engine.begin() as connection:
            connection.execute(update(Invoice).where(Invoice.id == invoice.id).values({change: forged}))
    assert stored(invoice.id)[0] == pdf


def test_an_attachment_naming_no_document_is_given_up_at_once(app, make):
    db.session.add(OutboxMessage(recipient="x@example.org", subject="s", body_text="b", attachments=[
        {"filename": "F-2099-00001.pdf", "content_type": "application/pdf", "source": "invoice_pdf",
         "key": "F-2099-00001"}]))
    db.session.commit()
    report = send_pending(utcnow())
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
