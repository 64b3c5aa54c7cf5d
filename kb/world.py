"""Countries, offline: outlines, a point inside each, and neighbours.

The data is kb/data/world.json, built from Natural Earth (through the npm package
world-atlas) by scripts/world_atlas.py and shipped inside the wheel; nothing is
fetched at run time. Pure Python, no Flask. The file is read once per process, on
first use.

The map projection is Web Mercator, fitted to a box of longitudes and latitudes;
``Projection.path`` turns a ring of degrees into SVG path data, dropping points closer
than a pixel to the one before so that a map of Europe stays a few kilobytes.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "world.json"
MAX_LATITUDE = 80.0  # Mercator grows without end towards the poles


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2; "" for the few Natural Earth areas without one
    name: str
    point: tuple[float, float]  # longitude, latitude of a point inside the country
    rings: tuple[tuple[float, ...], ...]  # lon, lat, lon, lat ... per ring
    bbox: tuple[float, float, float, float]  # west, south, east, north


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    out = []
    for c in _data()["countries"]:
        rings = tuple(tuple(r) for r in c["rings"])
        lons = [v for r in rings for v in r[0::2]]
        lats = [v for r in rings for v in r[1::2]]
        out.append(Country(c["code"], c["name"], (c["point"][0], c["point"][1]), rings,
                           (min(lons), min(lats), max(lons), max(lats))))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _by_code() -> dict[str, Country]:
    return {c.code: c for c in countries() if c.code}


def country(code: str | None) -> Country | None:
    return _by_code().get((code or "").upper())


def source() -> str:
    return f"{_data()['source']}; {_data()['license']}"


@functools.lru_cache(maxsize=1)
def _neighbours() -> dict[str, frozenset[str]]:
    return {code: frozenset(others) for code, others in _data()["neighbours"].items()}


class Neighbours(Mapping):
    """Country code -> its neighbouring countries' codes (symmetric): land borders of
    Natural Earth's 1:50m countries, plus the sea links listed in the data."""

    def __getitem__(self, code: str) -> frozenset[str]:
        return _neighbours()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(_neighbours())

    def __len__(self) -> int:
        return len(_neighbours())


NEIGHBOURS = Neighbours()


def sea_links() -> list[tuple[str, str, str]]:
    """The neighbours by sea: (country, country, the link)."""
    return [(a, b, why) for a, b, why in _data()["sea_links"]]


def _mercator_y(latitude: float) -> float:
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, latitude))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class Projection:
    """Degrees to pixels: the box west..east, south..north fills width x height."""

    west: float
    south: float
    east: float
    north: float
    width: int
    height: int

    @classmethod
    def fit(cls, west: float, south: float, east: float, north: float, width: int,
            min_ratio: float = 0.55, max_ratio: float = 1.1) -> Projection:
        """A projection of at least the box, widened or heightened so that the height
        stays between ``min_ratio`` and ``max_ratio`` of the width."""
        south, north = max(south, -MAX_LATITUDE), min(north, MAX_LATITUDE)
        span_x = math.radians(east - west)
        span_y = _mercator_y(north) - _mercator_y(south)
        if span_y > span_x * max_ratio:  # too tall: take in more longitude
            grow = math.degrees(span_y / max_ratio) - (east - west)
            west, east = west - grow / 2, east + grow / 2
        elif span_y < span_x * min_ratio:  # too wide: take in more latitude
            mid = (_mercator_y(north) + _mercator_y(south)) / 2
            half = span_x * min_ratio / 2
            north = min(MAX_LATITUDE, math.degrees(2 * math.atan(math.exp(mid + half))
                                                   - math.pi / 2))
            south = max(-MAX_LATITUDE, math.degrees(2 * math.atan(math.exp(mid - half))
                                                    - math.pi / 2))
        span_x = math.radians(east - west)
        span_y = _mercator_y(north) - _mercator_y(south)
        height = max(1, round(width * span_y / span_x))
        return cls(round(west, 4), round(south, 4), round(east, 4), round(north, 4), width,
                   height)

    @property
    def _scale(self) -> float:
        return self.width / math.radians(self.east - self.west)

    def __call__(self, longitude: float, latitude: float) -> tuple[float, float]:
        x = math.radians(longitude - self.west) * self._scale
        y = (_mercator_y(self.north) - _mercator_y(latitude)) * self._scale
        return round(x, 1), round(y, 1)

    def path(self, ring: tuple[float, ...]) -> str:
        """SVG path data of one closed ring, points closer than a pixel dropped."""
        parts: list[str] = []
        last: tuple[float, float] | None = None
        for i in range(0, len(ring), 2):
            x, y = self(ring[i], ring[i + 1])
            if last is not None and abs(x - last[0]) < 1 and abs(y - last[1]) < 1:
                continue
            parts.append(f"{'L' if parts else 'M'}{x:g} {y:g}")
            last = (x, y)
        return "".join(parts) + "Z" if len(parts) > 2 else ""

    def sees(self, bbox: tuple[float, float, float, float]) -> bool:
        west, south, east, north = bbox
        return not (east < self.west or west > self.east or north < self.south
                    or south > self.north)


@functools.lru_cache(maxsize=16)
def outlines(projection: Projection) -> tuple[tuple[str, str, str], ...]:
    """(code, name, path data) of every country the projection's box touches."""
    out = []
    for c in countries():
        if not projection.sees(c.bbox):
            continue
        d = "".join(projection.path(r) for r in c.rings
                    if projection.sees((min(r[0::2]), min(r[1::2]), max(r[0::2]),
                                        max(r[1::2]))))
        if d:
            out.append((c.code, c.name, d))
    return tuple(out)
