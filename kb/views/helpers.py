"""Request helpers shared by the blueprints."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import g, request, url_for
from flask_login import UserMixin, current_user

from kb.services.identity import ANONYMOUS, Identity


class SessionUser(UserMixin):
    """What Flask-Login keeps in the session and remember-me cookies: the account id, its
    session version and the token of a server-side session.

    Signing out closes the server-side session; changing the password or deleting the
    account bumps the version and closes every session of that account.
    """

    def __init__(self, user, session_token: str):
        self.user = user
        self.session_token = session_token
        self.id = f"{user.id}:{user.session_version}:{session_token}"


def session_user(signed_in) -> SessionUser:
    """The Flask-Login user for a service's SignedIn result."""
    return SessionUser(signed_in.user, signed_in.session_token)


def load_session_user(session_id: str):
    from kb.services.accounts import user_for_session

    try:
        user_id, version, token = session_id.split(":")
        user = user_for_session(int(user_id), int(version), token)
    except ValueError:
        return None
    return SessionUser(user, token) if user else None


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Where to send someone after a form: `target` if it is a path on this site.

    Every view that redirects to a target taken from the request goes through here.
    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    "/<tab>/evil.example/" or "/<backslash>evil.example" lead to another site: a target with any
    control character or backslash is refused, and so is one with a scheme or a host,
    or one not starting with a single slash. Refused targets give `fallback` (the home page).
    """
    fallback = fallback or url_for("pages.home")
    if not target or "\\" in target \
            or any(unicodedata.category(c).startswith("C") for c in target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def current_identity() -> Identity:
    """The identity of whoever made this request (computed once per request)."""
    if "identity" not in g:
        from kb.services.accounts import identity_for

        user = getattr(current_user, "user", None) if current_user else None
        g.identity = identity_for(user) if user is not None else ANONYMOUS
    return g.identity


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def expand_arg() -> bool:
    """False when the URL says ``expand=0``: search only the words as typed
    ("only in my language"), without the glossary's translations."""
    return request.args.get("expand", "1").strip().lower() not in ("0", "false", "no", "off")


def list_args(*names: str) -> dict[str, list[str]]:
    return {n: request.args.getlist(n) for n in names if request.args.getlist(n)}
