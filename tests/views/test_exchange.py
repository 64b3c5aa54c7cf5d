"""The exchange pages on the bundled knowledge base: real numbers, charts with tables, CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from kb.config import REPO_ROOT
from tests.auth_helpers import post

WATER = ["rotterdam-water-square-benthemplein", "musterstadt-wasserplatz-schulhof",
         "lakeside-street-water-squares"]


@pytest.fixture
def bundled(make_app):
    return make_app(SEED_DIR=str(REPO_ROOT / "practices"))


@pytest.fixture
def client(bundled):
    return bundled.test_client()


@pytest.fixture
def make_user(bundled):
    """Accounts in the bundled app (the shared make_user fixture builds its own app)."""
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import membership_add

    def factory(email, orgs=None):
        with bundled.app_context():
            user = user_create(SYSTEM, email, email.split("@")[0], "correct horse battery",
                               "none")
            for slug, role in (orgs or {}).items():
                membership_add(SYSTEM, slug, email, role)
            return user.id

    return factory


def rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def charts_have_tables(html: str) -> None:
    """Every SVG chart is followed by a table with its numbers and a CSV link."""
    figures = re.findall(r'<figure class="chart[^"]*".*?</figure>', html, re.S)
    assert figures
    for figure in figures:
        if "<svg" not in figure:
            continue
        assert "<title" in figure and "<desc" in figure
        assert figure.index("<svg") < figure.index("<table")
        assert '<th scope="col">' in figure


def test_practice_page_shows_the_lineage_tree_and_the_comparison(client):
    html = client.get(f"/practices/{WATER[1]}").get_data(as_text=True)
    assert "Lineage tree" in html
    assert 'aria-current="page">Wasserplätze' in html or 'aria-current="page">' in html
    for slug in WATER:
        assert f'/practices/{slug}"' in html
    assert "Outcome comparison" in html
    assert "Überflutungsmeldungen im angrenzenden Straßenzug bei Starkregen" in html
    assert "Combined storage of the four pocket basins" in html
    assert "−83%" in html or "-83%" in html  # 6 -> 1 reports a year in Musterstadt
    assert 'When is a practice marked "replicated"' in html or "replicated" in html
    assert f"/practices/{WATER[1]}/comparison.csv" in html
    # the bundled lineage names its indicators in three languages; the adaptations declare
    # (`matches`) that their storage volumes measure the original's storage capacity
    shared = html.split("Indicators reported by one practice of the lineage only")[0]
    assert "Stormwater storage capacity of the three basins" in shared
    assert "No indicator is reported by more than one practice" not in html


def test_original_page_shows_adapted_by_and_the_comparison(client):
    html = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    assert "Adapted by 1 city or region" in html
    assert "Musterstadt" in html and "Outcome comparison" in html


def test_comparison_csv_has_every_city_of_the_lineage(client):
    response = client.get(f"/practices/{WATER[2]}/comparison.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    table = rows(response)
    assert table[0][:3] == ["indicator", "unit", "practice"]
    assert {r[2] for r in table[1:]} == set(WATER)
    musterstadt = next(r for r in table if r[5].startswith("Überflutungsmeldungen"))
    assert musterstadt[6:9] == ["6", "1", "-0.8333"]


def test_dashboard_renders_real_numbers_with_tables_and_csv(client):
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for title in ("Practices by theme", "Practices by country", "Practices by stage",
                  "Practices by evidence", "Activity over time", "Most adapted practices",
                  "Reported outcomes"):
        assert title in html
    charts_have_tables(html)
    assert "https://" not in re.sub(r'xmlns="[^"]+"', "", "".join(
        re.findall(r"<svg.*?</svg>", html, re.S)))  # nothing fetched from elsewhere
    countries = rows(client.get("/dashboard/countries.csv"))
    counts = {r[0]: int(r[1]) for r in countries[1:]}
    assert counts["FI"] >= 8 and counts["SE"] >= 4  # real practices only
    themes = rows(client.get("/dashboard/themes.csv"))
    assert themes[0] == ["theme", "Practices"] and len(themes) > 5
    # every bundled adaptation involves a fictional example: none is counted
    assert rows(client.get("/dashboard/most-adapted.csv")) == [["text", "Adaptations"]]
    outcomes = rows(client.get("/dashboard/outcomes.csv"))
    assert int(outcomes[1][1]) > 10  # outcome rows that improved
    # key figures first, examples named as left out, tables folded under the charts
    assert html.index('class="stats key-figures"') < html.index('<figure class="chart"')
    assert re.search(r"\d+ fictional examples are not counted", html)
    assert html.count("<details") == html.count("<table")
    # everything was published this month: no lonely month is drawn
    activity = re.search(r'<figure class="chart" id="chart-activity">.*?</figure>', html, re.S)
    assert "<svg" not in activity.group(0) and "Not enough data yet" in activity.group(0)
    assert client.get("/dashboard/nope.csv").status_code == 404


def test_adaptation_map_draws_every_bundled_adaptation(client):
    response = client.get("/dashboard/map")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('marker-end="url(#arrow)"') == 6
    assert "<title>Municipality of Rotterdam (NL)" in html
    edges = rows(client.get("/dashboard/map.csv"))
    assert ["Municipality of Rotterdam", "Musterstadt (fiktive Beispielstadt)",
            "rotterdam-water-square-benthemplein", "musterstadt-wasserplatz-schulhof"] in edges


def test_cities_like_mine_for_a_chosen_organization(client):
    html = client.get("/cities-like-mine?organization=esimerkkila-kuvitteellinen-esimerkkikaupunki"
                      ).get_data(as_text=True)
    assert "Context of Esimerkkilä" in html
    assert "same country" in html
    assert "How the score is made" in html
    assert client.get("/cities-like-mine").status_code == 200
    assert client.get("/cities-like-mine?organization=nowhere").status_code == 404


def test_network_dashboard_with_bundled_members(bundled, client):
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create

    with bundled.app_context():
        network_create(SYSTEM, "Water squares", "water-squares")
        network_add_member(SYSTEM, "water-squares", "municipality-of-rotterdam")
        network_add_member(SYSTEM, "water-squares", "musterstadt-fiktive-beispielstadt")
    html = client.get("/networks/water-squares/dashboard").get_data(as_text=True)
    assert "Dashboard of Water squares" in html
    assert "Practices contributed" in html and "Municipality of Rotterdam" in html
    charts_have_tables(html)
    adaptations = rows(client.get("/networks/water-squares/dashboard/adaptations.csv"))
    # both adaptations of Rotterdam's square are fictional examples: not counted
    assert adaptations[1:] == [["Inside the network", "0"],
                               ["With other networks and cities", "0"]]
    assert "Improvements reported by the network" in html
    assert client.get("/networks/nope/dashboard").status_code == 404


def test_home_shows_cities_like_mine_when_signed_in(bundled, client, make_user):
    make_user("ana@esimerkkila.example",
              orgs={"esimerkkila-kuvitteellinen-esimerkkikaupunki": "contributor"})
    anonymous = client.get("/").get_data(as_text=True)
    assert "From cities like" not in anonymous
    post(client, "/login", {"email": "ana@esimerkkila.example",
                            "password": "correct horse battery"})
    html = client.get("/").get_data(as_text=True)
    assert "From cities like Esimerkkilä" in html
    # the panel is the reader's own; the rest of the page is the part kept for everyone
    newest = re.compile(r'<section aria-labelledby="newest-title">.*?</section>', re.S)
    assert newest.search(html).group(0) == newest.search(anonymous).group(0)


def test_adapt_button_creates_a_draft_and_opens_the_editor(bundled, client, make_user):
    make_user("ana@esimerkkila.example",
              orgs={"esimerkkila-kuvitteellinen-esimerkkikaupunki": "contributor"})
    page = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    assert "Adapt this practice" not in page  # not for anonymous readers
    post(client, "/login", {"email": "ana@esimerkkila.example",
                            "password": "correct horse battery"})
    page = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    assert "Adapt this practice for Esimerkkilä" in page
    response = post(client, f"/practices/{WATER[0]}/adapt",
                    {"organization": "esimerkkila-kuvitteellinen-esimerkkikaupunki"},
                    token_from=f"/practices/{WATER[0]}")
    assert response.status_code == 302
    assert response.location.endswith("/edit")
    editor = client.get(response.location).get_data(as_text=True)
    assert f'name="adapted_from" value="{WATER[0]}"' in editor
    assert "What you kept" in editor


def test_contact_form_is_for_signed_in_readers_and_rate_limited(bundled, client, make_user):
    html = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    assert "contact-message" not in html
    assert client.post(f"/practices/{WATER[0]}/contact", data={}).status_code in (302, 400)
    make_user("asker@kb.example")
    post(client, "/login", {"email": "asker@kb.example", "password": "correct horse battery"})
    html = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    assert "contact-message" in html
    assert "@" not in re.sub(r'(asker@kb\.example)', "", re.search(
        r'<section aria-labelledby="contact-title".*?</section>', html, re.S).group(0))


def test_indicator_mapping_form_for_the_author(bundled, client, make_user):
    make_user("m@musterstadt.example",
              orgs={"musterstadt-fiktive-beispielstadt": "contributor"})
    post(client, "/login", {"email": "m@musterstadt.example",
                            "password": "correct horse battery"})
    url = f"/practices/{WATER[1]}"
    html = client.get(url).get_data(as_text=True)
    assert "Map your indicators" in html
    key = "rückhaltevolumen der mulden|m3"
    target = "stormwater storage capacity of the three basins|m3"
    response = post(client, f"{url}/indicators", {"indicator": key, "target": target},
                    token_from=url)
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert 'data-indicator="stormwater storage capacity of the three basins|m3"' in html
    charts_have_tables(html)
    assert "(mapped)" in html
    table = rows(client.get(f"{url}/comparison.csv"))
    mapped = [r for r in table if r[0] == "Stormwater storage capacity of the three basins"]
    # Lakeside's basins map to Musterstadt's indicator, which now maps to Rotterdam's
    assert {r[2] for r in mapped} == set(WATER)


def test_search_page_filters_and_sorts_by_replicated(bundled, client):
    from kb.services.identity import SYSTEM
    from kb.services.practices import practice_import

    with bundled.app_context():
        for n, town in enumerate(("Northbrook", "Southbrook")):
            practice_import(SYSTEM, f"""---
