"""Hybrid ranking: words and multilingual meaning, fused, within what the viewer may see."""

from __future__ import annotations

import pytest

from search import SearchIndex, Viewer
from search import dense
from search.dense import Embedder

from conftest import make_doc

DOGS = make_doc(1, slug="koirapuisto", language="fi", title="Koirapuistot asukkaiden toiveesta",
                summary="Kaupunki rakensi aidattuja alueita, joissa koirat saavat juosta vapaana.")
BUS = make_doc(2, slug="bus", language="en", title="Night buses on weekends",
               summary="Extra night bus lines run on Friday and Saturday nights.")
LIBRARY = make_doc(3, slug="bibliotek", language="sv", title="Bibliotek med öppet hus",
                   summary="Biblioteket är öppet utan personal på kvällar och helger.")
HIDDEN = make_doc(4, slug="hundrastplatz", language="de", visibility="network",
                  networks=["dogs-net"], title="Hundeauslaufflächen",
                  summary="Eingezäunte Flächen, auf denen Hunde frei laufen dürfen.")
DOCS = [DOGS, BUS, LIBRARY, HIDDEN]
QUERY = "fenced areas where dogs run off the leash"




def _stored_vectors(path) -> list[int]:
    """The practice ids with a vector in the index's live generation."""
    vectors = dense.GenerationVectors.load(str(path / (path / "CURRENT").read_text().strip()))
    assert vectors is not None
    return vectors.ids


def _slugs(results):
    return [h.slug for h in results.hits]


def test_a_query_finds_a_practice_in_another_language_by_meaning(tmp_path, dense_model):
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS, 4)
    lexical = SearchIndex(str(tmp_path / "ix"), dense=False)
    assert "koirapuisto" not in _slugs(lexical.search(QUERY))   # no shared word
    found = idx.search(QUERY)
    assert "koirapuisto" in _slugs(found)
    # the network-only practice is neither shown nor counted nor faceted
    assert "hundrastplatz" not in _slugs(found)
    assert found.total == len(found.hits)
    assert all(v["value"] != "de" for v in found.facets["language"])
    member = idx.search(QUERY, viewer=Viewer(networks=frozenset({"dogs-net"})))
    assert "hundrastplatz" in _slugs(member)
    # another order lists the same practices; a filter keeps a neighbour only if it matches
    newest = idx.search(QUERY, sort="newest")
    assert newest.total == found.total and set(_slugs(newest)) == set(_slugs(found))
    finnish = idx.search(QUERY, filters={"language": ["fi"]})
    assert _slugs(finnish) == ["koirapuisto"] and finnish.total == 1
    assert "koirapuisto" not in _slugs(idx.search(QUERY, filters={"language": ["en"]}))
    # only in my language: words only
    assert "koirapuisto" not in _slugs(idx.search(QUERY, expand=False))
    idx.close()
    lexical.close()


@pytest.mark.parametrize("filters", [{}, {"language": ["fi"]}, {"language": ["en", "sv"]}])
def test_work_done_while_the_query_is_embedded_gives_the_same_answer(tmp_path, dense_model,
                                                                      monkeypatch, filters):
    """Facets and cards prepared while the query's vector is computed, then completed with
    the neighbours the words did not find, are the answer computed after it."""
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS, 4)
    answers = []
    for embedding_done in (True, False):
        monkeypatch.setattr(dense.QueryVector, "done", lambda self, d=embedding_done: d)
        idx.rebuild(DOCS, 5 + len(answers))        # a new view: nothing kept from before
        found = idx.search(QUERY + " night", filters=filters)
        answers.append((found.total, found.facets, [(h.slug, h.score, h.snippet)
                                                    for h in found.hits]))
    assert answers[0] == answers[1]
    assert answers[0][0] > 0
    idx.close()


