"""Build kb/data/world.json, the country outlines and neighbours the portal draws offline.

Source: the npm package ``world-atlas`` (Natural Earth 4.1.0 admin-0 countries as
TopoJSON, ISC licence for the packaging, Natural Earth itself in the public domain).
The portal never fetches it: this script converts it once, and the result is committed
and shipped inside the wheel (kb/data, package_data). To refresh it:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/world_atlas.py /tmp/package          # writes kb/data/world.json

What it writes:

- every country of ``countries-110m.json`` with its ISO 3166-1 alpha-2 code (from the
  numeric code, through pycountry), English name, outline rings in degrees (two
  decimals) and a point inside it (where a place of unknown location in that country
  is drawn);
- neighbours: countries that share a border line in ``countries-50m.json`` (which,
  unlike the 110m file, has the small states: Andorra, Liechtenstein, Monaco ...), plus
  the sea links of SEA_LINKS below (a bridge, a tunnel or regular ferries), less the
  overseas borders of NOT_NEIGHBOURS.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

VERSION = "world-atlas 2.0.2 (Natural Earth 4.1.0)"
OUT = Path(__file__).resolve().parent.parent / "kb" / "data" / "world.json"

# features of Natural Earth with no ISO numeric code
UNCODED = {"Kosovo": "XK", "N. Cyprus": "", "Somaliland": ""}

# Countries with no land border that are linked by a bridge, a tunnel or regular ferries
# a commuter or an official would take: the "short sea links" of cities like mine.
SEA_LINKS = {
    ("DK", "SE"): "Øresund Bridge",
    ("EE", "FI"): "Helsinki–Tallinn ferries",
    ("EE", "SE"): "Stockholm–Tallinn ferries",
    ("FR", "GB"): "Channel Tunnel",
    ("DK", "NO"): "Skagerrak ferries",
    ("GB", "NL"): "North Sea ferries",
    ("GB", "IS"): "North Atlantic ferries",
    ("IS", "NO"): "North Atlantic ferries",
    ("DE", "SE"): "Baltic ferries",
    ("DE", "FI"): "Baltic ferries",
}

# Land borders of Natural Earth that are not a neighbourhood of cities: an overseas
# territory's border counted for the whole country.
NOT_NEIGHBOURS = {
    ("BR", "FR"): "French Guiana",
    ("FR", "SR"): "French Guiana",
}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    """A ring's points, unwrapped across the antimeridian (Russia's Chukotka goes on to
    190° instead of jumping back to -170°, which would draw a line across the map)."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc[1:] if points else arc)
    shift, out = 0.0, []
    for k, (x, y) in enumerate(points):
        if k:
            jump = x + shift - out[-1][0]
            shift -= 360 * round(jump / 360)
        out.append((x + shift, y))
    return out


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def code_of(geometry: dict) -> str:
    name = geometry.get("properties", {}).get("name", "")
    if "id" not in geometry:
        return UNCODED.get(name, "")
    country = pycountry.countries.get(numeric=geometry["id"])
    return country.alpha_2 if country else ""


def area(points) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:])) / 2)


def inside_point(points) -> tuple[float, float]:
    """A point inside a ring: the middle of the widest crossing at the ring's middle
    latitude (a centroid may fall outside a concave country such as Norway)."""
    ys = sorted(y for _x, y in points)
    y = (ys[0] + ys[-1]) / 2
    crossings = sorted(x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                       for (x1, y1), (x2, y2) in zip(points, points[1:])
                       if (y1 <= y < y2) or (y2 <= y < y1))
    spans = [(b - a, (a + b) / 2) for a, b in zip(crossings[::2], crossings[1::2])]
    x = max(spans)[1] if spans else points[0][0]
    return round(x, 2), round(y, 2)


def land_neighbours(topology: dict) -> set[tuple[str, str]]:
    users: dict[int, set[str]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = code_of(geometry)
        if not code:
            continue
        for polygon in polygons(geometry):
            for indexes in polygon:
                for i in indexes:
                    users.setdefault(i if i >= 0 else ~i, set()).add(code)
    return {tuple(sorted((a, b))) for codes in users.values() for a in codes for b in codes
            if a < b}


def build(folder: Path) -> dict:
    small = json.loads((folder / "countries-110m.json").read_text())
    medium = json.loads((folder / "countries-50m.json").read_text())
    arcs = decode_arcs(small)
    countries = []
    for geometry in small["objects"]["countries"]["geometries"]:
        rings = [ring(arcs, indexes) for polygon in polygons(geometry) for indexes in polygon]
        rings = [r for r in rings if len(r) >= 4]
        if not rings:
            continue
        largest = max(rings, key=area)
        countries.append({
            "code": code_of(geometry),
            "name": geometry.get("properties", {}).get("name", ""),
            "point": inside_point(largest),
            "rings": [[round(v, 2) for p in r for v in p] for r in rings],
        })
    pairs = (land_neighbours(medium) - {tuple(sorted(p)) for p in NOT_NEIGHBOURS}) | {
        tuple(sorted(p)) for p in SEA_LINKS}
    neighbours: dict[str, list[str]] = {}
    for a, b in sorted(pairs):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    return {
        "source": VERSION,
        "license": "Natural Earth: public domain; world-atlas packaging: ISC "
                   "(Copyright 2013-2019 Michael Bostock)",
        "sea_links": [[a, b, why] for (a, b), why in sorted(SEA_LINKS.items())],
        "not_neighbours": [[a, b, why] for (a, b), why in sorted(NOT_NEIGHBOURS.items())],
        "neighbours": {k: sorted(v) for k, v in sorted(neighbours.items())},
        "countries": sorted(countries, key=lambda c: (c["code"] or "~", c["name"])),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    data = build(Path(argv[1]))
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUT}: {len(data['countries'])} countries, "
          f"{sum(len(v) for v in data['neighbours'].values()) // 2} neighbour pairs, "
          f"{OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
