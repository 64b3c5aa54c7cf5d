"""Accounts: register, verify, sign in, passwords, deletion, and who a user is.

Passwords are hashed with scrypt (memory-hard, Werkzeug's default). Links
sent by e-mail are signed, expiring tokens; a password reset link works once
because it names the account's session version, which the reset bumps.
Wrong passwords lock out the guessing address, not the account (kb.services.throttle);
sessions live server-side (kb.services.sessions), so signing out ends them.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kb.db import session
from kb.models import (
    AuditEvent,
    JoinRequest,
    Membership,
    MemberRole,
    Network,
    NetworkMember,
    NetworkModerator,
    SiteRole,
    User,
    utcnow,
)
from kb.services import sessions, throttle
from kb.services.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    SignInLinkSent,
    TooManyAttempts,
)
from kb.services.identity import ANONYMOUS, Identity
from kb.services.mail import queue_mail
from kb.services.permissions import require
from kb.services.uow import UnitOfWork

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN = 10
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
SIGN_IN_LINK_MAX_AGE = 900
# a real hash to compare against when the account does not exist (same timing)
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kb.{purpose}")


def _link(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, always on KB_BASE_URL.

    Never built from the request's Host header: a forged Host on the forgotten-password
    form would otherwise put a valid token into a link to another site.
    """
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


email_link = _link  # the public name, for other services' e-mails


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def audit(actor: Identity, action: str, target_type: str, target_id, **detail) -> None:
    session().add(AuditEvent(actor_id=actor.user_id, action=action, target_type=target_type,
                             target_id=str(target_id), detail=detail))


def _check_password(password: str, email: str = "") -> str | None:
    if len(password or "") < PASSWORD_MIN:
        return _("Use at least %(num)d characters.", num=PASSWORD_MIN)
    if email and password.lower() == email.lower():
        return _("Do not use your e-mail address as the password.")
    return None


# ------------------------------------------------------------------ identity


def identity_for(user: User | None) -> Identity:
    """The identity a signed-in user acts with: roles, organizations, networks."""
    if user is None or user.deleted_at is not None:
        return ANONYMOUS
    s = session()
    roles = {"reader"}
    if user.site_role == SiteRole.ADMIN:
        roles.add("admin")
    if user.site_role in (SiteRole.ADMIN, SiteRole.GLOBAL_MODERATOR):
        roles.add("global_moderator")
    memberships = list(s.scalars(select(Membership).where(Membership.user_id == user.id)))
    org_ids = frozenset(m.organization_id for m in memberships)
    member_networks = set(s.scalars(
        select(Network.slug).join(NetworkMember)
        .where(NetworkMember.organization_id.in_(org_ids)))) if org_ids else set()
    moderates = set(s.scalars(select(Network.slug).join(NetworkModerator)
                              .where(NetworkModerator.user_id == user.id)))
    return Identity(
        user_id=user.id, roles=frozenset(roles), organizations=org_ids,
        admin_of=frozenset(m.organization_id for m in memberships
                           if m.role == MemberRole.ADMIN),
        networks=frozenset(member_networks | moderates), moderates=frozenset(moderates),
        name=user.name, verified=user.is_verified)


def user_get(identity: Identity, user_id: int | None) -> User:
    require(identity, "account.view", user_id)
    user = session().get(User, user_id) if user_id is not None else None
    if user is None or user.deleted_at is not None:
        raise NotFound("no such user")
    return user


# ---------------------------------------------------------------- register


def user_register(identity: Identity, email: str, name: str, password: str) -> None:
    """Create an unverified account and send the verification link.

    An address that already has an account gets a notice instead, and the
    answer to the person registering is the same: addresses are not revealed.
    """
    require(identity, "account.register")
    email = normalize_email(email)
    name = (name or "").strip()
    errors = {}
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = _("Enter an e-mail address such as name@city.example.")
    if not name or len(name) > 120:
        errors["name"] = _("Enter your name (at most 120 characters).")
    problem = _check_password(password, email)
    if problem:
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    # hash before looking the address up: the same work whether or not it has an account
    password_hash = generate_password_hash(password)
    existing = session().scalar(select(User).where(User.email == email))
    with UnitOfWork() as uow:
        if existing is not None:
            queue_mail(uow, email, _("Someone tried to register with your address"),
                       _("Somebody tried to create an account with this e-mail address, "
                         "which already has one. If it was you, sign in or reset your "
                         "password:\n\n%(link)s", link=_link("auth.forgot_password")))
            return
        user = User(email=email, name=name, password_hash=password_hash)
        session().add(user)
        session().flush()
        audit(identity, "user.register", "user", user.id)
        token = _serializer("verify").dumps({"uid": user.id, "email": email})
        link = _link("auth.verify_email", token=token)
        queue_mail(uow, email, _("Confirm your e-mail address"),
                   _("Welcome, %(name)s. Confirm your address to finish creating your account "
                     "(the link is valid for 3 days):\n\n%(link)s", name=name, link=link))


