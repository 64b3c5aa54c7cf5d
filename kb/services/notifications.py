"""Notifications in the site and by e-mail; each person can turn each kind off."""

from __future__ import annotations

from flask_babel import lazy_gettext
from sqlalchemy import select

from kb.db import session
from kb.models import Notification, NotificationOptOut, User, utcnow
from kb.services.identity import Identity
from kb.services.mail import queue_mail
from kb.services.permissions import require
from kb.services.uow import UnitOfWork

KINDS = {
    "submission_state": lazy_gettext("My submission changed state"),
    "new_submission": lazy_gettext("A new submission for a network I moderate"),
    "followed_practice": lazy_gettext("A practice I follow changed"),
    "followed_organization": lazy_gettext("An organization I follow published a practice"),
    "practice_tagged": lazy_gettext("Another city tagged a practice of my organization"),
}


def notify(uow: UnitOfWork, user_ids, kind: str, message: str, link: str) -> None:
    """Queue a notification for each user who has not turned the kind off.

    The site notification and the e-mail are written in the unit of work; the
    e-mail is delivered after the commit. The subject is the message on one line
    (a moderator's comment may have several); the body keeps it whole.
    """
    ids = {i for i in user_ids if i}
    if not ids:
        return
    s = uow.session
    off = set(s.scalars(select(NotificationOptOut.user_id).where(
        NotificationOptOut.kind == kind, NotificationOptOut.user_id.in_(ids))))
    for user in s.scalars(select(User).where(User.id.in_(ids - off), User.deleted_at.is_(None))):
        s.add(Notification(user_id=user.id, kind=kind, message=message, link=link))
        queue_mail(uow, user.email, message, f"{message}\n\n{link}")


def notifications_list(identity: Identity, limit: int = 50) -> list[Notification]:
    require(identity, "account.manage")
    return list(session().scalars(select(Notification).where(
        Notification.user_id == identity.user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def notifications_mark_read(identity: Identity) -> None:
    require(identity, "account.manage")
    with UnitOfWork():
        for n in session().scalars(select(Notification).where(
                Notification.user_id == identity.user_id, Notification.read_at.is_(None))):
            n.read_at = utcnow()


def notification_settings_get(identity: Identity) -> dict[str, bool]:
    require(identity, "account.manage")
    off = set(session().scalars(select(NotificationOptOut.kind).where(
        NotificationOptOut.user_id == identity.user_id)))
    return {kind: kind not in off for kind in KINDS}


def notification_settings_save(identity: Identity, enabled: set[str]) -> None:
    require(identity, "account.manage")
    with UnitOfWork():
        for kind in KINDS:
            row = session().get(NotificationOptOut, (identity.user_id, kind))
            if kind in enabled and row is not None:
                session().delete(row)
            elif kind not in enabled and row is None:
                session().add(NotificationOptOut(user_id=identity.user_id, kind=kind))
