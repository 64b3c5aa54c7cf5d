"""Make a fresh installation usable: schema, seed practices, search index.

Safe to run any number of times and from several processes at once (a file
lock in the instance folder serializes the first start).
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select

from kb.db import get_db, session
from kb.models import Practice

log = logging.getLogger(__name__)


@contextmanager
def _init_lock():
    path = Path(current_app.instance_path) / ".init.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def database_ready() -> bool:
    return inspect(get_db().engine).has_table("change_log")


def init_database(seed: bool = True, on_file=None):
    """Create missing tables and import the seed folder when the KB is empty.

    Returns the import report, or None when nothing was imported.
    """
    from kb.services.identity import SYSTEM
    from kb.services.practices import practices_import_dir

    get_db().create_all()
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
    """Fill the translations table, new in this version, from the stored documents.

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
        if not database_ready() or not session().scalar(
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
        else:
            had_translations = inspect(get_db().engine).has_table("revision_translations")
            get_db().create_all()  # tables a newer version added, such as mail_outbox
            if not had_translations:
                fill_translation_rows()
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
            from kb.services.readmodel import read_model_catch_up

            read_model_catch_up()
        except Exception:  # the pages fall back to computing until the next catch-up
            log.exception("read model catch-up failed at start")
        get_db().session.remove()
