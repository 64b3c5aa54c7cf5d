"""Derived views kept from the change log, and the background applier that feeds them.

A derived view (the search index, the read model) is a copy of what the
database says, kept per node and brought up to date by following the
``change_log`` table in order. Each view registers a :class:`DerivedView`:

- ``pending()``: how many change-log entries this node's copy has not
  applied (a cheap check: two numbers compared);
- ``apply(limit)``: apply at most ``limit`` of them, in order, in *one*
  commit of the view; return how many were applied (0: nothing to do, or
  the view's writer is busy and the next round tries again);
- ``after_commit(change_ids)`` (optional): apply the changes a unit of work
  just committed, so their author sees them at once; it must stay bounded
  (a small backlog in front is applied with them, a large one is left).
- ``after_bulk()`` (optional): after a bulk change (``kb import``), which defers
  the views while it writes (kb.services.effects.derived_views_deferred), catch up
  once: for the search index, everything pending in one commit that merges its
  segments. A view without it is left to the background applier.

**The hook.** The search index is registered first (below, lazily, so this
module imports nothing it does not need). Another view registers itself
once, at import of its module::

    from kb.services.derived import DerivedView, register_view

    register_view(DerivedView("read_model", pending=read_model_pending,
                              apply=read_model_catch_up_batch,
                              after_commit=read_model_apply_own))

Views run in registration order, each in bounded batches; one view's
failure is logged and never stops the others.

**The background applier (one thread per worker process).** Requests never
apply a backlog: before a search they make a bounded check (see
``kb.services.search``) and, when more than ``KB_SEARCH_SYNC_CHANGES``
changes are pending, call :func:`start_applier`, which starts a daemon
thread in this process if none runs. The thread applies batches of
``KB_CATCH_UP_BATCH`` entries (one commit per batch per view) until nothing
is pending, then ends; the next backlog starts it again. Several worker
processes of one node (gunicorn ``-w 2``) each may start a thread: they
share the node's index directory, and a lock file there (``applier.lock``,
an ``flock`` taken without waiting) lets one of them work while the others
step back and look again a little later, so a batch is never applied twice
at the same time. The kernel drops the lock of a killed process. The thread
is started lazily, in the process that serves the request, so it works the
same for ``kb serve``, for gunicorn's forked workers (a thread started before
a fork does not survive it) and in tests, where
:func:`catch_up_all` runs the same batches in the calling thread.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DerivedView:
    name: str
    pending: Callable[[], int]
    apply: Callable[[int], int]
    after_commit: Callable[[list[int]], None] | None = None
    after_bulk: Callable[[], int] | None = None
    # work besides the backlog, such as a repair a request asked for (search_repair_soon)
    wanted: Callable[[], bool] | None = None


_VIEWS: list[DerivedView] = []
_registered_search = False


def register_view(view: DerivedView) -> None:
    """Add a derived view fed by the change log (after the search index)."""
    _search_first()
    if all(v.name != view.name for v in _VIEWS):
        _VIEWS.append(view)


def views() -> list[DerivedView]:
    _search_first()
    return list(_VIEWS)


def _search_first() -> None:
    global _registered_search
    if _registered_search:
        return
    _registered_search = True
    from kb.services import search

    _VIEWS.insert(0, DerivedView("search", pending=search.search_pending,
                                 apply=search.search_apply_batch,
                                 after_commit=search.search_apply_own,
                                 after_bulk=search.search_apply_bulk,
                                 wanted=search.search_background_wanted))
    import kb.services.readmodel  # noqa: F401  (registers itself after the index)


def pending() -> dict[str, int]:
    """Per view, the change-log entries this node has not applied."""
    out = {}
    for view in views():
        try:
            out[view.name] = view.pending()
        except Exception:
            log.exception("derived view %s: cannot tell its backlog", view.name)
            out[view.name] = -1
    return out


def apply_after_commit(change_ids: list[int]) -> None:
    """After a commit: each view applies the committed changes (bounded)."""
    for view in views():
        if view.after_commit is None:
            continue
        try:
            view.after_commit(change_ids)
        except Exception:  # the change is committed; the applier picks it up
            log.exception("derived view %s: applying changes %s after commit failed",
                          view.name, change_ids[:5])
    if any(n > current_app.config["SEARCH_SYNC_CHANGES"] for n in pending().values()):
        start_applier()


def catch_up_after_bulk() -> dict[str, int]:
    """After the last commit of a bulk change: each view catches up once (see
    ``after_bulk``); per view, how many entries it applied. A view that has no
    bulk step, or is still behind, is left to the background applier."""
    done = {}
    for view in views():
        if view.after_bulk is None:
            continue
        try:
            done[view.name] = view.after_bulk()
        except Exception:
            log.exception("derived view %s: catch-up after a bulk change failed", view.name)
    return done


def catch_up_round(batch: int | None = None) -> int:
    """One bounded batch for every view (one commit each); how many entries were applied."""
    batch = batch or current_app.config["CATCH_UP_BATCH"]
    done = 0
    for view in views():
        try:
            done += max(0, view.apply(batch))
        except Exception:
            log.exception("derived view %s: catch-up batch failed", view.name)
    return done


def catch_up_all(batch: int | None = None, on_batch: Callable[[int], None] | None = None
                 ) -> int:
    """Apply everything pending, batch by batch, in the calling thread (CLI, tests)."""
    total = 0
    while True:
        done = catch_up_round(batch)
        if done <= 0:
            return total
        total += done
        if on_batch:
            on_batch(done)


# -- the background applier -------------------------------------------------------

_threads: dict[tuple[int, int], threading.Thread] = {}
_threads_lock = threading.Lock()
RETRY_SECONDS = 1.0   # how soon a thread that found the lock taken looks again


def start_applier(app: Flask | None = None) -> bool:
    """Start this process's applier thread for the app unless one runs; True if started."""
    app = app or _current_app()
    key = (os.getpid(), id(app))
    with _threads_lock:
        thread = _threads.get(key)
        if thread is not None and thread.is_alive():
            return False
        thread = threading.Thread(target=_run, args=(app,), daemon=True,
                                  name=f"kb-derived-applier-{os.getpid()}")
        _threads[key] = thread
        thread.start()
        return True


def applier_running(app: Flask | None = None) -> bool:
    app = app or _current_app()
    thread = _threads.get((os.getpid(), id(app)))
    return thread is not None and thread.is_alive()


def _wanted() -> bool:
    return any(view.wanted is not None and view.wanted() for view in views())


def _current_app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _run(app: Flask) -> None:
    from kb.db import get_db
    from search.locking import FileLock

    stop = threading.Event()
    with app.app_context():
        index_dir = app.config["INDEX_DIR"]
        os.makedirs(index_dir, exist_ok=True)
        lock = FileLock(os.path.join(index_dir, "applier.lock"), 0)
        try:
            while True:
                if not any(n > 0 for n in pending().values()) and not _wanted():
                    return
                if not lock.try_acquire():  # another worker of this node applies
                    stop.wait(RETRY_SECONDS)
                    continue
                try:
                    while catch_up_round() > 0:
                        get_db().session.remove()  # each batch reads a fresh snapshot
                finally:
                    lock.release()
                if any(n > 0 for n in pending().values()) or _wanted():
                    # a view was busy, or its other work failed: look again shortly
                    stop.wait(RETRY_SECONDS)
        except Exception:
            log.exception("background applier stopped; the next backlog starts it again")
        finally:
            get_db().session.remove()
