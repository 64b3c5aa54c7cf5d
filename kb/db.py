"""The database: one engine and a scoped session per application.

Helpers never commit on their own; services commit through a unit of work
(kb.services.uow) and run side effects after the commit.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    def __init__(self, url: str, embedded: bool = False):
        self.url = url
        # the default SQLite file in the instance folder (no KB_DATABASE_URL): a start
        # upgrades its schema by itself; a database set by URL is upgraded by `kb db upgrade`
        self.embedded = embedded
        kwargs: dict = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            if url.startswith("postgresql"):
                # stored times are UTC without a zone, also those the server fills in
                kwargs["connect_args"] = {"options": "-c timezone=UTC"}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # set when the database refused to be used; until a write succeeds again,
        # every checkout opens a fresh connection (one opened while the file was
        # read-only stays read-only for its whole life)
        self.degraded = False
        event.listen(self.engine, "checkout", self._fresh_while_degraded)
        factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        if url.startswith("postgresql"):
            event.listen(factory, "before_flush", _change_log_in_commit_order)
        self.session: scoped_session[Session] = scoped_session(factory)

    @property
    def location(self) -> str:
        """Where the data lives, for the log: the SQLite file or the URL without password."""
        if self.engine.url.get_backend_name() == "sqlite":
            return self.engine.url.database or ":memory:"
        return self.engine.url.render_as_string(hide_password=True)

    def unavailable(self, exc: BaseException) -> bool:
        """Whether an error means the database cannot be used now (read-only, missing,
        full, unreachable) rather than a fault of the code. The pool is emptied, so
        connections opened after the fault is fixed read and write again."""
        if not isinstance(exc, (OperationalError, InterfaceError)):
            return False
        text = str(exc.orig).lower()
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if not (exc.connection_invalidated or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
                or any(sign in text for sign in _UNAVAILABLE)):
            return False
        self.degraded = True
        self.engine.dispose()
        return True

    def _fresh_while_degraded(self, _dbapi_connection, record, _proxy):
        used = record.info.get("kb.used", False)
        record.info["kb.used"] = True
        if self.degraded and used:
            raise DisconnectionError("reconnecting after the database was unavailable")

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()


# OperationalError messages of a database that cannot be used at the moment
_UNAVAILABLE = ("readonly database", "unable to open database", "disk i/o error",
                "database or disk is full", "database is locked", "could not connect",
                "connection refused", "server closed the connection", "read-only transaction",
                "connection failed", "connection is closed", "connection is bad",
                "is the server running",
                "the database system is")
# PostgreSQL's codes for the same: connection exceptions (08...), the server shutting
# down or starting (57P01-57P03), out of disk or memory (53...), read-only (25006)
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53", "25006")


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask, url: str, embedded: bool = False) -> Database:
    db = Database(url, embedded)
    app.extensions["kb.db"] = db

    @app.teardown_appcontext
    def _remove_session(_exc):
        try:
            db.session.remove()
        except DBAPIError as exc:
            # a connection the server dropped cannot even roll back: the answer (a 503
            # page when the database is down) stands, the session and its connection go
            db.session.registry.clear()
            if not db.unavailable(exc):
                raise

    return db


def get_db() -> Database:
    return current_app.extensions["kb.db"]


def session() -> Session:
    return get_db().session()


#: the advisory lock a transaction holds from its first change-log row until it ends
CHANGE_LOG_LOCK = 0x6B62_0C10


def _change_log_in_commit_order(session: Session, _context, _instances) -> None:
    """PostgreSQL numbers change-log rows when they are inserted, but transactions commit
    in their own order: a node that has applied every change up to the highest number it
    sees would skip a change numbered lower whose transaction commits later. So a
    transaction takes one lock before it writes its first change-log row and holds it
    until it ends: change-log numbers become visible in the order they were given.
    (SQLite writes one transaction at a time, so it needs no lock.)"""
    from kb.models import ChangeLog

    if any(isinstance(obj, ChangeLog) for obj in session.new):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})
