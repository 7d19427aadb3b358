"""The outbox: queue messages in the caller's transaction, send them later, exactly once.

A message is claimed (an atomic UPDATE) before it is sent, so senders on several hosts never send
it twice. A failed try waits (RETRY_DELAYS) before the next one; after MAIL_MAX_ATTEMPTS tries, or
at once when the server refuses the recipient or the message for good (a 5xx reply), the message
is marked failed: kept, listed by `flask outbox status`, never retried.
"""
from __future__ import annotations

import base64
import logging
import secrets
import smtplib
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, inspect, or_, select, update

from ..extensions import db
from ..storage import utcnow
from .models import OutboxMessage

log = logging.getLogger(__name__)

#: A claim older than this belongs to a sender that died: another may take the message.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: Wait after the 1st, 2nd, ... failed try; the last one applies to every later try.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 240))
#: Where queue_mail keeps the messages of the running use case (the session is one per request).
_QUEUED = "outbox_queued"


def _waiting():
    """Neither sent nor given up."""
    return OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)


def _due(now: datetime):
    """Waiting, and past its back-off."""
    return *_waiting(), OutboxMessage.next_attempt_at <= now


def retry_delay(failed_tries: int) -> timedelta:
    """How long a message waits after its `failed_tries`-th failed try (1, 5, 15, 60, then 240 min)."""
    return RETRY_DELAYS[min(failed_tries, len(RETRY_DELAYS)) - 1]


@dataclass
class SendReport:
    """What one run did: messages sent, to be tried again later, and given up for good."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def count_failed_try(self, given_up: bool) -> None:
        if given_up:
            self.failed += 1
        else:
            self.retrying += 1


@dataclass
class OutboxStatus:
    """What waits in the outbox: queued messages (due now or backing off) and those given up."""

    queued: int
    due: int
    failed: int
    recent_failures: list[OutboxMessage] = field(default_factory=list)


def queue_mail(recipient: str | list[str], template: str, attachments: list[dict] | None = None,
               language: str | None = None, **context) -> OutboxMessage:
    """Add a message to the outbox within the current transaction; `template` names mail/<name>.txt.

    The template's first line is the subject, the rest is the body; it renders in `language`, the
    recipient's (R8, K5), or else in the current request's. Several recipients get one message each,
    rendered once; the last one is returned.
    """
    if language is None:
        rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    else:
        with force_locale(language):
            rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    for address in [recipient] if isinstance(recipient, str) else recipient:
        message = OutboxMessage(
            recipient=address,
            subject=subject.strip(),
            body_text=body.strip() + "\n",
            attachments=attachments or [],
        )
        db.session.add(message)
        db.session.info.setdefault(_QUEUED, []).append(message)
    return message


#: Where an attachment queued by name is read when its message is built: source name -> read(key) -> bytes.
_SOURCES: dict[str, Callable[[object], bytes]] = {}


def attachment_source(name: str):
    """Register how to read the attachments queued with `attachment_from(name, ...)`."""
    def register(read: Callable[[object], bytes]) -> Callable[[object], bytes]:
        _SOURCES[name] = read
        return read

    return register


def attachment_from(source: str, key: object, filename: str, content_type: str) -> dict:
    """An attachment read when its message is sent, not when it is queued: a document that is stored once (an
    invoice's PDF) is not copied into each message, and may be made after the message is queued."""
    return {"filename": filename, "content_type": content_type, "source": source, "key": key}


class AttachmentUnreadable(Exception):
    """A document attached by name could not be read now (its PDF could not be rendered): the message waits."""


def _contents(message: OutboxMessage) -> list[bytes]:
    contents = []
    for item in message.attachments:
        if "source" not in item:
            # Messages queued before attachments were read at sending carry their bytes, in base64.
            contents.append(base64.b64decode(item["content_b64"]))
            continue
        read = _SOURCES[item["source"]]
        try:
            contents.append(read(item["key"]))
        except LookupError:
            raise  # what it names does not exist: no later try can read it
        except Exception as error:
            raise AttachmentUnreadable(f"{item['filename']}: {error}") from error
    return contents


def build_email(message: OutboxMessage, contents: list[bytes]) -> EmailMessage:
    """The message with its attachments' `contents`, read by `_contents`."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    for item, content in zip(message.attachments, contents, strict=True):
        maintype, _, subtype = item["content_type"].partition("/")
        email.add_attachment(content, maintype=maintype, subtype=subtype, filename=item["filename"])
    return email


class ServerUnavailable(Exception):
    """The server cannot be reached, did not answer in time, or will not take mail from us now."""


class _Delivery:
    """Where one run's messages go: `.eml` files, or one SMTP connection opened for the first message."""

    def __init__(self, config, timeout: float):
        self.config = config
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> _Delivery:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()

    def deliver(self, email: EmailMessage, message_id: int) -> None:
        """Hand over one message; a refusal of this message raises SMTPRecipientsRefused or SMTPDataError."""
        if self.config["MAIL_TRANSPORT"] == "file":
            try:
                folder = Path(self.config["MAIL_OUTBOX_DIR"])
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{message_id:08d}.eml").write_bytes(email.as_bytes())
            except OSError as error:
                raise ServerUnavailable(str(error)) from error
            return
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(email)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            raise  # about this message only: the connection goes on with the next one
        except (OSError, smtplib.SMTPException) as error:  # SMTPException is an OSError too
            if self.smtp is not None:
                self.smtp.close()
                self.smtp = None
            raise ServerUnavailable(str(error) or type(error).__name__) from error

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=self.timeout)
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp


