"""The adaptation map: organizations where they are, arcs between them, names that read."""

from __future__ import annotations

import itertools

from sqlalchemy import event

from kb.services import exchange as ex
from kb.maplayout import (MapNode, MapOrganization, _candidates, _overlap, place_labels,
                          short_name)
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import org_create
from kb.services.places import org_details_update
from kb.services.practices import practice_import

RIVERTON = "riverton-fictional-example-town"
LAKESIDE = "lakeside-fictional-example-town"
HILLFORD = "hillford-fictional-example-town"


def put(slug, organization, country="GB", adapted_from=None, network=None):
    lines = ["---", f"slug: {slug}", f"title: Practice {slug}",
             "summary: A constructed practice for the map tests.", "language: en",
             f"organization: {organization}", f"country: {country}",
             "themes: [water]", "stage: pilot", "evidence: anecdotal"]
    if adapted_from:
        lines.append(f"adapted_from: {adapted_from}")
    if network:
        lines += ["visibility: network", f"networks: [{network}]"]
    practice_import(SYSTEM, "\n".join(lines + ["---", "## Challenge", "", "Text.", ""]))


def locate(slug, latitude, longitude, **fields):
    form = {"kind": "city", "country": "GB", "latitude": str(latitude),
            "longitude": str(longitude), **fields}
    org_details_update(SYSTEM, slug, form)


def node_of(graph, slug) -> MapNode:
    return next(n for n in graph.nodes if slug in {o.slug for o in n.organizations})


def test_organizations_are_placed_by_their_coordinates(app):
    with app.app_context():
        locate(RIVERTON, 51.5, -0.12)  # London
        locate(LAKESIDE, 53.35, -6.26, country="IE")  # Dublin
        graph = ex.adaptation_map_get(ANONYMOUS)
        river, lake = node_of(graph, RIVERTON), node_of(graph, LAKESIDE)
        assert river.located and lake.located
        assert lake.x < river.x and lake.y < river.y  # Dublin is west and north of London
        assert all(0 <= n.x <= graph.width and 0 <= n.y <= graph.height for n in graph.nodes)
        drawn = {code for code, _name, _d in graph.outlines}
        assert {"GB", "IE"} <= drawn
        arcs = {(a.source, a.target): a for a in graph.arcs}
        assert (RIVERTON, LAKESIDE) in arcs and (LAKESIDE, HILLFORD) in arcs
        assert arcs[(RIVERTON, LAKESIDE)].d.startswith("M")
        assert "bergdorf-fiktive-beispielgemeinde" not in {
            o.slug for n in graph.nodes for o in n.organizations}  # network-only


def test_an_organization_without_coordinates_is_drawn_inside_its_country(app):
    with app.app_context():
        graph = ex.adaptation_map_get(ANONYMOUS)
        hill = node_of(graph, HILLFORD)
        assert not hill.located and hill.country == "AT"
        assert hill.name == "Hillford"  # "(fictional example town)" left out of the label
        put("nowhere-practice", "Nowhere Agency (fictional example)", country="MC")  # too small for the 1:110m outlines
        graph = ex.adaptation_map_get(ANONYMOUS)
        assert "nowhere-agency-fictional-example" in {o.slug for o in graph.unplaced}


def test_organizations_at_one_place_share_a_dot_and_the_arc_counts_adaptations(app):
    with app.app_context():
        org_create(SYSTEM, "Eastbrook City (fictional example)", "city", "GB")
        org_create(SYSTEM, "Eastbrook Water (fictional example)", "agency", "GB")
        put("eb-one", "Eastbrook City (fictional example)")
        put("eb-two", "Eastbrook Water (fictional example)", adapted_from="eb-one")
        put("eb-three", "Eastbrook Water (fictional example)", adapted_from="riverton-flood-wardens")
        put("eb-four", "Eastbrook Water (fictional example)", adapted_from="riverton-flood-wardens")
        locate("eastbrook-city-fictional-example", 52.2, 0.12)
        locate("eastbrook-water-fictional-example", 52.2, 0.12, kind="agency")
        graph = ex.adaptation_map_get(ANONYMOUS)
        city = node_of(graph, "eastbrook-city-fictional-example")
        assert {o.slug for o in city.organizations} == {
            "eastbrook-city-fictional-example", "eastbrook-water-fictional-example"}
        pairs = {(a.source, a.target): a.count for a in graph.arcs}
        assert pairs[(RIVERTON, "eastbrook-water-fictional-example")] == 2
        # an adaptation inside one dot has no arc, but is in the table
        assert ("eastbrook-city-fictional-example", "eastbrook-water-fictional-example") \
            not in pairs
        assert "eb-two" in {e.practice for e in graph.edges}
        assert graph.edge_total == len(graph.edges)


