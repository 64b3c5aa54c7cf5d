"""Long search filters (themes, countries) get a filter box, and their rarer values are in
the page for it to find; without JavaScript the "more" link still lists them all."""

from __future__ import annotations

import re

from kb.views.search_views import FACET_TOP, facets_to_show
from tests.conftest import BUNDLED_PRACTICES


def _values(n, selected=()):
    return [{"value": f"v{i}", "count": 100 - i, "selected": f"v{i}" in selected}
            for i in range(n)]


def test_a_long_theme_facet_lists_every_value_with_the_rare_ones_hidden():
    shown, more = facets_to_show({"theme": _values(20, selected={"v15"})}, None)["theme"]
    assert more == 20 - FACET_TOP - 1
    assert [v["value"] for v in shown] == [f"v{i}" for i in range(20)]
    hidden = {v["value"] for v in shown if v.get("overflow")}
    assert hidden == {f"v{i}" for i in range(FACET_TOP, 20)} - {"v15"}


def test_other_long_facets_still_list_only_their_top_values():
    shown, more = facets_to_show({"organization": _values(20)}, None)["organization"]
    assert len(shown) == FACET_TOP and more == 10
    shown, more = facets_to_show({"theme": _values(20)}, "theme")["theme"]
    assert more == 0 and not any(v.get("overflow") for v in shown)


def test_the_theme_facet_has_a_filter_box_that_finds_themes_in_every_language(make_app):
    client = make_app(SEED_DIR=str(BUNDLED_PRACTICES)).test_client()
    html = client.get("/search?lang=fi").get_data(as_text=True)
    themes = re.search(r'<div id="facet-theme">(.*?)</fieldset>', html, re.S)
    assert themes, "the theme facet has no filter box"
    assert '<label for="facet-theme-filter">Etsi teema</label>' in html
    m = re.search(r'<div class="check" data-terms="([^"]*)">\s*<input type="checkbox" '
                  r'id="f-theme-\d+" name="theme" value="mobility"', themes.group(1))
    assert m and {"mobility", "liikkuminen", "mobilitet"} == set(m.group(1).split(" | "))
    # the rarer values are in the page, hidden until the filter box finds them
    assert re.search(r'<div class="check" data-terms="[^"]*" data-overflow hidden>', themes.group(1))
    assert 'class="facet-more"' in themes.group(0) + html[themes.end():themes.end() + 400]
