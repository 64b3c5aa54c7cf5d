"""The adaptation map: organizations where they are, adaptations as arcs between them.

Countries are drawn from Natural Earth outlines shipped with the portal (kb.world), in a
Web Mercator view fitted to the organizations shown. An organization is placed by its
coordinates (confirmed from GeoNames or typed by its admin); one with no coordinates but a
country is drawn, marked as such, around a point inside its country. Organizations at the
same coordinates (three bodies of one city) share one dot.

Bounded reads whatever the size of the knowledge base: one grouped query for the
organizations with visible practices, one for the arcs (adaptations counted per pair of
organizations), and the newest adaptations for the table (the CSV has them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import get_locale
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import ClauseAdapter

from kb import geonames, world
from kb.maplayout import (LABEL_FONT, NARROW_FONT, NODE_RADIUS, MapLabel, MapNode,
                          MapOrganization, arc_path, place_labels, short_name)

__all__ = ["AdaptationMap", "MapArc", "MapEdge", "MapLabel", "MapNode", "MapOrganization",
           "adaptation_map_get", "adaptation_map_csv"]
from kb.db import session
from kb.models import Organization, OrganizationPlace, Practice, PracticeStatus, Revision
from kb.services.aggregates import data_version, kept_by
from kb.services.csvfile import csv_text
from kb.services.identity import Identity
from kb.services.permissions import require, visible_to
from kb.services.practices import visible_practices

WIDTH = 960
EDGE_TABLE_LIMIT = 300  # adaptations listed under the map; the CSV has every one
# A map of a large exchange stays a page a phone can open: at most MAP_NODES dots (the
# organizations with the most adaptation links first) and MAP_ARCS arcs (the strongest
# links first). The list of organizations and the CSV file have everything.
MAP_NODES = 400
MAP_ARCS = 400
UNPLACED_SPREAD = 16  # px between organizations drawn around their country's point


@dataclass
class MapArc:
    source: str  # organization slugs
    target: str
    count: int
    d: str  # SVG path data
    title: str


@dataclass
class MapEdge:
    source: str  # organization slug of the original
    target: str  # organization slug of the adaptation
    practice: str  # slug of the adaptation
    title: str
    original: str
    source_name: str = ""
    target_name: str = ""


@dataclass
class AdaptationMap:
    width: int
    height: int
    outlines: tuple[tuple[str, str, str], ...]  # (country code, name, path data)
    nodes: list[MapNode]
    arcs: list[MapArc]
    edges: list[MapEdge]  # the newest EDGE_TABLE_LIMIT adaptations
    edge_total: int
    unplaced: list[MapOrganization]  # no coordinates and no known country: list only
    source: str = ""
    label_size: int = LABEL_FONT
    narrow_label_size: int = NARROW_FONT
    # what the map was drawn from (kb.services.aggregates.data_version, the language, the
    # size): equal versions give equal maps, so a page may keep the drawing by it
    version: tuple = ()
    # organizations on the map (drawn or not), and those drawn; links between drawn dots
    organization_total: int = 0
    organizations_drawn: int = 0
    arc_total: int = 0

    @property
    def cut(self) -> bool:
        """Whether the map leaves out organizations or links (a large exchange)."""
        return (self.organizations_drawn < self.organization_total
                or len(self.arcs) < self.arc_total)

    @property
    def size(self) -> int:
        return self.width

    def csv(self) -> str:
        return _edges_csv(self.edges)


def _edges_csv(edges: list[MapEdge]) -> str:
    return csv_text(["original_organization", "adapting_organization", "original",
                     "adaptation"],
                    ([e.source_name, e.target_name, e.original, e.practice] for e in edges))


# ------------------------------------------------------------------ queries


def _organizations(identity: Identity):
    """Organizations with visible published practices: one grouped query."""
    counts = visible_practices(identity).with_only_columns(
        Practice.organization_id, func.count(Practice.id).label("n")).group_by(
        Practice.organization_id).subquery()
    return session().execute(select(
        Organization.id, Organization.slug, Organization.name, Organization.country,
        OrganizationPlace.latitude, OrganizationPlace.longitude, OrganizationPlace.geonames_id,
        counts.c.n).join(counts, counts.c.organization_id == Organization.id).outerjoin(
        OrganizationPlace, OrganizationPlace.organization_id == Organization.id).order_by(
        Organization.name, Organization.id)).all()


def _adaptations(identity: Identity):
    """Visible published adaptations of visible published originals, as a select to pick
    columns from, and the original's alias. The original's visibility is the one rule
    (visible_to) applied to the alias: a join, not a subquery, so that the database
    reads each adaptation once."""
    original = aliased(Practice)
    original_visible = ClauseAdapter(inspect(original).selectable).traverse(
        visible_to(identity))
    return visible_practices(identity).join(
        original, original.slug == Practice.adapted_from_slug).where(
        original.status == PracticeStatus.PUBLISHED,
        original.published_revision_id.is_not(None), original_visible,
        Practice.slug != original.slug), original


def _pairs(identity: Identity) -> list[tuple[int, int, int]]:
    query, original = _adaptations(identity)
    return [(a, b, n) for a, b, n in session().execute(query.with_only_columns(
        original.organization_id, Practice.organization_id, func.count(Practice.id)).group_by(
        original.organization_id, Practice.organization_id))]


def _edges(identity: Identity, names: dict[int, tuple[str, str]],
           limit: int | None) -> list[MapEdge]:
    query, original = _adaptations(identity)
    query = query.with_only_columns(
        Practice.slug, Revision.title, Practice.organization_id, original.slug,
        original.organization_id).order_by(Practice.published_at.desc(), Practice.id.desc())
    if limit is not None:
        query = query.limit(limit)
    out = []
    for slug, title, target_org, parent, source_org in session().execute(query):
        (source, source_name), (target, target_name) = names[source_org], names[target_org]
        out.append(MapEdge(source, target, slug, title, parent, source_name, target_name))
    return out


# ------------------------------------------------------------------ drawing


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """Longitudes and latitudes to show: the points with a margin, Europe when none."""
    if not points:
        return -12.0, 35.0, 32.0, 71.0
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x, pad_y = max(4.0, (east - west) * 0.12), max(3.0, (north - south) * 0.12)
    return west - pad_x, south - pad_y, east + pad_x, north + pad_y


def adaptation_map_get(identity: Identity, width: int = WIDTH,
                       edge_limit: int | None = EDGE_TABLE_LIMIT) -> AdaptationMap:
    """Organizations on a map of their countries, adaptations as arcs between them.
    Kept per data version and language (kb.services.aggregates)."""
    require(identity, "kb.read")
    version = ("map", data_version(identity), str(get_locale()), width, edge_limit)
    return kept_by(version, lambda: _drawn(identity, width, edge_limit, version))


def _drawn(identity: Identity, width: int, edge_limit: int | None, version: tuple
           ) -> AdaptationMap:
    rows = _organizations(identity)
    names = {r.id: (r.slug, r.name) for r in rows}
    pairs = _pairs(identity)
    touching: dict[int, int] = {}
    for a, b, n in pairs:
        touching[a] = touching.get(a, 0) + n
        touching[b] = touching.get(b, 0) + n
    # where each organization goes, in degrees; None: not on the map
    where: dict[int, tuple[float, float, bool] | None] = {}
    for r in rows:
        country = world.country(r.country)
        if r.latitude is not None and r.longitude is not None:
            where[r.id] = (r.longitude, r.latitude, True)
        elif country is not None:
            where[r.id] = (country.point[0], country.point[1], False)
        else:
            where[r.id] = None
    projection = world.Projection.fit(*_box([w[:2] for w in where.values() if w]), width)
    nodes: dict[tuple, MapNode] = {}
    node_of: dict[int, MapNode] = {}
    unplaced: list[MapOrganization] = []
    around: dict[str, int] = {}  # organizations drawn so far around a country's point
    on_map = 0
    # the most linked first, so that a cut map keeps the organizations that adapt
    for r in sorted(rows, key=lambda r: (-touching.get(r.id, 0), r.name, r.id)):
        org = MapOrganization(r.slug, r.name, r.country, r.n, touching.get(r.id, 0))
        spot = where[r.id]
        if spot is None:
            unplaced.append(org)
            continue
        on_map += 1
        x, y = projection(spot[0], spot[1])
        if spot[2]:
            key: tuple = ("at", x, y)
            name = geonames.place_name(r.geonames_id) or short_name(r.name)
            if key not in nodes and len(nodes) >= MAP_NODES:
                continue
        elif len(nodes) >= MAP_NODES:
            continue
        else:  # around the country's point, on a small spiral
            i = around[r.country] = around.get(r.country, -1) + 1
            if i:
                angle = i * 2.4
                x = round(x + UNPLACED_SPREAD * math.sqrt(i) * math.cos(angle), 1)
                y = round(y + UNPLACED_SPREAD * math.sqrt(i) * math.sin(angle), 1)
            key, name = ("org", r.id), short_name(r.name)
        node = nodes.get(key)
        if node is None:
            node = nodes[key] = MapNode(name, r.country, spot[2], x, y)
        node.organizations.append(org)
        node_of[r.id] = node
    links = [(a, b, n) for a, b, n in pairs
             if node_of.get(a) is not None and node_of.get(b) is not None
             and node_of[a] is not node_of[b]]  # else listed in the table only
    # the strongest links, drawn in the order of their names
    shown = sorted(links, key=lambda p: (-p[2], names[p[0]][1], names[p[1]][1]))[:MAP_ARCS]
    arcs = []
    for a, b, n in sorted(shown, key=lambda p: (names[p[0]][1], names[p[1]][1])):
        source, target = node_of[a], node_of[b]
        arcs.append(MapArc(names[a][0], names[b][0], n,
                           arc_path(source.x, source.y, target.x, target.y, NODE_RADIUS + 3),
                           f"{names[a][1]} → {names[b][1]}"))
    drawn = list(nodes.values())
    place_labels(drawn, LABEL_FONT, projection.width, projection.height)
    place_labels(drawn, NARROW_FONT, projection.width, projection.height, narrow=True)
    total = session().scalar(_adaptations(identity)[0].with_only_columns(
        func.count(Practice.id))) or 0
    return AdaptationMap(projection.width, projection.height, world.outlines(projection),
                         drawn, arcs, _edges(identity, names, edge_limit), total, unplaced,
                         world.source(), version=version, organization_total=on_map,
                         organizations_drawn=len(node_of), arc_total=len(links))


def adaptation_map_csv(identity: Identity) -> str:
    """Every adaptation the identity may see, newest first, as CSV."""
    require(identity, "kb.read")
    names = {r.id: (r.slug, r.name) for r in _organizations(identity)}
    return _edges_csv(_edges(identity, names, None))
