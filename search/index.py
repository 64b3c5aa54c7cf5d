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
delete of the same practice clears its entry.

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
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import heapq
import itertools
import json
import math
import os
import pickle
import re
import shutil
import struct
import threading
import time
import zlib

import numpy as np
from collections import Counter, OrderedDict
from datetime import datetime, timezone

from whoosh import index as windex
from whoosh.filedb.filestore import RamStorage
from whoosh import collectors, query, scoring
from whoosh.index import LockError
from whoosh.searching import TimeLimit
from whoosh.reading import TermNotFound

from .analysis import WORD_RE, field_language, fold, private_tag_words, tag_words
from . import dense as dense_mod
from .decompound import setup as analysis_setup
from .glossary import glossary
from .highlight import HighlightTerms, snippet as make_snippet
from .locking import FileLock
from .querying import (DEFAULT_LIMITS, Built, LimitedPrefix, LimitHit, QueryBuilder, QueryLimits,
                       bound_text, has_operators, looks_broken, plain_words, query_terms)
from .results import (Hit, IndexBusy, IndexDamaged, IndexFailure, IndexUnavailable,
                      SearchResults, Viewer)
from .schema import (DEFAULT_RANKING, FACETS, FACETS_BY_NAME, FIELD_LANGUAGES, SCHEMA,
                     TEXT_PARTS, Ranking, text_field)

SORTS = ("relevance", "newest", "title", "adapted", "replicated")
_GEN_RE = re.compile(r"^gen-(\d{6,})$")
_TOC_RE = re.compile(r"^_MAIN_\d+\.toc$")
_POINTER = "CURRENT"
_STATE = "state.json"
_VECTORS = "vectors.sqlite3"
#: dense retrieval: nearest neighbours considered, kept (balanced per language),
#: how far below the best one a neighbour may be, and the lexical depth fused beyond the
#: page (30: SciFact nDCG@10 0.695 against 0.689 at 100, docs/benchmarks.md)
DENSE_POOL = 60
DENSE_K = 20
DENSE_MARGIN = 0.05
FUSE_DEPTH = 30
#: a bulk apply of at least this many documents uses two writer processes
BULK_PROCS_FROM = 2000
#: similar practices: the depth of the lexical and dense lists fused
FUSE_SIMILAR = 20
SIMILAR_DENSE_WEIGHT = 2.0
#: the tag facet lists this many of the most used tags (and any selected)
TAG_FACET_VALUES = 30
_POSTING_CACHE_BUDGET = 400_000   # docnums held in cached posting sets (memory bound)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------
# documents -> index fields


