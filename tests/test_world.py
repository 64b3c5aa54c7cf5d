"""Countries offline: outlines that draw, neighbours that are neighbours."""

from __future__ import annotations

import re

from kb import world


def test_neighbours_are_land_borders_and_sea_links_both_ways():
    n = world.NEIGHBOURS
    assert n["FI"] >= {"SE", "NO", "RU", "EE"}  # land, and the Helsinki–Tallinn ferries
    assert n["DK"] >= {"DE", "SE"}  # land, and the Øresund Bridge
    assert n["AT"] >= {"LI", "CH"}  # small states are there (the 1:50m file)
    assert "BR" not in n["FR"]  # French Guiana does not make Brazil a neighbour of France
    assert "PT" not in n["FI"]
    assert all(a in n[b] for a, others in n.items() for b in others)


def test_every_european_country_has_an_outline_and_a_point_inside():
    for code in ("FI", "SE", "NO", "DE", "FR", "GB", "IE", "ES", "PT", "IT", "NL", "IS"):
        c = world.country(code)
        assert c is not None and c.rings, code
        west, south, east, north = c.bbox
        assert west <= c.point[0] <= east and south <= c.point[1] <= north, code
    assert world.country("ZZ") is None and world.country(None) is None


def test_a_view_of_europe_draws_its_countries_and_no_line_across_the_map():
    projection = world.Projection.fit(-12, 35, 32, 71, 960)
    assert 0.55 * 960 <= projection.height <= 1.1 * 960
    drawn = {code: d for code, _name, d in world.outlines(projection)}
    assert {"FI", "SE", "DE", "FR", "ES", "GB"} <= set(drawn)
    assert "AU" not in drawn and "BR" not in drawn  # outside the view: not sent
    for code, d in drawn.items():
        for ring in d.split("Z"):
            points = [tuple(map(float, p.split())) for p in re.findall(r"[ML]([^MLZ]+)", ring)]
            jumps = [abs(x2 - x1) for (x1, _), (x2, _) in zip(points, points[1:])]
            # Russia's Chukotka crosses the antimeridian: unwrapped, no jump across the map
            assert not jumps or max(jumps) < projection.width / 2, code
    helsinki = projection(24.94, 60.17)
    madrid = projection(-3.70, 40.42)
    assert 0 < madrid[0] < helsinki[0] < projection.width  # west to east
    assert 0 < helsinki[1] < madrid[1] < projection.height  # north is up


def test_the_data_ships_inside_the_package():
    from configparser import ConfigParser

    from kb.config import REPO_ROOT

    setup = ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    assert "data/*" in setup["options.package_data"]["kb"]
    assert "graft kb/data" in (REPO_ROOT / "MANIFEST.in").read_text()
    assert world.DATA.is_relative_to(REPO_ROOT / "kb") and world.DATA.stat().st_size < 250_000
    assert "Natural Earth" in world.source()
