"""The `translations` field: the title and summary in other languages."""

from __future__ import annotations

from pathlib import Path

from kb.content import parse_practice, serialize_practice
from tests.content.test_document import VALID, doc, errors_of

FI = "{title: Rakennuslupa yhdeltä luukulta, summary: Luvat 12 päivässä 45 sijaan}"


def test_translations_parse_into_the_practice():
    result = parse_practice(doc(translations=f"{{fi: {FI}}}"), "one-stop-building-permits.md")
    assert result.errors == []
    assert result.practice.translations == {
        "fi": {"title": "Rakennuslupa yhdeltä luukulta",
               "summary": "Luvat 12 päivässä 45 sijaan"}}
    assert "translations" not in result.practice.extra


def test_translations_round_trip():
    text = doc(translations=f"{{fi: {FI}, sv: {{title: Bygglov, summary: 'Lov på 12 dagar'}}}}")
    first = parse_practice(text, "x-permits.md").practice
    again = parse_practice(serialize_practice(first), "x-permits.md")
    assert again.errors == []
    assert again.practice == first
    assert serialize_practice(again.practice) == serialize_practice(first)


def test_documents_without_translations_serialize_as_before():
    practice = parse_practice(VALID, "one-stop-building-permits.md").practice
    assert practice.translations == {}
    assert "translations" not in serialize_practice(practice)


def test_every_bundled_practice_serializes_without_a_translations_key_unless_it_has_one():
    for path in sorted(Path("practices").glob("*.md")):
        practice = parse_practice(path.read_text(encoding="utf-8"), path.name).practice
        assert ("translations:" in serialize_practice(practice)) == bool(practice.translations)


def test_a_translation_needs_title_and_summary_each_named():
    errors = errors_of(doc(translations="{fi: {title: Rakennuslupa}, sv: {summary: Lov}}"))
    assert errors["translations.fi.summary"] == "is required"
    assert errors["translations.sv.title"] == "is required"


def test_translation_lengths_are_limited_like_the_original():
    errors = errors_of(doc(translations=f"{{fi: {{title: '{'t' * 161}', summary: '{'s' * 401}'}}}}"))
    assert "at most 160" in errors["translations.fi.title"]
    assert "at most 400" in errors["translations.fi.summary"]


def test_translation_language_must_be_a_code_other_than_the_documents():
    errors = errors_of(doc(translations=f"{{en: {FI}, xx: {FI}, english: {FI}}}"))
    assert "another language" in errors["translations.en"]
    assert "ISO 639-1" in errors["translations.xx"]
    assert "ISO 639-1" in errors["translations.english"]


def test_norwegian_unquoted_is_explained():
    errors = errors_of(doc(translations=f"{{no: {FI}}}"))
    assert "quotes" in errors["translations.False"]


def test_translations_must_be_a_mapping_of_mappings():
    assert "must be a mapping" in errors_of(doc(translations="[fi, sv]"))["translations"]
    assert "must be a mapping" in errors_of(doc(translations="{fi: Rakennuslupa}"))[
        "translations.fi"]


def test_unknown_keys_in_a_translation_are_warned_and_kept():
    text = doc(translations="{fi: {title: Lupa, summary: Nopeasti, by: Maija}}",
               evidence="anecdotal")
    result = parse_practice(text, "one-stop-building-permits.md")
    assert result.errors == []
    assert [w.field for w in result.warnings] == ["translations.fi.by"]
    assert result.practice.translations["fi"]["by"] == "Maija"
    again = parse_practice(serialize_practice(result.practice), "one-stop-building-permits.md")
    assert again.practice.translations == result.practice.translations