def test_vectors_are_computed_once_per_revision(tmp_path, dense_model):
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS, 4)
    assert dense_model.embedded == 4
    idx.rebuild(DOCS, 5)                        # a reindex reuses every vector
    assert dense_model.embedded == 4
    idx.apply([(2, make_doc(2, slug="bus", title="Night buses every night"))], 6)
    assert dense_model.embedded == 5                  # only the changed revision
    idx.apply([(3, None)], 7)                   # unpublished: its vector leaves the index
    assert "bibliotek" not in _slugs(idx.search("library open without staff"))
    assert dense_model.embedded == 5
    idx.close()


def test_similar_practices_fuse_meaning_and_words_within_visibility(tmp_path, dense_model):
    extra = make_doc(5, slug="dog-parks", language="en", title="Off-leash dog parks",
                     summary="Fenced parks where dogs may run free.")
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS + [extra], 5)
    embedded = dense_model.embedded
    similar = [h.slug for h in idx.similar(5, limit=5)]
    assert "koirapuisto" in similar[:2] and "dog-parks" not in similar
    assert "hundrastplatz" not in similar        # hidden from the public
    assert dense_model.embedded == embedded            # from the stored vectors, no embedding
    member = Viewer(networks=frozenset({"dogs-net"}))
    assert "hundrastplatz" in [h.slug for h in idx.similar(5, viewer=member, limit=2)]
    idx.close()


def test_without_the_model_search_is_lexical_and_says_so(tmp_path, caplog):
    broken = Embedder(model_path=str(tmp_path / "missing-model.bin"))
    dense.set_embedder(broken)
    try:
        idx = SearchIndex(str(tmp_path / "ix"), dense=True)
        idx.rebuild(DOCS, 4)
        assert "model not available" in idx.dense_status()
        assert "dense retrieval unavailable" in caplog.text
        assert _slugs(idx.search("night buses")) == ["bus"]
        assert "koirapuisto" not in _slugs(idx.search(QUERY))
        idx.close()
    finally:
        dense.set_embedder(None)


def test_the_duplicate_warning_finds_a_draft_written_in_another_language(tmp_path, dense_model):
    """A contributor writes in English about what a Finnish practice already describes:
    the possible-duplicates list under the draft names the Finnish practice, from the
    draft's meaning, and never a practice the contributor may not see."""
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS, 4)
    draft = ("Fenced off-leash areas for dogs",
             "The city built fenced areas where residents' dogs can play without a leash.",
             "", "en")
    lexical = SearchIndex(str(tmp_path / "ix"), dense=False)
    assert "koirapuisto" not in [h.slug for h in lexical.similar_to_text(*draft)]
    embedded = dense_model.embedded
    found = [h.slug for h in idx.similar_to_text(*draft, limit=3)]
    assert found[0] == "koirapuisto"
    assert dense_model.embedded == embedded + 1       # the draft, once; the index from its store
    assert "hundrastplatz" not in found
    member = Viewer(networks=frozenset({"dogs-net"}))
    assert "hundrastplatz" in [h.slug for h in idx.similar_to_text(*draft, viewer=member)]
    idx.close()
    lexical.close()


