"""The index as a derived view: applying changes, rebuilding, locking, crashing."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import make_doc, practices
from search import IndexBusy, IndexFailure, SearchIndex

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_new_index_is_empty_and_does_not_exist(tmp_path):
    idx = SearchIndex(str(tmp_path / "none"))
    assert not idx.exists()
    assert idx.last_change_id() == 0
    assert idx.search("permits").total == 0
    assert idx.autocomplete("per") == []
    assert not idx.exists()          # searching does not create it
    idx.apply([(1, make_doc(1, title="First practice"))], 1)
    assert idx.exists() and idx.doc_ids() == {1} and idx.last_change_id() == 1


def test_apply_is_ordered_and_idempotent(index):
    changes = [
        (9, make_doc(9, title="Draft title about lanterns")),
        (9, make_doc(9, title="Street lanterns renewed")),
        (2, None),
    ]
    index.apply(changes, 9)
    index.apply(changes, 9)            # applied twice: same state
    assert index.doc_ids() == {1, 3, 4, 5, 6, 7, 8, 9}
    r = index.search("lanterns")
    assert r.total == 1 and r.hits[0].title == "Street lanterns renewed"
    assert index.search("draft").total == 0
    # delete then re-publish in one batch: the last change wins
    index.apply([(9, None), (9, make_doc(9, title="Lanterns back"))], 10)
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns back"]
    index.apply([(9, make_doc(9, title="Lanterns again")), (9, None)], 11)
    assert 9 not in index.doc_ids()


def test_last_change_id_is_monotonic(index):
    assert index.last_change_id() == 8
    index.apply([(20, make_doc(20, title="Twenty"))], 20)
    assert index.last_change_id() == 20
    index.apply([(20, make_doc(20, title="Twenty updated"))], 15)   # late, older batch
    assert index.last_change_id() == 20
    index.apply([], 25)
    assert index.last_change_id() == 25


def test_a_late_writer_never_overwrites_newer_documents(index):
    """Two workers catch up at once: the one whose documents were read first (up to
    change 30) gets the lock last. Its older documents are dropped, not written over
    the newer ones while the index says it is up to date."""
    assert index.apply([(20, make_doc(20, title="Lanterns, second version"))], 31) is not None
    assert index.apply([(20, make_doc(20, title="Lanterns, first version"))], 30) is None
    assert index.last_change_id() == 31
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, second version"]
    assert index.apply([(20, make_doc(20, title="Lanterns, third version"))], 32) is not None
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, third version"]


def test_a_document_applied_ahead_is_kept_until_the_log_passes_it(index):
    """The author's change (change 40) is applied ahead of a backlog (changes 9-39):
    older batches leave its newer document alone, and the log position stays."""
    assert index.last_change_id() == 8
    index.apply([(20, make_doc(20, title="Lanterns, the author's version"))], 40, ahead=True)
    assert index.last_change_id() == 8
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, the author's version"]
    # the backlog, applied in order, read practice 20 before the author's change
    index.apply([(20, make_doc(20, title="Lanterns, an older version")),
                 (21, make_doc(21, title="Twenty-one"))], 30)
    assert index.last_change_id() == 30
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, the author's version"]
    assert 21 in index.doc_ids()
    # an older document applied ahead never replaces a newer one applied ahead
    assert index.apply([(20, make_doc(20, title="Lanterns, stale"))], 35, ahead=True) == []
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, the author's version"]
    # once the log passes change 40, the practice follows the log again
    index.apply([(20, make_doc(20, title="Lanterns, later"))], 41)
    assert [h.title for h in index.search("lanterns").hits] == ["Lanterns, later"]
    assert index.last_change_id() == 41


def test_other_processes_commits_are_seen(index):
    other = SearchIndex(index.path)
    assert index.search("lanterns").total == 0
    other.apply([(30, make_doc(30, title="Lanterns"))], 30)
    assert index.search("lanterns").total == 1        # the searcher was refreshed
    other.close()


def test_a_refresh_that_whoosh_cannot_finish_reopens_the_index(index, monkeypatch):
    """Whoosh's refresh reuses the readers of unchanged segments; when another process's
    commit replaces files while it opens the others, it retries with readers it has
    already closed and fails with ReaderClosed. The search still answers, with the
    other process's change, and so do the searches after it."""
    from whoosh.reading import ReaderClosed
    from whoosh.searching import Searcher

    other = SearchIndex(index.path)
    assert index.search("lanterns").total == 0
    other.apply([(30, make_doc(30, title="Lanterns"))], 30)
    failed = []

    def refresh(self):
        if not failed:
            failed.append(self)
            for reader, _offset in self.ixreader.leaf_readers():
                reader.close()
            raise ReaderClosed("Reader already closed")
        return real_refresh(self)

    real_refresh = Searcher.refresh
    monkeypatch.setattr(Searcher, "refresh", refresh)
    assert index.search("lanterns").total == 1
    assert failed                                       # the failure did happen
    other.apply([(31, make_doc(31, title="More lanterns"))], 31)
    assert index.search("lanterns").total == 2
    other.close()


