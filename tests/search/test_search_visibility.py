"""A network-only practice never shows to people outside the network.

Practice 8 is shared with the "eurocities" network only; its body holds the
unique word "zyxwquartz" and its tag "zyxwquartz tag".
"""

from search import Viewer

MEMBER = Viewer(networks=frozenset({"eurocities"}))
OTHER_NETWORK = Viewer(networks=frozenset({"other-net"}))
MODERATOR = Viewer(see_all=True)


def test_search_and_total_hide_it(built_index, slugs):
    for viewer in (Viewer(), OTHER_NETWORK):
        r = built_index.search("zyxwquartz", viewer=viewer)
        assert r.total == 0 and r.hits == []
        assert built_index.search("", viewer=viewer).total == 7
    assert slugs(built_index.search("zyxwquartz", viewer=MEMBER)) == ["network-secret"]
    assert slugs(built_index.search("zyxwquartz", viewer=MODERATOR)) == ["network-secret"]
    assert built_index.search("", viewer=MEMBER).total == 8


def test_facets_do_not_count_it(built_index):
    r = built_index.search("", viewer=Viewer())
    assert all(f["value"] != "NL" for f in r.facets["country"])
    assert all(f["value"] != "secret-city" for f in r.facets["organization"])
    assert "2023" not in {f["value"] for f in r.facets["started"]}
    heat = built_index.search("heat", viewer=Viewer())
    assert heat.total == 0 and all(not v for v in heat.facets.values())
    member = built_index.search("", viewer=MEMBER)
    assert {"value": "NL", "count": 1, "selected": False} in member.facets["country"]
    # filtering on its value does not reveal it either
    assert built_index.search("", filters={"country": ["NL"]}).total == 0


def test_autocomplete_hides_it(built_index):
    for prefix in ("zyxw", "members", "secret"):
        assert built_index.autocomplete(prefix) == []
        assert built_index.autocomplete(prefix, viewer=OTHER_NETWORK) == []
    assert {i["kind"] for i in built_index.autocomplete("zyxw", viewer=MEMBER)} == {"tag"}
    assert built_index.autocomplete("members", viewer=MEMBER)[0]["slug"] == "network-secret"
    assert built_index.autocomplete("secret", viewer=MEMBER)[0]["kind"] == "organization"


def test_suggestion_is_built_from_visible_words_only(built_index):
    # one letter off the hidden word: no suggestion for the public ...
    assert built_index.search("zyxwquarts").suggestion is None
    # ... but members are offered it
    assert built_index.search("zyxwquarts", viewer=MEMBER).suggestion == "zyxwquartz"


def test_similar_never_returns_it(built_index, slugs):
    text = ("Members-only heat plan", "Heat wave plan", "zyxwquartz method cools schools "
            "during heat waves", "en")
    assert "network-secret" not in slugs(built_index.similar_to_text(*text))
    assert "network-secret" in slugs(built_index.similar_to_text(*text, viewer=MEMBER))
    for pid in range(1, 8):
        assert "network-secret" not in slugs(built_index.similar(pid))
    # asking for practices similar to the hidden one reveals nothing either
    assert built_index.similar(8) == []
