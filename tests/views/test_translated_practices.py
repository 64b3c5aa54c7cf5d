"""Readers see a practice's title and summary in their language when the contributor
translated them, labelled, with the original one click away; the API gives both."""

from __future__ import annotations

import pytest

from kb.services.identity import SYSTEM
from kb.services.practices import practice_import

SOLBY = """\
---
title: Medborgarbudget för pensionärer
summary: Äldre i Solby bestämmer själva hur en del av budgeten används.
language: sv
organization: Solby (fiktiv exempelkommun)
country: SE
themes: [citizen-participation]
stage: pilot
evidence: anecdotal
translations:
  en: {title: Participatory budget for pensioners, summary: Older people in Solby decide how a part of the budget is spent.}
  fi: {title: Osallistuva budjetointi eläkeläisille, summary: Solbyn ikäihmiset päättävät itse osasta budjettia.}
---
## Utmaning

Äldre deltog sällan. Kodord skogsmulle.
"""


def head(html: str) -> str:
    """The practice page's own header: title, summary and the translation note."""
    return html.split('<header class="practice-head"')[1].split("</header>")[0]


@pytest.fixture
def translated(app):
    with app.app_context():
        practice_import(SYSTEM, SOLBY, "solby-pensionarer.md")
    return "/practices/solby-pensionarer"


def test_practice_page_in_finnish_shows_the_translation_labelled(client, translated):
    html = client.get(translated + "?lang=fi").get_data(as_text=True)
    assert "<h1>Osallistuva budjetointi eläkeläisille</h1>" in html
    assert "Solbyn ikäihmiset päättävät itse osasta budjettia." in html
    assert '<header class="practice-head" lang="fi">' in html
    # labelled in Finnish with the original language's name, the original one click away
    assert "Tekijän käännös (alkuperäinen kieli: ruotsi)" in head(html)
    assert f'href="{translated}?lang=fi&amp;original=1"' in head(html)
    original = client.get(translated + "?lang=fi&original=1").get_data(as_text=True)
    assert "<h1>Medborgarbudget för pensionärer</h1>" in original
    assert '<header class="practice-head" lang="sv">' in original
    assert "Osallistuva budjetointi eläkeläisille" not in original
    # and back to the translation
    assert f'href="{translated}?lang=fi">Näytä käännös</a>' in head(original)


def test_practice_page_in_english_labels_the_translation(client, translated):
    html = client.get(translated + "?lang=en").get_data(as_text=True)
    assert "<h1>Participatory budget for pensioners</h1>" in html
    assert "Translated from Swedish by the contributor" in html
    assert "Show the original" in html


def test_practice_page_in_the_documents_own_language_shows_the_original(client, translated):
    html = client.get(translated + "?lang=sv").get_data(as_text=True)
    assert "<h1>Medborgarbudget för pensionärer</h1>" in html
    assert "translation-note" not in head(html)


def test_cards_show_the_translation_with_the_original_in_a_details(client, translated):
    html = client.get("/practices?theme=citizen-participation&lang=en").get_data(as_text=True)
    card = html.split('href="/practices/solby-pensionarer"')[1].split("</article>")[0]
    assert ">Participatory budget for pensioners</a>" in card
    assert "Older people in Solby decide" in card
    assert "<summary>Translated from Swedish by the contributor</summary>" in card
    assert '<p lang="sv"><span class="original-title">Medborgarbudget för pensionärer</span>' \
        in card


def test_search_results_show_the_translation(client, translated):
    html = client.get("/search?q=skogsmulle&lang=en").get_data(as_text=True)
    hit = html.split('class="hits"')[1].split("</li>")[0]
    assert ">Participatory budget for pensioners</a>" in hit
    assert "Translated from Swedish by the contributor" in hit
    assert 'class="snippet" lang="sv"' in hit


def test_search_finds_the_swedish_practice_by_its_english_translation(client, translated):
    data = client.get("/api/v1/search?q=pensioners").get_json()
    assert [h["slug"] for h in data["hits"]] == ["solby-pensionarer"]
    assert data["hits"][0]["title"] == "Medborgarbudget för pensionärer"
    assert data["hits"][0]["translations"]["en"]["title"] == "Participatory budget for pensioners"


def test_api_returns_the_original_and_the_translations(client, translated):
    data = client.get("/api/v1/practices/solby-pensionarer").get_json()
    assert data["title"] == "Medborgarbudget för pensionärer"
    assert data["language"] == "sv"
    assert data["translations"] == {
        "en": {"title": "Participatory budget for pensioners",
               "summary": "Older people in Solby decide how a part of the budget is spent."},
        "fi": {"title": "Osallistuva budjetointi eläkeläisille",
               "summary": "Solbyn ikäihmiset päättävät itse osasta budjettia."}}
    items = client.get("/api/v1/practices?theme=citizen-participation").get_json()["items"]
    card = next(i for i in items if i["slug"] == "solby-pensionarer")
    assert card["title"] == "Medborgarbudget för pensionärer"
    assert card["translations"]["fi"]["title"] == "Osallistuva budjetointi eläkeläisille"


def test_a_practice_without_translations_is_shown_as_before(client):
    html = client.get("/practices/riverton-flood-wardens?lang=fi").get_data(as_text=True)
    assert "<h1>Volunteer flood wardens</h1>" in html
    assert "translation-note" not in html


def test_bundled_swedish_practice_is_found_by_its_english_translation(make_app):
    from kb.config import REPO_ROOT

    client = make_app(SEED_DIR=str(REPO_ROOT / "practices")).test_client()
    hits = client.get("/api/v1/search?q=green+bonds").get_json()["hits"]
    assert hits[0]["slug"] == "goteborg-grona-obligationer"
    assert hits[0]["language"] == "sv"
    html = client.get("/search?q=green+bonds&lang=en").get_data(as_text=True)
    first = html.split('class="hits"')[1].split("</li>")[0]
    assert ">Green bonds for the city&#39;s environmental investments in Gothenburg</a>" in first
    assert "Translated from Swedish by the contributor" in first


def test_bundled_adaptation_names_its_original_in_the_readers_language(make_app):
    from kb.config import REPO_ROOT

    client = make_app(SEED_DIR=str(REPO_ROOT / "practices")).test_client()
    html = client.get("/practices/villaejemplo-presupuesto-participativo-joven?lang=en"
                      ).get_data(as_text=True)
    assert "<h1>Youth participatory budget inspired by the Paris model (fictional example)</h1>" \
        in html
    assert 'lang="en">Paris participatory budget – residents decide on a share of the ' \
           'investment budget</a>' in html
    html = client.get("/themes/citizen-participation?lang=fi").get_data(as_text=True)
    assert ">My Neighbourhood – vuosittainen osallistuva budjetointi verkossa Reykjavíkissa</a>" \
        in html
