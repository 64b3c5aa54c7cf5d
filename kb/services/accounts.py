"""Accounts: register, verify, sign in, passwords, deletion, and who a user is.

Passwords are hashed with scrypt (memory-hard, Werkzeug's default). Links
sent by e-mail are signed, expiring tokens; a password reset link works once
because it names the account's session version, which the reset bumps.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

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
from kb.services.errors import (
    AccountLocked,
    AuthenticationFailed,
    InvalidInput,
    NotFound,
)
from kb.services.identity import ANONYMOUS, Identity
from kb.services.mail import queue_mail
from kb.services.permissions import require
from kb.services.uow import UnitOfWork

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN = 10
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
# a real hash to compare against when the account does not exist (same timing)
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kb.{purpose}")


def _link(endpoint: str, **values) -> str:
    from flask import has_request_context

    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


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


def user_get(identity: Identity, user_id: int) -> User:
    require(identity, "account.view", user_id)
    user = session().get(User, user_id)
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
    existing = session().scalar(select(User).where(User.email == email))
    with UnitOfWork() as uow:
        if existing is not None:
            queue_mail(uow, email, _("Someone tried to register with your address"),
                       _("Somebody tried to create an account with this e-mail address, "
                         "which already has one. If it was you, sign in or reset your "
                         "password:\n\n%(link)s", link=_link("auth.forgot_password")))
            return
        user = User(email=email, name=name, password_hash=generate_password_hash(password))
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


def user_authenticate(identity: Identity, email: str, password: str) -> User:
    """Check a password; repeated failures lock the account for a while."""
    require(identity, "account.sign_in")
    config = current_app.config
    user = session().scalar(select(User).where(User.email == normalize_email(email),
                                               User.deleted_at.is_(None)))
    now = utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    if user.locked_until and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if not check_password_hash(user.password_hash, password or ""):
        with UnitOfWork():
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
                user.failed_logins = 0
                audit(ANONYMOUS, "user.locked", "user", user.id)
        if user.locked_until and user.locked_until > now:
            raise AccountLocked(user.locked_until)
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    if not user.is_verified:
        raise AuthenticationFailed(_("Confirm your e-mail address first: follow the link we "
                                     "sent you."))
    with UnitOfWork():
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
    return user


# ---------------------------------------------------------------- passwords


def user_change_password(identity: Identity, current: str, new: str) -> None:
    require(identity, "account.manage")
    user = session().get(User, identity.user_id)
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
        audit(identity, "user.password_change", "user", user.id)


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
        user.failed_logins = 0
        user.locked_until = None
        user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
        audit(identity, "user.password_reset", "user", user.id)
    return user


def user_delete(identity: Identity, password: str) -> None:
    """Delete my account: personal data goes, published practices stay with the organization."""
    require(identity, "account.manage")
    user = session().get(User, identity.user_id)
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidInput({"password": _("This is not your current password.")})
    with UnitOfWork():
        user.deleted_at = utcnow()
        user.email = f"deleted-{user.id}@deleted.invalid"
        user.name = _("Deleted user")
        user.password_hash = generate_password_hash(secrets.token_hex(32))
        user.session_version += 1
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


def user_for_session(user_id: int, version: int) -> User | None:
    """The account behind a session cookie, if that session is still valid."""
    user = session().get(User, user_id)
    if user is None or user.deleted_at or user.session_version != version:
        return None
    return user


__all__ = ["identity_for", "user_register", "user_verify_email", "user_authenticate",
           "user_change_password", "user_request_password_reset", "user_reset_password",
           "user_delete", "user_create", "user_set_role", "users_list"]
