"""E-mail through the outbox: nothing lost when SMTP is down, retries that back off then give up,
a web request that never waits on other people's mail, nothing sent twice by concurrent senders."""
from __future__ import annotations

import multiprocessing
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from openflyers_account.accounts import operations
from openflyers_account.extensions import db
from openflyers_account.mail.outbox import RETRY_DELAYS, retry_delay, send_pending
from openflyers_account.models import OutboxMessage, utcnow
from tests.concurrency_workers import send_outbox_at
from tests.conftest import Mailbox, free_port, post_form


def queued() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))


def message_to(address: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == address))


def queue_resets(app, make, *addresses: str) -> None:
    """Queue one reset mail per address, leaving it to the senders under test."""
    app.config["MAIL_SEND_IMMEDIATELY"] = False
    for address in addresses:
        make.club(contact_email=address)
        operations.request_password_reset(address)


def outbox_ids(messages) -> list[int]:
    """The outbox rows the received messages came from, read from their Message-ID."""
    return sorted(int(re.search(r"outbox-(\d+)@", m["Message-ID"]).group(1)) for m in messages)


@pytest.fixture
def silent_smtp(app):
    """An SMTP port that takes the connection and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        app.config["MAIL_PORT"] = listener.getsockname()[1]
        yield


@dataclass
class RefusingMailbox(Mailbox):
    """A mailbox whose server answers RCPT for some addresses with a chosen refusal."""

    refusals: dict[str, str] = field(default_factory=dict)
    tries: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd
        with self.lock:
            self.tries.append(address)
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(app):
    box = RefusingMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_PORT"] = controller.port
    yield box
    controller.stop()


# -- nothing lost ------------------------------------------------------------------------------

def test_a_message_stays_queued_while_smtp_is_down_and_goes_later(app, make, mailbox, runner):
    make.club("mermoz", contact_email="tresorier@example.org")
    smtp_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    assert operations.request_password_reset("tresorier@example.org") == 1
    message = message_to("tresorier@example.org")
    assert message.attempts == 1 and message.last_error and message.sent_at is None
    assert message.next_attempt_at > utcnow()
    assert mailbox.messages == []

    app.config["MAIL_PORT"] = smtp_port
    assert send_pending(utcnow()).sent == 0  # backing off: not due yet
    assert send_pending(message.next_attempt_at).sent == 1
    assert queued() == 0
    assert [m["To"] for m in mailbox.messages] == ["tresorier@example.org"]
    assert send_pending(message.next_attempt_at + timedelta(hours=1)).sent == 0


def test_outbox_send_reports_what_it_did(app, make, mailbox, runner):
    queue_resets(app, make, "tresorier@example.org")
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 sent, 0 to try again later, 0 failed")
    assert [m["To"] for m in mailbox.messages] == ["tresorier@example.org"]
    assert runner.invoke(args=["outbox", "send"]).output.startswith("0 sent")


# -- the web request does not wait on SMTP, nor on other people's mail ---------------------------

def test_a2_forgot_password_answers_within_seconds_when_smtp_is_silent(app, client, make, silent_smtp):
    make.club("mermoz", contact_email="tresorier@example.org")
    started = time.monotonic()
    response = post_form(client, "/password/forgot", {"email": "tresorier@example.org"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    # The default MAIL_REQUEST_TIMEOUT (3 s), not MAIL_TIMEOUT (10 s) meant for cron.
    assert elapsed < app.config["MAIL_REQUEST_TIMEOUT"] + 2 < app.config["MAIL_TIMEOUT"]
    message = message_to("tresorier@example.org")
    assert message.sent_at is None and message.failed_at is None and message.attempts == 1
    assert "timed out" in message.last_error


def test_a2_a_request_sends_only_the_mail_its_own_use_case_queued(app, client, make, mailbox):
    queue_resets(app, make, "someone@example.org", "another@example.org")
    make.club("mermoz", contact_email="tresorier@example.org")
    app.config["MAIL_SEND_IMMEDIATELY"] = True
    post_form(client, "/password/forgot", {"email": "tresorier@example.org"})
    assert [m["To"] for m in mailbox.messages] == ["tresorier@example.org"]
    assert message_to("someone@example.org").attempts == 0
    assert message_to("another@example.org").attempts == 0
    assert queued() == 2


def test_a2_a_request_for_an_unknown_address_sends_nothing_queued_by_others(app, client, make, mailbox):
    queue_resets(app, make, "someone@example.org")
    app.config["MAIL_SEND_IMMEDIATELY"] = True
    post_form(client, "/password/forgot", {"email": "nobody@example.org"})
    assert mailbox.messages == []
    assert message_to("someone@example.org").attempts == 0


def test_outbox_send_stops_at_a_silent_server_instead_of_waiting_for_each_message(app, make, silent_smtp):
    queue_resets(app, make, "a@example.org", "b@example.org", "c@example.org")
    app.config["MAIL_TIMEOUT"] = 1
    started = time.monotonic()
    report = send_pending(utcnow())
    assert time.monotonic() - started < 2.5
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert [message_to(a).attempts for a in ("a@example.org", "b@example.org", "c@example.org")] == [1, 0, 0]


# -- retries back off, then give up --------------------------------------------------------------

@pytest.mark.parametrize(("failed_tries", "minutes"), [(1, 1), (2, 5), (3, 15), (4, 60), (5, 240), (9, 240)])
def test_each_failed_try_waits_longer_up_to_four_hours(failed_tries, minutes):
    assert retry_delay(failed_tries) == timedelta(minutes=minutes)


def test_a_temporary_refusal_is_tried_again_after_each_back_off_delay(app, make, refusing_smtp):
    queue_resets(app, make, "busy@example.org")
    refusing_smtp.refusals["busy@example.org"] = "451 4.3.0 try again later"
    now = utcnow()
    for tries, delay in enumerate(RETRY_DELAYS[:3], start=1):
        assert send_pending(now).retrying == 1
        message = message_to("busy@example.org")
        assert message.attempts == tries and "451" in message.last_error
        assert message.next_attempt_at == now + delay
        assert send_pending(now + delay - timedelta(seconds=1)).retrying == 0  # not due yet
        assert len(refusing_smtp.tries) == tries
        now += delay
    del refusing_smtp.refusals["busy@example.org"]
    assert send_pending(now).sent == 1
    assert [m["To"] for m in refusing_smtp.messages] == ["busy@example.org"]


def test_a_message_is_failed_after_mail_max_attempts_and_kept(app, make, refusing_smtp, runner):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queue_resets(app, make, "busy@example.org")
    refusing_smtp.refusals["busy@example.org"] = "421 4.7.0 too busy"
    now = utcnow()
    reports = []
    for _ in range(5):
        reports.append(send_pending(now))
        now += timedelta(days=1)
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    assert len(refusing_smtp.tries) == 3
    message = message_to("busy@example.org")
    assert message.failed_at is not None and message.sent_at is None and message.attempts == 3

    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 0, status.output
    assert status.output.startswith("0 queued (0 due now), 1 failed.")
    assert f"failed #{message.id} to busy@example.org" in status.output and "after 3 tries: " in status.output
    assert "too busy" in status.output


def test_a_recipient_refused_for_good_is_failed_at_once_and_the_run_goes_on(app, make, refusing_smtp, runner):
    queue_resets(app, make, "gone@example.org", "tresorier@example.org")
    refusing_smtp.refusals["gone@example.org"] = "550 5.1.1 no such mailbox"
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert result.output.startswith("1 sent, 0 to try again later, 1 failed (see `outbox status`).")
    assert [m["To"] for m in refusing_smtp.messages] == ["tresorier@example.org"]
    gone = message_to("gone@example.org")
    assert gone.failed_at is not None and gone.attempts == 1 and "550" in gone.last_error
    assert send_pending(utcnow() + timedelta(days=30)).failed == 0
    assert len(refusing_smtp.tries) == 2


def test_a_message_that_cannot_be_built_is_failed_without_blocking_the_others(app, make, mailbox):
    queue_resets(app, make, "tresorier@example.org")
    db.session.add(OutboxMessage(recipient="x@example.org", subject="s", body_text="b",
                                 attachments=[{"filename": "broken.pdf"}]))
    db.session.commit()
    report = send_pending(utcnow())
    assert (report.sent, report.failed) == (1, 1)
    assert "cannot build" in message_to("x@example.org").last_error


# -- several senders at once send each message once ----------------------------------------------

def test_concurrent_sender_threads_send_each_message_once(app, make, mailbox):
    queue_resets(app, make, *(f"club{i}@example.org" for i in range(12)))

    def sender():
        with app.app_context():
            send_pending(utcnow())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mailbox.messages) == 12
    assert len(set(outbox_ids(mailbox.messages))) == 12
    assert queued() == 0


@pytest.mark.slow
def test_outbox_send_on_several_hosts_at_once_sends_each_message_exactly_once(app, app_config, make, mailbox):
    app.config["MAIL_SEND_IMMEDIATELY"] = False
    for i in range(24):
        make.club(f"club{i}", contact_email="shared@example.org")
    operations.request_password_reset("shared@example.org")
    expected = sorted(db.session.scalars(select(OutboxMessage.id)).all())
    assert len(expected) == 24

    workers = 4
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.concurrency_workers", "openflyers_account.mail.outbox"])
    with context.Manager() as manager, context.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        sent = pool.starmap(send_outbox_at, [(app_config, barrier)] * workers, chunksize=1)
    assert sum(sent) == 24
    assert outbox_ids(mailbox.messages) == expected  # each once, none missing
    db.session.expire_all()
    assert queued() == 0