def test_vectors_move_to_another_node_through_a_file(tmp_path, dense_model):
    first = SearchIndex(str(tmp_path / "a"), dense=True)
    first.rebuild(DOCS, 4)
    assert first.vectors_export(str(tmp_path / "v.npz")) == 4
    other = SearchIndex(str(tmp_path / "b"), dense=True)
    assert other.vectors_import(str(tmp_path / "v.npz")) == 4
    assert other.vectors_import(str(tmp_path / "v.npz")) == 0   # already there
    other.rebuild(DOCS, 4)
    assert dense_model.embedded == 4                  # the second node embedded nothing
    assert "koirapuisto" in _slugs(other.search(QUERY))
    (tmp_path / "junk.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="junk.npz"):
        other.vectors_import(str(tmp_path / "junk.npz"))
    first.close()
    other.close()


def test_a_worker_multiplies_vectors_on_one_core(dense_model):
    """The query is embedded on one core while the words are ranked on the other: numpy's
    products must not take (and keep spinning on) both."""
    from threadpoolctl import threadpool_info

    assert dense_model.query("flood warning") is not None
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_vectors_made_from_another_text_are_made_again(tmp_path, dense_model, monkeypatch):
    """A portal upgraded to embed more of each body answers with words until its practices
    are embedded again; it never ranks with vectors made from the old text."""
    long_body = " ".join(["Hankkeen vaiheet kirjattiin kokouksen pöytäkirjaan."] * 60)
    docs = [dict(DOGS, body=long_body), BUS, LIBRARY, HIDDEN]
    monkeypatch.setattr(dense, "BODY_CHARS", 600)
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(docs, 4)
    assert not idx.vectors_missing() and "koirapuisto" in _slugs(idx.search(QUERY))
    idx.close()

    monkeypatch.setattr(dense, "BODY_CHARS", 4000)
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    assert idx.vectors_missing()
    assert "lexical ranking until" in idx.dense_status()
    assert "koirapuisto" not in _slugs(idx.search(QUERY))     # words only meanwhile
    before = dense_model.embedded
    assert idx.vectors_fill(docs) == 1          # only the text that changed is embedded
    assert dense_model.embedded == before + 1
    idx.rebuild(docs, 4)
    assert not idx.vectors_missing() and "koirapuisto" in _slugs(idx.search(QUERY))
    idx.close()


def test_changes_applied_where_the_model_does_not_run_are_embedded_later(tmp_path,
                                                                        dense_model):
    """A process with dense retrieval off (a command run with other settings, a worker whose
    model failed to load) may apply changes to an index that ranks with vectors. It cannot
    embed them: it keeps the vectors whose text is unchanged (from the cache), drops the
    others and lists those practices; a process with the model embeds them afterwards.
    Until then they are found by their words only, never by an old text's meaning."""
    idx = SearchIndex(str(tmp_path / "ix"), dense=True)
    idx.rebuild(DOCS, 4)
    words_only = SearchIndex(str(tmp_path / "ix"), dense=False)
    dogs_sv = make_doc(5, slug="hundgardar", language="sv", title="Hundrastgårdar i stadsdelarna",
                       summary="Staden byggde inhägnade områden där hundar får springa lösa.")
    bus_now = make_doc(2, slug="bus", title="Library opening hours on weekends",
                       summary="The library opens on Sunday mornings.")
    library_tagged = dict(LIBRARY, tags=["open library"])   # the embedded text is unchanged
    words_only.apply([(5, dogs_sv), (2, bus_now), (3, library_tagged)], 5)
    waiting = idx.vectors_unembedded()
    assert sorted(waiting) == [2, 5]
    assert "2 practices found by their words only" in idx.dense_status()
    assert "hundgardar" not in _slugs(idx.search("fenced dog parks"))   # no shared word
    assert sorted(_stored_vectors(tmp_path / "ix")) == [1, 3, 4]    # none of an old text
    assert "bibliotek" in _slugs(idx.search("library open without staff"))

    # a newer text than the one listed is not embedded in its place
    before = dense_model.embedded
    assert idx.vectors_complete([dict(dogs_sv, summary="Another text.")]) == []
    assert idx.vectors_complete([dogs_sv, bus_now]) == [2, 5]
    assert dense_model.embedded == before + 2        # the newer text was not embedded
    assert idx.vectors_unembedded() == {}
    assert sorted(_stored_vectors(tmp_path / "ix")) == [1, 2, 3, 4, 5]
    assert "hundgardar" in _slugs(idx.search("fenced dog parks"))
    assert idx.dense_status().startswith("hybrid")

    # a practice listed, then removed by the same kind of process, is not listed any more
    words_only.apply([(6, make_doc(6, slug="ferry", title="Winter ferry"))], 6)
    words_only.apply([(6, None)], 7)
    assert idx.vectors_unembedded() == {}
    idx.close()
    words_only.close()