def test_the_table_is_capped_and_the_csv_has_every_adaptation(app):
    with app.app_context():
        graph = ex.adaptation_map_get(ANONYMOUS, edge_limit=1)
        assert len(graph.edges) == 1 and graph.edge_total >= 2
        csv = ex.adaptation_map_csv(ANONYMOUS)
        assert len(csv.strip().splitlines()) - 1 == graph.edge_total



def test_a_large_map_draws_the_most_linked_organizations_and_strongest_links(app, monkeypatch):
    from kb.services.exchange import adaptation_map

    with app.app_context():
        put("eb-three", "Eastbrook Water (fictional example)", adapted_from="riverton-flood-wardens")
        put("eb-four", "Eastbrook Water (fictional example)", adapted_from="riverton-flood-wardens")
        whole = ex.adaptation_map_get(ANONYMOUS)
        assert not whole.cut and whole.organizations_drawn == whole.organization_total
        assert len(whole.arcs) == whole.arc_total >= 3
        monkeypatch.setattr(adaptation_map, "MAP_NODES", 2)
        monkeypatch.setattr(adaptation_map, "MAP_ARCS", 1)
        org_details_update(SYSTEM, LAKESIDE, {"kind": "city", "country": "IE"})  # a new version
        cut = ex.adaptation_map_get(ANONYMOUS)
        assert cut.cut and len(cut.nodes) == 2 and len(cut.arcs) == 1
        assert cut.organization_total == whole.organization_total
        links = {o.slug: o.adaptations for n in whole.nodes for o in n.organizations}
        drawn = {o.slug for n in cut.nodes for o in n.organizations}
        # the two with the most adaptation links, and the strongest link between them
        assert sorted(links[s] for s in drawn) == sorted(links.values())[-2:]
        assert (cut.arcs[0].source, cut.arcs[0].target) == (
            RIVERTON, "eastbrook-water-fictional-example")
        assert cut.arcs[0].count == 2
        # the table and the CSV still have every adaptation
        assert cut.edge_total == whole.edge_total
        html = app.test_client().get("/dashboard/map").get_data(as_text=True)
        assert "The map shows the 2 organizations with the most adaptation links" in html
        assert html.count('marker-end="url(#arrow)"') == 1

def test_the_map_reads_grouped_rows_not_the_practices(app):
    """A fixed number of queries and no practice loaded, however many adaptations."""
    with app.app_context():
        from kb.db import session
        from kb.models import Practice

        engine = session().get_bind()

        def count():
            n = {"queries": 0, "practices": 0}

            def query(*_a):
                n["queries"] += 1

            def loaded(*_a):
                n["practices"] += 1
            event.listen(engine, "before_cursor_execute", query)
            event.listen(Practice, "load", loaded)
            try:
                ex.adaptation_map_get(ANONYMOUS)
            finally:
                event.remove(engine, "before_cursor_execute", query)
                event.remove(Practice, "load", loaded)
            return n

        before = count()
        assert before["practices"] == 0
        for i in range(6):
            put(f"copy-{i}", f"Copy Town {i} (fictional example)",
                adapted_from="riverton-flood-wardens")
        assert count() == before


def test_labels_do_not_overlap_and_adapting_places_always_get_one():
    nodes = []
    for i, (x, y) in enumerate(itertools.product(range(300, 420, 30), range(300, 400, 25))):
        node = MapNode(f"Place number {i}", "FI", True, x, y,
                       [MapOrganization(f"p{i}", f"Place {i}", "FI", 1, 1 if i < 3 else 0)])
        nodes.append(node)
    place_labels(nodes, 15, 960, 800)
    linked = [n for n in nodes if n.adaptations]
    assert all(n.label is not None for n in linked)
    labelled = [n for n in nodes if n.label is not None]
    assert len(labelled) < len(nodes)  # a crowd: some names are left to the list

    def box(n):
        return next(b for lab, b, _out in _candidates(n, 15, 960, 800)
                    if (lab.x, lab.y, lab.anchor) == (n.label.x, n.label.y, n.label.anchor))

    others = [n for n in labelled if not n.adaptations]
    for a, b in itertools.combinations(others, 2):
        assert _overlap(box(a), box(b)) == 0, (a.name, b.name)


