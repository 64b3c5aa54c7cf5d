"""Reading the search index: queries, ranking (words and meaning, fused), facets, result
cards, spelling suggestions, autocomplete and similar practices.

:class:`Reading` is a part of :class:`search.index.SearchIndex`; its methods run on the
view of the live generation (:mod:`search.view`) that ``SearchIndex._read`` hands them.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import math
import re
import time
from collections import Counter
from typing import Any, Callable

import numpy as np

from whoosh import collectors, query
from whoosh.matching import NullMatcher
from whoosh.searching import TimeLimit

from .analysis import WORD_RE, field_language, fold, private_tag_words
from . import dense as dense_mod
from .glossary import glossary
from .highlight import HighlightTerms, snippet as make_snippet
from .layout import file_token
from .view import View
from .querying import (Built, LimitedPrefix, LimitHit, QueryLimits, bound_text, has_operators,
                       looks_broken, plain_words, query_terms)
from .results import Hit, SearchResults, Viewer
from .schema import FACETS, FACETS_BY_NAME, TEXT_PARTS, Ranking, text_field

SORTS = ("relevance", "newest", "title", "adapted", "replicated")
#: dense retrieval: nearest neighbours considered, kept (balanced per language),
#: how far below the best one a neighbour may be, and the lexical depth fused beyond the
#: page (30: SciFact nDCG@10 0.695 against 0.689 at 100, docs/benchmarks.md)
DENSE_POOL = 60
DENSE_K = 20
DENSE_MARGIN = 0.05
FUSE_DEPTH = 30
#: similar practices: the depth of the lexical and dense lists fused
FUSE_SIMILAR = 20
SIMILAR_DENSE_WEIGHT = 2.0
#: the tag facet lists this many of the most used tags (and any selected)
TAG_FACET_VALUES = 30


class Reading:
    """Searching, ranking and the other reads of a :class:`search.index.SearchIndex`."""

    # set by SearchIndex
    path: str
    ranking: Ranking
    limits: QueryLimits
    operator: str
    dense: bool
    _read: Callable[..., Any]
    _p: Callable[..., str]

    def _vectors_token(self, view: "View") -> tuple | None:
        """What identifies the view's vectors file as written (each save replaces it), or
        None without one. Vectors change without a commit of the words when a process
        with the model embeds what one without it applied (vectors_complete)."""
        if not view.generation:
            return None
        try:
            return file_token(self._p(view.generation, dense_mod.GenerationVectors.NPY))
        except FileNotFoundError:
            return None

    def _vectors(self, view: "View"):
        """(matrix, docnums, languages) of the view's visible-to-nobody-yet vectors, or None."""
        token = self._vectors_token(view)
        if token is None:
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

    def _dense_docs(self, view: "View", vectors: tuple, pending: "dense_mod.QueryVector",
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
    def _dense_mask(view: "View", viewer: Viewer, docnums) -> "np.ndarray":
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

    # -- searching ---------------------------------------------------------------

    def _build(self, view: View, text: str, operator: str,
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

        def run(view: View):
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

        def run(view: View) -> SearchResults:
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

        def answer(view: View) -> SearchResults:
            """The view's earlier answer to the same search, else a new one; a copy
            either way (callers re-order, slice and annotate what they get; the facet
            counts are shared and read only)."""
            if self.dense:
                vectors = self._vectors_token(view)
                if vectors != view.results_vectors:    # answers ranked with other vectors
                    view.results.clear()
                    view.results_size = 0
                    view.results_vectors = vectors
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

    def _ranked(self, view: View, text: str, built: Built, result, need: int,
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
                        # a document of this tier holds exactly k of the words, so the
                        # OR of the words scores it as the AND of its k words would
                        tq = query.Or(word_queries)
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
    def _sorted(view: View, docs, sort: str, n: int) -> list[int]:
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
    def _facet_counts(view: View, base, fsets: dict, result,
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

    def _hit(self, view: View, docnum: int, score: float, built: Built,
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

    def _suggest(self, view: View, text: str, built: Built, visible, total: int,
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
    def _correction(view: View, word: str, visible, sees_all: bool) -> str | None:
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

        def run(view: View) -> list[dict]:
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

    def _similar(self, view: View, text: str, language: str, viewer: Viewer,
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
        def run(view: View) -> list[Hit]:
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

    def _dense_neighbours(self, view: "View", docnum: int, viewer: Viewer,
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

    def _fuse_similar(self, view: "View", lexical: list[Hit], neighbours: list[int],
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

    def _nearest_to_vector(self, view: "View", vector, viewer: Viewer,
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

        def run(view: View) -> list[Hit]:
            lexical = self._similar(view, text, language, viewer, FUSE_SIMILAR, set())
            neighbours = self._nearest_to_vector(view, vector, viewer, set())
            return self._fuse_similar(view, lexical, neighbours, limit)
        return self._read(run)


class _Budget:
    """The time left for scoring one search; set when it ran out."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.exceeded = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class _AllowedCollector(collectors.FilterCollector):
    """Whoosh's FilterCollector, made for the small allowed sets of a ranking tier, and
    stopping when a budget's time is up.

    Whoosh walks every match of the query and drops the documents not allowed. A tier
    of "all the words but one" allows a few hundred documents, while the union of its
    words' postings holds thousands, so in a segment where the allowed documents are
    few beside the query's matches, the matcher is moved straight to each of them
    (``skip_to``, which skips whole blocks of postings) instead. The documents are
    collected in the same order either way, so the results are the same.

    (Whoosh's TimeLimitCollector cannot wrap a filter: it collects past it.)
    """

    def __init__(self, child, allow, budget: "_Budget | None" = None):
        super().__init__(child, allow)
        self.budget = budget
        self._ordered: list[int] | None = None
        self.skipped = 0                  # segments whose allowed documents were skipped to

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        # sorted (to find a segment's share) only when few beside the query's matches:
        # a broad query's allowed set is its own result set, of up to every document
        allow = self.allow
        few = not allow or (len(allow) * SKIP_RATIO < top_searcher.doc_count_all() and
                            len(allow) * SKIP_RATIO < q.estimate_size(top_searcher.reader()))
        self._ordered = sorted(allow) if few else None

    def set_subsearcher(self, subsearcher, offset):
        ordered, child = self._ordered, self.child
        if ordered is None:
            self._skip = False
            super().set_subsearcher(subsearcher, offset)
            return
        self._span = lo, hi = (bisect.bisect_left(ordered, offset),
                               bisect.bisect_left(ordered, offset + subsearcher.doc_count_all()))
        self._skip = lo < hi and (hi - lo) * SKIP_RATIO < child.q.estimate_size(
            subsearcher.reader())
        if lo == hi:                      # nothing allowed here: no matcher to build
            self.subsearcher = child.subsearcher = subsearcher
            self.offset = child.offset = offset
            self.matcher = child.matcher = NullMatcher()
            return
        if not self._skip:
            super().set_subsearcher(subsearcher, offset)
            return
        # a matcher that can skip: Whoosh otherwise builds an OR of many words in a small
        # segment as an array it fills part by part, reading every posting on the way
        context = child.context
        child.context = context.set(needs_current=True)
        try:
            super().set_subsearcher(subsearcher, offset)
        finally:
            child.context = context

    def collect_matches(self):
        child, offset, matcher = self.child, self.offset, self.child.matcher
        deadline = self.budget.deadline if self.budget else math.inf
        if self._skip:
            self.skipped += 1
            ordered, (lo, hi) = self._ordered or [], self._span
            for n in range(lo, hi):
                if not n & 63 and time.monotonic() > deadline:
                    raise TimeLimit
                if not matcher.is_active():
                    return
                local = ordered[n] - offset
                if matcher.id() < local:
                    matcher.skip_to(local)
                    if not matcher.is_active():
                        return
                if matcher.id() == local:
                    child.collect(local)
            return
        allow = self._allow
        if allow is None:                 # nothing allowed
            return
        for n, sub_docnum in enumerate(child.matches()):
            if not n & 255 and time.monotonic() > deadline:
                raise TimeLimit
            if offset + sub_docnum in allow:
                child.collect(sub_docnum)


#: a segment's allowed documents are reached by skipping when the query matches more than
#: this many times as many documents there. 1, 2 and 4 were measured alike, and all far
#: faster than never skipping (docs/benchmarks.md); 2 leaves a margin for Whoosh's estimate
#: of an OR's matches, the sum of its words' (a union counted twice where they overlap)
SKIP_RATIO = 2


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
    if budget is not None and budget.remaining() <= 0:
        budget.exceeded = True
        return []
    collector = _AllowedCollector(searcher.collector(limit=limit, optimize=False), docs,
                                  budget)
    try:
        searcher.search_with_collector(q, collector)
    except TimeLimit:
        if budget is None:
            raise
        budget.exceeded = True
    return [(h.docnum, h.score) for h in collector.results()]
