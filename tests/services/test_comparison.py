"""The lineage comparison compares: relative change, and per 1,000 inhabitants for counts."""

from __future__ import annotations

import pytest

from kb.services import exchange as ex
from kb.services.exchange.comparison import per_1000_applies
from kb.services.identity import ANONYMOUS
from tests.services.test_dashboards import put


@pytest.mark.parametrize("unit, applies", [
    ("count", True), ("Count/year", True), ("m3", True), ("henkilöä", True),
    ("persons per year", True), ("%", False), ("days", False), ("EUR", False),
    ("minutes", False), ("t/person/year", False)])
def test_per_1000_is_for_counts_and_volumes(unit, applies):
    assert per_1000_applies(unit) is applies


def test_a_big_city_and_a_small_town_compare_per_1000_and_by_relative_change(app):
    with app.app_context():
        put("cmp-big", "City of Bigport", population=600000,
            outcomes=[("Flooded basements", "count", 1200, 300, "lower"),
                      ("Response time", "minutes", 30, 20, "lower")])
        put("cmp-small", "Smallbrook Town", population=20000, adapted_from="cmp-big",
            outcomes=[("Flooded basements", "count", 60, 70, "lower"),
                      ("Households warned", "count", None, 900, "higher")])
        comparison = ex.comparison_get(ANONYMOUS, "cmp-small")
        groups = {g.indicator: g for g in comparison.groups}
        floods = groups["Flooded basements"]
        assert floods.per_1000 and floods.cities == 2
        big, small = floods.rows
        assert (big.relative_change, big.improved) == (-0.75, True)
        assert (round(small.relative_change, 4), small.improved) == (0.1667, False)
        assert (big.baseline_per_1000, big.result_per_1000) == (2.0, 0.5)
        assert (small.baseline_per_1000, small.result_per_1000) == (3.0, 3.5)
        # minutes are not divided by the population
        assert groups["Response time"].rows[0].result_per_1000 is None
        # reported by one practice only: kept, as its own result row
        assert groups["Households warned"].cities == 1
        csv = ex.comparison_csv(ANONYMOUS, "cmp-small").splitlines()
        assert csv[0].endswith("relative_change,improved,period,original,population,"
                               "baseline_per_1000,result_per_1000")
        assert any(line.endswith(",-0.75,true,,true,600000,2.0,0.5") for line in csv)


def test_an_examples_illustrative_town_has_no_population(app):
    with app.app_context():
        put("cmp-real", "City of Bigport", population=600000,
            outcomes=[("Flooded basements", "count", 1200, 300, "lower")])
        put("cmp-fiction", "Fictiontown (fictional example)", tags=["example"],
            population=5000, adapted_from="cmp-real",
            outcomes=[("Flooded basements", "count", 50, 5, "lower")])
        group = ex.comparison_get(ANONYMOUS, "cmp-real").groups[0]
        fiction = next(r for r in group.rows if r.slug == "cmp-fiction")
        assert fiction.population is None and fiction.result_per_1000 is None
        assert not group.per_1000  # only one city with a known population
