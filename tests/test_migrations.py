"""The schema comes from the migrations (kb/migrations), on SQLite and on PostgreSQL.

A database made by the release before migrations keeps every row when upgraded; a node
refuses to serve a database at another schema version with one line saying what to do.
"""

from __future__ import annotations

import itertools
import importlib.util
import logging
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text

from kb import create_app, migrations
from kb.cli import main as kb_main
from kb.migrations import SchemaOutOfDate
from kb.models import Base
from tests.conftest import FIXTURE_PRACTICES

DATA = Path(__file__).parent / "data"
_LOADED = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database(request):
    return request.param


@pytest.fixture
def database_url(database, postgres, tmp_path):
    """An empty database of the kind under test."""
    if postgres is None:
        yield f"sqlite:///{tmp_path / 'kb.sqlite3'}"
        return
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def row_counts(engine, names=None) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: connection.scalar(select(func.count()).select_from(table))
                for name, table in Base.metadata.tables.items()
                if names is None or name in names}


def test_the_migrations_make_exactly_the_models_schema(database_url):
    engine = create_engine(database_url)
    before, after = migrations.upgrade(engine)
    assert before.empty and before.current is None
    assert after.up_to_date and after.current == migrations.head()
    assert schema_differences(engine) == []
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {
        "alembic_version"}
    engine.dispose()


def test_foreign_keys_refuse_an_id_that_names_no_user(database_url, tmp_path):
    engine = create_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    from sqlalchemy.exc import IntegrityError

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                      "AUTO_INIT": False, "INSTANCE_PATH": str(tmp_path)})
    db = app.extensions["kb.db"]
    with app.app_context(), pytest.raises(IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_events (created_at, actor_id, action, target_type, "
                "target_id, detail) VALUES (CURRENT_TIMESTAMP, 4242, 'x', 'y', 'z', '{}')"))
    db.dispose()


def _models_before_migrations():
    """A fresh copy of the old models each time (create_all marks what it did on them)."""
    name = f"tests.data.models_before_migrations_{next(_LOADED)}"
    spec = importlib.util.spec_from_file_location(name, DATA / "models_before_migrations.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its annotations are resolved in its own namespace
    spec.loader.exec_module(module)
    return module


def _fill_through_the_services(app):
    """Accounts, organizations, networks, practices and their history, flags, audit."""
    from kb.services import editorial as ed
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import membership_add
    from kb.services.practices import practices_import_dir

    with app.test_request_context():
        report = practices_import_dir(SYSTEM, FIXTURE_PRACTICES)
        assert report.created
        slug = report.created[0]
        user_create(SYSTEM, "ana@city.example", "Ana", "correct horse battery", "admin")
        org = app.extensions["kb.db"].session().execute(
            text("SELECT slug FROM organizations ORDER BY id LIMIT 1")).scalar()
        membership_add(SYSTEM, org, "ana@city.example", "admin")
        ed.practice_archive(SYSTEM, slug)
        ed.practice_restore(SYSTEM, slug)


def test_a_database_made_before_migrations_keeps_every_row(database_url, tmp_path, caplog):
    # a database exactly as the release before migrations made it, with data in it
    engine = create_engine(database_url)
    old = _models_before_migrations().Base.metadata
    old.create_all(engine)
    # this release's services fill it, so the tables added since exist while they do
    added = [t for name, t in Base.metadata.tables.items() if name not in old.tables]
    Base.metadata.create_all(engine, tables=added)
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                      "AUTO_INIT": False, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SEED_DIR": str(FIXTURE_PRACTICES), "SEARCH_DENSE": False})
    _fill_through_the_services(app)
    with engine.begin() as connection:  # an author id that names no account
        connection.execute(text("UPDATE revisions SET author_id = 4242 WHERE id = "
                                "(SELECT MIN(id) FROM revisions)"))
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()
    owner_tags = row_counts(engine, {"practice_tags"})["practice_tags"]
    assert owner_tags
    Base.metadata.drop_all(engine, tables=added)  # then gone, as the old release had them
    counts = row_counts(engine, old.tables)
    assert counts["revisions"] and counts["users"] and counts["audit_events"]
    assert migrations.state(engine).shown_current == "unversioned (made before migrations)"

    # a node on it refuses to serve, in one line saying what to do
    settings = {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                "INSTANCE_PATH": str(tmp_path / "node"), "SEED_DIR": str(FIXTURE_PRACTICES),
                "SEARCH_DENSE": False}
    with caplog.at_level(logging.ERROR), pytest.raises(SchemaOutOfDate):
        create_app(settings)
    assert (f"database schema is at unversioned (made before migrations), this release "
            f"needs {migrations.head()}: run kb db upgrade") in caplog.messages

    # `kb db upgrade` brings it to this release's schema and keeps every row
    cli_app = create_app({**settings, "AUTO_INIT": False})
    result = cli_app.test_cli_runner().invoke(kb_main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (  # after the log line saying the same
        f"Database schema upgraded from unversioned (made before migrations) to "
        f"{migrations.head()}")
    cli_app.extensions["kb.db"].dispose()
    assert row_counts(engine, old.tables) == counts
    # the owner's tags, new in this release, are filled from the published revisions
    assert row_counts(engine, {"practice_tags"})["practice_tags"] == owner_tags
    assert schema_differences(engine) == []
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM revisions "
                                      "WHERE author_id = 4242")) == 0
    engine.dispose()

    # and the node serves
    node = create_app(settings)
    assert node.test_client().get("/search?q=flood").status_code == 200
    node.extensions["kb.search"].close()
    node.extensions["kb.db"].dispose()


