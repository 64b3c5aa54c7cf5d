"""A view of one index generation: its searcher, and the data derived from it per segment
and per searcher (facet values, visibility, sort keys, posting sets), kept while the
generation and its segments stay the same."""

from __future__ import annotations

import heapq
from collections import OrderedDict

from whoosh import query
from whoosh.reading import TermNotFound

from .analysis import field_language, fold, tag_words
from .querying import DEFAULT_LIMITS, LimitedPrefix, QueryBuilder, QueryLimits
from .results import Viewer
from .schema import FACETS, FIELD_LANGUAGES, Ranking, text_field

_POSTING_CACHE_BUDGET = 400_000   # docnums held in cached posting sets (memory bound)


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


class View:
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
        # answers of this view (its documents never change: a commit makes a new view; its
        # vectors may, see SearchIndex._vectors_token), newest last
        self.results: OrderedDict = OrderedDict()
        self.results_size = 0   # their _kept_size, summed
        self.results_vectors: tuple | None = None    # the vectors they were ranked with
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
