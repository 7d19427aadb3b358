"""E-mail through the outbox: nothing lost when SMTP is down, nothing sent twice by concurrent senders."""
import threading

from sqlalchemy import func, select

from openflyers_account.accounts import operations
from openflyers_account.extensions import db
from openflyers_account.mail.outbox import send_pending
from openflyers_account.models import OutboxMessage
from tests.conftest import free_port


def queued():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))


def test_a_message_stays_queued_while_smtp_is_down_and_goes_later(app, make, mailbox, runner):
    make.club("mermoz", contact_email="tresorier@example.org")
    smtp_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    assert operations.request_password_reset("tresorier@example.org") == 1
    db.session.expire_all()
    assert queued() == 1
    message = db.session.scalar(select(OutboxMessage))
    assert message.attempts == 1 and message.last_error
    assert mailbox.messages == []

    app.config["MAIL_PORT"] = smtp_port
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert queued() == 0
    assert [m["To"] for m in mailbox.messages] == ["tresorier@example.org"]
    assert runner.invoke(args=["outbox", "send"]).output.startswith("0 sent")


def test_concurrent_senders_send_each_message_once(app, make, mailbox):
    app.config["MAIL_SEND_IMMEDIATELY"] = False
    for i in range(12):
        make.club(f"club{i}", contact_email="shared@example.org")
    operations.request_password_reset("shared@example.org")
    assert queued() == 12

    def sender():
        with app.app_context():
            send_pending()
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mailbox.messages) == 12
    assert len({m["Subject"] for m in mailbox.messages}) == 12
    db.session.expire_all()
    assert queued() == 0


def test_the_development_transport_writes_eml_files(app, make, tmp_path, mailbox):
    app.config.update(MAIL_TRANSPORT="file", MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    make.club("mermoz", contact_email="tresorier@example.org")
    operations.request_password_reset("tresorier@example.org")
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    content = files[0].read_text()
    assert "To: tresorier@example.org" in content and "/password/reset/" in content
    assert mailbox.messages == []
