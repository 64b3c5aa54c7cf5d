"""Signed-in sessions, kept server-side: signing out ends a session wherever its cookie went.

The session cookie and the remember-me cookie carry a random token; the database keeps its
hash. A session is valid while its row exists, so deleting the row (signing out, changing or
resetting the password, deleting the account) ends it even for a copied cookie. These helpers
write inside the caller's unit of work and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import delete, select

from kb.db import session
from kb.models import UserSession, utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> dt.timedelta:
    """As long as a remember-me cookie lives (Flask-Login's default: a year)."""
    value = current_app.config.get("REMEMBER_COOKIE_DURATION", dt.timedelta(days=365))
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=int(value))


def session_open(user_id: int) -> str:
    """A new session for the account; returns the token its cookies carry."""
    token = secrets.token_urlsafe(32)
    s = session()
    s.execute(delete(UserSession).where(UserSession.user_id == user_id,
                                        UserSession.created_at < utcnow() - _lifetime()))
    s.add(UserSession(user_id=user_id, token_hash=_hash(token)))
    return token


def session_is_open(user_id: int, token: str) -> bool:
    return session().scalar(select(UserSession.id).where(
        UserSession.user_id == user_id, UserSession.token_hash == _hash(token),
        UserSession.created_at >= utcnow() - _lifetime())) is not None


def session_close(user_id: int, token: str) -> None:
    session().execute(delete(UserSession).where(UserSession.user_id == user_id,
                                                UserSession.token_hash == _hash(token)))


def sessions_close_all(user_id: int) -> None:
    session().execute(delete(UserSession).where(UserSession.user_id == user_id))
