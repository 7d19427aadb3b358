"""The outbox: queue messages in the caller's transaction, send them later, exactly once."""
from __future__ import annotations

import base64
import logging
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

#: A claim older than this belongs to a sender that died: another may take the message.
CLAIM_TIMEOUT = timedelta(minutes=10)


def queue_mail(recipient: str, template: str, attachments: list[dict] | None = None, **context) -> OutboxMessage:
    """Add a message to the outbox within the current transaction; `template` names mail/<name>.txt.

    The template's first line is the subject, the rest is the body; it renders in the
    current request's language.
    """
    rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip(),
        body_text=body.strip() + "\n",
        attachments=attachments or [],
    )
    db.session.add(message)
    return message


def attachment(filename: str, content_type: str, content: bytes) -> dict:
    return {"filename": filename, "content_type": content_type, "content_b64": base64.b64encode(content).decode()}


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    for item in message.attachments:
        maintype, _, subtype = item["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(item["content_b64"]), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return email


def _deliver(email: EmailMessage, message_id: int) -> None:
    config = current_app.config
    if config["MAIL_TRANSPORT"] == "file":
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message_id:08d}.eml").write_bytes(email.as_bytes())
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _claim(message_id: int, token: str) -> bool:
    """Take a message for this sender; an atomic UPDATE, so two hosts never both win."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now, claim_token=token)
    )
    db.session.commit()
    return result.rowcount == 1


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send queued messages; returns (sent, failed). Safe to run on several hosts at once."""
    token = secrets.token_hex(16)
    candidates = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    sent = failed = 0
    for message_id in candidates:
        if not _claim(message_id, token):
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            _deliver(build_email(message), message_id)
        except (OSError, smtplib.SMTPException) as error:
            # Nothing is lost: the message stays queued and the next run tries again.
            log.warning("outbox message %s not sent: %s", message_id, error)
            message.claimed_at = None
            message.claim_token = None
            message.attempts += 1
            message.last_error = str(error)[:500]
            failed += 1
        else:
            message.sent_at = utcnow()
            message.attempts += 1
            sent += 1
        db.session.commit()
    return sent, failed
