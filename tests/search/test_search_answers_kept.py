"""The same search asked again is answered from what the index found the first time,
until the next commit: never stale, never another viewer's, never changed by a caller."""

from __future__ import annotations

from search import SearchIndex, Viewer
from tests.search.conftest import make_doc

MEMBER = Viewer(networks=frozenset({"eurocities"}))


class Counting:
    """Counts the ranking runs of an index (the real ranking runs)."""

    def __init__(self, index: SearchIndex):
        self.runs = 0
        real = index._ranked

        def ranked(*args, **kwargs):
            self.runs += 1
            return real(*args, **kwargs)

        index._ranked = ranked


def test_the_same_search_again_is_not_ranked_again(index, slugs):
    counting = Counting(index)
    first = index.search("permits")
    again = index.search("permits")
    assert counting.runs == 1
    assert slugs(again) == slugs(first) and again.total == first.total
    assert again.facets == first.facets
    index.search("permits", page=2)             # another page, filter or sort is another
    index.search("permits", filters={"country": ["FI"]})
    assert counting.runs == 3


def test_what_a_caller_does_to_an_answer_does_not_reach_the_next(index, slugs):
    first = index.search("permits")
    order = slugs(first)
    first.hits.reverse()
    first.hits[0].title = "changed"
    first.pending = 5
    again = index.search("permits")
    assert slugs(again) == order
    assert "changed" not in [h.title for h in again.hits]
    assert again.pending == 0


def test_a_commit_brings_a_new_answer(index, slugs):
    before = index.search("permits")
    index.apply([(9, make_doc(9, slug="permits-anew", title="Permits anew",
                              body="Permits decided on the spot."))], 9)
    after = index.search("permits")
    assert "permits-anew" in slugs(after) and "permits-anew" not in slugs(before)
    assert after.total == before.total + 1
    index.apply([(9, None)], 10)
    assert "permits-anew" not in slugs(index.search("permits"))


def test_each_viewer_gets_the_answer_for_what_they_may_see(index, slugs):
    assert index.search("zyxwquartz").total == 0
    assert slugs(index.search("zyxwquartz", viewer=MEMBER)) == ["network-secret"]
    assert index.search("zyxwquartz").total == 0
    assert index.search("zyxwquartz", viewer=Viewer(networks=frozenset({"other"}))).total == 0


def test_answers_kept_are_bounded_by_their_facet_values(index, monkeypatch):
    """A portal of 100,000 practices has thousands of facet values per broad answer:
    the answers kept give way to the newest when their values pass the budget."""
    import search.reading as si

    counting = Counting(index)
    first = index.search("permits")
    size = si._kept_size(first)
    assert size > 1 + len(first.facets)  # the values are counted, not the facets
    monkeypatch.setattr(si, "RESULTS_KEPT_VALUES", size + 1)
    index.search("permits")
    assert counting.runs == 1                   # within the budget: kept
    index.search("permits", page=2)             # a second answer pushes the first out
    index.search("permits")
    assert counting.runs == 3
    index.search("permits")                     # the newest answer is always kept
    assert counting.runs == 3
