"""Make a fresh installation usable: schema, seed practices, search index.

Safe to run any number of times and from several processes at once (a file
lock in the instance folder serializes the first start; on PostgreSQL an
advisory lock also serializes the nodes sharing the database).
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, text

from kb.db import get_db, session
from kb.models import Practice

log = logging.getLogger(__name__)


# the key of the PostgreSQL advisory lock held by a node while it starts
_START_LOCK = 0x6B62_0002


@contextmanager
def _init_lock():
    path = Path(current_app.instance_path) / ".init.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            engine = get_db().engine
            if engine.dialect.name != "postgresql":
                yield
                return
            with engine.connect() as connection:  # released when this connection closes
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _START_LOCK})
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                       {"key": _START_LOCK})
                    connection.commit()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def database_ready() -> bool:
    return inspect(get_db().engine).has_table("change_log")


def migrate_database(upgrade_existing: bool | None = None) -> None:
    """Bring the schema to this release's through the migrations (kb.migrations).

    An empty database is always set up. One that holds the portal's tables at an older
    version is upgraded when upgrade_existing says so (default: only the embedded
    SQLite file); otherwise SchemaOutOfDate says to run `kb db upgrade`.
    """
    from kb import migrations

    db = get_db()
    state = migrations.state(db.engine)
    if state.up_to_date:
        return
    if upgrade_existing is None:
        upgrade_existing = db.embedded
    if state.newer or (not state.empty and not upgrade_existing):
        raise migrations.SchemaOutOfDate(state)
    had_translations = state.empty or inspect(db.engine).has_table("revision_translations")
    had_tags = state.empty or inspect(db.engine).has_table("practice_tags")
    db.session.remove()  # no open read may hold up the schema change
    migrations.upgrade(db.engine)
    if not had_translations:
        fill_translation_rows()
    if not had_tags:
        fill_tag_rows()


def init_database(seed: bool = True, on_file=None, upgrade_existing: bool | None = None):
    """Set up or check the schema (migrate_database) and import the seed folder when the
    KB is empty.

    Returns the import report, or None when nothing was imported.
    """
    from kb.services.identity import SYSTEM
    from kb.services.practices import practices_import_dir

    migrate_database(upgrade_existing)
    seed_dir = Path(current_app.config["SEED_DIR"])
    empty = not session().scalar(select(func.count()).select_from(Practice))
    if seed and seed_dir.is_dir():
        # idempotent: unchanged files make no new revision, so this is safe to repeat
        if empty or on_file is not None:
            report = practices_import_dir(SYSTEM, seed_dir, on_file=on_file)
            if empty:
                # the organizations of the seed practices get their GeoNames places
                from kb.services.places import org_places_seed

                org_places_seed(SYSTEM)
            return report
    return None


def fill_translation_rows() -> int:
    """Fill the translations table, once it was added to a database, from the stored documents.

    Documents saved before it existed keep their `translations` in their text;
    a published one gets a change-log row, so the search index (built without
    them) takes them in at its next catch-up. Returns how many revisions gained rows.
    """
    from kb.models import ChangeAction, ChangeLog, Revision
    from kb.services.practices import _fill_translations, _parsed

    filled = 0
    rows = session().execute(
        select(Revision, Practice).join(Practice, Revision.practice_id == Practice.id)
        .where(Revision.document.contains("translations:"))).all()
    for revision, practice in rows:
        slug = practice.slug
        try:
            doc = _parsed(revision.document, slug)
        except ValueError:
            log.warning("revision %s of %s no longer parses; its translations are not "
                        "listed", revision.number, slug)
            continue
        if doc.translations:
            _fill_translations(revision, doc)
            filled += 1
            if practice.published_revision_id == revision.id:
                session().add(ChangeLog(practice_id=practice.id, slug=slug,
                                        action=ChangeAction.UPDATE, revision_id=revision.id))
    session().commit()
    return filled


def fill_tag_rows() -> int:
    """Fill the owner's tags table, new in this version, from the published revisions;
    returns how many practices gained rows. Their search documents already hold these
    tags, so no change-log entry is needed."""
    from kb.content.tags import keys_of
    from kb.models import PracticeTag, Revision
    from kb.services.tags.common import concept_of

    filled = 0
    rows = session().execute(select(Practice.id, Revision.tags).join(
        Revision, Revision.id == Practice.published_revision_id)).all()
    for practice_id, tags in rows:
        for key, label in keys_of(tags).items():
            session().add(PracticeTag(practice_id=practice_id, tag=key, label=label,
                                      concept=concept_of(label)))
        filled += bool(tags)
    session().commit()
    return filled


def seed_documents() -> list[Path]:
    """The practice documents of KB_SEED_DIR; a missing or empty folder is a ConfigError."""
    from kb.config import ConfigError

    value = current_app.config["SEED_DIR"]
    folder = Path(value)
    if not folder.is_dir():
        raise ConfigError("SEED_DIR", value,
                          "a folder of practice documents (*.md), but it does not exist")
    files = sorted(folder.glob("*.md"))
    if not files:
        raise ConfigError("SEED_DIR", value,
                          "a folder of practice documents (*.md), but it holds none")
    return files


def ensure_ready(on_total=None, on_file=None) -> None:
    """On start: initialize an empty installation and rebuild a missing index.

    The first start imports the seed practices, which takes a while: it says so in
    the log, and reports the number of files (on_total) and each file (on_file).
    """
    from kb.services.search import search_refresh, search_repair, search_start
    from search import IndexUnavailable

    with _init_lock():
        migrate_database()
        if not session().scalar(
                select(func.count()).select_from(Practice)):
            seed_dir = current_app.config["SEED_DIR"]
            count = len(list(Path(seed_dir).glob("*.md"))) if Path(seed_dir).is_dir() else 0
            if count:
                log.info("first start: importing %d practices from %s", count, seed_dir)
                if on_total:
                    on_total(count)
            else:
                log.warning("first start: KB_SEED_DIR=%r holds no practice documents; "
                            "the knowledge base starts empty", seed_dir)
            report = init_database(
                on_file=(lambda *_args: on_file()) if on_file and count else None)
            if report is not None:
                log.info("imported %d practices from %s (%d failed)",
                         len(report.created) + len(report.updated),
                         seed_dir, len(report.failed))
        try:
            search_start()
            # a missing or damaged index is rebuilt (and the log says so); otherwise a
            # small backlog is applied now, a large one by the background applier, so a
            # worker never spends its start-up applying it
            if not search_repair():
                search_refresh()
        except IndexUnavailable as exc:  # the portal starts; searches answer 503 until fixed
            log.error("search index %s cannot be used (%s)", exc.path, exc.reason)
        except Exception:
            # the portal starts anyway: search answers from the last committed
            # index and the next catch-up tries again (`kb status` shows the state)
            log.exception("search index catch-up failed at start")
        try:
            from kb.services.readmodel.catchup import START_SIMILAR, read_model_catch_up

            # the lineage and dashboard rows are SQL and catch up now; the similar
            # lists only for a small backlog (a large one goes to the background applier)
            read_model_catch_up(similar_upto=START_SIMILAR)
        except Exception:  # the pages fall back to computing until the next catch-up
            log.exception("read model catch-up failed at start")
        get_db().session.remove()