slug: {town.lower()}-water-square
title: {town} water square
summary: A constructed adaptation that reports an improvement.
language: en
organization: {town} City (fictional example)
country: GB
themes: [water]
stage: pilot
evidence: monitored
outcomes:
  - {{indicator: Stormwater storage capacity of the three basins, unit: m3, baseline: 0, result: {100 + n}, better: higher}}
adapted_from: rotterdam-water-square-benthemplein
---
Text.
""")
    html = client.get("/search?replicated=yes").get_data(as_text=True)
    assert "1 practice found" in html
    assert "Water square Benthemplein" in html
    assert "Improved in two or more adapting cities" in html
    html = client.get("/search?sort=replicated").get_data(as_text=True)
    assert 'value="replicated" selected' in html
    first = re.search(r'<ol class="hits".*?<a href="/practices/([^"]+)"', html, re.S).group(1)
    assert first == "rotterdam-water-square-benthemplein"
    page = client.get("/practices/rotterdam-water-square-benthemplein").get_data(as_text=True)
    assert 'class="badge replicated"' in page


def test_bundled_lineage_compares_indicators_matched_across_languages(make_app):
    from kb.config import REPO_ROOT

    client = make_app(SEED_DIR=str(REPO_ROOT / "practices")).test_client()
    html = client.get("/practices/rotterdam-water-square-benthemplein").get_data(as_text=True)
    comparison = html.split("Outcome comparison", 1)[1]
    # Musterstadt's "Rückhaltevolumen der Mulden" and Lakeside's pocket basins are declared
    # (`matches`) as the same indicator as Rotterdam's storage capacity
    shared = comparison.split("Indicators reported by one practice", 1)[0]
    assert "1,800" in shared and "220" in shared and "140" in shared
    assert "<svg" in shared and "<table" in shared


# ------------------------------------------------------- pages read prepared data


@pytest.fixture
def sql_while_rendering(bundled):
    """The SQL statements run while templates render (after the page's service returned)."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    engine = bundled.extensions["kb.db"].engine
    state = {"rendering": 0, "statements": []}

    def start(_app, **_kw):
        state["rendering"] += 1

    def stop(_app, **_kw):
        state["rendering"] -= 1

    def count(_conn, _cursor, statement, *_args):
        if state["rendering"]:
            state["statements"].append(statement)

    before_render_template.connect(start, bundled)
    template_rendered.connect(stop, bundled)
    event.listen(engine, "before_cursor_execute", count)
    yield state["statements"]
    event.remove(engine, "before_cursor_execute", count)
    before_render_template.disconnect(start, bundled)
    template_rendered.disconnect(stop, bundled)


def test_practice_and_home_templates_read_the_page_result_only(client, make_user,
                                                                sql_while_rendering):
    """The templates format the one result their page's service returned: rendering them
    runs no query (no service called from a template, no lazy loading)."""
    make_user("ana@esimerkkila.example",
              orgs={"esimerkkila-kuvitteellinen-esimerkkikaupunki": "contributor"})
    post(client, "/login", {"email": "ana@esimerkkila.example",
                            "password": "correct horse battery"})
    sql_while_rendering.clear()
    page = client.get(f"/practices/{WATER[1]}").get_data(as_text=True)
    assert "Lineage tree" in page and "Adapt this practice for Esimerkkilä" in page
    assert "Follow this practice" in page
    home = client.get("/").get_data(as_text=True)
    assert "From cities like Esimerkkilä" in home
    assert sql_while_rendering == []


def test_a_person_in_two_organizations_chooses_one_by_a_whole_label(bundled, client,
                                                                    make_user):
    make_user("two@kb.example", orgs={"esimerkkila-kuvitteellinen-esimerkkikaupunki":
                                      "contributor", "helsingin-kaupunki": "contributor"})
    post(client, "/login", {"email": "two@kb.example", "password": "correct horse battery"})
    client.set_cookie("lang", "sv")
    page = client.get(f"/practices/{WATER[0]}").get_data(as_text=True)
    # a label of its own, not half a sentence that the drop-down finishes
    assert '<label for="adapt-organization">Organisation som anpassar arbetssättet</label>' \
        in page


def test_the_comparison_chart_names_every_city_in_full_and_charts_relative_change(make_app):
    from kb.services.identity import SYSTEM
    from kb.services.practices import practice_import
    from tests.services.test_exchange import doc

    app = make_app()
    long_name = "Municipality of Very-Long-Named Lakeside Settlement upon the River Thames"
    with app.app_context():
        practice_import(SYSTEM, doc("cmp-origin", "City of Bigport", population=600000,
                                    outcomes=[("Flooded basements", "count", 1200, 300,
                                               "lower")]))
        practice_import(SYSTEM, doc("cmp-copy", long_name, population=20000,
                                    adapted_from="cmp-origin",
                                    outcomes=[("Flooded basements", "count", 60, 70,
                                               "lower")]))
    client = app.test_client()
    html = client.get("/practices/cmp-copy").get_data(as_text=True)
    svg = re.search(r'<svg class="bar-chart comparison-chart".*?</svg>', html, re.S).group(0)
    text = " ".join(re.sub(r"<[^>]+>", " ", svg).split())
    assert long_name.split()[0] in text and "Thames" in text and "…" not in text
    for panel in ("Baseline and result", "Relative change", "Per 1,000 inhabitants"):
        assert panel in text
    assert "−75%" in text or "-75%" in text
    api = client.get("/api/v1/practices/cmp-copy/comparison").get_json()
    rows = api["indicators"][0]["rows"]
    assert [r["relative_change"] for r in rows] == [-0.75, pytest.approx(1 / 6)]
    assert [r["result_per_1000"] for r in rows] == [0.5, 3.5]
    assert client.get("/api/v1/practices/nope/comparison").status_code == 404


def test_fictional_examples_are_labelled_in_the_lineage_and_the_comparison(client):
    html = client.get("/practices/rotterdam-water-square-benthemplein").get_data(as_text=True)
    tree = html.split('<ul class="tree">', 1)[1].split("</ul>", 1)[0]
    musterstadt = next(li for li in tree.split("<li>") if "Musterstadt" in li)
    assert "Fictional example" in musterstadt
    svg = re.search(r'<svg class="bar-chart comparison-chart".*?</svg>', html, re.S).group(0)
    assert "Musterstadt (fiktive Beispielstadt) · Fictional example" in svg
