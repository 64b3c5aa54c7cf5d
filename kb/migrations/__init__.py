"""The database schema, version by version (Alembic migrations in versions/).

`upgrade(engine)` brings a database to this release's schema: an empty one gets every
table, one made before migrations existed (tables made by `create_all`, no
`alembic_version`) keeps every row and gains what it lacks. `check(engine)` refuses a
database at another version than this release's with one line saying what to do.
See README.md beside this file for how to add a migration.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
# Alembic says "Context impl ..." at INFO whenever a version is read: the portal logs
# one line of its own per upgrade instead
logging.getLogger("alembic").setLevel(logging.WARNING)

HERE = Path(__file__).resolve().parent
# any number will do, as long as nothing else takes it: the key of the PostgreSQL
# advisory lock that lets one node at a time upgrade a shared database
_UPGRADE_LOCK = 0x6B62_0001


class SchemaOutOfDate(Exception):
    """The database is at another schema version than this release needs."""

    def __init__(self, state: SchemaState):
        self.state = state
        if state.newer:
            super().__init__(f"database schema is at {state.current}, which this release "
                             f"does not know (it needs {state.head}): run the release that "
                             "upgraded it")
        else:
            super().__init__(f"database schema is at {state.shown_current}, this release "
                             f"needs {state.head}: run kb db upgrade")


@dataclasses.dataclass(frozen=True)
class SchemaState:
    current: str | None   # the version in alembic_version; None when there is none
    head: str             # the version this release needs
    empty: bool           # no table of the portal yet
    newer: bool = False   # at a version this release does not have (a later release's)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def shown_current(self) -> str:
        if self.current is not None:
            return self.current
        return "empty" if self.empty else "unversioned (made before migrations)"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> tuple[str, frozenset[str]]:
    """(head, every revision) of the migrations this release ships: read once per
    process (each start of an app asks; the files do not change under a running one)."""
    scripts = ScriptDirectory.from_config(_config())
    found = scripts.get_current_head()
    assert found is not None
    return found, frozenset(script.revision for script in scripts.walk_revisions())


def head() -> str:
    return _scripts()[0]


def state(engine: Engine) -> SchemaState:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names())
    from kb.models import Base

    known = _scripts()[1]
    return SchemaState(current=current, head=head(),
                       empty=not tables & set(Base.metadata.tables),
                       newer=current is not None and current not in known)


def check(engine: Engine) -> SchemaState:
    """The schema state; SchemaOutOfDate unless the database is empty or up to date."""
    found = state(engine)
    if not found.up_to_date and not found.empty:
        raise SchemaOutOfDate(found)
    return found


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to this release's schema; returns the states before and after.

    On PostgreSQL it is one transaction holding an advisory lock, so nodes starting at
    once upgrade one after the other and a failed step leaves the database as it was.
    On SQLite foreign keys are off while tables are copied (batch mode), then checked.
    """
    before = state(engine)
    if before.up_to_date:
        return before, before
    if before.newer:
        raise SchemaOutOfDate(before)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        elif connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _UPGRADE_LOCK})
        command.upgrade(_config(connection), "head")
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"rows refer to rows that do not exist: {broken[:5]}")
    after = state(engine)
    log.info("database schema upgraded from %s to %s", before.shown_current, after.current)
    return before, after
