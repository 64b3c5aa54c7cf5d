"""A query's work is bounded: pathological queries are answered within limits, and say so."""

import random

import pytest

from conftest import make_doc
from search import QueryLimits, SearchIndex, query_size

SYLLABLES = ["ba", "be", "bi", "bo", "ka", "ke", "ki", "ko", "la", "le", "li", "lo", "ma",
             "me", "mi", "mo", "na", "ne", "ni", "no", "ra", "re", "ri", "ro", "sa", "se",
             "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "vo"]
UNBOUNDED = QueryLimits(max_chars=10**6, max_words=10**6, max_prefixes=10**6, min_prefix=2,
                        prefix_words=10**6, prefix_scan=10**6, max_corrections=10**6,
                        time_limit=10**6)


@pytest.fixture(scope="module")
def big_index(tmp_path_factory):
    """2,000 practices over a vocabulary of thousands of invented words."""
    rnd = random.Random(7)
    vocab = sorted({"".join(rnd.choices(SYLLABLES, k=rnd.randint(2, 4))) for _ in range(6000)})
    docs = [make_doc(i, title=" ".join(rnd.choices(vocab, k=4)),
                     body=" ".join(rnd.choices(vocab, k=25)),
                     language=("en", "fi", "sv", "de")[i % 4])
            for i in range(1, 2001)]
    path = str(tmp_path_factory.mktemp("big-index"))
    idx = SearchIndex(path, writer_procs=1)
    idx.rebuild(docs, 1)
    yield idx, vocab, path
    idx.close()


def kinds(results):
    return {hit.kind for hit in results.limits}


def test_hundreds_of_two_letter_prefixes_are_searched_as_a_few_words(big_index):
    idx, _vocab, path = big_index
    q = " ".join(a + b + "*" for a in "bklmnrstv" for b in "aeio") * 5   # 180 prefixes
    results = idx.search(q)
    assert {"chars", "words", "prefix_length"} <= kinds(results)
    query, hits = idx.query_for(q)
    assert query_size(query) <= 32 * 10
    unbounded = SearchIndex(path, limits=UNBOUNDED)
    assert query_size(unbounded.query_for(q)[0]) > 20 * query_size(query)
    unbounded.close()


def test_many_three_letter_prefixes_expand_to_a_bounded_number_of_words(big_index):
    idx, vocab, path = big_index
    q = " ".join(w[:3] + "*" for w in vocab[::40][:150])
    results = idx.search(q)
    found = {hit.kind: hit for hit in results.limits}
    assert {"chars", "words", "prefixes"} <= set(found)
    assert found["prefixes"].limit == 4
    query, _hits = idx.query_for(q)
    limits = idx.limits
    per_field = limits.prefix_words
    fields = 2 * 4 + 2        # title and all-text per language, neutral title and text
    assert query_size(query) <= (limits.max_prefixes * per_field + limits.max_words) * fields
    unbounded = SearchIndex(path, limits=UNBOUNDED)
    assert query_size(unbounded.query_for(q)[0]) > 10 * query_size(query)
    unbounded.close()


def test_a_common_prefix_stands_for_its_most_common_words(big_index):
    _idx, vocab, path = big_index
    idx = SearchIndex(path, limits=QueryLimits(prefix_words=5))
    results = idx.search("bab*")
    [hit] = [h for h in results.limits if h.kind == "prefix_words"]
    assert hit.text == "bab*" and hit.found > hit.limit == 5
    assert results.total > 0
    query, _hits = idx.query_for("bab*")
    assert 0 < query_size(query) <= 5 * 10
    assert idx.search(vocab[0]).limits == []     # an ordinary query hits no limit
    idx.close()


def test_hundreds_of_misspelled_words_look_up_only_a_few_corrections(big_index):
    idx, vocab, _path = big_index
    q = " ".join(w + "x" for w in vocab[:350])
    results = idx.search(q)
    found = {hit.kind: hit for hit in results.limits}
    assert found["corrections"].limit == 3 and found["corrections"].found > 3
    assert found["words"].found > 32



def test_a_search_out_of_time_shows_what_it_has_and_says_so(index):
    """(time_limit=0: the budget is spent before scoring starts, whatever the machine)"""
    out_of_time = SearchIndex(index.path, limits=QueryLimits(time_limit=0))
    results = out_of_time.search("building permits")
    assert results.total == index.search("building permits").total > 0
    assert [h.kind for h in results.limits] == ["time"]
    assert results.hits == [] and results.suggestion is None
    out_of_time.close()
