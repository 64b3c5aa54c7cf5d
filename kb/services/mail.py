"""E-mail through an outbox table: queued with the change, delivered after the commit.

`queue_mail` writes a mail_outbox row in the caller's unit of work, so a
rolled-back change sends nothing and a committed one cannot lose its mail.
After the commit the unit of work delivers the rows it queued and, when
that worked, a few older messages whose retry is due (a request never works
through a backlog). A failed delivery is recorded on the row and retried
with growing delays, by later requests and by `kb mail send` (run it from
cron or a timer), until KB_MAIL_MAX_ATTEMPTS; the log says which attempt
failed and when the next one is due.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
import weakref
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, select, update

from kb.db import session
from kb.mail import build_message, one_line, transmit
from kb.models import MailOutbox, utcnow
from kb.services.errors import InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.services.uow import UnitOfWork

log = logging.getLogger(__name__)

# the wait after the 1st, 2nd, 3rd ... failed attempt (the last one repeats)
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                dt.timedelta(hours=2), dt.timedelta(hours=6))
# while one process delivers a row, no other picks it up
CLAIM = dt.timedelta(minutes=5)
# after a request's own messages went out, this many older due ones (retries) go too
RIDE_ALONG = 5
# errors that mean the server cannot be reached: the rest of a batch waits for the next run
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError,
               smtplib.SMTPServerDisconnected)
STATUSES = ("pending", "failed", "sent")

# unit of work -> the rows it queued, delivered by one effect after its commit
_queued: weakref.WeakKeyDictionary[UnitOfWork, list[MailOutbox]] = weakref.WeakKeyDictionary()


def queue_mail(uow: UnitOfWork, to: str, subject: str, body: str,
               reply_to: str | None = None) -> MailOutbox:
    """Write a message to the outbox in `uow`; it is delivered after the commit."""
    headers = {"Message-ID": make_msgid(domain="practice-exchange")}
    if reply_to:
        headers["Reply-To"] = reply_to
    now = utcnow()
    row = MailOutbox(recipient=to.strip(), subject=one_line(subject), body=str(body),
                     headers=headers, created_at=now, attempts=0, next_attempt_at=now)
    uow.session.add(row)
    rows = _queued.get(uow)
    if rows is None:
        rows = _queued[uow] = []
        uow.on_commit(lambda: _deliver_after_commit(rows))
    rows.append(row)
    return row


@dataclass
class Delivery:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # due rows not tried because the server could not be reached
    left: list[int] = field(default_factory=list)


def _deliver_after_commit(rows: list[MailOutbox]) -> None:
    """Deliver what a unit of work queued; when that worked, a few due retries too."""
    own = mail_deliver(ids=[r.id for r in rows])
    if own.sent and not own.failed:
        mail_deliver(limit=RIDE_ALONG)


def mail_deliver(ids: list[int] | None = None, limit: int | None = None) -> Delivery:
    """Deliver the due outbox rows (only `ids` when given, at most `limit`), oldest first.

    Each row is claimed before it is sent, so two processes never send it twice;
    each outcome is committed on its own.
    """
    s = session()
    query = (select(MailOutbox.id).where(MailOutbox.sent_at.is_(None),
                                         MailOutbox.next_attempt_at <= utcnow())
             .order_by(MailOutbox.id))
    if ids is not None:
        if not ids:
            return Delivery()
        query = query.where(MailOutbox.id.in_(ids))
    if limit is not None:
        query = query.limit(limit)
    due = list(s.scalars(query))
    s.commit()
    result = Delivery()
    for position, mail_id in enumerate(due):
        outcome = _deliver_one(mail_id)
        if outcome == "sent":
            result.sent.append(mail_id)
        elif outcome in ("failed", "unreachable"):
            result.failed.append(mail_id)
        if outcome == "unreachable" and due[position + 1:]:
            result.left = due[position + 1:]
            log.warning("mail server unreachable: %d more due messages wait for the next "
                        "`kb mail send`", len(result.left))
            break
    return result


def _deliver_one(mail_id: int) -> str:
    s = session()
    now = utcnow()
    # an UPDATE statement returns a CursorResult, which carries the row count
    claimed = cast(CursorResult, s.execute(update(MailOutbox).where(
        MailOutbox.id == mail_id, MailOutbox.sent_at.is_(None),
        MailOutbox.next_attempt_at <= now).values(next_attempt_at=now + CLAIM))).rowcount
    s.commit()
    if not claimed:
        return "skipped"
    row = s.get(MailOutbox, mail_id)
    if row is None:
        raise NotFound(f"mail {mail_id}")
    s.refresh(row)
    attempt = (row.attempts or 0) + 1
    limit = current_app.config["MAIL_MAX_ATTEMPTS"]
    try:
        where = transmit(build_message(row.recipient, row.subject, row.body, row.headers),
                         row.id)
    except Exception as exc:  # recorded on the row and in the log, retried later
        row.attempts = attempt
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt >= limit:
            row.next_attempt_at = None
            log.error("mail %d to %s: delivery failed, attempt %d of %d; no more attempts "
                      "(resend with `kb mail send %d`): %s", row.id, row.recipient, attempt,
                      limit, row.id, row.last_error)
        else:
            row.next_attempt_at = utcnow() + RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
            log.warning("mail %d to %s: delivery failed, attempt %d of %d, next at %s UTC: %s",
                        row.id, row.recipient, attempt, limit,
                        row.next_attempt_at.isoformat(sep=" ", timespec="seconds"),
                        row.last_error)
        s.commit()
        return "unreachable" if isinstance(exc, UNREACHABLE) else "failed"
    row.attempts = attempt
    row.sent_at = utcnow()
    row.next_attempt_at = None
    s.commit()
    log.info("mail %d to %s delivered (attempt %d) via %s: %s", row.id, row.recipient,
             attempt, where, row.subject)
    return "sent"


def mail_status(row: MailOutbox) -> str:
    if row.sent_at is not None:
        return "sent"
    return "pending" if row.next_attempt_at is not None else "failed"


def mail_list(identity: Identity, status: str | None = None, limit: int = 200) -> list[MailOutbox]:
    """Outbox rows, newest first: pending (waiting or retrying), failed (gave up) or sent."""
    require(identity, "mail.manage")
    if status is not None and status not in STATUSES:
        raise InvalidInput({"status": f"one of {', '.join(STATUSES)}"})
    query = select(MailOutbox).order_by(MailOutbox.id.desc()).limit(limit)
    if status == "sent":
        query = query.where(MailOutbox.sent_at.is_not(None))
    elif status == "pending":
        query = query.where(MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at.is_not(None))
    elif status == "failed":
        query = query.where(MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at.is_(None))
    return list(session().scalars(query))


def mail_send(identity: Identity, mail_id: int | None = None) -> Delivery:
    """Deliver every due message, or resend one (sent or given up) with a fresh set of attempts."""
    require(identity, "mail.manage")
    if mail_id is None:
        return mail_deliver()
    row = session().get(MailOutbox, mail_id)
    if row is None:
        raise NotFound(f"no message {mail_id} in the outbox")
    with UnitOfWork():
        row.sent_at = None
        row.attempts = 0
        row.next_attempt_at = utcnow()
    return mail_deliver(ids=[mail_id])
