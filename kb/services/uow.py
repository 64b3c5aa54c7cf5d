"""Unit of work: write, commit, then run the side effects.

Side effects (search indexing, the file mirror, mail delivery) are registered while the
work happens and run only after the database commit succeeded, so nothing
outside the database ever describes a change that was rolled back.

A unit of work is one write transaction that starts when it is entered: on
SQLite it begins with ``BEGIN IMMEDIATE``, so the rows a service reads to
decide (the working revision, the next revision number) cannot change under
it before it commits; concurrent writers wait for each other (busy timeout)
instead of deciding on the same stale state. On other databases services
lock the rows they decide on (``SELECT ... FOR UPDATE``); PostgreSQL's refusals
for a concurrent transaction (serialization failure, deadlock, lock timeout) are
retried like SQLite's.

A unit of work entered while another one is open on the same session joins
it: a request that saves and submits is one transaction, committed once.
Services take the unit of work they run in (``@unit_of_work``); the
outermost one retries the whole operation when the database refuses the
commit for a concurrency reason (a unique revision number taken by a
concurrent writer, a lock wait that ran out), so a race costs a retry, never
a server error.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Callable

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from kb.db import get_db, session as current_session
from kb.services.effects import forget_changes

log = logging.getLogger(__name__)

_ACTIVE = "kb.uow"
RETRIES = 3


def in_unit_of_work() -> bool:
    """True inside a unit of work (its writes are not committed yet)."""
    return current_session().info.get(_ACTIVE) is not None


class UnitOfWork:
    def __init__(self, session: Session | None = None):
        self.session = session or current_session()
        self._effects: list[Callable[[], None]] = []
        self._outer: UnitOfWork | None = None

    def on_commit(self, effect: Callable[[], None]) -> None:
        if self._outer is not None:
            self._outer.on_commit(effect)
        elif effect not in self._effects:
            self._effects.append(effect)

    def __enter__(self) -> UnitOfWork:
        outer = self.session.info.get(_ACTIVE)
        if outer is not None:
            self._outer = outer
            return self
        # What was read before belongs to an earlier snapshot: end it, and read
        # again inside the write transaction.
        self.session.commit()
        self.session.expire_all()
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        self.session.info[_ACTIVE] = self
        from kb.services.effects import watch_changes

        watch_changes(self.session)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._outer is not None:
            return  # the outer unit of work commits or rolls back
        try:
            if exc_type is not None:
                self.session.rollback()
                forget_changes(self.session)
                return
            try:
                self.session.commit()
            except BaseException:
                self.session.rollback()
                forget_changes(self.session)
                raise
        finally:
            self.session.info.pop(_ACTIVE, None)
        get_db().degraded = False  # a write went through: pooled connections are fine again
        for effect in self._effects:
            try:
                effect()
            except Exception:  # an effect must not undo a committed change
                # each effect works from durable state (the change log, the mail
                # outbox), so what it missed is picked up by its next run
                log.exception("after-commit effect %r failed; the change is committed",
                              effect)

    @property
    def joined(self) -> bool:
        return self._outer is not None


# PostgreSQL's codes for a transaction refused because of a concurrent one: serialization
# failure, deadlock detected, lock not available (lock_timeout)
_RETRY_SQLSTATES = ("40001", "40P01", "55P03")


def is_transient(exc: BaseException) -> bool:
    """A refusal a retry of the whole operation can get past."""
    if isinstance(exc, IntegrityError):
        return True  # e.g. a revision number a concurrent writer took first
    if isinstance(exc, OperationalError):
        if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
            return True
        text = str(exc.orig).lower()
        return ("database is locked" in text or "deadlock" in text
                or "could not serialize" in text)
    return False


def unit_of_work(fn):
    """Run a service in the unit of work it is given (``uow=``), or in its own.

    A service running in its own unit of work is retried from the start when
    the commit fails for a concurrency reason; its checks then run again on
    the fresh state, so a duplicate becomes a clear refusal, not an error.
    """

    @functools.wraps(fn)
    def wrapper(*args, uow: UnitOfWork | None = None, **kwargs):
        if uow is not None:
            with UnitOfWork(uow.session) as joined:
                return fn(*args, uow=joined, **kwargs)
        for attempt in range(RETRIES):
            try:
                with UnitOfWork() as own:
                    result = fn(*args, uow=own, **kwargs)
                return result
            except (IntegrityError, OperationalError) as exc:
                if not is_transient(exc) or attempt == RETRIES - 1 or \
                        current_session().info.get(_ACTIVE) is not None:
                    raise
                log.warning("%s: retrying after a concurrent change (%s)", fn.__name__,
                            exc.orig)
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
