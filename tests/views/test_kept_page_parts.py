"""Search-result cards and dashboard charts are rendered once per worker and language
(kb.views.fragments): the kept HTML is what a fresh rendering gives, and a changed practice
or another language never gets an old part."""

from __future__ import annotations

import re

from kb.services.identity import SYSTEM
from kb.services.practices import practice_import

DOC = """\
---
title: {title}
summary: Residents of Ostervik report potholes with a photo and see when they are fixed.
language: en
organization: Ostervik (fictional example town)
country: SE
themes: [citizen-participation]
stage: pilot
evidence: anecdotal
tags: [potholes]
---
## Challenge

Reports by phone were lost. Codeword quillwort.
"""


def _hits(html: str) -> str:
    found = re.search(r'<ol class="hits".*?</ol>', html, re.S)
    assert found, "no results list"
    return found.group(0)


def _filters(html: str) -> str:
    found = re.search(r'<form class="filters".*?</form>', html, re.S)
    assert found, "no filters"
    return found.group(0)


def _import(app, title):
    with app.app_context():
        outcome = practice_import(SYSTEM, DOC.format(title=title), "ostervik-potholes.md")
        assert outcome.action in ("created", "updated")


def test_kept_cards_are_the_cards_a_fresh_rendering_gives(make_app):
    kept = make_app()
    fresh = make_app(FRAGMENT_CACHE_SIZE=0)
    for app in (kept, fresh):
        _import(app, "Pothole reports with a photo")
    first = kept.test_client().get("/search?q=quillwort").get_data(as_text=True)
    cache = kept.extensions["kb_fragments"]
    assert cache.misses == 3 and cache.hits == 0  # the card's head and tags, the facets
    second = kept.test_client().get("/search?q=quillwort").get_data(as_text=True)
    assert cache.hits == 3
    other = fresh.test_client().get("/search?q=quillwort").get_data(as_text=True)
    assert _hits(first) == _hits(second) == _hits(other)
    assert "Pothole reports with a photo" in _hits(first)
    assert _filters(first) == _filters(second) == _filters(other)
    # another search, another sidebar: its own counts and links
    narrowed = kept.test_client().get("/search?q=quillwort&country=SE").get_data(as_text=True)
    assert _filters(narrowed) != _filters(first) and "country=SE" not in _filters(first)
    assert len(fresh.extensions["kb_fragments"]) == 0


def test_a_changed_practice_shows_its_new_card_at_once(app, client):
    _import(app, "Pothole reports with a photo")
    assert "Pothole reports with a photo" in _hits(client.get("/search?q=quillwort").get_data(
        as_text=True))
    _import(app, "Pothole reports fixed within a week")
    hits = _hits(client.get("/search?q=quillwort").get_data(as_text=True))
    assert "Pothole reports fixed within a week" in hits
    assert "Pothole reports with a photo" not in hits


def test_each_interface_language_gets_its_own_card(app, client):
    _import(app, "Pothole reports with a photo")
    english = _hits(client.get("/search?q=quillwort&lang=en").get_data(as_text=True))
    finnish = _hits(client.get("/search?q=quillwort&lang=fi").get_data(as_text=True))
    assert "Sweden" in english and "Ruotsi" in finnish and "Sweden" not in finnish


def test_the_snippet_follows_the_query_under_a_kept_card(app, client):
    _import(app, "Pothole reports with a photo")
    one = _hits(client.get("/search?q=quillwort").get_data(as_text=True))
    two = _hits(client.get("/search?q=phone").get_data(as_text=True))
    assert "<strong" in one or "<mark" in one
    assert re.search(r'class="snippet"[^>]*>.*quillwort', one, re.S | re.I)
    assert not re.search(r'class="snippet"[^>]*>[^<]*quillwort', two, re.I)


def _figures(html: str) -> list[str]:
    return re.findall(r'<figure class="chart".*?</figure>', html, re.S)


def test_kept_dashboard_charts_are_the_charts_a_fresh_rendering_gives(make_app):
    kept = make_app()
    fresh = make_app(FRAGMENT_CACHE_SIZE=0)
    first = kept.test_client().get("/dashboard").get_data(as_text=True)
    charts = len(_figures(first))
    assert charts >= 5 and kept.extensions["kb_fragments"].misses == charts
    second = kept.test_client().get("/dashboard?lang=en").get_data(as_text=True)
    assert kept.extensions["kb_fragments"].hits == charts
    other = fresh.test_client().get("/dashboard").get_data(as_text=True)
    assert _figures(first) == _figures(second) == _figures(other)
    # a new practice changes the theme chart's numbers: a new chart, not the kept one
    _import(kept, "Pothole reports with a photo")
    third = kept.test_client().get("/dashboard").get_data(as_text=True)
    assert _figures(third) != _figures(first)
    finnish = kept.test_client().get("/dashboard?lang=fi").get_data(as_text=True)
    assert "Käytännöt teemoittain" in finnish and "Practices by theme" not in finnish


def _home_main(html: str) -> str:
    found = re.search(r'<main.*?</main>', html, re.S)
    assert found, "no main content"
    return found.group(0)


def test_the_home_page_is_kept_until_the_data_changes(make_app):
    from kb.services.editorial import practice_feature
    from kb.services.identity import SYSTEM

    kept = make_app()
    fresh = make_app(FRAGMENT_CACHE_SIZE=0)
    first = kept.test_client().get("/").get_data(as_text=True)
    cache = kept.extensions["kb_fragments"]
    hits = cache.hits
    second = kept.test_client().get("/").get_data(as_text=True)
    assert cache.hits == hits + 2  # the counts, and the practices with the themes
    assert _home_main(first) == _home_main(second) == _home_main(
        fresh.test_client().get("/").get_data(as_text=True))
    count = re.search(r"(\d+) practices", first)
    assert count, "no practice count on the home page"

    # a new practice is among the newest at once, and counted
    _import(kept, "Pothole reports with a photo")
    after = kept.test_client().get("/").get_data(as_text=True)
    assert "Pothole reports with a photo" in after
    assert f"{int(count.group(1)) + 1} practices" in after
    assert "Featured practices" not in after or "Pothole reports" not in after.split(
        "Featured practices")[1].split("Newest practices")[0]
    # featuring it (a moderator's act) shows it under Featured at the next request
    with kept.app_context():
        practice_feature(SYSTEM, "ostervik-potholes")
    featured = kept.test_client().get("/").get_data(as_text=True)
    assert "Pothole reports with a photo" in featured.split(
        "Featured practices")[1].split("Newest practices")[0]