def user_verify_email(identity: Identity, token: str) -> User:
    require(identity, "account.verify")
    try:
        data = _serializer("verify").loads(token, max_age=VERIFY_MAX_AGE)
    except SignatureExpired:
        raise InvalidInput({"token": _("This link has expired. Sign in to get a new one.")})
    except BadSignature:
        raise InvalidInput({"token": _("This link is not valid.")})
    user = session().get(User, data["uid"])
    if user is None or user.email != data["email"] or user.deleted_at:
        raise InvalidInput({"token": _("This link is not valid.")})
    with UnitOfWork():
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            audit(identity, "user.verify", "user", user.id)
    return user


def user_resend_verification(identity: Identity, email: str) -> None:
    require(identity, "account.register")
    user = session().scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or user.is_verified or user.deleted_at:
        return
    token = _serializer("verify").dumps({"uid": user.id, "email": user.email})
    with UnitOfWork() as uow:
        queue_mail(uow, user.email, _("Confirm your e-mail address"),
                   _("Confirm your address to finish creating your account:\n\n%(link)s",
                     link=_link("auth.verify_email", token=token)))


# ------------------------------------------------------------------ sign in


@dataclass(frozen=True)
class SignedIn:
    """A new server-side session: its token goes into the session and remember-me cookies."""

    user: User
    session_token: str


def user_authenticate(identity: Identity, email: str, password: str,
                      address: str) -> SignedIn:
    """Check a password sent from a network address and open a session.

    Wrong passwords lock out the address they come from (kb.services.throttle), the same way
    for unknown and existing accounts. While an account is under attack from many addresses,
    the right password earns a one-time sign-in link by e-mail instead of a session.
    """
    require(identity, "account.sign_in")
    email = normalize_email(email)
    keys = throttle.keys_for(email, address)
    now = utcnow()
    wait = throttle.locked_seconds(keys, now)
    if wait:
        raise TooManyAttempts(wait)
    user = session().scalar(select(User).where(User.email == email, User.deleted_at.is_(None)))
    # the same hashing work whether or not the account exists
    right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not right:
        with UnitOfWork():
            throttle.record_failure(keys, now)
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    with UnitOfWork():
        throttle.record_success(keys)
    if not user.is_verified:
        raise AuthenticationFailed(_("Confirm your e-mail address first: follow the link we "
                                     "sent you."))
    if throttle.under_attack(keys, now):
        with UnitOfWork() as uow:
            _send_sign_in_link(uow, user)
        raise SignInLinkSent(_("Many wrong passwords were tried for this account. To finish "
                               "signing in, follow the link we have just sent to your e-mail "
                               "address."))
    return _sign_in(user)


def _sign_in(user: User) -> SignedIn:
    with UnitOfWork():
        user.last_login_at = utcnow()
        token = sessions.session_open(user.id)
    return SignedIn(user, token)


def _sign_in_token_state(user: User) -> dict:
    """What a sign-in link names: using it (or signing in otherwise) makes it invalid."""
    return {"uid": user.id, "v": user.session_version,
            "last": user.last_login_at.isoformat() if user.last_login_at else None}


def _send_sign_in_link(uow: UnitOfWork, user: User) -> None:
    token = _serializer("sign-in").dumps(_sign_in_token_state(user))
    queue_mail(uow, user.email, _("Your sign-in link"),
              _("Your password was entered correctly while many wrong passwords were being "
                "tried for your account. Follow this link within 15 minutes to finish signing "
                "in. If it was not you, change your password.\n\n%(link)s",
                link=_link("auth.sign_in_link", token=token)))
    log.info("sign-in link sent to user %s (account under attack)", user.id)


def user_sign_in_with_link(identity: Identity, token: str) -> SignedIn:
    """Finish signing in with the one-time link sent while the account was under attack."""
    require(identity, "account.sign_in")
    invalid = InvalidInput({"token": _("This link is not valid any more. Sign in again.")})
    try:
        data = _serializer("sign-in").loads(token, max_age=SIGN_IN_LINK_MAX_AGE)
    except (SignatureExpired, BadSignature):
        raise invalid
    user = session().get(User, data.get("uid"))
    if user is None or user.deleted_at or _sign_in_token_state(user) != data:
        raise invalid
    return _sign_in(user)


def _own_account(identity: Identity) -> User:
    """The signed-in user's own account; an identity without one has nothing to manage."""
    user = session().get(User, identity.user_id) if identity.user_id is not None else None
    if user is None:
        raise NotFound(_("No account has this address."))
    return user


def user_sign_out(identity: Identity, session_token: str) -> None:
    """End this session on the server: its cookies, wherever copied, stop working."""
    require(identity, "account.manage")
    if identity.user_id is None:
        raise NotFound(_("No account has this address."))
    with UnitOfWork():
        sessions.session_close(identity.user_id, session_token)


# ---------------------------------------------------------------- passwords


def user_change_password(identity: Identity, current: str, new: str) -> SignedIn:
    """Change my password: every session ends, and the returned new one replaces this one."""
    require(identity, "account.manage")
    user = _own_account(identity)
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = _("This is not your current password.")
    problem = _check_password(new, user.email)
    if problem:
        errors["new_password"] = problem
    if errors:
        raise InvalidInput(errors)
    with UnitOfWork():
        user.password_hash = generate_password_hash(new)
        user.session_version += 1
        sessions.sessions_close_all(user.id)
        token = sessions.session_open(user.id)
        audit(identity, "user.password_change", "user", user.id)
    return SignedIn(user, token)


