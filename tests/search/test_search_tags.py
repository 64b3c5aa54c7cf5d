"""Tags inside the index: the public facet, and a network's private tags counted and
filtered for that network's members only."""

from __future__ import annotations

from search import Viewer

from conftest import make_doc

ALPINE = Viewer(networks=frozenset({"alpine-towns"}))


def _index(index):
    index.rebuild([
        make_doc(1, tags=["housing first"], tag_keys=["housing first"],
                 network_tags=["alpine-towns:shortlist-2027"]),
        make_doc(2, tags=["Housing First", "floods"], tag_keys=["housing first", "floods"]),
        make_doc(3, network_tags=["baltic:shortlist-2027"]),
    ], last_change_id=1)
    return index


def _facet(results):
    return {f["value"]: f["count"] for f in results.facets["tag"]}


def test_public_tags_are_a_facet_and_a_filter(index):
    _index(index)
    assert _facet(index.search("")) == {"housing_first": 2, "floods": 1}
    assert index.search("", {"tag": ["housing first"]}).total == 2
    assert index.search('"housing first"').total == 2


def test_a_networks_private_tags_count_for_its_members_only(index):
    _index(index)
    for outsider in (Viewer(), Viewer(networks=frozenset({"other"}))):
        assert "shortlist-2027" not in _facet(index.search("", viewer=outsider))
        assert index.search("", {"tag": ["shortlist-2027"]}, viewer=outsider).total == 0
        assert index.search("shortlist", viewer=outsider).total == 0
    assert _facet(index.search("", viewer=ALPINE))["shortlist-2027"] == 1
    assert [h.id for h in index.search("", {"tag": ["shortlist-2027"]}, viewer=ALPINE).hits] == [1]
    everyone = Viewer(see_all=True)
    assert _facet(index.search("", viewer=everyone))["shortlist-2027"] == 2
    assert index.search("", {"tag": ["shortlist-2027"]}, viewer=everyone).total == 2


def test_a_tag_public_and_private_on_one_practice_counts_once(index):
    index.rebuild([make_doc(1, tags=["floods"], tag_keys=["floods"],
                            network_tags=["alpine-towns:floods"])], last_change_id=1)
    assert _facet(index.search("", viewer=ALPINE)) == {"floods": 1}


def _shortlists(index):
    index.rebuild([
        make_doc(1, network_tags=["alpine-towns:shortlist-2027"]),
        make_doc(2, network_tags=["alpine-towns:shortlist 2027"]),
        make_doc(3, network_tags=["baltic:shortlist-2027"]),
        make_doc(4, title="Our 2027 climate plan", body="Targets for 2027."),
    ], last_change_id=1)
    return index


def test_a_networks_members_find_its_private_tags_by_their_words(index):
    _shortlists(index)
    for typed in ("shortlist 2027", "Shortlist-2027", '"shortlist 2027"', "shortlist"):
        found = index.search(typed, viewer=ALPINE)
        # the network's shortlist first, then what the words find in the text
        assert {h.id for h in found.hits[:2]} == {1, 2}, typed
        assert {h.id for h in found.hits[2:]} <= {4} and found.total == len(found.hits)
    assert {h.id for h in index.search("shortlist", viewer=ALPINE).hits} == {1, 2}
    baltic = Viewer(networks=frozenset({"baltic"}))
    assert [h.id for h in index.search("shortlist 2027", viewer=baltic).hits] == [3, 4]
    # words the tag does not hold find nothing through it
    assert index.search("shortlist 2028", viewer=ALPINE).total == 0


def test_a_private_tag_match_comes_first_for_the_members(index):
    _shortlists(index)
    found = index.search("2027", viewer=ALPINE)
    assert {h.id for h in found.hits[:2]} == {1, 2} and [h.id for h in found.hits[2:]] == [4]
    assert found.total == 3 and sum(f["count"] for f in found.facets["language"]) == 3


def test_nobody_else_finds_or_counts_a_practice_by_a_networks_private_tag(index):
    _shortlists(index)
    for outsider in (Viewer(), Viewer(networks=frozenset({"other"}))):
        for typed in ("shortlist 2027", "shortlist", "2027"):
            found = index.search(typed, viewer=outsider)
            assert {h.id for h in found.hits} <= {4}, typed
            assert found.total == len(found.hits)
            assert sum(f["count"] for f in found.facets["language"]) == found.total
            assert "shortlist-2027" not in _facet(found)


def test_members_find_a_private_tag_by_the_words_a_city_typed_before_a_synonym(index):
    index.rebuild([make_doc(1, network_tags=["alpine-towns:shortlist-2027"],
                            network_tag_words=["alpine-towns:kandidat"])], last_change_id=1)
    assert [h.id for h in index.search("kandidat", viewer=ALPINE).hits] == [1]
    assert _facet(index.search("", viewer=ALPINE)) == {"shortlist-2027": 1}
    assert index.search("kandidat", viewer=Viewer()).total == 0
