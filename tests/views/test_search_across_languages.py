"""An official searching in English finds practices written in other languages,
sees which translations were searched, and can turn them off."""

from html import unescape


def _slugs(data):
    return [h["slug"] for h in data["hits"]]


def test_an_english_query_finds_a_swedish_practice_and_says_what_it_also_searched(client):
    page = client.get("/search", query_string={"q": "participatory budgeting"})
    text = unescape(page.get_data(as_text=True))
    assert "/practices/solby-medborgarbudget" in text
    assert "Also searched:" in text and "medborgarbudget" in text
    assert "expand=0" in text                      # the "only in my language" link


def test_only_in_my_language_searches_the_words_as_typed(client):
    text = unescape(client.get("/search", query_string={"q": "building permit"})
                    .get_data(as_text=True))
    assert "/practices/jarvela-sahkoinen-rakennuslupa" in text
    page = client.get("/search", query_string={"q": "building permit", "expand": "0"})
    text = unescape(page.get_data(as_text=True))
    assert "/practices/jarvela-sahkoinen-rakennuslupa" not in text
    assert "Also searched:" not in text
    assert "Search in every language" in text


def test_the_api_lists_the_translations_and_honours_expand_0(client):
    data = client.get("/api/v1/search", query_string={"q": "building permit"}).get_json()
    assert "jarvela-sahkoinen-rakennuslupa" in _slugs(data)
    assert "rakennuslupa" in data["expanded"]
    data = client.get("/api/v1/search",
                      query_string={"q": "building permit", "expand": "0"}).get_json()
    assert "jarvela-sahkoinen-rakennuslupa" not in _slugs(data)
    assert data["expanded"] == []


def test_translations_never_reveal_a_network_only_practice(client):
    # "joint procurement" is "gemeinsame Beschaffung": the German practice is network-only
    data = client.get("/api/v1/search", query_string={"q": "joint procurement"}).get_json()
    assert "netzwerk-intern" not in _slugs(data)
    assert data["total"] == len(data["hits"])
    assert all(f["value"] != "de" for f in data["facets"].get("language", []))
