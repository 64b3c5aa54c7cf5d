"""A practice's translated title and summary are searched in their own language."""

from __future__ import annotations

from search import SearchIndex
from tests.search.conftest import make_doc, practices

SKYFALL_EN = {"title": "Cloudburst plan for Gothenburg",
              "summary": "Gothenburg prepares for flooding."}


def _index(tmp_path, docs) -> SearchIndex:
    idx = SearchIndex(str(tmp_path / "index"), lock_timeout=1.0)
    idx.rebuild(docs, len(docs))
    return idx


def test_a_swedish_practice_is_found_by_its_english_translation(tmp_path, slugs):
    docs = [d if d["id"] != 3 else {**d, "translations": {"en": SKYFALL_EN}}
            for d in practices()]
    idx = _index(tmp_path, docs)
    try:
        # English stemming: "cloudbursts" meets "cloudburst", "floods" meets "flooding"
        assert slugs(idx.search("cloudbursts")) == ["skyfall-goteborg"]
        assert "skyfall-goteborg" in slugs(idx.search("floods gothenburg"))
        hit = idx.search("cloudburst").hits[0]
        assert hit.title == "Skyfallsplan för Göteborg"   # the original stays the title
        assert hit.translations == {"en": SKYFALL_EN}
    finally:
        idx.close()


def test_without_the_translation_the_english_words_find_nothing(tmp_path, slugs):
    idx = _index(tmp_path, practices())
    try:
        assert slugs(idx.search("cloudbursts")) == []
    finally:
        idx.close()


def test_a_language_present_only_through_translations_is_searched(tmp_path, slugs):
    # no practice is written in English: the English fields still take the query
    docs = [make_doc(1, slug="skyfall", title="Skyfallsplan", summary="Översvämningar.",
                     language="sv", body="Staden kartlade skyfall.",
                     translations={"en": SKYFALL_EN}),
            make_doc(2, slug="tulvat", title="Tulvat", summary="Pori varautuu tulviin.",
                     language="fi", body="Penkereet.")]
    idx = _index(tmp_path, docs)
    try:
        assert slugs(idx.search("cloudbursts")) == ["skyfall"]
    finally:
        idx.close()


def test_a_translation_in_the_documents_language_set_adds_to_it(tmp_path, slugs):
    # Finnish practice with an English and a second-language translation
    docs = [make_doc(1, slug="tulvat", title="Tulvariskit", summary="Pori varautuu tulviin.",
                     language="fi", body="Penkereet.",
                     translations={"en": {"title": "Flood risks", "summary": "Pori dykes"},
                                   "sv": {"title": "Översvämningsrisker",
                                          "summary": "Pori bygger vallar"}}),
            make_doc(2, slug="other", title="Other practice", summary="Nothing", body="x")]
    idx = _index(tmp_path, docs)
    try:
        assert slugs(idx.search("vallar")) == ["tulvat"]
        assert slugs(idx.search("risk")) == ["tulvat"]
        assert slugs(idx.search("tulvariskit")) == ["tulvat"]
    finally:
        idx.close()
