"""Outgoing e-mail: SMTP when configured, otherwise an outbox folder and the log.

The outbox makes every flow (verification, invitations, resets) work
offline; tests read it to follow the links.
"""

from __future__ import annotations

import logging
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


def send_mail(to: str, subject: str, body: str, reply_to: str | None = None) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="practice-exchange")
    message.set_content(body)
    if config.get("SMTP_HOST"):
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
        log.info("mail sent to %s: %s", to, subject)
        return
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{to.replace('@', '_at_')}.eml"
    (folder / name).write_bytes(bytes(message))
    # the event only: bodies carry sign-in, verification and reset links
    log.info("mail to %s written to %s: %s", to, folder / name, subject)


def read_outbox(to: str | None = None) -> list[EmailMessage]:
    """Messages in the outbox, oldest first (for tests and for operators)."""
    from email import message_from_bytes, policy

    folder = outbox_dir()
    if not folder.is_dir():
        return []
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(folder.glob("*.eml"))]
    return [m for m in messages if to is None or m["To"] == to]
