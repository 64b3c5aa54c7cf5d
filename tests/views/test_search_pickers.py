"""Long search filters (themes, countries) get a filter box. The page carries only their most
frequent values; the box fetches the others for the same search, and without JavaScript the
"more" link still lists them all."""

from __future__ import annotations

import html as html_lib
import re

from kb.views.search_views import FACET_TOP, facets_to_show
from tests.conftest import BUNDLED_PRACTICES


def _values(n, selected=()):
    return [{"value": f"v{i}", "count": 100 - i, "selected": f"v{i}" in selected}
            for i in range(n)]


def test_a_long_facet_shows_its_top_and_selected_values_and_counts_the_others():
    shown, more = facets_to_show({"theme": _values(20, selected={"v15"})}, None)["theme"]
    assert [v["value"] for v in shown] == [f"v{i}" for i in range(FACET_TOP)] + ["v15"]
    assert more == 20 - FACET_TOP - 1 and not any(v.get("overflow") for v in shown)
    shown, more = facets_to_show({"theme": _values(20)}, "theme")["theme"]
    assert more == 0 and len(shown) == 20


def test_all_of_one_facet_lists_every_value_with_the_rare_ones_hidden():
    shown, more = facets_to_show({"theme": _values(20, selected={"v15"})}, None,
                                 all_of="theme")["theme"]
    assert [v["value"] for v in shown] == [f"v{i}" for i in range(20)]
    hidden = {v["value"] for v in shown if v.get("overflow")}
    assert hidden == {f"v{i}" for i in range(FACET_TOP, 20)} - {"v15"}


def _fieldset(html, name):
    found = re.search(rf'<div id="facet-{name}">(.*?)</fieldset>', html, re.S)
    assert found, f"the {name} facet has no filter box"
    return found


def test_the_country_filter_box_fetches_the_rarer_values_for_the_same_search(make_app):
    client = make_app(SEED_DIR=str(BUNDLED_PRACTICES)).test_client()
    html = client.get("/search?lang=fi&sort=newest").get_data(as_text=True)
    countries = _fieldset(html, "country")
    page_values = re.findall(r'name="country" value="(\w+)"', countries.group(1))
    assert len(page_values) == FACET_TOP and "data-overflow" not in countries.group(1)
    assert 'class="facet-more"' in countries.group(0)
    source = re.search(r'data-picker-filter="facet-country" data-picker-source="([^"]+)"', html)
    assert source, "the box does not say where the other countries are"
    url = html_lib.unescape(source.group(1))
    assert url.startswith("/search/facet/country?") and "sort=newest" in url

    fetched = client.get(url)
    assert fetched.status_code == 200
    part = fetched.get_data(as_text=True)
    every = re.findall(r'name="country" value="(\w+)"', part)
    assert every[:FACET_TOP] == page_values and len(every) > FACET_TOP
    assert len(re.findall(r"data-overflow hidden", part)) == len(every) - FACET_TOP
    # the values of the search asked for, not of the whole knowledge base
    narrowed = client.get("/search/facet/country?stage=scaled").get_data(as_text=True)
    assert 0 < len(re.findall(r'name="country"', narrowed)) < len(every)
    # Estonia can be found by its Finnish name
    m = re.search(r'<div class="check" data-terms="([^"]*)" data-overflow hidden>\s*'
                  r'<input type="checkbox" id="f-country-\d+" name="country" value="EE"',
                  part)
    assert m and "viro" in m.group(1).split(" | ")


def test_the_theme_filter_box_finds_themes_in_every_language(make_app):
    client = make_app(SEED_DIR=str(BUNDLED_PRACTICES)).test_client()
    html = client.get("/search?lang=fi").get_data(as_text=True)
    _fieldset(html, "theme")
    assert '<label for="facet-theme-filter">Etsi teema</label>' in html
    part = client.get("/search/facet/theme?lang=fi").get_data(as_text=True)
    m = re.search(r'<div class="check" data-terms="([^"]*)">\s*<input type="checkbox" '
                  r'id="f-theme-\d+" name="theme" value="mobility"', html + part)
    assert m and {"mobility", "liikkuminen", "mobilitet"} == set(m.group(1).split(" | "))


def test_only_long_facets_can_be_fetched(make_app):
    client = make_app(SEED_DIR=str(BUNDLED_PRACTICES)).test_client()
    assert client.get("/search/facet/organization").status_code == 404
    assert client.get("/search/facet/nothing").status_code == 404
