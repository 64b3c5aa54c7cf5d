"""Request helpers shared by the blueprints."""

from __future__ import annotations

from flask import g, request
from flask_login import UserMixin, current_user

from kb.services.identity import ANONYMOUS, Identity


class SessionUser(UserMixin):
    """What Flask-Login keeps in the session: the account id and its session version.

    Changing the password or deleting the account bumps the version, which
    ends every other session of that account.
    """

    def __init__(self, user):
        self.user = user
        self.id = f"{user.id}:{user.session_version}"


def session_user(user) -> SessionUser:
    return SessionUser(user)


def load_session_user(session_id: str):
    from kb.services.accounts import user_for_session

    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = user_for_session(user_id, version)
    return SessionUser(user) if user else None


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


def list_args(*names: str) -> dict[str, list[str]]:
    return {n: request.args.getlist(n) for n in names if request.args.getlist(n)}
