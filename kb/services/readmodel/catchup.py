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
from kb.services.readmodel.facts import facts_rebuild, facts_refresh, replication_refresh
from kb.services.readmodel.lineage import lineage_refresh
from kb.services.readmodel.similar import similar_find, similar_refresh, similar_store
from kb.services.uow import UnitOfWork
from search import IndexBusy, IndexUnavailable

log = logging.getLogger(__name__)

LINEAGE, SIMILAR, FACTS = "lineage", "similar", "facts"
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


# At start-up the similar lists are refreshed only for a backlog of at most this many
# change-log entries (a first start on the bundled practices writes 44): each costs a
# more-like-this search, so a larger backlog (after `kb import` of thousands of
# documents) is left to the background applier and a worker never starts late.
START_SIMILAR = 100


def read_model_catch_up(limit: int | None = None, similar_upto: int | None = None) -> int:
    """Apply the change-log entries the read model has not followed; returns how many.

    With `limit`, at most that many entries (one bounded batch of the background
    applier, kb.services.derived); without, everything (the CLI). The similar lists
    are read from the search index, so they follow the index's mark; with
    `similar_upto` (start-up), they are refreshed only when at most that many entries
    wait for them, and otherwise left to the background applier.
    """
    latest = _latest_change_id()
    applied, lineage_fresh = 0, False
    last = _state(LINEAGE)
    upto = latest if limit is None else min(latest, last + limit)
    if upto > last:
        with UnitOfWork():
            if _claim(LINEAGE, last, upto):
                lineage_refresh()  # the lineage of the current state, whatever the mark
                applied, lineage_fresh = upto - last, True
    last = _state(FACTS)
    upto = latest if limit is None else min(latest, last + limit)
    if upto > last:
        ids = _changed(last, upto)
        with UnitOfWork():
            if _claim(FACTS, last, upto):
                if not lineage_fresh:  # replication reads the families of the current state
                    lineage_refresh()
                facts_refresh(ids)
                replication_refresh(ids)
                applied = max(applied, upto - last)
    try:
        index = _index()
        upto = min(latest, index.last_change_id() if index.exists() else 0)
    except IndexUnavailable:
        return applied
    last = _state(SIMILAR)
    if limit is not None:
        upto = min(upto, last + limit)
    if similar_upto is not None and upto - last > similar_upto:
        log.info("similar practices: %d changes left to the background applier",
                 upto - last)
        return applied
    if upto > last:
        ids = _changed(last, upto)
        try:
            # the searches first, outside any write transaction: a batch of them takes
            # a while, and writers (people saving, an import) must not wait for it
            found = similar_find(index, ids)
            with UnitOfWork():
                if _claim(SIMILAR, last, upto):
                    similar_store(ids, found)
        except (IndexBusy, IndexUnavailable) as exc:
            log.warning("similar practices not refreshed now (%s); the next catch-up will",
                        exc)
        else:
            applied = max(applied, upto - last)
    return applied


def _changed(last: int, upto: int) -> list[int]:
    """The practices changed by the change-log entries after `last` up to `upto`."""
    return list(dict.fromkeys(session().scalars(select(ChangeLog.practice_id).where(
        ChangeLog.id > last, ChangeLog.id <= upto).order_by(ChangeLog.id))))


def read_model_after_bulk() -> int:
    """After a bulk import (kb.services.derived.catch_up_after_bulk): the lineage rows
    catch up once. The similar lists, one more-like-this search per imported practice,
    are left to the background applier (or `kb reindex`)."""
    latest = _latest_change_id()
    last = _state(LINEAGE)
    if latest <= last:
        return 0
    with UnitOfWork():
        if not _claim(LINEAGE, last, latest):
            return 0
        lineage_refresh()
    return latest - last


def similar_after_vectors(practice_ids: list[int] | None) -> None:
    """This node's search index brought in vectors (kb.services.search.on_vectors_added):
    the similar lists made while it ranked with words only are made again, with them.

    For a few practices (applied by a process without the model), at once. For the whole
    index (dense retrieval switched on over an index built without it), the similar
    lists follow the change log again from its start, in the background applier's
    bounded batches: every list is replaced, and pages meanwhile show the old ones."""
    if practice_ids is not None:
        with UnitOfWork():
            similar_refresh(_index(), practice_ids)
        return
    _state(SIMILAR)
    with UnitOfWork():
        session().execute(update(ReadModelState).where(ReadModelState.name == SIMILAR)
                          .values(last_change_id=0))
    log.info("similar practices: every list is made again with the search index's vectors "
             "(in the background)")


def read_model_pending() -> int:
    """Change-log entries the read model has not followed on this database."""
    marks = dict(session().execute(
        select(ReadModelState.name, ReadModelState.last_change_id)).all())
    return max(0, _latest_change_id() - min(marks.get(LINEAGE, 0), marks.get(SIMILAR, 0),
                                             marks.get(FACTS, 0)))


def read_model_refresh() -> None:
    """The bounded check a page makes before reading the model: a small backlog is
    applied (at most KB_SEARCH_SYNC_CHANGES entries); a larger one is left to the
    background applier, and the page reads the last applied state."""
    backlog = read_model_pending()
    if not backlog:
        return
    if backlog <= current_app.config["SEARCH_SYNC_CHANGES"]:
        read_model_catch_up(backlog)
    else:
        from kb.services.derived import start_applier

        start_applier()


def read_model_apply_own(change_ids: list[int]) -> None:
    """After a commit: the author's own changes, ahead of any backlog (bounded by them).

    The lineage is recomputed from the current state, and the similar lists of the
    changed practices refreshed; the marks stay, so the backlog is still applied in
    order by the background applier.
    """
    if not change_ids:
        return
    ids = list(dict.fromkeys(session().scalars(select(ChangeLog.practice_id).where(
        ChangeLog.id.in_(change_ids)))))
    with UnitOfWork():
        lineage_refresh()
        facts_refresh(ids)
        replication_refresh(ids)
    try:
        with UnitOfWork():
            similar_refresh(_index(), ids)
    except (IndexBusy, IndexUnavailable) as exc:
        log.warning("similar practices not refreshed now (%s); the next catch-up will", exc)


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
    _state(LINEAGE), _state(SIMILAR), _state(FACTS)
    with UnitOfWork():
        lineage_refresh()
        s.execute(update(ReadModelState).where(ReadModelState.name == LINEAGE).values(
            last_change_id=upto))
    with UnitOfWork():
        facts_rebuild()
        s.execute(update(ReadModelState).where(ReadModelState.name == FACTS).values(
            last_change_id=upto))
    with UnitOfWork():
        s.execute(delete(SimilarEntry))
    done = 0
    for start in range(0, len(ids), BATCH):
        part = ids[start:start + BATCH]
        found = similar_find(index, part)  # outside the write transaction
        with UnitOfWork():
            done += similar_store(part, found)
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
    facts_change_id: int = 0

    @property
    def pending(self) -> int:
        return self.latest_change_id - min(self.lineage_change_id, self.similar_change_id,
                                           self.facts_change_id)


def read_model_status(identity: Identity) -> ReadModelStatus:
    require(identity, "kb.status")
    s = session()
    marks = dict(s.execute(select(ReadModelState.name, ReadModelState.last_change_id)).all())
    return ReadModelStatus(_latest_change_id(), marks.get(LINEAGE, 0), marks.get(SIMILAR, 0),
                           marks.get(FACTS, 0))