def test_a_node_refuses_a_database_at_an_older_version(database_url, tmp_path):
    engine = create_engine(database_url)
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    settings = {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                "INSTANCE_PATH": str(tmp_path / "node"), "SEED_DIR": str(FIXTURE_PRACTICES)}
    with pytest.raises(SchemaOutOfDate) as refused:
        create_app(settings)
    assert str(refused.value) == (f"database schema is at 0001, this release needs "
                                  f"{migrations.head()}: run kb db upgrade")
    app = create_app({**settings, "AUTO_INIT": False})
    runner = app.test_cli_runner()
    current = runner.invoke(kb_main, ["db", "current"])
    assert current.exit_code == 1
    assert current.output == (f"0001 (this release needs {migrations.head()}: "
                              "run kb db upgrade)\n")
    status = runner.invoke(kb_main, ["search", "flood"])
    assert status.exit_code == 2
    assert "run kb db upgrade" in status.output
    app.extensions["kb.db"].dispose()
    engine.dispose()


def test_the_embedded_database_is_upgraded_on_start(tmp_path):
    """No KB_DATABASE_URL: the SQLite file in the instance folder follows the release."""
    instance = tmp_path / "instance"
    instance.mkdir()
    engine = create_engine(f"sqlite:///{instance / 'kb.sqlite3'}")
    _models_before_migrations().Base.metadata.create_all(engine)
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "SECRET_KEY": "t",
                      "SEED_DIR": str(FIXTURE_PRACTICES), "SEARCH_DENSE": False})
    assert migrations.state(engine).up_to_date
    assert schema_differences(engine) == []
    assert app.test_client().get("/search?q=flood").status_code == 200
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()
    engine.dispose()


def test_a_database_of_a_later_release_is_left_alone(database_url, tmp_path):
    """Started by mistake on a database a newer release upgraded, a node changes nothing."""
    engine = create_engine(database_url)
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    settings = {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                "INSTANCE_PATH": str(tmp_path / "node"), "SEED_DIR": str(FIXTURE_PRACTICES)}
    app = create_app({**settings, "AUTO_INIT": False})
    upgrade = app.test_cli_runner().invoke(kb_main, ["db", "upgrade"])
    assert upgrade.exit_code == 2
    assert upgrade.output == (f"Error: database schema is at 9999, which this release does "
                              f"not know (it needs {migrations.head()}): run the release that "
                              "upgraded it\n")
    app.extensions["kb.db"].dispose()
    assert migrations.state(engine).current == "9999"
    engine.dispose()


def test_tag_aliases_made_before_scopes_stay_public(database_url):
    """0005: the moderators' renames and synonyms of an older database keep holding for
    everyone, and a network may then decide about the same words for its private tags."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(migrations.HERE))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(text(
            "INSERT INTO tag_aliases (tag, target, kind, created_at) "
            "VALUES ('flood', 'floods', 'merged', CURRENT_TIMESTAMP)"))
        connection.commit()
    before, after = migrations.upgrade(engine)
    assert (before.current, after.current) == ("0004", migrations.head())
    insert = text("INSERT INTO tag_aliases (tag, scope, target, kind, created_at) "
                  "VALUES ('flood', :scope, 'shortlist', 'synonym', CURRENT_TIMESTAMP)")
    with engine.begin() as connection:
        assert connection.execute(text(
            "SELECT tag, scope, target FROM tag_aliases")).all() == [
            ("flood", "public", "floods")]
        connection.execute(insert, {"scope": "alpine-towns"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"scope": "public"})
    engine.dispose()
