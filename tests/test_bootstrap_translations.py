"""A database made before translations were stored gains them on the next start."""

from __future__ import annotations

from sqlalchemy import text

from kb.db import get_db
from tests.schema_helpers import as_made_before_migrations
from kb.services.identity import SYSTEM
from kb.services.practices import practice_import
from tests.views.test_translated_practices import SOLBY


def test_an_existing_database_gains_the_translations_table_filled_and_indexed(make_app):
    app = make_app()
    with app.app_context():
        practice_import(SYSTEM, SOLBY, "solby-pensionarer.md")
        as_made_before_migrations(get_db().engine)
        with get_db().engine.begin() as conn:   # as an older version left it
            conn.execute(text("DROP TABLE revision_translations"))
        before = _changes("solby-pensionarer")
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()

    again = make_app(INSTANCE_PATH=app.instance_path)
    client = again.test_client()
    data = client.get("/api/v1/practices/solby-pensionarer").get_json()
    assert data["translations"]["en"]["title"] == "Participatory budget for pensioners"
    html = client.get("/practices/solby-pensionarer?lang=fi").get_data(as_text=True)
    assert "<h1>Osallistuva budjetointi eläkeläisille</h1>" in html
    with again.app_context():
        # an index built by the older version is brought up to date by the catch-up
        assert _changes("solby-pensionarer") == before + ["update"]
    hits = client.get("/api/v1/search?q=pensioners").get_json()["hits"]
    assert [h["slug"] for h in hits] == ["solby-pensionarer"]


def _changes(slug: str) -> list[str]:
    from sqlalchemy import select

    from kb.db import session
    from kb.models import ChangeLog

    return list(session().scalars(select(ChangeLog.action).where(ChangeLog.slug == slug)
                                  .order_by(ChangeLog.id)))