def user_request_password_reset(identity: Identity, email: str) -> None:
    """Send a one-time reset link if the address has an account; answer the same either way."""
    require(identity, "account.recover")
    user = session().scalar(select(User).where(User.email == normalize_email(email),
                                               User.deleted_at.is_(None)))
    if user is None:
        return
    token = _serializer("reset").dumps({"uid": user.id, "v": user.session_version})
    with UnitOfWork() as uow:
        queue_mail(uow, user.email, _("Reset your password"),
                   _("Follow this link within an hour to choose a new password. If you did "
                     "not ask for it, ignore this message.\n\n%(link)s",
                     link=_link("auth.reset_password", token=token)))


def user_reset_password(identity: Identity, token: str, new: str) -> User:
    require(identity, "account.recover")
    try:
        data = _serializer("reset").loads(token, max_age=RESET_MAX_AGE)
    except (SignatureExpired, BadSignature):
        raise InvalidInput({"token": _("This link is not valid any more. Ask for a new one.")})
    user = session().get(User, data["uid"])
    if user is None or user.deleted_at or user.session_version != data["v"]:
        raise InvalidInput({"token": _("This link is not valid any more. Ask for a new one.")})
    problem = _check_password(new, user.email)
    if problem:
        raise InvalidInput({"password": problem})
    with UnitOfWork():
        user.password_hash = generate_password_hash(new)
        user.session_version += 1
        sessions.sessions_close_all(user.id)
        user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
        audit(identity, "user.password_reset", "user", user.id)
    return user


def user_delete(identity: Identity, password: str) -> None:
    """Delete my account: personal data goes, published practices stay with the organization."""
    require(identity, "account.manage")
    user = _own_account(identity)
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidInput({"password": _("This is not your current password.")})
    with UnitOfWork():
        user.deleted_at = utcnow()
        user.email = f"deleted-{user.id}@deleted.invalid"
        user.name = _("Deleted user")
        user.password_hash = generate_password_hash(secrets.token_hex(32))
        user.session_version += 1
        sessions.sessions_close_all(user.id)
        user.site_role = SiteRole.NONE
        for m in list(user.memberships):
            session().delete(m)
        for row in session().scalars(select(NetworkModerator).where(
                NetworkModerator.user_id == user.id)):
            session().delete(row)
        for req in session().scalars(select(JoinRequest).where(
                JoinRequest.user_id == user.id, JoinRequest.status == "open")):
            req.status = "withdrawn"
        audit(identity, "user.delete", "user", user.id)


# --------------------------------------------------------------- admin, CLI


def user_create(identity: Identity, email: str, name: str, password: str,
                role: str = SiteRole.NONE, verified: bool = True) -> User:
    """Create an account directly (site admins and the operator)."""
    require(identity, "user.manage")
    email = normalize_email(email)
    errors = {}
    if not EMAIL_RE.match(email):
        errors["email"] = _("Enter an e-mail address such as name@city.example.")
    if session().scalar(select(func.count()).where(User.email == email)):
        errors["email"] = _("An account with this address exists already.")
    problem = _check_password(password, email)
    if problem:
        errors["password"] = problem
    if role not in SiteRole.ALL:
        errors["role"] = _("Unknown role.")
    if errors:
        raise InvalidInput(errors)
    with UnitOfWork():
        user = User(email=email, name=name or email.split("@")[0],
                    password_hash=generate_password_hash(password), site_role=role,
                    email_verified_at=utcnow() if verified else None)
        session().add(user)
        session().flush()
        audit(identity, "user.create", "user", user.id, role=role)
    return user


def user_set_role(identity: Identity, email: str, role: str) -> User:
    require(identity, "user.manage")
    if role not in SiteRole.ALL:
        raise InvalidInput({"role": _("Unknown role.")})
    user = session().scalar(select(User).where(User.email == normalize_email(email),
                                               User.deleted_at.is_(None)))
    if user is None:
        raise NotFound(_("No account has this address."))
    with UnitOfWork():
        old, user.site_role = user.site_role, role
        audit(identity, "user.set_role", "user", user.id, old=old, new=role)
    return user


def users_list(identity: Identity) -> list[User]:
    require(identity, "user.manage")
    return list(session().scalars(select(User).where(User.deleted_at.is_(None))
                                  .order_by(User.email)))


def user_for_session(user_id: int, version: int, token: str) -> User | None:
    """The account behind a session cookie, if that session is still open."""
    user = session().get(User, user_id)
    if user is None or user.deleted_at or user.session_version != version:
        return None
    if not sessions.session_is_open(user_id, token):
        return None
    return user


__all__ = ["identity_for", "user_register", "user_verify_email", "user_authenticate",
           "user_sign_in_with_link", "user_sign_out", "user_change_password",
           "user_request_password_reset", "user_reset_password",
           "user_delete", "user_create", "user_set_role", "users_list"]