def test_rebuild_swaps_while_a_searcher_keeps_answering(index, tmp_path):
    reader = SearchIndex(index.path)
    assert reader.search("tulvat", expand=False).total == 2
    seen_during_build = []

    def new_docs():
        for i, doc in enumerate(practices()[:3]):
            if i == 2:
                # mid-build: the live generation still answers, with old content
                seen_during_build.append(reader.search("tulvat", expand=False).total)
                seen_during_build.append(reader.search("lanterns").total)
            yield doc
        yield make_doc(40, title="Lanterns of the rebuild")

    index.rebuild(new_docs(), 40)
    assert seen_during_build == [2, 0]
    assert reader.search("lanterns").total == 1       # reopened on the new generation
    assert reader.search("tulvat", expand=False).total == 1
    assert reader.doc_ids() == {1, 2, 3, 40}
    assert reader.last_change_id() == 40
    gens = [n for n in os.listdir(index.path) if n.startswith("gen-")]
    assert len(gens) == 1                              # old generation removed
    reader.close()


def test_rebuild_reports_progress(tmp_path):
    idx = SearchIndex(str(tmp_path / "ix"))
    seen = []
    idx.rebuild(practices(), 8, total=8, progress=seen.append)
    assert seen == list(range(1, 9))


def _hold_lock(path, name):
    """A separate process holding one of the index's lock files."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {ROOT!r})
        from search.locking import FileLock
        lock = FileLock({os.path.join(path, name)!r}, 5)
        lock.acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_index_busy_after_a_bounded_wait(index):
    proc = _hold_lock(index.path, "write.lock")
    try:
        busy = SearchIndex(index.path, lock_timeout=0.3)
        with pytest.raises(IndexBusy):
            busy.apply([(50, make_doc(50, title="Blocked"))], 50)
        with pytest.raises(IndexBusy):           # the swap of a rebuild also waits
            busy.rebuild(practices(), 60)
        assert busy.search("blocked").total == 0
        assert busy.last_change_id() == 8          # nothing changed
        assert busy.search("tulvat", expand=False).total == 2    # reading never waits for the lock
    finally:
        proc.kill()
        proc.wait()
    index.apply([(50, make_doc(50, title="Unblocked"))], 50)   # the lock died with it
    assert index.search("unblocked").total == 1


_CRASH_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from conftest import make_doc
from search import SearchIndex

words = "permit flood housing energy transport budget school river harbour".split()
body = " ".join(words[i % len(words)] + str(i % 97) for i in range(3000))
docs = [make_doc(i, title=f"Crash doc {{i}}", body=body) for i in range(100, 100 + {n})]
idx = SearchIndex({path!r})

def announce(n):
    if n == {announce}:
        print("indexing", flush=True)

if {mode!r} == "rebuild":
    idx.rebuild(docs, 500, progress=announce)
else:
    def changes():
        for i, d in enumerate(docs):
            yield d["id"], d
        print("indexing", flush=True)
    idx.apply(changes(), 500)
print("done", flush=True)
"""


def _run_and_kill(path, mode, n=400, announce=50, delay=0.3):
    here = os.path.dirname(os.path.abspath(__file__))
    code = _CRASH_SCRIPT.format(root=ROOT, tests=here, path=path, n=n, announce=announce,
                                mode=mode)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "indexing"
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    finished = proc.poll() is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return finished


def test_sigkill_during_rebuild_leaves_the_old_index(index):
    before = index.doc_ids()
    finished = _run_and_kill(index.path, "rebuild")
    assert not finished
    fresh = SearchIndex(index.path)
    assert fresh.exists()
    assert fresh.doc_ids() == before           # the unfinished generation is ignored
    assert fresh.last_change_id() == 8
    assert fresh.search("tulvat", expand=False).total == 2
    # the next rebuild cleans the abandoned generation up
    fresh.rebuild(practices(), 9)
    assert len([n for n in os.listdir(index.path) if n.startswith("gen-")]) == 1
    assert fresh.doc_ids() == before
    fresh.close()


