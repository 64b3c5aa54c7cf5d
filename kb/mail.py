"""Outgoing e-mail: build a message and hand it to SMTP or the outbox folder.

Services never send mail themselves: they queue it in the database with
`kb.services.mail.queue_mail`, and it is delivered after the commit. This
module is the transport: SMTP when KB_SMTP_HOST is set, otherwise one .eml
file per message in outbox/ of the instance folder (so registration,
invitations and resets work offline; tests read it to follow the links).
"""

from __future__ import annotations

import logging
import smtplib
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

SUBJECT_MAX = 200


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """A header value: runs of whitespace (line breaks too) become one space, at most `limit`."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


def build_message(recipient: str, subject: str, body: str,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """A standard message; EmailMessage encodes non-ASCII text and long lines properly."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = recipient
    for name, value in (headers or {}).items():
        message[name] = value
    message["Subject"] = one_line(subject)
    message.set_content(body)
    return message


def transmit(message: EmailMessage, mail_id: int) -> str:
    """Hand a message over; returns where it went. Raises when the transport refuses it."""
    config = current_app.config
    if config.get("SMTP_HOST"):
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                          timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
        return f"{config['SMTP_HOST']}:{config['SMTP_PORT']}"
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # the name comes from the clock and the outbox row, never from the address
    target = folder / f"{time.time_ns():020d}-{mail_id}.eml"
    tmp = folder / f".{target.name}.tmp"
    tmp.write_bytes(bytes(message))
    tmp.replace(target)
    # the event only: bodies carry sign-in, verification and reset links
    log.info("mail %d to %s written to %s: %s", mail_id, message["To"], target,
             message["Subject"])
    return str(target)


def read_outbox(to: str | None = None) -> list[EmailMessage]:
    """Messages in the outbox folder, oldest first (for tests and for operators)."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(folder.glob("*.eml"))]
    return [m for m in messages if to is None or m["To"] == to]
