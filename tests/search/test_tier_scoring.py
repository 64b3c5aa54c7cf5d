"""Scoring a ranking tier: the few documents a tier allows are reached by skipping through
the query's postings, and score exactly as Whoosh's own filtered search scores them."""

from __future__ import annotations

import itertools

from whoosh import query

from search import SearchIndex, Viewer
from search.reading import _AllowedCollector, _scored

from conftest import make_doc

WORDS = ("flood", "barrier", "river")


def _docs(first: int, n: int) -> list[dict]:
    """Practices with every mix of the three words, most holding one or two of them."""
    out = []
    for i in range(first, first + n):
        words = [w for k, w in enumerate(WORDS) if (i >> k) & 1 or i % 5 == k]
        out.append(make_doc(i, title=f"{' '.join(words) or 'quiet'} practice {i}",
                            summary=" ".join(words * (1 + i % 3)) + " in the old town"))
    return out


def _index(tmp_path) -> SearchIndex:
    idx = SearchIndex(str(tmp_path / "ix"))
    idx.rebuild(_docs(1, 120), 1)
    for n, first in enumerate(range(121, 241, 40), start=2):   # more segments
        idx.apply([(d["id"], d) for d in _docs(first, 40)], n)
    return idx


def _word_queries(idx: SearchIndex, view) -> list:
    built, _degraded, _ = idx._build(view, " ".join(WORDS), "or")
    return [built.word_queries[w][0] for w in WORDS]


def test_a_few_allowed_documents_score_as_whoosh_scores_them(tmp_path):
    idx = _index(tmp_path)

    def run(view):
        searcher = view.searcher
        assert len(list(searcher.leaf_searchers())) > 1
        words = _word_queries(idx, view)
        union = query.Or(words)
        everything = sorted(view.docset(union))
        for allowed in (set(everything[::37]), set(everything[-3:]), {everything[0]},
                        set(everything[5:9]) | {max(everything) + 1000}, set()):
            collector = _AllowedCollector(searcher.collector(limit=10, optimize=False),
                                          allowed)
            searcher.search_with_collector(union, collector)
            mine = [(h.docnum, round(h.score, 9)) for h in collector.results()]
            whoosh = [(h.docnum, round(h.score, 9)) for h in searcher.search(
                union, limit=10, filter=allowed, optimize=False)] if allowed else []
            assert mine == whoosh
            if allowed:
                assert collector.skipped >= 1       # reached by skipping, not by walking
        # a broad allowed set is walked as Whoosh walks it, with the same result
        broad = set(everything)
        assert _scored(searcher, union, 10, broad, None) == [
            (h.docnum, h.score) for h in searcher.search(union, limit=10, filter=broad,
                                                          optimize=False)]
    idx._read(run)
    idx.close()


def test_the_tier_of_all_words_but_one_ranks_as_its_and_queries_would(tmp_path):
    idx = _index(tmp_path)

    def run(view):
        words = _word_queries(idx, view)
        sets = [view.docset(q) for q in words]
        everything = set.union(*sets)
        all_three = sets[0] & sets[1] & sets[2]
        two = {d for d in everything - all_three if sum(d in s for s in sets) == 2}
        assert all_three and len(two) > 20
        reference = query.Or([query.And([words[i] for i in combo])
                              for combo in itertools.combinations(range(3), 2)])
        expected = [(h.docnum, round(h.score, 9)) for h in view.searcher.search(
            reference, limit=len(two), filter=two, optimize=False)]

        built, degraded, _ = idx._build(view, " ".join(WORDS), "or")
        result = view.docset(built.query) & view.visible(Viewer())
        ranked = idx._ranked(view, " ".join(WORDS), built, result, len(all_three) + 5,
                             degraded, deeper=len(two))
        assert {d for d, _s in ranked[:len(all_three)]} == all_three
        assert [(d, round(s, 9)) for d, s in ranked[len(all_three):]] == expected
    idx._read(run)
    idx.close()
