"""A database made before tags had tables gains the owner's tags on the next start."""

from __future__ import annotations

from alembic import command

from kb import migrations
from kb.db import get_db


def test_an_existing_database_gains_the_owner_tags_table_filled(make_app):
    app = make_app()
    with app.app_context():
        with get_db().engine.connect() as conn:   # as the release before tags left it
            command.downgrade(migrations._config(conn), "0003")
            conn.commit()
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()

    again = make_app(INSTANCE_PATH=app.instance_path)
    client = again.test_client()
    owner = client.get("/api/v1/practices/riverton-flood-wardens/tags").get_json()["owner"]
    assert [t["label"] for t in owner] == ["early warning", "example", "volunteers"]
    assert client.get("/tags/volunteers").status_code == 200
