"""Following the change log, and rebuilding from scratch."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from kb.db import session
from kb.models import ChangeLog, Practice, PracticeStatus, ReadModelState, SimilarEntry
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.services.readmodel.lineage import lineage_refresh
from kb.services.readmodel.similar import similar_refresh
from kb.services.uow import UnitOfWork
from search import IndexBusy, IndexUnavailable

log = logging.getLogger(__name__)

LINEAGE, SIMILAR = "lineage", "similar"
BATCH = 500  # practices whose similar lists one catch-up refreshes at most


def _latest_change_id() -> int:
    return session().scalar(select(func.max(ChangeLog.id))) or 0


def _state(name: str) -> int:
    s = session()
    row = s.get(ReadModelState, name)
    if row is None:
        try:
            with UnitOfWork():
                s.add(ReadModelState(name=name, last_change_id=0))
        except IntegrityError:  # another catch-up created it first
            pass
        return 0
    return row.last_change_id


def _claim(name: str, last: int, upto: int) -> bool:
    """Move a part's mark from `last` to `upto` inside the caller's transaction; False
    when another catch-up moved it first (that one applies these changes)."""
    result: CursorResult = session().execute(  # type: ignore[assignment]
        update(ReadModelState).where(ReadModelState.name == name,
                                     ReadModelState.last_change_id == last).values(
            last_change_id=upto))
    return result.rowcount == 1


def _index():
    return current_app.extensions["kb.search"]


def read_model_catch_up() -> int:
    """Apply the change-log entries the read model has not followed; returns how many.

    Called after a commit and before a page reads the model, next to search_catch_up
    (whose index the similar lists are read from, so those follow the index's mark).
    """
    latest = _latest_change_id()
    applied = 0
    last = _state(LINEAGE)
    if latest > last:
        with UnitOfWork():
            if _claim(LINEAGE, last, latest):
                lineage_refresh()
                applied = latest - last
    try:
        index = _index()
        upto = min(latest, index.last_change_id() if index.exists() else 0)
    except IndexUnavailable:
        return applied
    last = _state(SIMILAR)
    if upto > last:
        ids = list(dict.fromkeys(session().scalars(select(ChangeLog.practice_id).where(
            ChangeLog.id > last, ChangeLog.id <= upto).order_by(ChangeLog.id))))
        try:
            with UnitOfWork():
                if _claim(SIMILAR, last, upto):
                    similar_refresh(index, ids)
        except (IndexBusy, IndexUnavailable) as exc:
            log.warning("similar practices not refreshed now (%s); the next catch-up will",
                        exc)
    return applied


def read_model_rebuild(identity: Identity, progress: Callable[[int], None] | None = None,
                       on_total: Callable[[int], None] | None = None) -> int:
    """Rebuild the read model from scratch (after the search index); returns practices."""
    require(identity, "search.reindex")
    return read_model_rebuild_unchecked(progress, on_total)


def read_model_rebuild_unchecked(progress=None, on_total=None) -> int:
    s = session()
    upto = _latest_change_id()
    index = _index()
    ids = list(s.scalars(select(Practice.id).where(Practice.status == PracticeStatus.PUBLISHED)
                        .order_by(Practice.id)))
    if on_total:
        on_total(len(ids))
    _state(LINEAGE), _state(SIMILAR)
    with UnitOfWork():
        lineage_refresh()
        s.execute(update(ReadModelState).where(ReadModelState.name == LINEAGE).values(
            last_change_id=upto))
    with UnitOfWork():
        s.execute(delete(SimilarEntry))
    done = 0
    for start in range(0, len(ids), BATCH):
        with UnitOfWork():
            done += similar_refresh(index, ids[start:start + BATCH])
        if progress:
            progress(min(start + BATCH, len(ids)))
    with UnitOfWork():
        s.execute(update(ReadModelState).where(ReadModelState.name == SIMILAR).values(
            last_change_id=min(upto, index.last_change_id())))
    return len(ids)


@dataclass
class ReadModelStatus:
    latest_change_id: int
    lineage_change_id: int
    similar_change_id: int

    @property
    def pending(self) -> int:
        return self.latest_change_id - min(self.lineage_change_id, self.similar_change_id)


def read_model_status(identity: Identity) -> ReadModelStatus:
    require(identity, "kb.status")
    s = session()
    marks = dict(s.execute(select(ReadModelState.name, ReadModelState.last_change_id)).all())
    return ReadModelStatus(_latest_change_id(), marks.get(LINEAGE, 0), marks.get(SIMILAR, 0))
