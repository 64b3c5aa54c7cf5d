"""Counts over every visible practice, kept per change-log position.

A count such as the home page's practices per theme reads every practice the reader
may see: about 20 ms in SQL at 10,000 practices, 200 ms at 100,000. Such a count
changes only with a change-log entry (every publication, edit, archive, restore and
visibility change writes one, on whichever node), so each process keeps the answers
per (latest change-log id, visibility scope) and computes one again only after a
change. The visibility scope is the one of `visible_to`: the public, a set of
networks, or everything; readers in one scope see the same counts.

Nothing is kept inside a unit of work (it may write, and its changes are not yet
committed), and each app keeps its own answers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import func, select

from kb.db import session
from kb.models import AuditEvent, ChangeLog, Revision
from kb.services.identity import Identity
from kb.services.permissions import visibility_key
from kb.services.uow import in_unit_of_work

T = TypeVar("T")

KEPT = 512  # answers per process (a few kilobytes each)
_lock = threading.Lock()


def latest_change_id() -> int:
    return session().scalar(select(func.max(ChangeLog.id))) or 0


def data_version(identity: Identity) -> tuple:
    """Where everything a reader of this visibility scope may be shown stands: the change
    log's position, and the newest revision and audit entry for what changes without a
    change-log entry (a submission, an organization's name or place, a network's members:
    each writes an audit entry). Three reads of a primary key's maximum."""
    s = session()
    return (latest_change_id(), s.scalar(select(func.max(Revision.id))) or 0,
            s.scalar(select(func.max(AuditEvent.id))) or 0, visibility_key(identity))


def kept(name: str, identity: Identity, compute: Callable[[], T], *args) -> T:
    """compute(), or the answer it gave at the same change-log position to a reader
    of the same visibility scope. `args` are whatever else the answer depends on."""
    return kept_by((name, latest_change_id(), visibility_key(identity), args), compute)


def kept_by(key: tuple, compute: Callable[[], T]) -> T:
    """compute(), or the answer it gave under the same key (which names everything the
    answer depends on, e.g. a data_version)."""
    if in_unit_of_work():
        return compute()
    store: OrderedDict = current_app.extensions.setdefault("kb.aggregates", OrderedDict())
    with _lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    value = compute()
    with _lock:
        store[key] = value
        while len(store) > KEPT:
            store.popitem(last=False)
    return value
