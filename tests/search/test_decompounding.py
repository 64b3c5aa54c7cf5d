"""Compound words meet their parts, in Finnish, Swedish and German."""

from __future__ import annotations

import pytest

from search import SearchIndex
from search import decompound
from search.decompound import Decompounder

from conftest import make_doc

DOCS = [
    make_doc(1, slug="tulva", language="fi", title="Tulvat kaupungissa",
             body="Rankkasateet aiheuttavat tulvia."),
    make_doc(2, slug="kellari", language="fi", title="Kellaritulvat kuriin",
             body="Taloyhtiöt suojautuvat kellaritulvilta."),
    make_doc(3, slug="oversvamning", language="sv", title="Översvämning vid ån",
             body="Kommunen kartlägger översvämning."),
    make_doc(4, slug="hochwasser", language="de", title="Hochwasser am Fluss",
             body="Die Stadt warnt vor Hochwasser."),
    make_doc(5, slug="schutz", language="de", title="Hochwasserschutzmaßnahmen der Stadt",
             body="Deiche und Rückhaltebecken."),
]


@pytest.fixture(params=["voikko", "frequencies"])
def splitter(request):
    """Both set-ups: Voikko for Finnish (where installed) and the pip-only fallback."""
    if request.param == "voikko":
        d = Decompounder()
        if d.voikko_error:
            pytest.skip(f"Voikko not installed: {d.voikko_error}")
    else:
        d = Decompounder(use_voikko=False)
    decompound.set_decompounder(d)
    yield d
    decompound.set_decompounder(None)


def _slugs(idx, q):
    return {h.slug for h in idx.search(q, per_page=20, expand=False).hits}


def test_compounds_find_their_parts_and_keep_the_whole_word(tmp_path, splitter):
    idx = SearchIndex(str(tmp_path / "ix"))
    idx.rebuild(DOCS, 5)
    # an indexed compound is found by its part ...
    assert "kellari" in _slugs(idx, "tulva")
    assert "schutz" in _slugs(idx, "Hochwasser")
    # ... a typed compound finds documents with its part, and itself first
    assert {"tulva", "kellari"} <= _slugs(idx, "kellaritulvat")
    assert idx.search("kellaritulvat", expand=False).hits[0].slug == "kellari"
    assert "oversvamning" in _slugs(idx, "översvämningsskydd")
    assert {"hochwasser", "schutz"} <= _slugs(idx, "Hochwasserschutzmaßnahmen")
    assert idx.search("Hochwasserschutzmaßnahmen", expand=False).hits[0].slug == "schutz"
    idx.close()


def test_voikko_splits_finnish_into_lemmas():
    d = Decompounder()
    if d.voikko_error:
        pytest.skip(f"Voikko not installed: {d.voikko_error}")
    assert d.extra_words("fi", "kellaritulvat")[:2] == ["kellari", "tulva"]
    assert d.extra_words("fi", "tulvavaroitusjärjestelmä") == ["tulva", "varoitus", "järjestelmä"]
    assert d.describe()["fi"].startswith("voikko")


def test_the_fallback_splits_without_voikko():
    d = Decompounder(use_voikko=False)
    assert d.describe()["fi"].startswith("wordfreq")
    assert d.extra_words("fi", "kellaritulvat") == ["kellari", "tulvat"]
    assert d.extra_words("sv", "översvämningsskydd") == ["översvämning", "skydd"]
    assert "hochwasser" in d.extra_words("de", "hochwasserschutzmaßnahmen")
    # a common word is left whole
    assert d.extra_words("de", "hochwasser") == []


def test_the_index_records_its_analysis_and_knows_when_it_is_outdated(tmp_path):
    decompound.set_decompounder(Decompounder(use_voikko=False))
    try:
        idx = SearchIndex(str(tmp_path / "ix"))
        idx.rebuild(DOCS, 5)
        assert "wordfreq" in idx.analysis()["decompounding"]
        assert not idx.analysis_outdated()
        idx.apply([(6, make_doc(6))], 6)           # an update keeps the recorded set-up
        assert not idx.analysis_outdated()
        decompound.set_decompounder(Decompounder(use_voikko=False, use_frequencies=False))
        assert idx.analysis_outdated()
        idx.rebuild(DOCS, 6)
        assert not idx.analysis_outdated()
        idx.close()
    finally:
        decompound.set_decompounder(None)
