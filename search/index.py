"""The search index: a derived view of the published practices.

Directory layout (``path``)::

    CURRENT          name of the live generation, replaced atomically
    write.lock       flock held around apply() and the swap of a rebuild
    build.lock       flock held by the (single) rebuild in progress
    gen-000007/      a Whoosh index (compound=False) + state.json

``state.json`` (``{"last_change_id": N, "failed": [...], "ahead": {...}}``) is replaced
atomically *after* the Whoosh commit, so a crash in between only makes the
change log apply again, which is idempotent (``update_document`` by practice
id). ``failed`` lists the practices that could not be indexed (an
:class:`IndexFailure` each): they are left out of the index, reported, and
skipped, so one bad document never stops the others; a later document or
delete of the same practice clears its entry. ``unembedded`` lists the
practices a process without the embedding model applied to a generation that
ranks with vectors (see :mod:`search.vectors`).

A rebuild writes a new generation beside the live one without blocking
apply() on the live one, then takes the write lock, replaces ``CURRENT`` and
removes the other generations. Its ``last_change_id`` is the one of the
snapshot the documents came from, so changes applied to the old generation
during the build are applied again by the caller's catch-up. A generation
that is not ``CURRENT`` (an interrupted rebuild) is never read and is removed
by the next rebuild.

Searchers are kept per SearchIndex object, refreshed when another writer
committed, reopened when the generation changed. All reads of one object go
through one lock (Whoosh readers share file handles and are not safe for
concurrent use); per-searcher derived data (facet values, sort keys,
visible-document sets, posting sets) is cached and rebuilt per segment.

This module writes, keeps and opens the generations; the rest lives beside it:
:mod:`search.documents` (a practice document's fields), :mod:`search.view` (a
generation's searcher and what is derived from it), :mod:`search.reading`
(searching, ranking, facets, cards, suggestions and similar practices) and
:mod:`search.vectors` (dense retrieval's vectors), the last two parts of
:class:`SearchIndex`; :mod:`search.layout` names the files and writes the small ones.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import json
import logging
import os
import pickle
import re
import shutil
import struct
import threading
import time
import zlib

import numpy as np
from collections import OrderedDict

from whoosh import index as windex
from whoosh.filedb.filestore import RamStorage
from whoosh import scoring
from whoosh.index import LockError
from whoosh.reading import ReaderClosed

from .analysis import field_language
from . import dense as dense_mod
from .decompound import setup as analysis_setup
from .layout import (POINTER, STATE, VECTOR_CACHE, file_token, write_json_atomic,
                     write_pointer)
from .locking import FileLock
from .documents import fields_or_failure, now_iso
from .reading import Reading
from .vectors import Vectors, unembedded_of
from .view import View
from .querying import DEFAULT_LIMITS, QueryLimits
from .results import IndexBusy, IndexDamaged, IndexFailure, IndexUnavailable
from .schema import DEFAULT_RANKING, FIELD_LANGUAGES, SCHEMA, TEXT_PARTS, Ranking, text_field

log = logging.getLogger(__name__)

_GEN_RE = re.compile(r"^gen-(\d{6,})$")
_TOC_RE = re.compile(r"^_MAIN_\d+\.toc$")
#: a bulk apply of at least this many documents uses two writer processes
BULK_PROCS_FROM = 2000


# --------------------------------------------------------------------------


# what Whoosh raises on a garbled table of contents or segment file
_DAMAGE = (windex.IndexError, struct.error, pickle.UnpicklingError, UnicodeDecodeError,
           zlib.error, EOFError)


def _storage(method):
    """Report a directory that cannot be read or written as IndexUnavailable, and an
    index whose files are damaged as IndexDamaged."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except IndexUnavailable:
            raise
        except OSError as exc:
            raise IndexUnavailable(self.path, exc) from exc
        except _DAMAGE as exc:
            raise IndexDamaged(self.path, exc) from exc

    return wrapper


def _weighting(ranking: Ranking):
    per_field = {}
    for lang in FIELD_LANGUAGES:
        for part in TEXT_PARTS:
            per_field[f"{text_field(lang, part)}_B"] = ranking.b_for(text_field(lang, part))
    return scoring.BM25F(B=ranking.b, K1=ranking.k1, **per_field)