def test_short_names():
    assert short_name("Lakeside (fictional example town)") == "Lakeside"
    assert short_name("City of Copenhagen with Greater Copenhagen Utility") == \
        "City of Copenhagen with…"


def test_labelling_a_large_map_checks_each_name_against_its_neighbourhood_only(monkeypatch):
    """2,000 dots: at most MAX_LABELS names are tried, each against nearby boxes only."""
    import random

    from kb import maplayout

    checks = [0]
    real = maplayout._overlap

    def counted(a, b):
        checks[0] += 1
        return real(a, b)

    monkeypatch.setattr(maplayout, "_overlap", counted)
    rng = random.Random(7)
    nodes = [MapNode(f"Town {i}", "FI", True, rng.uniform(0, 960), rng.uniform(0, 800),
                     [MapOrganization(f"t{i}", f"Town {i}", "FI", 1, int(i < 10))])
             for i in range(2000)]
    place_labels(nodes, 15, 960, 800)
    labelled = sum(n.label is not None for n in nodes)
    assert all(n.label is not None for n in nodes[:10])  # the adapting towns
    assert labelled <= maplayout.MAX_LABELS
    # every dot and label against every other would be 200 x 4 x 2,000 = 1.6 million
    assert checks[0] < 100_000, checks[0]


def test_an_adaptation_of_a_network_only_original_shows_to_its_members_only(app):
    from dataclasses import replace

    from kb.services.organizations import network_create

    with app.app_context():
        network_create(SYSTEM, "Closed towns", "closed-towns")
        put("closed-original", "Shutby (fictional example)", network="closed-towns")
        put("open-copy", "Openby (fictional example)", adapted_from="closed-original")
        member = replace(ANONYMOUS, networks=frozenset({"closed-towns"}))
        for who, sees in ((ANONYMOUS, False), (member, True)):
            graph = ex.adaptation_map_get(who)
            assert ("open-copy" in {e.practice for e in graph.edges}) is sees
            arcs = {(a.source, a.target) for a in graph.arcs}
            assert (("shutby-fictional-example", "openby-fictional-example") in arcs) is sees
            assert ("open-copy" in ex.adaptation_map_csv(who)) is sees


def test_labels_are_placed_once_for_the_same_dots_and_again_when_they_change(monkeypatch):
    from kb import maplayout

    def dots(practices: int) -> list[MapNode]:
        out = []
        for i, name in enumerate(["Helsinki", "Espoo", "Vantaa"]):
            node = MapNode(name, "FI", True, 100.0 + 12 * i, 100.0)
            node.organizations.append(MapOrganization(name.lower(), name, "FI",
                                                      practices + i, i))
            out.append(node)
        return out

    calls = []
    real = maplayout._place
    monkeypatch.setattr(maplayout, "_place", lambda *a: calls.append(1) or real(*a))
    first, again, changed = dots(1), dots(1), dots(2)
    place_labels(first, 15, 960, 600)
    place_labels(again, 15, 960, 600)
    assert len(calls) == 1
    assert [n.label for n in again] == [n.label for n in first]
    assert any(n.label is not None for n in again)
    place_labels(changed, 15, 960, 600)          # other counts: placed anew
    place_labels(again, 30, 960, 600, narrow=True)   # another size: placed anew
    assert len(calls) == 3 and any(n.narrow_label for n in again)


def test_the_map_is_drawn_once_per_data_version_and_follows_changes_outside_the_log(app):
    with app.app_context():
        first = ex.adaptation_map_get(ANONYMOUS)
        assert ex.adaptation_map_get(ANONYMOUS) is first  # kept: nothing changed
        assert not node_of(first, RIVERTON).located
        # an organization's place and name change without a change-log entry
        locate(RIVERTON, 51.5, -0.12, name="Riverton Borough (fictional example town)")
        moved = ex.adaptation_map_get(ANONYMOUS)
        assert moved is not first and moved.version != first.version
        assert node_of(moved, "riverton-fictional-example-town").located
        assert "Riverton Borough (fictional example town)" in {
            o.name for n in moved.nodes for o in n.organizations}
        put("later-adaptation", "Eastbrook City (fictional example)",
            adapted_from="riverton-flood-wardens")
        assert ex.adaptation_map_get(ANONYMOUS).edge_total == moved.edge_total + 1
