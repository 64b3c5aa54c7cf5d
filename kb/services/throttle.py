"""Wrong passwords slow down and lock out the guessing address, never the account's owner.

Three counters, each over a window of LOGIN_LOCKOUT_MINUTES:

* an address and an account: LOGIN_MAX_FAILURES wrong passwords lock that address out of that
  account for LOGIN_LOCKOUT_MINUTES;
* an address: LOGIN_ADDRESS_MAX_FAILURES wrong passwords, for any accounts, lock that address
  out of signing in at all for LOGIN_LOCKOUT_MINUTES;
* an account: LOGIN_ACCOUNT_MAX_FAILURES wrong passwords from all addresses together mean the
  account is under attack; then the correct password only earns a one-time sign-in link sent
  to the account's e-mail address (see accounts.user_authenticate).

The owner, from any address not locked, can always sign in: with the password, or during an
attack with the password and the e-mailed link. The keys do not depend on whether the account
exists, so unknown addresses get the same answers. They are keyed hashes: the table holds
neither network addresses nor e-mail addresses. These helpers write inside the caller's unit
of work and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, delete, or_, select, update

from kb.db import session
from kb.models import LoginThrottle


@dataclass(frozen=True)
class Keys:
    pair: str
    address: str
    account: str


def keys_for(email: str, address: str) -> Keys:
    secret = current_app.config["SECRET_KEY"].encode()

    def key(*parts: str) -> str:
        return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    address = address or "unknown"
    return Keys(pair=key("pair", address, email), address=key("address", address),
                account=key("account", email))


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def locked_seconds(keys: Keys, now: dt.datetime) -> int:
    """Seconds until this address may try this account again (0: it may now)."""
    until = session().scalar(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_((keys.pair, keys.address)), LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.locked_until.desc()).limit(1))
    return max(1, int((until - now).total_seconds() + 0.999)) if until else 0


def under_attack(keys: Keys, now: dt.datetime) -> bool:
    row = session().get(LoginThrottle, keys.account)
    return (row is not None and row.window_start > now - _window()
            and row.failures >= current_app.config["LOGIN_ACCOUNT_MAX_FAILURES"])


def record_failure(keys: Keys, now: dt.datetime) -> None:
    config = current_app.config
    window = _window()
    limits = ((keys.pair, config["LOGIN_MAX_FAILURES"]),
              (keys.address, config["LOGIN_ADDRESS_MAX_FAILURES"]),
              (keys.account, None))
    s = session()
    s.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start <= now - window,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)))
    for key, limit in limits:
        failures = _count(key, now, now - window)
        if limit and failures >= limit:
            s.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                      .values(locked_until=now + window, failures=0, window_start=now))


def record_success(keys: Keys) -> None:
    """The right password from this address: its earlier typos no longer count."""
    session().execute(delete(LoginThrottle).where(LoginThrottle.key == keys.pair,
                                                  LoginThrottle.locked_until.is_(None)))


def _count(key: str, now: dt.datetime, cutoff: dt.datetime) -> int:
    """Add one failure to `key` (a new window when the last one ended); the new count."""
    s = session()
    in_window = LoginThrottle.window_start > cutoff
    dialect = s.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            # the same insert().on_conflict_do_update() as SQLite's, in its own class
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        stmt = insert(LoginThrottle).values(key=key, failures=1, window_start=now)
        s.execute(stmt.on_conflict_do_update(index_elements=[LoginThrottle.key], set_={
            "failures": case((in_window, LoginThrottle.failures + 1), else_=1),
            "window_start": case((in_window, LoginThrottle.window_start), else_=now)}))
    else:  # other databases: not atomic, at worst a failure goes uncounted under a race
        row = s.get(LoginThrottle, key)
        if row is None:
            s.add(LoginThrottle(key=key, failures=1, window_start=now))
        elif row.window_start > cutoff:
            row.failures += 1
        else:
            row.failures, row.window_start = 1, now
        s.flush()
    # the row was written above, in this transaction
    return s.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) or 0
