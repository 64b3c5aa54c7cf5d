"""A node with a large backlog of changes keeps answering searches and catches up on its own.

Work is counted, never timed: every batch the index applies is recorded with
the thread that applied it (the real index runs; the recorder only watches).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.generate import write_documents
from kb.db import session
from kb.models import ChangeLog, ChangeAction, Practice, PracticeStatus
from kb.services import derived
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.practices import practice_import, practices_import_dir
from kb.services.search import get_index, practice_search, search_status
from tests.services.test_search_sync import NEW_PRACTICE, published_ids

NEW_DOCUMENTS = 120
EXTRA_CHANGES = 1080  # re-publications of a few of them: a backlog of 1,200 changes
BATCH = 150  # node B's catch-up batch: the backlog takes eight batches


class Recorder:
    """Counts the changes each apply() of an index gets, and in which thread."""

    def __init__(self, index):
        self.calls: list[tuple[int, int, bool]] = []
        self.optimized: list[bool] = []  # per call: the commit merged the segments
        self._apply = index.apply

        def apply(changes, upto, **kwargs):
            changes = list(changes)
            self.calls.append((threading.get_ident(), len(changes), kwargs.get("ahead", False)))
            self.optimized.append(kwargs.get("optimize", False))
            return self._apply(changes, upto, **kwargs)

        index.apply = apply

    def in_thread(self, ident: int) -> list[int]:
        return [n for thread, n, _ahead in self.calls if thread == ident]


def wait_for_applier() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("kb-derived-applier"):
            thread.join(timeout=600)


@pytest.fixture
def two_nodes(make_app, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-a"))
    node_b = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-b"),
                      CATCH_UP_BATCH=BATCH)
    return node_a, node_b


def _bulk_changes_on(node_a, folder: Path, new: int = NEW_DOCUMENTS,
                     extra: int = EXTRA_CHANGES) -> None:
    """A bulk import on node A, then many re-publications: over a thousand changes."""
    write_documents(folder, new)
    with node_a.app_context():
        report = practices_import_dir(SYSTEM, folder)
        assert len(report.created) == new
        s = session()
        rows = s.execute(select(Practice.id, Practice.slug).where(
            Practice.slug.like("synthetic-%")).limit(20)).all()
        for i in range(extra):
            pid, slug = rows[i % len(rows)]
            s.add(ChangeLog(practice_id=pid, slug=slug, action=ChangeAction.UPDATE))
        s.commit()


def test_a_node_with_a_large_backlog_answers_and_converges(two_nodes, tmp_path):
    node_a, node_b = two_nodes
    with node_b.app_context():
        before = practice_search(ANONYMOUS, "wardens").total
        assert before >= 1
    _bulk_changes_on(node_a, tmp_path / "bulk")
    with node_b.app_context():
        index = get_index()
        recorder = Recorder(index)
        me = threading.get_ident()
        limit = node_b.config["SEARCH_SYNC_CHANGES"]
        pending = search_status(SYSTEM).pending
        assert pending >= NEW_DOCUMENTS + EXTRA_CHANGES

        # the first search answers from the committed index, says an update is pending,
        # and applies nothing itself: the backlog goes to the background applier
        first = practice_search(ANONYMOUS, "wardens")
        assert first.total == before
        assert first.pending == pending
        assert recorder.in_thread(me) == []

        # searches keep answering while the applier works; none applies a batch
        answered = 0
        while derived.applier_running() and answered < 10_000:
            results = practice_search(ANONYMOUS, "synthetic")
            assert results.total <= NEW_DOCUMENTS + 10
            assert results.pending <= pending
            answered += 1
            time.sleep(0.005)   # a reader's pace: searching flat out would starve the applier
        wait_for_applier()
        assert all(n <= limit for n in recorder.in_thread(me))

        # the applier worked in bounded batches and caught up with the published rows
        background = [(n) for thread, n, _ in recorder.calls if thread != me]
        assert background and max(background) <= node_b.config["CATCH_UP_BATCH"] * 2
        assert len(background) >= pending // node_b.config["CATCH_UP_BATCH"]
        assert search_status(SYSTEM).pending == 0
        assert index.doc_ids() == published_ids()
        assert practice_search(ANONYMOUS, "synthetic").total == NEW_DOCUMENTS
        assert practice_search(ANONYMOUS, "synthetic").pending == 0


def test_the_author_sees_a_change_at_once_while_a_backlog_waits(two_nodes, tmp_path):
    node_a, node_b = two_nodes
    _bulk_changes_on(node_a, tmp_path / "bulk", new=60, extra=200)
    with node_b.app_context():
        recorder = Recorder(get_index())
        me = threading.get_ident()
        practice_import(SYSTEM, NEW_PRACTICE.format(word="okapisnow"), "snow-clearing.md")
        # applied ahead of the backlog: only the author's practice, in one commit
        # (the backlog itself goes to the background applier this starts)
        assert [(n, ahead) for t, n, ahead in recorder.calls if t == me] == [(1, True)]
        results = practice_search(ANONYMOUS, "okapisnow")
        assert [h.slug for h in results.hits] == ["snow-clearing"]
        # the author edits again: the newer text replaces the older at once
        practice_import(SYSTEM, NEW_PRACTICE.format(word="tapirsnow"), "snow-clearing.md")
        assert practice_search(ANONYMOUS, "okapisnow").total == 0
        assert practice_search(ANONYMOUS, "tapirsnow").total == 1
        # the applier goes through the backlog without bringing back the older text
        wait_for_applier()
        derived.catch_up_all()
        assert practice_search(ANONYMOUS, "okapisnow").total == 0
        assert practice_search(ANONYMOUS, "tapirsnow").total == 1
        assert get_index().doc_ids() == published_ids()
        assert search_status(SYSTEM).pending == 0


def test_import_applies_the_index_once_after_its_last_batch(make_app, tmp_path):
    app = make_app(IMPORT_BATCH=50)
    write_documents(tmp_path / "docs", 120)
    with app.app_context():
        from kb.services.readmodel import read_model_status

        recorder = Recorder(get_index())
        reported: list[str] = []

        def on_file(path, status, _problems):
            reported.append(status)
            if len(reported) == 50:  # the first batch is committed: nothing indexed yet
                assert recorder.calls == []

        report = practices_import_dir(SYSTEM, tmp_path / "docs", on_file=on_file)
        assert len(report.created) == 120
        assert reported == ["created"] * 120
        # 120 documents in batches of 50: one index commit, after the last batch,
        # which merges the index's segments; not one per batch or per document
        assert [n for _t, n, _a in recorder.calls] == [120]
        assert recorder.optimized == [True]
        assert get_index().doc_ids() == published_ids()
        assert session().scalar(select(func.count()).select_from(Practice).where(
            Practice.status == PracticeStatus.PUBLISHED)) == len(published_ids())
        # the read model's lineage caught up in the same step; no background thread
        status = read_model_status(SYSTEM)
        assert status.lineage_change_id == status.latest_change_id
        assert not derived.applier_running()
