"""Alembic's entry point for the portal's migrations.

The portal runs them through kb.migrations (`kb db upgrade`, `kb init`, a first start),
handing over its own connection. Run by hand (`alembic -c kb/migrations/alembic.ini ...`,
for `revision --autogenerate`), it connects to KB_DATABASE_URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from kb.models import Base

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters a table by copying it: batch mode does that for it
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    import os

    url = os.environ.get("KB_DATABASE_URL")
    if not url:
        raise SystemExit("set KB_DATABASE_URL to the database to compare the models with")
    engine = create_engine(url)
    with engine.connect() as connection:
        run(connection)
        connection.commit()
    engine.dispose()
