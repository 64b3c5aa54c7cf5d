"""Databases as older releases left them, for the tests of upgrades."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from kb import migrations


def as_made_before_migrations(engine) -> None:
    """Bring a database to the schema of the last release without migrations: every
    migration after the baseline undone (with the tables they added), then no version
    table. The rows of the baseline's tables stay."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        command.downgrade(migrations._config(connection), "0001")
        connection.commit()
        connection.execute(text("DROP TABLE alembic_version"))
        connection.commit()
