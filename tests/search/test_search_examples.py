"""Fictional examples rank after real practices of the same relevance."""

from __future__ import annotations

import pytest

from search import SearchIndex
from search.reading import EXAMPLE_WEIGHT
from tests.search.conftest import make_doc

TEXT = dict(summary="Flood warnings by text message.",
            body="Residents get flood warnings by text message before the river rises.")


def _index(tmp_path, docs):
    idx = SearchIndex(str(tmp_path / "index"))
    idx.rebuild(docs, len(docs))
    return idx


def test_an_example_ranks_after_a_real_practice_with_the_same_text(tmp_path):
    # the example is indexed first and would win the tie on document order
    docs = [make_doc(1, slug="fictional-town", title="Flood warnings", tags=["example"],
                     example=True, **TEXT),
            make_doc(2, slug="real-city", title="Flood warnings", tags=["riverside"], **TEXT)]
    idx = _index(tmp_path, docs)
    try:
        results = idx.search("flood warnings")
        assert [h.slug for h in results.hits] == ["real-city", "fictional-town"]
        example, real = results.hits[1], results.hits[0]
        assert example.example is True and real.example is False
        assert example.score == pytest.approx(real.score * EXAMPLE_WEIGHT)
        # one per page: the second page holds the example, not the real one again
        assert [h.slug for h in idx.search("flood warnings", per_page=1, page=1).hits] == \
            ["real-city"]
        assert [h.slug for h in idx.search("flood warnings", per_page=1, page=2).hits] == \
            ["fictional-town"]
    finally:
        idx.close()


def test_a_clearly_better_example_still_ranks_first(tmp_path):
    # the demotion is small: it settles near-ties, it does not hide examples
    docs = [make_doc(1, slug="fictional-town", title="Flood warnings by text message",
                     tags=["example"], example=True, **TEXT),
            make_doc(2, slug="real-city", title="Street lighting",
                     summary="New lamps.", body="The city replaced street lamps; a flood "
                     "of complaints about darkness stopped.")]
    idx = _index(tmp_path, docs)
    try:
        assert [h.slug for h in idx.search("flood warnings text message").hits][0] == \
            "fictional-town"
    finally:
        idx.close()
