"""What only PostgreSQL does: a server that ends a connection while a request uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.postgresql


@pytest.fixture
def database():
    return "postgresql"


def test_a_connection_the_server_ends_during_a_request_gives_503_then_pages_again(
        app, postgres):
    from kb.db import session

    ended = []

    @app.before_request
    def server_ends_this_connection():  # as when PostgreSQL shuts down or restarts
        if not ended:
            pid = session().execute(text("SELECT pg_backend_pid()")).scalar()
            postgres._admin(f"SELECT pg_terminate_backend({pid})")
            ended.append(pid)

    client = app.test_client()
    page = client.get("/search?q=flood")
    assert page.status_code == 503
    assert "The portal is temporarily unavailable" in page.get_data(as_text=True)
    assert client.get("/search?q=flood").status_code == 200  # no restart needed
    assert client.get("/readyz").status_code == 200


def test_a_connection_the_server_ends_after_the_answer_is_ready_keeps_the_answer(
        app, postgres):
    """The request's session is closed after the page is made: a connection ended by then
    cannot even roll back, and that must not turn a finished page into a server error."""
    from kb.db import session

    ended = []

    @app.after_request
    def server_ends_this_connection(response):
        if not ended:
            pid = session().execute(text("SELECT pg_backend_pid()")).scalar()
            postgres._admin(f"SELECT pg_terminate_backend({pid})")
            ended.append(pid)
        return response

    client = app.test_client()
    assert client.get("/search?q=flood").status_code == 200
    assert ended
    assert client.get("/search?q=flood").status_code == 200


def test_change_log_numbers_become_visible_in_the_order_they_were_given(app):
    """A node applies the change log up to the highest number it sees; on PostgreSQL a
    later-numbered change must not become visible while an earlier one is uncommitted."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from kb.db import get_db
    from kb.models import ChangeAction, ChangeLog

    with app.app_context():
        factory = get_db().session.session_factory
        first, second = factory(), factory()
        try:
            first.add(ChangeLog(practice_id=0, slug="first", action=ChangeAction.UPDATE))
            first.flush()                      # numbered, not yet committed
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            second.add(ChangeLog(practice_id=0, slug="second", action=ChangeAction.UPDATE))
            with pytest.raises(OperationalError, match="lock timeout"):
                second.flush()                 # waits for the first to end
            second.rollback()
            first.commit()
            second.add(ChangeLog(practice_id=0, slug="second", action=ChangeAction.UPDATE))
            second.commit()
            rows = dict(first.execute(select(ChangeLog.slug, ChangeLog.id).where(
                ChangeLog.slug.in_(["first", "second"]))).all())
            assert rows["first"] < rows["second"]
            assert first.scalar(select(func.max(ChangeLog.id))) == rows["second"]
        finally:
            first.close()
            second.close()