def refused_for_good(error: smtplib.SMTPException) -> bool:
    """A 5xx reply to the recipient or to the message: trying again cannot succeed."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _claim(message_id: int, token: str, now: datetime) -> OutboxMessage | None:
    """Take a due message for this sender; an atomic UPDATE, so two hosts never both win."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            *_due(now),
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now, claim_token=token)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _finish(message: OutboxMessage, token: str, **values) -> None:
    """Write the result of a try, unless the claim went stale and another sender took the message."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token)
        .values(attempts=OutboxMessage.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _failed_try(message: OutboxMessage, token: str, error: str, now: datetime, for_good: bool) -> bool:
    """Record a failed try; returns True when the message is now given up."""
    tries = message.attempts + 1
    given_up = for_good or tries >= current_app.config["MAIL_MAX_ATTEMPTS"]
    values = {"claimed_at": None, "claim_token": None, "last_error": error[:500]}
    if given_up:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + retry_delay(tries)
    log.warning("outbox message %s not sent (try %s%s): %s", message.id, tries,
                ", given up" if given_up else "", error)
    _finish(message, token, **values)
    return given_up


def _send(message_ids, now: datetime, timeout: float) -> SendReport:
    token = secrets.token_hex(16)
    report = SendReport()
    with _Delivery(current_app.config, timeout) as delivery:
        for message_id in message_ids:
            message = _claim(message_id, token, now)
            if message is None:
                continue  # sent, given up, not due, or another sender has it
            try:
                email = build_email(message, _contents(message))
            except AttachmentUnreadable as error:
                log.exception("outbox message %s: an attachment cannot be read now", message_id)
                report.count_failed_try(_failed_try(message, token, f"cannot read an attachment: {error}", now,
                                                    for_good=False))
                continue
            except Exception as error:  # noqa: BLE001 - a message that cannot be built never will be
                log.exception("outbox message %s cannot be built", message_id)
                report.count_failed_try(_failed_try(message, token, f"cannot build the message: {error}", now,
                                                    for_good=True))
                continue
            try:
                delivery.deliver(email, message_id)
            except ServerUnavailable as error:
                # Nothing is lost: the message stays queued; the rest waits for the next run
                # instead of each waiting out the timeout against a server that is down.
                report.count_failed_try(_failed_try(message, token, str(error), now, for_good=False))
                break
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                report.count_failed_try(_failed_try(message, token, str(error), now,
                                                    for_good=refused_for_good(error)))
            else:
                _finish(message, token, sent_at=now)
                report.sent += 1
    return report


def send_pending(now: datetime, limit: int = 500) -> SendReport:
    """Send the messages due at `now`, oldest first; safe to run on several hosts at once."""
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    return _send(due, now, current_app.config["MAIL_TIMEOUT"])


#: True while a batch job runs: its messages wait for `flask outbox send` instead of going after each use case.
_deferred: ContextVar[bool] = ContextVar("outbox_deferred", default=False)


@contextmanager
def deferred_sending():
    """Leave the messages queued inside the block to `flask outbox send`: a job writing thousands must not wait
    on the mail server after each one (O1)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def send_queued_by_this_use_case() -> None:
    """After a use case commits: try the messages it queued, and no others, with a short timeout.

    This runs inside the web request: an SMTP server that is down or silent must not hold the
    worker long, and the request must not take longer for messages other people are owed (A2:
    the answer to "forgot password" must not tell which addresses have an account). Whatever
    does not go now is left to `flask outbox send`.
    """
    queued = db.session.info.pop(_QUEUED, [])
    if not current_app.config["MAIL_SEND_IMMEDIATELY"] or _deferred.get():
        return
    # Rolled-back messages have no identity; read the ids without loading the expired rows again.
    message_ids = [identity[0] for identity in (inspect(m).identity for m in queued) if identity]
    if not message_ids:
        return
    try:
        _send(message_ids, utcnow(), current_app.config["MAIL_REQUEST_TIMEOUT"])
    except Exception:  # noqa: BLE001 - the change is committed: the user must not see an error
        log.exception("outbox messages %s left for the next `flask outbox send`", message_ids)
        db.session.rollback()


def outbox_status(now: datetime, limit: int = 20) -> OutboxStatus:
    """Counts of queued and failed messages, and the last failures, for the operator."""
    def count(*conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions))

    return OutboxStatus(
        queued=count(*_waiting()),
        due=count(*_due(now)),
        failed=count(OutboxMessage.failed_at.is_not(None)),
        recent_failures=list(db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()).limit(limit)
        )),
    )
