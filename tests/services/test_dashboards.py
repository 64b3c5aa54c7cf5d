"""Dashboards count real practices the reader may see, from the read model."""

from __future__ import annotations

from kb.services import exchange as ex
from kb.services.exchange import dashboards
from kb.services.identity import ANONYMOUS, SYSTEM, Identity
from kb.services.organizations import network_add_member, network_create
from kb.services.practices import practice_import
from tests.services.test_exchange import doc

MEMBER = Identity(user_id=99, networks=frozenset({"alpha"}))
FLOODS = ("Flooded basements", "count", 40, 10, "lower")


def put(slug, organization, tags=(), **kwargs):
    text = doc(slug, organization, **kwargs)
    if tags:
        text = text.replace("stage: pilot", f"tags: [{', '.join(tags)}]\nstage: pilot")
    practice_import(SYSTEM, text)


def network_world():
    network_create(SYSTEM, "Alpha", "alpha")
    put("dash-origin", "City of Aberton", outcomes=[FLOODS])
    put("dash-copy-b", "City of Bexley", adapted_from="dash-origin", outcomes=[FLOODS])
    put("dash-copy-c", "City of Corran", country="IE", adapted_from="dash-origin",
        outcomes=[("Flooded basements", "count", 30, 20, "lower")])
    put("dash-private", "City of Dunmore", country="DE", adapted_from="dash-origin",
        outcomes=[FLOODS], visibility="network", networks=["alpha"])
    # a fictional example adapting the same original, with a big "improvement"
    put("dash-fiction", "Fictiontown (fictional example)", tags=["example"],
        adapted_from="dash-origin", outcomes=[("Flooded basements", "count", 900, 1, "lower")])


def test_network_only_practices_count_only_for_their_networks(app):
    with app.app_context():
        network_world()
        public, member = ex.dashboard_get(ANONYMOUS), ex.dashboard_get(MEMBER)
        assert (public.practices, member.practices) == (3, 4)
        assert (public.adaptations, member.adaptations) == (2, 3)
        assert (public.figures.countries, member.figures.countries) == (2, 3)
        assert public.chart("most-adapted").rows == [("Practice dash-origin", [2])]
        assert member.chart("most-adapted").rows == [("Practice dash-origin", [3])]
        assert "dash-private" not in public.chart("most-adapted").csv()
        assert public.replicated == 1 and member.replicated == 1
        assert (public.improved_rows, member.improved_rows) == (3, 4)


def test_fictional_examples_stay_out_of_every_total(app):
    with app.app_context():
        network_world()
        dash = ex.dashboard_get(SYSTEM)
        # the fixtures are fictional examples too: only the four real practices count
        assert dash.practices == 4
        assert dash.figures.examples >= 6
        assert dash.adaptations == 3  # the example's adaptation is not one
        assert dash.improved_rows == 4
        assert dash.chart("most-adapted").rows == [("Practice dash-origin", [3])]
        assert "Fictiontown" not in "".join(dash.chart(c.id).csv() for c in dash.charts)
        # an example is never an improving city: only real ones replicate
        assert ex.replication_get(SYSTEM, "dash-origin").improving_cities == [
            "City of Bexley", "City of Corran", "City of Dunmore"]


def test_a_chart_with_too_little_data_says_so(app):
    with app.app_context():
        put("dash-lonely", "City of Aberton", outcomes=[FLOODS])
        put("dash-lonely-copy", "City of Bexley", adapted_from="dash-lonely")
        dash = ex.dashboard_get(ANONYMOUS)
        assert dash.practices == 2
        for chart in dash.charts:
            assert not chart.enough, chart.id  # two practices, one month, one adaptation
        assert dash.chart("most-adapted").labels == []  # no list of ones
        for n in range(dashboards.MIN_PRACTICES):
            put(f"dash-more-{n}", "City of Corran", outcomes=[FLOODS])
        dash = ex.dashboard_get(ANONYMOUS)
        assert dash.chart("countries").enough and dash.chart("outcomes").enough
        assert not dash.chart("activity").enough  # everything published this month


def test_the_median_time_to_publish():
    assert dashboards._median([]) is None
    assert dashboards._median([(3, 1)]) == 3
    assert dashboards._median([(1, 2), (10, 2)]) == 5.5
    assert dashboards._median([(1, 1), (2, 1), (40, 1)]) == 2


def test_a_network_dashboard_sums_up_its_members_improvements_with_sources(app):
    with app.app_context():
        network_world()
        network_add_member(SYSTEM, "alpha", "city-of-bexley")
        network_add_member(SYSTEM, "alpha", "city-of-corran")
        public = ex.network_dashboard_get(ANONYMOUS, "alpha")
        member = ex.network_dashboard_get(MEMBER, "alpha")
        assert public.practices_total == 2 and member.practices_total == 3
        assert [(e.source.slug, e.target.slug) for e in public.across] == [
            ("dash-origin", "dash-copy-c"), ("dash-origin", "dash-copy-b")]
        assert public.inside == [] and public.across_total == 2
        assert member.across_total == 3
        assert [(i.practice.slug, i.relative_change) for i in public.improvements] == [
            ("dash-copy-b", -0.75), ("dash-copy-c", -1 / 3)]
        assert "dash-private" in {i.practice.slug for i in member.improvements}
        network_add_member(SYSTEM, "alpha", "city-of-aberton")
        public = ex.network_dashboard_get(ANONYMOUS, "alpha")
        assert [(e.source.slug, e.target.slug) for e in public.inside] == [
            ("dash-origin", "dash-copy-c"), ("dash-origin", "dash-copy-b")]
        assert public.across == [] and public.inside_total == 2
        assert "Inside the network,2" in public.chart("adaptations").csv()


def _submissions(dashboard) -> int:
    return sum(dashboard.chart("activity").series[0][1])


def test_the_dashboard_is_counted_once_per_change_and_follows_every_change(app):
    from flask_babel import force_locale

    from kb.services.editorial import practice_draft_create, practice_submit
    from tests.services.test_aggregates import statements

    with app.app_context():
        network_world()
        with statements() as first:
            before = ex.dashboard_get(ANONYMOUS)
        with statements() as again:
            assert ex.dashboard_get(ANONYMOUS) is before
        # the second dashboard reads no count again
        assert [s for s in first if "count(" in s.lower()]
        assert not [s for s in again if "count(" in s.lower()]
        network = ex.network_dashboard_get(ANONYMOUS, "alpha")
        with statements() as again:
            assert ex.network_dashboard_get(ANONYMOUS, "alpha").charts is network.charts
        assert not [s for s in again if "count(" in s.lower()]

        # a submission writes no change-log entry, and still shows at once
        practice_draft_create(SYSTEM, doc("dash-draft", "City of Aberton"), "dash-draft.md")
        practice_submit(SYSTEM, "dash-draft")
        assert _submissions(ex.dashboard_get(ANONYMOUS)) == _submissions(before) + 1
        put("dash-later", "City of Bexley")
        assert ex.dashboard_get(ANONYMOUS).practices == before.practices + 1
        # another scope and another language are counted and worded on their own
        assert ex.dashboard_get(MEMBER).practices == before.practices + 2
        with force_locale("fi"):
            finnish = ex.dashboard_get(ANONYMOUS)
        assert finnish.chart("activity").title != before.chart("activity").title
        assert finnish.practices == before.practices + 1