def test_sigkill_during_apply_leaves_old_or_new_state(index):
    before = index.doc_ids()
    new_ids = set(range(100, 400))
    finished = _run_and_kill(index.path, "apply", n=300, delay=0.5)
    assert not finished                         # killed in the middle of indexing
    fresh = SearchIndex(index.path)
    ids = fresh.doc_ids()
    assert ids in (before, before | new_ids)    # all of the batch or none of it
    if ids == before:
        assert fresh.last_change_id() == 8
    else:
        assert fresh.last_change_id() in (8, 500)
    # catching up from the change log again converges on the database state
    docs = [(i, make_doc(i, title=f"Crash doc {i}")) for i in sorted(new_ids)]
    fresh.apply(docs, 500)
    assert fresh.doc_ids() == before | new_ids
    assert fresh.last_change_id() == 500
    assert fresh.search("crash").total == 300
    fresh.close()


def test_a_document_that_cannot_be_indexed_is_recorded_and_the_others_applied(index):
    bad = make_doc(21, title="Unindexable", adaptations_count="many")
    given = IndexFailure(practice_id=23, slug="practice-23", error="ValueError: no body")
    recorded = index.apply([(20, make_doc(20, title="Lantern festival")), (21, bad),
                            (22, make_doc(22, title="Lantern repair cafe")), (23, given)],
                           upto=12)
    assert index.last_change_id() == 12
    assert index.doc_ids() == set(range(1, 9)) | {20, 22}
    assert [(f.practice_id, f.slug, f.change_id) for f in recorded] == [
        (21, "practice-21", 12), (23, "practice-23", 12)]
    assert "ValueError" in recorded[0].error
    assert [f.practice_id for f in index.failures()] == [21, 23]
    # a rebuild keeps reporting what it could not index
    index.rebuild(practices() + [bad], last_change_id=13)
    assert [f.practice_id for f in index.failures()] == [21]
    assert index.doc_ids() == set(range(1, 9))
    # a later good document (or a delete) clears the record
    index.apply([(21, make_doc(21, title="Indexable now"))], upto=14)
    assert index.failures() == [] and 21 in index.doc_ids()
    index.apply([(24, make_doc(24, adaptations_count="x"))], upto=15)
    index.apply([(24, None)], upto=16)
    assert index.failures() == []


def test_a_refreshed_searcher_reads_stored_fields_removed_after_it_opened(index):
    """Another process's commit may merge segments and delete their files while a
    refreshed searcher still lists them: the refresh opened the stored fields."""
    other = SearchIndex(index.path)
    before = index.search("").total
    # a deletion in another process: the refreshed searcher gets new segment readers
    # for unchanged segments, whose facts this process already cached
    other.apply([(1, None)], 9)
    assert index.doc_ids()        # refreshed
    gen = index._current_generation()
    removed = [n for n in os.listdir(index._p(gen)) if n.endswith(".col")]
    assert removed
    for name in removed:          # what a merge in another process does
        os.remove(index._p(gen, name))
    assert index.search("").total == before - 1
    assert all(h.title for h in index.search("").hits)
    other.close()


def test_a_bulk_apply_in_two_writer_processes_indexes_every_document_once(tmp_path):
    """An import's one catch-up (optimize=True) analyses its documents in two processes
    from BULK_PROCS_FROM documents on (here from 2, through writer_procs): new and
    changed documents each end up once, deletions go, and search finds them."""
    idx = SearchIndex(str(tmp_path / "ix"), writer_procs=2)
    idx.apply([(i, make_doc(i, title=f"Lantern {i}")) for i in range(1, 31)], 30,
              optimize=True)
    assert idx.search("lantern", per_page=50, facets=False).total == 30
    # again: ten changed, five deleted, ten new, in one bulk apply
    changes = [(i, make_doc(i, title=f"Beacon {i}")) for i in range(1, 11)]
    changes += [(i, None) for i in range(11, 16)]
    changes += [(i, make_doc(i, title=f"Lantern {i}")) for i in range(31, 41)]
    idx.apply(changes, 60, optimize=True)
    assert idx.search("beacon", per_page=50, facets=False).total == 10
    lanterns = idx.search("lantern", per_page=50, facets=False)
    assert lanterns.total == 25  # 16..40
    assert sorted(h.id for h in lanterns.hits) == list(range(16, 41))
    assert idx.last_change_id() == 60
    idx.close()