class SearchIndex(Reading, Vectors):
    """The practice search index in one directory. See the module docstring.

    ``operator``: "or" (default: any word matches, BM25F ranks documents
    with more and rarer matching words first) or "and" (all words must
    match; when that finds nothing, the words are searched with OR). OR
    ranked better on both judged sets (docs/benchmarks.md: SciFact nDCG@10
    0.692 vs 0.629, bundled practices 0.739 vs 0.706). Explicit AND/OR/NOT
    in the query are always honoured.
    ``ranking``: BM25F parameters and field weights (search.schema.Ranking).
    ``writer_procs``/``writer_limitmb``: Whoosh writer processes and memory on
    rebuild (procs default: 2 when ``total`` >= 2000 and 2 CPUs exist, else 1).
    ``limits``: how much work one search may do (search.querying.QueryLimits);
    the limits a query hit are listed in ``SearchResults.limits``.
    """

    def __init__(self, path: str, lock_timeout: float = 10.0, *,
                 ranking: Ranking = DEFAULT_RANKING, operator: str = "or",
                 writer_procs: int | None = None, writer_limitmb: int = 256,
                 limits: QueryLimits = DEFAULT_LIMITS, dense: bool = False):
        self.path = os.path.abspath(path)
        self.dense = dense
        self.limits = limits
        self.lock_timeout = lock_timeout
        self.ranking = ranking
        self.operator = operator
        self.writer_procs = writer_procs
        self.writer_limitmb = writer_limitmb
        self._lock = threading.RLock()
        self._view: View | None = None
        self._pointer_token: tuple | None = None
        self._segment_cache: dict = {}
        self._state_cache: tuple | None = None
        self._weighting = _weighting(ranking)

    # -- layout -------------------------------------------------------------

    def _p(self, *names: str) -> str:
        return os.path.join(self.path, *names)

    def _current_generation(self) -> str | None:
        try:
            with open(self._p(POINTER), encoding="utf-8") as fh:
                name = fh.read().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexUnavailable(self.path, exc) from exc
        return name if _GEN_RE.match(name) else None

    def _generations(self) -> list[str]:
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if _GEN_RE.match(n))

    def exists(self) -> bool:
        view, token = self._view, self._pointer_token
        if view is not None and view.generation and token is not None:
            # the open reader's generation is still the live one: it exists
            # (one stat instead of reading CURRENT and listing the generation)
            try:
                if file_token(self._p(POINTER)) == token:
                    return True
            except OSError:
                pass
        gen = self._current_generation()
        return gen is not None and _has_toc(self._p(gen))

    def damage(self) -> str | None:
        """Why the live generation cannot be read (a file missing, truncated or garbled),
        or None when every file of it reads.

        Reads the table of contents, every stored document, every term of the lexicon and
        every column (about 3 s for 10,000 practices; the posting lists, ten times as long
        to read, are left to the searches, which report them as IndexDamaged). A check for
        start-up and repair, not for each request. A directory the process may not read
        (permissions, an unreadable disk) is IndexUnavailable, not damage.
        """
        gen = self._current_generation()
        if gen is None or not _has_toc(self._p(gen)):
            return None  # no index: exists() is False and the caller builds one
        try:
            ix = windex.open_dir(self._p(gen), schema=SCHEMA)
            with ix.reader() as reader:
                stored = sum(1 for _ in reader.all_stored_fields())
                if stored != reader.doc_count():
                    return (f"{stored} stored documents where the table of contents "
                            f"counts {reader.doc_count()}")
                for name in reader.indexed_field_names():
                    for _term in reader.lexicon(name):
                        pass
                for name, fieldtype in reader.schema.items():
                    if fieldtype.column_type is not None and reader.has_column(name):
                        list(reader.column_reader(name))
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO):
                raise IndexUnavailable(self.path, exc) from exc
            return f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # Whoosh reports a damaged file in many ways
            return f"{type(exc).__name__}: {exc}"
        return None

    def last_change_id(self) -> int:
        gen = self._current_generation()
        if not gen:
            return 0
        return self._read_state(gen)

    def _read_state(self, gen: str) -> int:
        return int(self._state(gen).get("last_change_id", 0))

    def _state(self, gen: str) -> dict:
        """The generation's state.json; read again only when the file was replaced
        (one stat per call: every search first compares ``last_change_id``)."""
        path = self._p(gen, STATE)
        try:
            token = (path, *file_token(path))
        except FileNotFoundError:
            return {}
        cached = self._state_cache
        if cached is not None and cached[0] == token:
            return cached[1]
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (FileNotFoundError, ValueError):
            return {}
        data = data if isinstance(data, dict) else {}
        self._state_cache = (token, data)
        return data

    def _failures(self, gen: str) -> dict[int, IndexFailure]:
        out = {}
        for item in self._state(gen).get("failed") or ():
            try:
                failure = IndexFailure(**item)
            except TypeError:
                continue
            out[int(failure.practice_id)] = failure
        return out

    def failures(self) -> list[IndexFailure]:
        """The practices the live generation could not index, by practice id."""
        gen = self._current_generation()
        if not gen:
            return []
        return [f for _, f in sorted(self._failures(gen).items())]

    @staticmethod
    def _state_data(last_change_id: int, failed: dict[int, IndexFailure],
                    analysis: dict | None, vectors: str | None = None,
                    ahead: dict[int, int] | None = None,
                    unembedded: dict[int, str] | None = None) -> dict:
        data = {"last_change_id": int(last_change_id),
                "failed": [dataclasses.asdict(f) for _, f in sorted(failed.items())],
                "analysis": analysis, "vectors": vectors}
        if ahead:
            data["ahead"] = {str(p): int(c) for p, c in sorted(ahead.items())}
        if unembedded:
            data["unembedded"] = {str(p): h for p, h in sorted(unembedded.items())}
        return data

    def analysis(self) -> dict | None:
        """The analysis set-up (search.decompound.setup) the live generation was
        built with; None for an index built before it was recorded."""
        gen = self._current_generation()
        return self._state(gen).get("analysis") if gen else None

    def analysis_outdated(self) -> bool:
        """Whether the live generation was built with another analysis set-up
        than this process runs (Voikko installed or removed, a new splitter):
        its documents and this process's queries would not meet, so the caller
        rebuilds it."""
        if not self.exists():
            return False
        return self.analysis() != analysis_setup()

    # -- writing --------------------------------------------------------------

    def _lock_file(self, name: str) -> FileLock:
        os.makedirs(self.path, exist_ok=True)
        return FileLock(self._p(name), self.lock_timeout)

    @_storage
    def apply(self, changes, upto: int, *, ahead: bool = False,
              timeout: float | None = None, optimize: bool = False
              ) -> list[IndexFailure] | None:
        """Apply (practice_id, doc-or-None-or-IndexFailure) changes in order, in one commit.

        ``upto`` is the last change id the documents describe (they were read
        after it). Under the write lock, changes describing a state no newer than
        the one already applied are dropped: a slow writer whose documents were
        read before another writer's never overwrites the newer documents; then
        None is returned.

        ``ahead=True`` applies the documents of a few practices ahead of the
        change log (the author's own change while older changes are pending):
        ``last_change_id`` stays where it is, and the state remembers, per
        practice, the change id its document was read after. A later in-order
        apply up to an older change id leaves those documents alone (they are
        newer), and forgets them once ``last_change_id`` passes them.

        A practice whose document cannot be indexed (an IndexFailure given
        by the caller, or a document whose fields cannot be made) is removed
        from the index and recorded in the state; the others are applied and
        ``last_change_id`` advances past it. Returns the failures recorded.

        ``timeout``: how long to wait for the write lock (default: the
        index's ``lock_timeout``); IndexBusy when it runs out.

        ``optimize=True`` (after a bulk import): the same commit merges every segment
        of the generation into one, so searches read one segment instead of one per
        earlier commit.
        """
        latest: OrderedDict[int, dict | IndexFailure | None] = OrderedDict()
        for practice_id, doc in changes:
            latest.pop(int(practice_id), None)
            latest[int(practice_id)] = doc
        if not self.exists():
            self._ensure_empty()
        lock = self._lock_file("write.lock")
        if timeout is not None:
            lock.timeout = timeout
        started = time.monotonic()
        lock.acquire()
        recorded: list[IndexFailure] = []
        try:
            gen = self._current_generation()
            if gen is None:  # made above by _ensure_empty; only removed by hand
                raise IndexUnavailable(self.path, "the index has no current generation")
            state = self._state(gen)
            current = int(state.get("last_change_id", 0))
            if upto <= current:
                return None
            early = _ahead_of(state)
            before_early = dict(early)
            if ahead:
                # a document already applied ahead from a later state stays
                for pid in [p for p in latest if early.get(p, 0) >= upto]:
                    del latest[pid]
            else:
                for pid in [p for p in latest if early.get(p, 0) > upto]:
                    del latest[pid]
            failed = self._failures(gen)
            before = dict(failed)
            unembedded = unembedded_of(state)
            before_unembedded = dict(unembedded)
            if latest:
                ix = windex.open_dir(self._p(gen), schema=SCHEMA)
                try:
                    # write.lock is the one writer lock of the directory; Whoosh's own
                    # lock (_lk) would stay taken in this process after a writer that
                    # failed to open (an unwritable directory) and block every later one
                    procs = self._bulk_procs(len(latest)) if optimize else 1
                    if procs > 1:
                        # a bulk apply (an import's one catch-up) analyses the documents
                        # in two processes, as a rebuild does; the sub-writers get their
                        # own arguments (Whoosh passes them the lock argument itself)
                        writer = ix.writer(timeout=lock.remaining(started), _lk=False,
                                           procs=procs, multisegment=True,
                                           subargs={"limitmb": self.writer_limitmb,
                                                    "compound": False})
                    else:
                        writer = ix.writer(timeout=lock.remaining(started), compound=False,
                                           _lk=False)
                except LockError as exc:
                    raise IndexBusy(str(exc)) from exc
                # one searcher over the committed segments for the whole batch (each
                # practice appears once in it): update_document would open one per document
                existing = writer.searcher()
                added = 0
                if procs > 1:  # what the commit must leave, checked after it
                    kept_count = existing.doc_count() - sum(
                        1 for pid in latest
                        if existing.document_number(id=str(pid)) is not None)
                try:
                    for practice_id, doc in latest.items():
                        fields = None
                        if isinstance(doc, dict):
                            fields, doc = fields_or_failure(practice_id, doc)
                        writer.delete_by_term("id", str(practice_id), searcher=existing)
                        if fields is not None:
                            writer.add_document(**fields)
                            added += 1
                            failed.pop(practice_id, None)
                            continue
                        if doc is None:
                            failed.pop(practice_id, None)
                        else:
                            failure = dataclasses.replace(
                                doc, practice_id=practice_id, change_id=int(upto),
                                failed_at=doc.failed_at or now_iso())
                            failed[practice_id] = failure
                            recorded.append(failure)
                except BaseException:
                    existing.close()
                    writer.cancel()
                    raise
                existing.close()
                writer.commit(optimize=optimize)
                if procs > 1:
                    self._check_count(ix, kept_count + added)
                self._apply_vectors(gen, latest, unembedded)
            if ahead:
                for pid in latest:
                    early[pid] = max(early.get(pid, 0), int(upto))
                new_last = current
            else:
                new_last = max(upto, current)
                early = {p: c for p, c in early.items() if c > new_last}
            if (new_last > current or failed != before or early != before_early
                    or unembedded != before_unembedded):
                state = self._state(gen)
                write_json_atomic(self._p(gen, STATE),
                                   self._state_data(new_last, failed, state.get("analysis"),
                                                    state.get("vectors"), early, unembedded))
        finally:
            lock.release()
        return recorded

    def _bulk_procs(self, documents: int) -> int:
        """Writer processes for a bulk apply of this many documents."""
        if self.writer_procs is not None:
            return self.writer_procs if documents >= 2 else 1
        return min(2, os.cpu_count() or 1) if documents >= BULK_PROCS_FROM else 1

    def _check_count(self, ix, expected: int) -> None:
        """After a commit by several writer processes: every document arrived. A
        sub-writer that died loses its documents without a word from Whoosh; the
        change log's position is then not advanced, and a rebuild repairs the index."""
        with ix.searcher() as searcher:
            found = searcher.doc_count()
        if found != expected:
            raise IndexDamaged(self.path, f"{found} practices after a bulk apply, "
                                          f"{expected} expected: rebuild it (kb reindex)")

    @_storage
    def rebuild(self, docs, last_change_id: int, total: int | None = None,
                progress=None) -> list[IndexFailure]:
        """Build a new generation from ``docs`` and swap it in atomically.

        ``docs`` may hold IndexFailure entries for documents the caller could
        not build; they, and documents whose fields cannot be made, are left
        out and recorded in the new generation's state. Returns them.
        """
        build_lock = self._lock_file("build.lock")
        build_lock.acquire()
        try:
            return self._rebuild_locked(docs, last_change_id, progress, total)
        finally:
            build_lock.release()

    def _ensure_empty(self) -> None:
        """Create an empty first generation unless one exists (apply/search on a new path)."""
        build_lock = self._lock_file("build.lock")
        build_lock.acquire()
        try:
            if not self.exists():
                self._rebuild_locked([], 0, None, 0)
        finally:
            build_lock.release()

    def _rebuild_locked(self, docs, last_change_id: int, progress, total) -> list[IndexFailure]:
        current = self._current_generation()
        for name in self._generations():
            if name != current:
                shutil.rmtree(self._p(name), ignore_errors=True)
        # _generations() lists only names _GEN_RE matches
        numbers = [int(m.group(1)) for n in self._generations() if (m := _GEN_RE.match(n))]
        name = "gen-%06d" % (max(numbers, default=0) + 1)
        gen_path = self._p(name)
        os.makedirs(gen_path)
        ix = windex.create_in(gen_path, SCHEMA)
        kwargs = {"limitmb": self.writer_limitmb, "compound": False}
        procs = self.writer_procs
        if procs is None:
            procs = min(2, os.cpu_count() or 1) if (total or 0) >= 2000 else 1
        if procs > 1:
            # One segment per process, not merged: merging rewrites every
            # posting and would cost as much as the indexing saved.
            kwargs.update(procs=procs, multisegment=True)
        writer = ix.writer(**kwargs)
        done = 0
        failed: dict[int, IndexFailure] = {}
        model = dense_mod.embedder() if self.dense else None
        embed = model is not None and model.available
        cache = dense_mod.VectorCache(self._p(VECTOR_CACHE)) if embed else None
        vec_ids: list[int] = []
        vec_langs: list[str] = []
        vecs: list = []
        pending: list[dict] = []

        def flush():
            if cache is not None and model is not None:
                vecs.extend(dense_mod.vectors_for(pending, cache, model))
            pending.clear()

        try:
            for doc in docs:
                fields = None
                source = doc
                if isinstance(doc, dict):
                    fields, doc = fields_or_failure(doc.get("id"), doc)
                if fields is not None:
                    writer.add_document(**fields)
                    if embed:
                        vec_ids.append(int(source["id"]))
                        vec_langs.append(field_language(source.get("language")))
                        pending.append(source)
                        if len(pending) >= 64:
                            flush()
                else:
                    failed[int(doc.practice_id)] = dataclasses.replace(
                        doc, change_id=int(last_change_id), failed_at=doc.failed_at or now_iso())
                done += 1
                if progress is not None:
                    progress(done)
        except BaseException:
            writer.cancel()
            raise
        if procs > 1:
            writer.commit()
        else:
            writer.commit(optimize=True)
        if embed:
            flush()
            matrix = (np.stack(vecs) if vecs else np.zeros((0, dense_mod.DIM), np.float32))
            dense_mod.GenerationVectors(vec_ids, vec_langs, matrix).save(gen_path)
        write_json_atomic(os.path.join(gen_path, STATE),
                           self._state_data(last_change_id, failed, analysis_setup(),
                                            dense_mod.vectors_id() if embed else None))
        write_lock = self._lock_file("write.lock")
        write_lock.acquire()
        try:
            write_pointer(self._p(POINTER), name)
        finally:
            write_lock.release()
        for old in self._generations():
            if old != name:
                shutil.rmtree(self._p(old), ignore_errors=True)
        return [f for _, f in sorted(failed.items())]

    # -- reading ----------------------------------------------------------------

    def _current_view(self) -> View:
        """The view of the live generation, refreshed if another writer committed."""
        try:
            token = file_token(self._p(POINTER))
        except FileNotFoundError:
            token = None
        view = self._view
        if view is not None and token == self._pointer_token:
            if view.searcher.up_to_date():
                return view
            try:
                searcher = view.searcher.refresh()
            except (OSError, ReaderClosed) as exc:
                # Whoosh reuses the readers of unchanged segments; when a commit of
                # another process replaces files while it opens the others, it retries
                # with readers its first attempt already closed. The view cannot be
                # refreshed then: it is opened afresh below.
                log.info("search index %s: reopened after a failed refresh (%s: %s)",
                         self.path, type(exc).__name__, exc)
            else:
                self._view = View(view.generation, view.ix, searcher, self._segment_cache)
                return self._view
        self._close_view()
        gen = self._current_generation()
        if gen is None or not _has_toc(self._p(gen)):
            # No index yet: answer from an empty in-memory one (creating one
            # here would make exists() true and hide the need to rebuild).
            ix = RamStorage().create_index(SCHEMA)
            searcher = ix.searcher(weighting=self._weighting)
            self._segment_cache = {}
            self._view = View("", ix, searcher, self._segment_cache)
            self._pointer_token = ("missing",)
            return self._view
        ix = windex.open_dir(self._p(gen), schema=SCHEMA)
        searcher = ix.searcher(weighting=self._weighting)
        self._segment_cache = {}
        self._view = View(gen, ix, searcher, self._segment_cache)
        self._pointer_token = token
        return self._view

    def _close_view(self) -> None:
        if self._view is not None:
            try:
                self._view.searcher.close()
            except Exception:
                # one of its readers was closed already (a failed refresh): the others
                # are closed one by one
                self._close_readers(self._view.searcher.ixreader)
            self._view = None
            self._pointer_token = None

    @staticmethod
    def _close_readers(reader) -> None:
        """Close each segment reader that is still open; a view being dropped must not
        fail on one that is not."""
        try:
            leaves = reader.leaf_readers()
        except Exception:
            return
        for leaf, _offset in leaves:
            try:
                leaf.close()
            except Exception:
                pass

    def _read(self, fn, attempts: int = 4):
        """Run fn(view) under the lock; reopen if files vanished under the reader.

        Another process may commit (Whoosh then removes the table of contents and
        segments the reader was about to open) or swap in a rebuilt generation
        between listing the files and opening them: reopening reads the new ones.
        """
        with self._lock:
            for attempt in range(attempts):
                try:
                    return fn(self._current_view())
                except (OSError, EOFError, windex.EmptyIndexError, ReaderClosed) as exc:
                    self._close_view()
                    if attempt == attempts - 1:
                        if isinstance(exc, OSError):
                            raise IndexUnavailable(self.path, exc) from exc
                        raise IndexDamaged(self.path, exc) from exc
                except _DAMAGE as exc:
                    self._close_view()
                    if attempt == attempts - 1:
                        raise IndexDamaged(self.path, exc) from exc

    def close(self) -> None:
        with self._lock:
            self._close_view()

    def after_fork(self) -> None:
        """In a process forked from one that used this index: drop the inherited readers
        and lock (another thread may have held it at the fork); the next read opens anew."""
        self._lock = threading.RLock()
        self._close_view()
        self._segment_cache = {}
        self._state_cache = None

    def doc_ids(self) -> set[int]:
        def run(view: View):
            return {int(view.ids[d]) for d in view.alive}
        return self._read(run)

    # -- search -------------------------------------------------------------------

def _ahead_of(state: dict) -> dict[int, int]:
    """practice id -> change id of the documents applied ahead of the change log."""
    out = {}
    for key, value in (state.get("ahead") or {}).items():
        try:
            out[int(key)] = int(value)
        except (TypeError, ValueError):
            continue
    return out


def _has_toc(path: str) -> bool:
    """Whether a Whoosh index was committed in ``path``, without opening it
    (opening races with a writer that replaces the table of contents)."""
    try:
        return any(_TOC_RE.match(name) for name in os.listdir(path))
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise IndexUnavailable(os.path.dirname(path), exc) from exc