def _timestamp(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int((value - _EPOCH).total_seconds())
    return int(value)


def _clean(value) -> str:
    return "" if value is None else str(value)


def document_fields(doc: dict) -> dict:
    """The Whoosh fields of one practice document dict."""
    lang = field_language(doc.get("language"))
    title = _clean(doc.get("title"))
    summary = _clean(doc.get("summary"))
    body = _clean(doc.get("body"))
    tags = [str(t).replace(",", " ").strip() for t in (doc.get("tags") or []) if t]
    organization = _clean(doc.get("organization"))
    region = _clean(doc.get("region"))
    data = {
        "id": int(doc["id"]), "slug": doc.get("slug") or "", "title": title,
        "summary": summary, "language": doc.get("language") or "",
        "organization": organization, "organization_slug": doc.get("organization_slug") or "",
        "country": doc.get("country") or "", "themes": list(doc.get("themes") or []),
        "stage": doc.get("stage") or "", "evidence": doc.get("evidence") or "",
        "population": doc.get("population"), "published_at": doc.get("published_at"),
        "adaptations_count": int(doc.get("adaptations_count") or 0), "body": body,
        "headline": doc.get("headline"), "evidence_shown": doc.get("evidence_shown") or "",
        "example": bool(doc.get("example")),
        "card_tags": list(doc.get("card_tags") or []),
    }
    translations = _translations(doc.get("translations"))
    if translations:
        data["translations"] = translations
    f = {
        "id": str(int(doc["id"])),
        "data": data,
        "visibility": doc.get("visibility") or "public",
        "published": _timestamp(doc.get("published_at")),
        "adapted": int(doc.get("adaptations_count") or 0),
        "title_sort": fold(title.lower()).strip()[:80],
        text_field(lang, "title"): title,
        text_field(lang, "summary"): summary,
        # The body field holds all the text (one BM25 field over everything
        # scored best on SciFact) with the tags three times and the summary
        # twice (their weight, at no query cost); the title field adds its
        # BM25F weight on top. See search.schema.Ranking and docs/benchmarks.md.
        text_field(lang, "body"): "\n".join([title] + [summary] * 2 + ["\n".join(tags)] * 3
                                             + [body]),
        "title_n": title,
        "text_n": "\n".join([title, summary, "\n".join(tags), organization, region]),
    }
    # a translation is indexed with its own language's analyzer, weighted like the
    # original's title and summary (title field, and title + summary twice in the body field)
    for tlang, item in translations.items():
        flang = field_language(tlang)
        for part, text in (("title", item["title"]), ("summary", item["summary"]),
                           ("body", "\n".join([item["title"]] + [item["summary"]] * 2))):
            name = text_field(flang, part)
            f[name] = f"{f[name]}\n{text}" if name in f else text
        f["text_n"] = "\n".join([str(f["text_n"]), item["title"], item["summary"]])
    if tags:
        f[text_field(lang, "tags")] = "\n".join(tags)
        f["tag_exact"] = ",".join(tags)
    if organization:
        f["org_n"] = organization
        f["org_entry"] = f"{doc.get('organization_slug') or ''}\x1f{organization}"
    if doc.get("example"):
        f["example"] = "yes"
    networks = [str(n) for n in (doc.get("networks") or []) if n]
    if networks:
        f["networks"] = " ".join(networks)
    ntags = [str(t).replace(" ", "_") for t in (doc.get("network_tags") or []) if t]
    if ntags:
        f["f_ntag"] = " ".join(ntags)
    nwords = [str(t).replace(" ", "_") for t in (doc.get("network_tag_words") or []) if t]
    if nwords:
        f["f_nword"] = " ".join(nwords)
    for facet in FACETS:
        values = [v.replace(" ", "_") for v in facet.values(doc)]
        if values:
            f[facet.field] = " ".join(values)
    return f


def _translations(value) -> dict:
    """{language: {"title", "summary"}} of a document dict's translations, cleaned."""
    out = {}
    for lang, item in (value or {}).items():
        if isinstance(item, dict) and (item.get("title") or item.get("summary")):
            out[str(lang)] = {"title": _clean(item.get("title")),
                              "summary": _clean(item.get("summary"))}
    return out


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _fields_or_failure(practice_id, doc: dict):
    """(fields, None), or (None, IndexFailure) when the document's fields cannot be made."""
    try:
        return document_fields(doc), None
    except Exception as exc:  # one bad document must not stop the others
        return None, IndexFailure(practice_id=int(practice_id or 0),
                                  slug=str(doc.get("slug") or ""),
                                  error=f"{type(exc).__name__}: {exc}"[:500])


# --------------------------------------------------------------------------
# per-segment and per-searcher derived data


def _lexicon(reader, fieldname):
    for b in reader.lexicon(fieldname):
        yield b.decode("utf-8") if isinstance(b, bytes) else b


def _posting_ids(reader, fieldname, text):
    try:
        return reader.postings(fieldname, text).all_ids()
    except TermNotFound:
        return ()


class _SegmentData:
    """Facet values, visibility and sort keys of one segment, by local docnum."""

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.n = n
        self.facets: dict[str, list] = {}
        for facet in FACETS:
            arr: list = [() if facet.multi else None] * n
            for value in _lexicon(reader, facet.field):
                for d in _posting_ids(reader, facet.field, value):
                    if facet.multi:
                        arr[d] = arr[d] + (value,)
                    else:
                        arr[d] = value
            self.facets[facet.name] = arr
        nets: list = [()] * n
        for value in _lexicon(reader, "networks"):
            for d in _posting_ids(reader, "networks", value):
                nets[d] = nets[d] + (value,)
        # a network's private tags: (network, tag) pairs per document
        ntags: list = [()] * n
        for value in _lexicon(reader, "f_ntag"):
            network, _, tag = value.partition(":")
            for d in _posting_ids(reader, "f_ntag", value):
                ntags[d] = ntags[d] + ((network, tag),)
        self.ntags = ntags
        vis: list = [None] * n
        for d in _posting_ids(reader, "visibility", "network"):
            vis[d] = frozenset(nets[d])
        self.visibility = vis
        self.published = list(reader.column_reader("published"))
        self.adapted = list(reader.column_reader("adapted"))
        self.title_sort = list(reader.column_reader("title_sort"))
        self.ids = list(reader.column_reader("id"))


class _View:
    """What one searcher needs beyond Whoosh, built once per searcher."""

    def __init__(self, generation: str, ix, searcher, segment_cache: dict):
        self.generation = generation
        self.ix = ix
        self.searcher = searcher
        self.reader = reader = searcher.reader()
        leaves = sorted(reader.leaf_readers(), key=lambda pair: pair[1])
        used = {}
        parts = []
        for leaf, offset in leaves:
            if leaf.segment() is None or not leaf.doc_count_all():
                continue   # an empty index
            key = (leaf.segment().segment_id(), leaf.doc_count_all())
            # open the stored fields now, while the segment's files are all there:
            # another process's commit may merge the segment and delete them later
            # (a reader refreshed after a deletion is new, its facts come from the cache)
            try:
                leaf.stored_fields(0)
            except TypeError as exc:  # Whoosh found no stored-fields file
                raise FileNotFoundError(f"segment {key[0]}: stored fields removed") from exc
            data = segment_cache.get(key)
            if data is None:
                data = _SegmentData(leaf)
            used[key] = data
            parts.append(data)
        segment_cache.clear()
        segment_cache.update(used)
        self.facets = {f.name: [v for p in parts for v in p.facets[f.name]] for f in FACETS}
        self.visibility = [v for p in parts for v in p.visibility]
        self.ntags = [v for p in parts for v in p.ntags]
        self.published = [v for p in parts for v in p.published]
        self.adapted = [v for p in parts for v in p.adapted]
        self.title_sort = [v for p in parts for v in p.title_sort]
        self.ids = [v for p in parts for v in p.ids]
        self.alive = frozenset(reader.all_doc_ids())
        langs = {field_language(v) for d, v in enumerate(self.facets["language"])
                 if v is not None and d in self.alive}
        # languages present only through translations are searched too
        langs |= {lang for lang in FIELD_LANGUAGES
                  if lang not in langs and reader.field_length(text_field(lang, "title"))}
        self.languages = [lang for lang in FIELD_LANGUAGES if lang in langs] or ["en"]
        self._visible: dict[tuple, frozenset] = {}
        self._postings: OrderedDict = OrderedDict()
        self._postings_size = 0
        # answers of this view (it never changes: a commit makes a new one), newest last
        self.results: OrderedDict = OrderedDict()
        self.results_size = 0   # their _kept_size, summed
        self._autocomplete: list | None = None
        self._exists: dict = {}
        self._expansions: dict = {}
        self.dense_vectors: tuple | None = None    # (file token, vectors), see SearchIndex._vectors
        self.dense_masks: dict = {}    # viewer key -> (docnums, visible rows of them)

    def exists(self, fieldname: str, text: str) -> bool:
        key = (fieldname, text)
        found = self._exists.get(key)
        if found is None:
            if len(self._exists) > 100_000:
                self._exists.clear()
            found = self._exists[key] = key in self.reader
        return found

    def expand_prefix(self, fieldname: str, prefix: str, keep: int,
                      scan: int) -> tuple[list[str], int]:
        """The ``keep`` words of a field starting with ``prefix`` that are in
        most documents, and how many such words there are (counted up to ``scan``)."""
        key = (fieldname, prefix, keep, scan)
        found = self._expansions.get(key)
        if found is not None:
            return found
        scanned = []
        try:
            for btext, info in self.reader.iter_prefix(fieldname, prefix):
                scanned.append((-info.doc_frequency(), btext))
                if len(scanned) >= scan:
                    break
        except (TermNotFound, KeyError):
            scanned = []
        words = [b.decode("utf-8") if isinstance(b, bytes) else b
                 for _, b in heapq.nsmallest(keep, scanned)]
        if len(self._expansions) > 10_000:
            self._expansions.clear()
        found = self._expansions[key] = (words, len(scanned))
        return found

    def builder(self, ranking: Ranking, limits: QueryLimits = DEFAULT_LIMITS) -> QueryBuilder:
        return QueryBuilder(self.languages, ranking, self.exists, self.expand_prefix, limits)

    # -- sets ---------------------------------------------------------------

    def visible(self, viewer: Viewer) -> frozenset:
        key = viewer.key()
        found = self._visible.get(key)
        if found is not None:
            return found
        vis = self.visibility
        if viewer.see_all:
            found = self.alive
        else:
            nets = frozenset(viewer.networks)
            found = frozenset(d for d in self.alive
                              if vis[d] is None or (nets and not vis[d].isdisjoint(nets)))
        if len(self._visible) > 64:
            self._visible.clear()
        self._visible[key] = found
        return found

    def network_tags_of(self, viewer: Viewer, docnum: int) -> tuple:
        """The private tags of a document's networks that the viewer may see."""
        pairs = self.ntags[docnum]
        if not pairs:
            return ()
        if viewer.see_all:
            return tuple(t for _n, t in pairs)
        return tuple(t for n, t in pairs if n in viewer.networks)

    def tags_seen_by(self, viewer: Viewer, docnum: int) -> tuple:
        """A document's tags as the viewer may see them: public ones, and the private
        tags of the viewer's networks (each tag once)."""
        public = self.facets["tag"][docnum]
        private = self.network_tags_of(viewer, docnum)
        if not private:
            return public
        return tuple(dict.fromkeys(public + private))

    def network_tag_docs(self, viewer: Viewer, tag: str) -> frozenset:
        """Documents with a tag as a private tag of one of the viewer's networks."""
        if viewer.see_all:
            out: set = set()
            for value in _lexicon(self.reader, "f_ntag"):
                if value.partition(":")[2] == tag:
                    out |= self.term_docs("f_ntag", value)
            return frozenset(out)
        return frozenset().union(*(self.term_docs("f_ntag", f"{n}:{tag}")
                                   for n in sorted(viewer.networks)))

    def network_tag_text_docs(self, viewer: Viewer, words: list[str]) -> frozenset:
        """Documents with a private tag of one of the viewer's networks that holds every
        word typed: "shortlist 2027" finds "shortlist-2027" and "shortlist 2027", as the
        tag leads (f_ntag) or as a city typed it (f_nword). Only the viewer's networks'
        tags are read, so nobody else finds anything by them."""
        wanted = set(words)
        if not wanted or not (viewer.see_all or viewer.networks):
            return frozenset()
        out: set = set()
        for fieldname in ("f_ntag", "f_nword"):
            if viewer.see_all:
                values = list(_lexicon(self.reader, fieldname))
            else:
                values = []
                for network in sorted(viewer.networks):
                    for value in self.reader.expand_prefix(fieldname, f"{network}:"):
                        values.append(value.decode("utf-8") if isinstance(value, bytes)
                                      else value)
            for value in values:
                if wanted <= set(tag_words(value.partition(":")[2])):
                    out |= self.term_docs(fieldname, value)
        return frozenset(out)

    def term_docs(self, fieldname: str, text: str) -> frozenset:
        key = (fieldname, text)
        cache = self._postings
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
        found = frozenset(_posting_ids(self.reader, fieldname, text))
        cache[key] = found
        self._postings_size += len(found) + 1
        while self._postings_size > _POSTING_CACHE_BUDGET and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self._postings_size -= len(old) + 1
        return found

    def docset(self, q) -> frozenset | set:
        """Documents matching a query, by set algebra over posting sets."""
        if q is None:
            return self.alive
        if q is query.NullQuery:
            return frozenset()
        if isinstance(q, query.Term):
            return self.term_docs(q.fieldname, q.text)
        if isinstance(q, LimitedPrefix):
            return set().union(*(self.term_docs(q.fieldname, w) for w in q.words))
        if isinstance(q, (query.Or, query.DisjunctionMax)):
            sets = [self.docset(s) for s in q.subqueries]
            return set().union(*sets) if sets else set()
        if isinstance(q, query.And):
            pos, neg = [], []
            for s in q.subqueries:
                if isinstance(s, query.Not):
                    neg.append(self.docset(s.query))
                else:
                    pos.append(self.docset(s))
            if pos:
                pos.sort(key=len)
                result = set(pos[0])
                for s in pos[1:]:
                    result &= s
                    if not result:
                        break
            else:
                result = set(self.alive)
            for s in neg:
                result -= s
            return result
        if isinstance(q, query.Not):
            return self.alive - self.docset(q.query)
        if isinstance(q, query.AndNot):
            return self.docset(q.a) - self.docset(q.b)
        if isinstance(q, query.AndMaybe):
            return self.docset(q.a)
        if isinstance(q, query.Require):
            return self.docset(q.a) & self.docset(q.b)
        if isinstance(q, query.ConstantScoreQuery):
            return self.docset(q.child)
        return set(q.docs(self.searcher)) & self.alive

    # -- autocomplete data ----------------------------------------------------

    def autocomplete_entries(self) -> list:
        """(folded text, text, kind, slug, docnums) for tags and organizations."""
        if self._autocomplete is not None:
            return self._autocomplete
        entries = []
        for tag in _lexicon(self.reader, "tag_exact"):
            docs = tuple(_posting_ids(self.reader, "tag_exact", tag))
            if docs:
                entries.append((fold(tag.lower()), tag, "tag", None, docs))
        for entry in _lexicon(self.reader, "org_entry"):
            docs = tuple(_posting_ids(self.reader, "org_entry", entry))
            if docs:
                slug, _, name = entry.partition("\x1f")
                entries.append((fold(name.lower()), name, "organization", slug, docs))
        self._autocomplete = entries
        return entries


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


def _write_json_atomic(path: str, data: dict) -> None:
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path))


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SearchIndex:
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
        self._view: _View | None = None
        self._pointer_token: tuple | None = None
        self._segment_cache: dict = {}
        self._state_cache: tuple | None = None
        self._weighting = _weighting(ranking)

    # -- layout -------------------------------------------------------------

    def _p(self, *names: str) -> str:
        return os.path.join(self.path, *names)

    def _current_generation(self) -> str | None:
        try:
            with open(self._p(_POINTER), encoding="utf-8") as fh:
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
                if _pointer_token(self._p(_POINTER)) == token:
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
        path = self._p(gen, _STATE)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {}
        token = (path, st.st_ino, st.st_mtime_ns, st.st_size)
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
                    ahead: dict[int, int] | None = None) -> dict:
        data = {"last_change_id": int(last_change_id),
                "failed": [dataclasses.asdict(f) for _, f in sorted(failed.items())],
                "analysis": analysis, "vectors": vectors}
        if ahead:
            data["ahead"] = {str(p): int(c) for p, c in sorted(ahead.items())}
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

    def vectors_missing(self) -> bool:
        """Whether dense retrieval is on and its model loads, but the live generation was
        built without its vectors (switched on since, or another model). Searches stay
        lexical, and correct, until :meth:`vectors_fill` has embedded every document and
        a rebuild (from the vector cache) brings the vectors in."""
        gen = self._current_generation()
        return bool(gen and self.dense and dense_mod.embedder().available
                    and self._state(gen).get("vectors") != dense_mod.MODEL_ID)

    def vectors_fill(self, docs: list[dict]) -> int:
        """Embed the documents whose text is not in the vector cache yet and keep their
        vectors there (nothing in the index changes); returns how many were embedded."""
        model = dense_mod.embedder()
        if not (self.dense and docs and model.available):
            return 0
        os.makedirs(self.path, exist_ok=True)
        before = model.embedded
        dense_mod.vectors_for(docs, dense_mod.VectorCache(self._p(_VECTORS)), model)
        return model.embedded - before

    def dense_status(self) -> str:
        """How this index ranks: hybrid, or lexical and why."""
        if not self.dense:
            return "off (lexical ranking only)"
        model = dense_mod.embedder()
        if not model.available:
            return f"model not available ({model.error}): lexical ranking only"
        gen = self._current_generation()
        if gen and self._state(gen).get("vectors") == dense_mod.MODEL_ID:
            return f"hybrid: BM25F and {dense_mod.MODEL_ID} vectors, reciprocal-rank fusion"
        return ("model loaded, index has no vectors yet: lexical ranking until the "
                "background applier has embedded every practice")

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
                            fields, doc = _fields_or_failure(practice_id, doc)
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
                                failed_at=doc.failed_at or _now())
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
                self._apply_vectors(gen, latest)
            if ahead:
                for pid in latest:
                    early[pid] = max(early.get(pid, 0), int(upto))
                new_last = current
            else:
                new_last = max(upto, current)
                early = {p: c for p, c in early.items() if c > new_last}
            if new_last > current or failed != before or early != before_early:
                state = self._state(gen)
                _write_json_atomic(self._p(gen, _STATE),
                                   self._state_data(new_last, failed, state.get("analysis"),
                                                    state.get("vectors"), early))
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
        cache = dense_mod.VectorCache(self._p(_VECTORS)) if embed else None
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
                    fields, doc = _fields_or_failure(doc.get("id"), doc)
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
                        doc, change_id=int(last_change_id), failed_at=doc.failed_at or _now())
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
        _write_json_atomic(os.path.join(gen_path, _STATE),
                           self._state_data(last_change_id, failed, analysis_setup(),
                                            dense_mod.MODEL_ID if embed else None))
        write_lock = self._lock_file("write.lock")
        write_lock.acquire()
        try:
            _write_json_pointer(self._p(_POINTER), name)
        finally:
            write_lock.release()
        for old in self._generations():
            if old != name:
                shutil.rmtree(self._p(old), ignore_errors=True)
        return [f for _, f in sorted(failed.items())]

    def _apply_vectors(self, gen: str, latest) -> None:
        """Update the generation's vectors for applied changes (under the write lock)."""
        if not self.dense or self._state(gen).get("vectors") != dense_mod.MODEL_ID:
            return
        model = dense_mod.embedder()
        if not model.available:
            return
        current = dense_mod.GenerationVectors.load(self._p(gen))
        if current is None:
            return
        docs = {pid: doc for pid, doc in latest.items() if isinstance(doc, dict)}
        cache = dense_mod.VectorCache(self._p(_VECTORS))
        vecs = dense_mod.vectors_for(list(docs.values()), cache, model) if docs else []
        changes: dict = {pid: None for pid in latest}
        for (pid, doc), vec in zip(docs.items(), vecs):
            changes[pid] = (vec, field_language(doc.get("language")))
        current.updated(changes).save(self._p(gen))

    def _vectors(self, view: "_View"):
        """(matrix, docnums, languages) of the view's visible-to-nobody-yet vectors, or None."""
        if not view.generation:
            return None
        path = self._p(view.generation, dense_mod.GenerationVectors.NPY)
        try:
            token = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return None
        # kept on the view: its document numbers are only valid for its searcher
        cached = view.dense_vectors
        if cached is not None and cached[0] == token:
            return cached[1]
        gv = dense_mod.GenerationVectors.load(self._p(view.generation))
        if gv is None:
            return None
        by_id = {str(v): d for d, v in enumerate(view.ids) if d in view.alive}
        rows = [n for n, i in enumerate(gv.ids) if str(i) in by_id]
        docnums = np.array([by_id[str(gv.ids[n])] for n in rows], dtype=np.int64)
        matrix = gv.matrix[rows] if rows else np.zeros((0, dense_mod.DIM), np.float32)
        langs = [gv.langs[n] for n in rows]
        value = (matrix, docnums, langs)
        view.dense_vectors = (token, value)
        return value

    def _dense_docs(self, view: "_View", vectors: tuple, pending: "dense_mod.QueryVector",
                    viewer: Viewer) -> list[int]:
        """Dense nearest neighbours of the query among the documents the viewer may see
        (``vectors``: the view's, from _vectors), balanced per language: at most DENSE_K,
        each within DENSE_MARGIN of the best."""
        matrix, docnums, langs = vectors
        if not len(docnums):
            pending.result()
            return []
        mask = self._dense_mask(view, viewer, docnums)
        sims = pending.similarities()
        if sims is None or not mask.any():
            return []
        sims[~mask] = -2.0
        pool = np.argpartition(-sims, DENSE_POOL)[:DENSE_POOL] if len(sims) > DENSE_POOL \
            else np.arange(len(sims))
        pool = pool[np.argsort(-sims[pool], kind="stable")]
        best = float(sims[pool[0]])
        top = [int(i) for i in pool if sims[i] >= best - DENSE_MARGIN and sims[i] > -2.0]
        chosen = dense_mod.balanced(top, langs, DENSE_K)
        return [int(docnums[i]) for i in chosen]

    @staticmethod
    def _dense_mask(view: "_View", viewer: Viewer, docnums) -> "np.ndarray":
        """Which rows of the view's vectors the viewer may see, kept per viewer scope on
        the view (testing 100,000 document numbers one by one takes about 15 ms)."""
        key = viewer.key()
        masks = view.dense_masks
        kept = masks.get(key)
        if kept is not None and kept[0] is docnums:  # the same vectors as when computed
            return kept[1]
        allowed = view.visible(viewer)
        found = np.fromiter((int(d) in allowed for d in docnums), dtype=bool,
                            count=len(docnums))
        if len(masks) > 64:
            masks.clear()
        masks[key] = (docnums, found)
        return found

    # -- reading ----------------------------------------------------------------

    def _current_view(self) -> _View:
        """The view of the live generation, refreshed if another writer committed."""
        try:
            token = _pointer_token(self._p(_POINTER))
        except FileNotFoundError:
            token = None
        view = self._view
        if view is not None and token == self._pointer_token:
            if view.searcher.up_to_date():
                return view
            searcher = view.searcher.refresh()
            self._view = _View(view.generation, view.ix, searcher, self._segment_cache)
            return self._view
        self._close_view()
        gen = self._current_generation()
        if gen is None or not _has_toc(self._p(gen)):
            # No index yet: answer from an empty in-memory one (creating one
            # here would make exists() true and hide the need to rebuild).
            ix = RamStorage().create_index(SCHEMA)
            searcher = ix.searcher(weighting=self._weighting)
            self._segment_cache = {}
            self._view = _View("", ix, searcher, self._segment_cache)
            self._pointer_token = ("missing",)
            return self._view
        ix = windex.open_dir(self._p(gen), schema=SCHEMA)
        searcher = ix.searcher(weighting=self._weighting)
        self._segment_cache = {}
        self._view = _View(gen, ix, searcher, self._segment_cache)
        self._pointer_token = token
        return self._view

    def _close_view(self) -> None:
        if self._view is not None:
            try:
                self._view.searcher.close()
            except Exception:
                pass
            self._view = None
            self._pointer_token = None

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
                except (OSError, EOFError, windex.EmptyIndexError) as exc:
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

    # -- vectors ------------------------------------------------------------

    def vectors_export(self, path: str) -> int:
        """Write this index's vector cache to a portable file; returns how many vectors."""
        os.makedirs(self.path, exist_ok=True)
        return dense_mod.VectorCache(self._p(_VECTORS)).export_file(path)

    def vectors_import(self, path: str) -> int:
        """Add the vectors of a file written by :meth:`vectors_export` to this index's
        cache, so the documents they were made from are not embedded again; returns
        how many were new."""
        os.makedirs(self.path, exist_ok=True)
        return dense_mod.VectorCache(self._p(_VECTORS)).import_file(path)

    def after_fork(self) -> None:
        """In a process forked from one that used this index: drop the inherited readers
        and lock (another thread may have held it at the fork); the next read opens anew."""
        self._lock = threading.RLock()
        self._close_view()
        self._segment_cache = {}
        self._state_cache = None

    def doc_ids(self) -> set[int]:
        def run(view: _View):
            return {int(view.ids[d]) for d in view.alive}
        return self._read(run)

    # -- search -------------------------------------------------------------------

    def _build(self, view: _View, text: str, operator: str,
               expand: bool = False) -> tuple[Built, bool, list[LimitHit]]:
        """The query of a text within the limits; the text must be bound_text()'s.

        ``expand``: each word that is part of a glossary label is searched
        with the concept's labels in the other languages (search.glossary).
        """
        words = plain_words(text)[:self.limits.max_words]
        expansions = glossary().expand(words, view.languages) if expand else {}

        def builder():
            b = view.builder(self.ranking, self.limits)
            b.expansions = expansions
            return b

        def typed(built: Built) -> Built:
            if built.expanded:      # the query without translations, for the snippets
                plain = view.builder(self.ranking, self.limits)
                try:
                    built.typed_query = (plain.build_words(words, operator).query
                                         if degraded else plain.build(text, operator).query)
                except Exception:
                    built.typed_query = plain.build_words(words, operator).query
            return built

        b = builder()
        degraded = looks_broken(text)
        if degraded:
            return typed(b.build_words(words, operator)), True, []
        try:
            built = b.build(text, operator)
            return typed(built), False, b.hits
        except Exception:
            degraded = True
            return typed(builder().build_words(words, operator)), True, []

    def query_for(self, q: str) -> tuple[query.Query | None, list[LimitHit]]:
        """The Whoosh query a search for ``q`` runs, and the limits it hit."""
        text, hits = bound_text((q or "").strip(), self.limits)

        def run(view: _View):
            operator = "or" if self.operator == "or" else "and"
            built, _degraded, more = self._build(view, text, operator)
            return built.query, hits + more
        return self._read(run)

    def search(self, q: str = "", filters: dict | None = None, viewer: Viewer = Viewer(),
               sort: str = "relevance", page: int = 1, per_page: int = 10,
               facets: bool = True, expand: bool = True) -> SearchResults:
        """Search visible practices.

        ``expand``: also search the glossary's labels of the typed words in
        the other languages (listed in ``SearchResults.expanded``); False
        searches only the words as typed ("only in my language").

        Facet counts: for each facet, the number of visible documents that
        match the query and the filters of every *other* facet, per value
        (so values of a facet with a selection still show how many
        documents each would add; for facets without a selection this is
        simply the count over the current result set). Selected values are
        always listed, with ``selected: True``. Values are ordered by count,
        then value.

        An empty query lists every visible practice; with sort "relevance"
        it is ordered newest first.
        """
        if sort not in SORTS:
            sort = "relevance"
        page = max(1, int(page or 1))
        per_page = max(1, min(int(per_page or 10), 100))
        filters = {k: [str(v) for v in vs if v not in (None, "")]
                   for k, vs in (filters or {}).items() if k in FACETS_BY_NAME and vs}
        text, text_hits = bound_text((q or "").strip(), self.limits)

        def run(view: _View) -> SearchResults:
            deadline = time.monotonic() + self.limits.time_limit
            # the query's embedding starts now and is ready by the time it is needed
            vectors = (self._vectors(view) if self.dense and expand and text
                       and not has_operators(text) and dense_mod.embedder().available
                       else None)
            pending = (dense_mod.QueryVector(dense_mod.embedder(), text, vectors[0])
                       if vectors is not None else None)
            limits = list(text_hits)
            visible = view.visible(viewer)
            degraded = False
            built = Built(None)
            base: frozenset | set = visible
            # practices a private tag of the viewer's networks names in the words typed
            private: frozenset = frozenset()
            if text:
                operator = "or" if self.operator == "or" else "and"
                built, degraded, hits = self._build(view, text, operator, expand)
                if built.query is not None:
                    private = view.network_tag_text_docs(
                        viewer, private_tag_words(text)) & visible
                    base = view.docset(built.query) & visible
                    if (not base and not private and operator == "and"
                            and not has_operators(text) and len(built.words) > 1):
                        built, degraded2, hits = self._build(view, text, "or", expand)
                        degraded = degraded or degraded2
                        base = view.docset(built.query) & visible if built.query else set()
                    if private:
                        base = set(base) | private
                limits += hits
            # filters, per facet
            fsets: dict[str, set] = {}
            for name, values in filters.items():
                facet = FACETS_BY_NAME[name]
                s: set = set()
                for v in values:
                    s |= view.term_docs(facet.field, v.replace(" ", "_"))
                    if name == "tag":
                        s |= view.network_tag_docs(viewer, v.replace(" ", "_"))
                fsets[name] = s

            def filtered(docs):
                for fs in sorted(fsets.values(), key=len):
                    docs = docs & fs
                return docs

            result = filtered(base)
            relevance = built.query is not None and sort == "relevance"
            start = (page - 1) * per_page
            # a private tag of the viewer's network that names the words typed is the
            # strongest match there is: those practices come first, newest first
            pinned: list[tuple[int, float]] = []
            ranked_result = result
            if private and relevance and result:
                pinned = [(d, 0.0) for d in self._sorted(view, result & private, "newest",
                                                         start + per_page)]
                ranked_result = result - private
            need = max(0, start + per_page - len(pinned))
            budget = _Budget(deadline)
            # the dense neighbours join the result set whatever the order asked for
            fusing = pending is not None and vectors is not None and built.query is not None
            lexical: list[tuple[int, float]] | None = None
            if relevance and ranked_result and need:
                # ranked while the query is still being embedded; deep enough to be
                # fused with the dense neighbours if there are any
                lexical = self._ranked(view, text, built, ranked_result, need, degraded,
                                       budget, deeper=FUSE_DEPTH if fusing else 0)
            highlight: dict = {}
            counted: dict[str, Counter] | None = None
            cards: dict[int, Hit] = {}
            if fusing and pending is not None and not pending.done():
                # while the query is still being embedded: the facets of the words'
                # results and the cards of their page, most of which the fused page shows
                if facets:
                    counted = self._facet_counts(view, base, fsets, result, viewer)
                for d, score in (pinned + (lexical or []))[start:start + per_page]:
                    if pending.done():
                        break
                    cards[d] = self._hit(view, d, score, built, highlight)
            dense_docs: list[int] = []
            if fusing and vectors is not None and pending is not None:
                dense_docs = self._dense_docs(view, vectors, pending, viewer)
            elif pending is not None:
                pending.result()  # nothing to fuse with: do not leave it running
            extra: set = set()
            if dense_docs:
                extra = set(dense_docs) - set(base)
                base = (base if type(base) is set else set(base)) | extra
                result = (result if type(result) is set else set(result)) | filtered(extra)
                ranked_result = (ranked_result if type(ranked_result) is set
                                 else set(ranked_result)) | filtered(extra)
            facet_out: dict = {}
            if facets:
                if counted is None:
                    counted = self._facet_counts(view, base, fsets, result, viewer)
                elif extra:     # the neighbours the words did not find, added
                    more = self._facet_counts(view, extra, fsets, filtered(extra), viewer)
                    for name, counts in more.items():
                        counted[name].update(counts)
                facet_out = self._facet_values(counted, filters)
            total = len(result)
            pages = max(1, math.ceil(total / per_page)) if total else 0
            scored = []
            if relevance and total and dense_docs:
                in_result = [d for d in dense_docs if d in ranked_result]
                fused = dense_mod.rrf([[d for d, _ in lexical or []], in_result])
                scored = (pinned + fused)[start:start + per_page]
            elif relevance and total:
                scored = (pinned + (lexical or [])[:need])[start:start + per_page]
            elif total:
                scored = [(d, 0.0) for d in self._sorted(view, result, sort, start + per_page)]
                scored = scored[start:start + per_page]
            if relevance and budget.exceeded:
                limits.append(LimitHit("time", 0, int(self.limits.time_limit)))
            out_hits = [dataclasses.replace(cards[d], score=float(s)) if d in cards
                        else self._hit(view, d, s, built, highlight) for d, s in scored]
            suggestion = None
            if built.words and time.monotonic() < deadline:
                suggestion = self._suggest(view, text, built, visible, total, limits)
            return SearchResults(total=total, page=page, per_page=per_page, pages=pages,
                                 hits=out_hits, facets=facet_out, suggestion=suggestion,
                                 degraded=degraded, sort=sort, limits=limits,
                                 expanded=list(built.expanded))

        key = (text, tuple(sorted((k, tuple(v)) for k, v in filters.items())), viewer.key(),
               sort, page, per_page, facets, expand)

        def answer(view: _View) -> SearchResults:
            """The view's earlier answer to the same search, else a new one; a copy
            either way (callers re-order, slice and annotate what they get; the facet
            counts are shared and read only)."""
            found = view.results.get(key)
            if found is not None:
                view.results.move_to_end(key)
                return _copy(found)
            results = run(view)
            if not any(hit.kind == "time" for hit in results.limits):
                view.results[key] = _copy(results)
                view.results_size += _kept_size(results)
                while len(view.results) > 1 and (len(view.results) > RESULTS_KEPT or
                                                 view.results_size > RESULTS_KEPT_VALUES):
                    _key, old = view.results.popitem(last=False)
                    view.results_size -= _kept_size(old)
            return results

        return self._read(answer)

    _PLAIN_RE = re.compile(r"[\w\s\-'’.,!?]+")

    def _ranked(self, view: _View, text: str, built: Built, result, need: int,
                degraded: bool, budget: "_Budget | None" = None,
                deeper: int = 0) -> list[tuple[int, float]]:
        """The first ``need`` (docnum, score) of the result set by relevance, and up to
        ``deeper`` more from the tier that fills the page (the lexical list fused with
        the dense neighbours: going deeper never opens a lower tier, whose documents
        lack one of the words and rank below anyway).

        For a plain multi-word query under OR, documents containing every
        word come first, then (for 3 or 4 words) those containing all but
        one, then the rest; each tier ranked by the BM25F score of the whole
        query. An official's "faster building permits" sees practices with
        all three words before those with two. Each tier is scored with AND
        queries, which Whoosh evaluates by skipping through posting lists, so
        a page the first tiers fill never scores the long tail of partial
        matches (the cost of OR queries at 100,000 documents). Measured
        (docs/benchmarks.md): nDCG@10 SciFact 0.690 -> 0.687, bundled
        practices 0.739 -> 0.739; 3-word p95 at 100k 506 -> 367 ms.
        """
        searcher = view.searcher
        result = result if type(result) is set else set(result)
        examples = view.term_docs("example", "yes")
        tiered = (self.operator == "or" and len(built.words) > 1 and not built.prefixes
                  and self._PLAIN_RE.fullmatch(text) is not None)
        out: list[tuple[int, float]] = []
        if tiered:
            builder = None
            word_queries = []
            for word in dict.fromkeys(built.words):
                found = built.word_queries.get(word)
                if found is None:      # not built from the default fields
                    if builder is None:
                        builder = view.builder(self.ranking)
                        builder.expansions = built.expansions
                    found = builder.word(word)
                q, optional = found
                if q is not None and q is not query.NullQuery and not optional:
                    word_queries.append(q)
            n = len(word_queries)
            if n > 1:
                sets = [view.docset(q) for q in word_queries]
                # tiers: all n words; then, for up to 4 words, all but one
                lowest = n - 1 if 2 < n <= 4 else n
                for k in range(n, lowest - 1, -1):
                    combos = list(itertools.combinations(range(n), k))
                    tier: set = set()
                    for combo in combos:
                        part = set(result)
                        for i in sorted(combo, key=lambda i: len(sets[i])):
                            part &= sets[i]
                            if not part:
                                break
                        tier |= part
                    if not tier:
                        continue
                    if k == n:
                        tq = query.And(word_queries)
                    else:
                        tq = query.Or([query.And([word_queries[i] for i in combo])
                                       for combo in combos])
                    # optimize=False: Whoosh's block-quality skipping cost
                    # more than it saved on these queries (measured)
                    hits = _scored(searcher, tq, need + deeper - len(out), tier, budget,
                                   examples)
                    out.extend(hits)
                    if len(out) >= need:
                        return out
                    result = result - tier
                if not result:
                    return out
        return out + _scored(searcher, built.query, need + deeper - len(out), result, budget,
                             examples)

    @staticmethod
    def _sorted(view: _View, docs, sort: str, n: int) -> list[int]:
        if sort == "title":
            key = view.title_sort
            return heapq.nsmallest(n, docs, key=lambda d: (key[d], d))
        if sort == "adapted":
            ad, pub = view.adapted, view.published
            return heapq.nsmallest(n, docs, key=lambda d: (-ad[d], -pub[d], d))
        if sort == "replicated":
            rep, ad, pub = view.facets["replicated"], view.adapted, view.published
            return heapq.nsmallest(n, docs, key=lambda d: (rep[d] != "yes", -ad[d], -pub[d], d))
        pub = view.published
        return heapq.nsmallest(n, docs, key=lambda d: (-pub[d], d))

    @staticmethod
    def _facet_counts(view: _View, base, fsets: dict, result,
                      viewer: Viewer = Viewer()) -> dict[str, Counter]:
        """Per facet, how many documents hold each value (a tuple of values for the
        facets with several); Counters that can be added to."""
        out: dict[str, Counter] = {}
        for facet in FACETS:
            if facet.name in fsets:
                docs = base
                for name, s in fsets.items():
                    if name != facet.name:
                        docs = docs & s
            else:
                docs = result
            arr = view.facets[facet.name]
            if facet.name == "tag":
                out[facet.name] = Counter(view.tags_seen_by(viewer, d) for d in docs)
            else:
                out[facet.name] = Counter(map(arr.__getitem__, docs))
        return out

    @staticmethod
    def _facet_values(counted: dict[str, Counter], filters: dict) -> dict:
        out: dict[str, list[dict]] = {}
        for facet in FACETS:
            counts = counted[facet.name]
            if facet.multi:
                expanded: Counter = Counter()
                for values, c in counts.items():
                    for v in values:
                        expanded[v] += c
                counts = expanded
            else:
                counts = Counter(counts)
                counts.pop(None, None)
            selected = {v.replace(" ", "_") for v in filters.get(facet.name, ())}
            if facet.name == "tag" and len(counts) > TAG_FACET_VALUES:
                counts = Counter(dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                                      [:TAG_FACET_VALUES]))
            for v in selected:
                counts.setdefault(v, 0)
            out[facet.name] = [
                {"value": v, "count": c, "selected": v in selected}
                for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        return out

    def _hit(self, view: _View, docnum: int, score: float, built: Built,
             highlight: dict | None = None) -> Hit:
        data = view.searcher.stored_fields(docnum)["data"]
        snip = ""
        if built.query is not None and highlight is not None:
            snip = self._snippet(data, built, highlight)
        return Hit(id=data["id"], slug=data["slug"], title=data["title"],
                   summary=data["summary"], language=data["language"],
                   organization=data["organization"],
                   organization_slug=data["organization_slug"], country=data["country"],
                   themes=list(data["themes"]), stage=data["stage"], evidence=data["evidence"],
                   population=data["population"], published_at=data["published_at"],
                   adaptations_count=data["adaptations_count"], score=float(score),
                   tags=list(data.get("card_tags") or []),
                   snippet=snip, translations=dict(data.get("translations") or {}),
                   headline=data.get("headline"),
                   evidence_shown=data.get("evidence_shown") or data["evidence"],
                   example=bool(data.get("example")))

    @staticmethod
    def _snippet(data: dict, built: Built, highlight: dict) -> str:
        """highlight: a per-query cache, language -> HighlightTerms.

        The words as typed are highlighted; a practice that holds none of them
        (found through a glossary translation) gets its translations highlighted.
        """
        lang = field_language(data["language"])

        def terms_for(key: str, q) -> HighlightTerms:
            ht = highlight.get((key, lang))
            if ht is None:
                if key not in highlight:
                    highlight[key] = query_terms(q)
                suffix = "_" + lang
                terms, neutral = set(), set()
                for fieldname, t in highlight[key]:
                    if fieldname.endswith(suffix):
                        terms.add(t)
                    elif fieldname in ("title_n", "text_n"):
                        neutral.add(t)
                ht = highlight[(key, lang)] = HighlightTerms(terms, neutral, built.prefixes)
            return ht

        typed = built.typed_query if built.typed_query is not None else built.query
        snip = make_snippet(data["body"], lang, terms_for("_typed", typed))
        if "<mark>" not in snip and typed is not built.query:
            snip = make_snippet(data["body"], lang, terms_for("_terms", built.query))
        return snip

    # -- did you mean ---------------------------------------------------------------

    def _suggest(self, view: _View, text: str, built: Built, visible, total: int,
                 limits: list[LimitHit] | None = None) -> str | None:
        """'Did you mean': replace each typed word that no visible document
        contains (in any language's stemmed form) by the closest word of the
        visible documents' titles, summaries, tags and organizations."""
        builder = view.builder(self.ranking)
        sees_all = len(visible) == len(view.alive)
        hidden = len(view.alive) - len(visible)
        reader = view.reader
        replaced = text
        changed = False
        looked_up = unknown = 0
        for word in dict.fromkeys(built.words):
            q, _ = builder.word(word)
            if q is None:
                continue
            terms = query_terms(q)
            if terms:
                # cheap first: a term in more documents than are hidden
                # is certainly in a visible one
                most = max(reader.doc_frequency(f, t) for f, t in terms)
                if most > hidden:
                    continue
            if view.docset(q) & visible:
                continue
            unknown += 1
            if looked_up >= self.limits.max_corrections:
                continue
            looked_up += 1
            best = self._correction(view, word, visible, sees_all)
            if best:
                # mypy cannot infer a lambda whose default binds the loop value
                replaced = re.sub(r"(?i)(?<!\w)" + re.escape(word) + r"(?!\w)",
                                  lambda m, b=best: b, replaced, count=1)  # type: ignore[misc]
                changed = True
        if unknown > looked_up and limits is not None:
            limits.append(LimitHit("corrections", unknown, self.limits.max_corrections))
        return replaced if changed and replaced != text else None

    @staticmethod
    def _correction(view: _View, word: str, visible, sees_all: bool) -> str | None:
        words = WORD_RE.findall(fold(word.lower()))
        if len(words) != 1:
            return None
        w = words[0]
        if len(w) < 3 or w.isdigit():
            return None
        maxdist = 1 if len(w) <= 4 else 2
        reader = view.reader
        candidates = set()
        for fieldname in ("title_n", "text_n"):
            try:
                for c in reader.terms_within(fieldname, w, maxdist, prefix=1):
                    if c != w and not c.isdigit():
                        candidates.add(c)
            except Exception:
                continue
            if len(candidates) > 200:
                break
        if not candidates:
            return None
        scored = []
        from whoosh.support.levenshtein import distance
        for c in candidates:
            df = view.term_docs("text_n", c) | view.term_docs("title_n", c)
            if not sees_all:
                df = df & visible
            if df:
                scored.append((distance(w, c), -len(df), c))
        if not scored:
            return None
        scored.sort()
        return scored[0][2]

    # -- autocomplete -------------------------------------------------------------

    def autocomplete(self, prefix: str, viewer: Viewer = Viewer(), limit: int = 8) -> list[dict]:
        """Titles, tags and organizations whose words start with ``prefix``.

        Each item is {"text", "kind"} with kind "title" (plus "slug"), "tag"
        or "organization" (plus "slug", the organization slug). Titles whose
        words match come first (best BM25 first), then tags and
        organizations used by most visible practices.
        """
        p = fold((prefix or "")[:self.limits.max_chars].lower()).strip()
        words = WORD_RE.findall(p)[-self.limits.max_words:]
        if not words:
            return []

        def run(view: _View) -> list[dict]:
            visible = view.visible(viewer)
            out: list[dict] = []
            complete, last = words[:-1], words[-1]
            subs = [query.Term("title_n", w) for w in complete]
            expanded, _count = view.expand_prefix("title_n", last, self.limits.prefix_words,
                                                  self.limits.prefix_scan)
            subs.append(LimitedPrefix("title_n", last, expanded))
            q = subs[0] if len(subs) == 1 else query.And(subs)
            allowed = view.docset(q) & visible
            if allowed:
                for hit in view.searcher.search(q, limit=limit, filter=set(allowed)):
                    data = hit["data"]
                    out.append({"text": data["title"], "kind": "title", "slug": data["slug"]})
            others = []
            needle = " ".join(words)
            for folded, display, kind, slug, docs in view.autocomplete_entries():
                norm = " ".join(WORD_RE.findall(folded))
                if not (norm.startswith(needle) or (" " + needle) in (" " + norm)):
                    continue
                count = sum(1 for d in docs if d in visible)
                if not count:
                    continue
                item = {"text": display, "kind": kind}
                if slug is not None:
                    item["slug"] = slug
                others.append((not norm.startswith(needle), -count, display.lower(), item))
            others.sort(key=lambda t: t[:3])
            n_other = min(len(others), max(limit - len(out), limit // 2))
            return out[:limit - n_other] + [o[3] for o in others[:n_other]]

        return self._read(run)

    # -- similar --------------------------------------------------------------------

    def _similar(self, view: _View, text: str, language: str, viewer: Viewer,
                 limit: int, exclude: set, themes=()) -> list[Hit]:
        """More-like-this: the text's most distinctive terms (Bo1 model over the
        body field of its language), plus a small constant for each shared theme."""
        lang = field_language(language)
        fieldname = text_field(lang, "body")
        try:
            keys = view.searcher.key_terms_from_text(fieldname, text, numterms=25)
        except Exception:
            keys = []
        subs = []
        for term, weight in keys:
            for part in TEXT_PARTS:
                if not self.ranking.weight(part) or not weight:
                    continue
                subs.append(query.Term(text_field(lang, part), term,
                                       boost=weight * self.ranking.weight(part)))
        theme_field = FACETS_BY_NAME["theme"].field
        for theme in themes:
            subs.append(query.ConstantScoreQuery(query.Term(theme_field, theme), 0.5))
        if not subs:
            return []
        allowed = view.visible(viewer) - exclude
        if not allowed:
            return []
        # the search only scores documents that match, so the filter needs no matching
        # set of its own (working one out ran the query twice)
        return [self._hit(view, h.docnum, h.score, Built(None))
                for h in view.searcher.search(query.Or(subs), limit=limit,
                                              filter=set(allowed))]

    def similar(self, practice_id: int, viewer: Viewer = Viewer(), limit: int = 5) -> list[Hit]:
        """Practices most like this one (more-like-this), never itself."""
        def run(view: _View) -> list[Hit]:
            docs = view.term_docs("id", str(int(practice_id))) & view.alive
            if not docs or not (docs & view.visible(viewer)):
                return []     # unknown, or hidden from this viewer
            docnum = next(iter(docs))
            data = view.searcher.stored_fields(docnum)["data"]
            text = "\n".join([data["title"], data["summary"], data["body"]])
            lexical = self._similar(view, text, data["language"], viewer, FUSE_SIMILAR,
                                    set(docs), data["themes"])
            neighbours = self._dense_neighbours(view, docnum, viewer, set(docs))
            return self._fuse_similar(view, lexical, neighbours, limit)
        return self._read(run)

    def _dense_neighbours(self, view: "_View", docnum: int, viewer: Viewer,
                          exclude: set) -> list[int]:
        """The visible practices nearest to a practice's stored vector (no embedding)."""
        if not self.dense:
            return []
        vectors = self._vectors(view)
        if vectors is None:
            return []
        matrix, docnums, _langs = vectors
        rows = np.nonzero(docnums == docnum)[0]
        if not len(rows):
            return []
        return self._nearest_to_vector(view, matrix[rows[0]], viewer, exclude)

    def _fuse_similar(self, view: "_View", lexical: list[Hit], neighbours: list[int],
                      limit: int) -> list[Hit]:
        """Fuse the more-like-this list with the nearest vectors (reciprocal rank)."""
        if not neighbours:
            return lexical[:limit]
        by_doc = {h.id: h for h in lexical}
        ids = {d: int(view.ids[d]) for d in neighbours}
        lexical_docs = [d for h in lexical
                        for d in sorted(view.term_docs("id", str(h.id)) & view.alive)[:1]]
        # a whole practice's vector says more about its topic than its
        # distinctive words: the dense list weighs double here
        fused = dense_mod.rrf([lexical_docs, neighbours],
                              weights=[1.0, SIMILAR_DENSE_WEIGHT])[:limit]
        out = []
        for d, score in fused:
            hit = by_doc.get(ids.get(d, -1)) or self._hit(view, d, score, Built(None))
            out.append(dataclasses.replace(hit, score=score))
        return out

    def _nearest_to_vector(self, view: "_View", vector, viewer: Viewer,
                           exclude: set) -> list[int]:
        """The visible practices whose stored vectors are nearest to ``vector``."""
        vectors = self._vectors(view)
        if vectors is None or vector is None:
            return []
        matrix, docnums, _langs = vectors
        allowed = view.visible(viewer) - exclude
        order = np.argsort(-(matrix @ vector))
        return [int(docnums[i]) for i in order[:FUSE_SIMILAR * 4]
                if int(docnums[i]) in allowed][:FUSE_SIMILAR]

    def similar_to_text(self, title: str, summary: str, body: str, language: str,
                        viewer: Viewer = Viewer(), limit: int = 5,
                        translations: dict | None = None) -> list[Hit]:
        """Practices most like a text being written (the duplicate warning): the same
        fusion of distinctive words and meaning as similar practices, so a draft written
        in one language finds its duplicate written in another. The draft is embedded
        once (it has no stored vector); without the model the words alone decide."""
        text = "\n".join([title or "", summary or "", body or ""])
        vector = None
        if self.dense:
            model = dense_mod.embedder()
            if model.available:
                passage = dense_mod.passage_text({"title": title, "summary": summary,
                                                  "body": body,
                                                  "translations": translations or {}})
                vector = model.passages([passage])[0]

        def run(view: _View) -> list[Hit]:
            lexical = self._similar(view, text, language, viewer, FUSE_SIMILAR, set())
            neighbours = self._nearest_to_vector(view, vector, viewer, set())
            return self._fuse_similar(view, lexical, neighbours, limit)
        return self._read(run)


def _pointer_token(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


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


class _Budget:
    """The time left for scoring one search; set when it ran out."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.exceeded = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class _FilterWithDeadline(collectors.FilterCollector):
    """Whoosh's FilterCollector that also stops when the budget's time is up.

    (Whoosh's TimeLimitCollector cannot wrap a filter: it collects past it.)
    """

    def __init__(self, child, allow, budget: _Budget):
        super().__init__(child, allow)
        self.budget = budget

    def collect_matches(self):
        child, allow, offset = self.child, self._allow, self.offset
        deadline = self.budget.deadline
        for n, sub_docnum in enumerate(child.matches()):
            if not n & 255 and time.monotonic() > deadline:
                raise TimeLimit
            if allow is None or offset + sub_docnum in allow:
                child.collect(sub_docnum)


def _copy(results: SearchResults) -> SearchResults:
    return dataclasses.replace(results, hits=[dataclasses.replace(h) for h in results.hits],
                               limits=list(results.limits), expanded=list(results.expanded))


# Answers a view keeps for the same search asked again: an official paging back, the most
# asked queries of a portal, a page and its API twin. A commit makes a new view, so none
# is ever stale. An answer holds every facet value (about 300 bytes each), and at 100,000
# practices a broad query has thousands of them (5,000 organizations: about 1 MB), so
# the answers kept are bounded by their facet values too (about 20 MB in all).
RESULTS_KEPT = 128
RESULTS_KEPT_VALUES = 60_000


def _kept_size(results: SearchResults) -> int:
    """What a kept answer weighs: its facet values, and one for the rest."""
    return 1 + sum(len(values) for values in results.facets.values())


# Fictional examples (tag "example") score this fraction of their relevance, so a
# real practice of the same relevance always ranks first (docs/exchange.md).
EXAMPLE_WEIGHT = 0.8


def _scored(searcher, q, limit: int, docs, budget: _Budget | None,
            examples: frozenset = frozenset()) -> list[tuple[int, float]]:
    """The best ``limit`` (docnum, score) among ``docs``, examples' scores
    multiplied by EXAMPLE_WEIGHT; with a budget, the best found when its time ran
    out. Demotion only moves an example down, so the best ``limit`` after it are
    among the best ``limit`` + (examples in ``docs``) before it: exact, not sampled."""
    demoted = examples & docs if examples else ()
    if demoted and limit > 0:
        found = _scored(searcher, q, limit + len(demoted), docs, budget)
        found = [(d, s * EXAMPLE_WEIGHT if d in demoted else s) for d, s in found]
        found.sort(key=lambda pair: -pair[1])   # stable: ties keep Whoosh's order
        return found[:limit]
    if budget is None:
        hits = searcher.search(q, limit=limit, filter=docs, optimize=False)
        return [(h.docnum, h.score) for h in hits]
    if budget.remaining() <= 0:
        budget.exceeded = True
        return []
    collector = _FilterWithDeadline(searcher.collector(limit=limit, optimize=False), docs,
                                    budget)
    try:
        searcher.search_with_collector(q, collector)
    except TimeLimit:
        budget.exceeded = True
    return [(h.docnum, h.score) for h in collector.results()]


def _write_json_pointer(path: str, name: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path))
