"""After-commit effects of a practice change: derived views and the file mirror.

They are module-level functions so a unit of work that changes several
practices runs each effect once. The change-log rows a unit of work wrote are
collected as they are flushed (``session.info["kb.change_ids"]``), so the
derived views can apply exactly those changes after the commit (their author
sees them at once) without applying anybody else's backlog.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_CHANGE_IDS = "kb.change_ids"


def after_practice_change(uow) -> None:
    uow.on_commit(_apply_derived_views)
    if current_app.config.get("EXPORT_DIR"):
        uow.on_commit(_mirror_files)


def _apply_derived_views() -> None:
    from kb.db import session
    from kb.services.derived import apply_after_commit

    ids = session().info.pop(_CHANGE_IDS, None) or []
    if session().info.get(_DEFERRED):
        return  # a bulk change: the views catch up once, after its last commit
    apply_after_commit(sorted(set(ids)))


_DEFERRED = "kb.derived_deferred"


@contextmanager
def derived_views_deferred():
    """A bulk change (``kb import``) commits batch after batch: the derived views do not
    catch up after each commit but once, after the last (derived.catch_up_after_bulk),
    so the index is written and merged once instead of once per batch."""
    from kb.db import session
    from kb.services.derived import catch_up_after_bulk

    s = session()
    s.info[_DEFERRED] = True
    try:
        yield
    finally:
        s.info.pop(_DEFERRED, None)
    catch_up_after_bulk()


def watch_changes(session: Session) -> None:
    """A unit of work starts: collect the ids of the change-log rows it flushes."""
    _watch_change_log()
    session.info[_CHANGE_IDS] = []


def forget_changes(session: Session) -> None:
    """A unit of work rolled back: none of its changes is committed."""
    session.info.pop(_CHANGE_IDS, None)


def _mirror_files() -> None:
    from kb.services.mirror import mirror_catch_up

    mirror_catch_up(current_app.config["EXPORT_DIR"])


_watching = False


def _watch_change_log() -> None:
    global _watching
    if _watching:
        return
    _watching = True
    event.listen(Session, "after_flush", _collect_change_ids)


def _collect_change_ids(session: Session, _flush_context) -> None:
    from kb.models import ChangeLog

    ids = session.info.get(_CHANGE_IDS)
    if ids is None:
        return
    ids.extend(obj.id for obj in session.new if isinstance(obj, ChangeLog))
