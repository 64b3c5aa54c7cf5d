"""The adaptation map: organizations around a circle, adaptations as arrows."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from kb.models import Organization
from kb.services.csvfile import csv_text
from kb.services.exchange.common import published_of, visible_published
from kb.services.identity import Identity
from kb.services.permissions import require



@dataclass
class MapNode:
    slug: str
    name: str
    country: str
    x: float
    y: float
    practices: int
    adaptations: int  # edges touching it


@dataclass
class MapEdge:
    source: str  # organization slug of the original
    target: str  # organization slug of the adaptation
    practice: str  # slug of the adaptation
    title: str
    original: str
    source_name: str = ""
    target_name: str = ""
    x1: float = 0
    y1: float = 0
    x2: float = 0
    y2: float = 0


@dataclass
class CountryLabel:
    country: str
    x: float
    y: float
    anchor: str


@dataclass
class AdaptationMap:
    size: int
    nodes: list[MapNode]
    edges: list[MapEdge]
    countries: list[CountryLabel]

    def csv(self) -> str:
        names = {n.slug: n.name for n in self.nodes}
        return csv_text(["original_organization", "adapting_organization", "original",
                         "adaptation"],
                        ([names[e.source], names[e.target], e.original, e.practice]
                         for e in self.edges))


def adaptation_map_get(identity: Identity, size: int = 800) -> AdaptationMap:
    """Organizations around a circle, grouped by country; adaptations as arrows."""
    require(identity, "kb.read")
    visible = visible_published(identity)
    by_slug = {p.slug: p for p in visible}
    counts = Counter(p.organization_id for p in visible)
    orgs = {p.organization_id: p.organization for p in visible}
    edges = []
    for p in visible:
        parent = by_slug.get(p.adapted_from_slug or "")
        if parent is not None:
            edges.append(MapEdge(parent.organization.slug, p.organization.slug, p.slug,
                                 published_of(p).title, parent.slug,
                                 parent.organization.name, p.organization.name))
    touching: Counter[str] = Counter()
    for e in edges:
        touching[e.source] += 1
        touching[e.target] += 1
    ordered = sorted(orgs.values(), key=lambda o: ((o.country or "ZZ"), o.name.casefold()))
    groups: list[tuple[str, list[Organization]]] = []
    for o in ordered:
        country = o.country or "??"
        if not groups or groups[-1][0] != country:
            groups.append((country, []))
        groups[-1][1].append(o)
    centre, radius = size / 2, size / 2 - 110
    slots = len(ordered) + len(groups)  # an empty slot between countries
    nodes, labels, position = [], [], {}
    i = 0
    for country, members in groups:
        first = i
        for o in members:
            angle = 2 * math.pi * i / max(slots, 1) - math.pi / 2
            x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
            nodes.append(MapNode(o.slug, o.name, country, round(x, 1), round(y, 1),
                                 counts[o.id], touching[o.slug]))
            position[o.slug] = (x, y)
            i += 1
        mid = 2 * math.pi * (first + i - 1) / 2 / max(slots, 1) - math.pi / 2
        lx, ly = centre + (radius + 40) * math.cos(mid), centre + (radius + 40) * math.sin(mid)
        labels.append(CountryLabel(country, round(lx, 1), round(ly, 1),
                                   "start" if math.cos(mid) > 0.2 else
                                   "end" if math.cos(mid) < -0.2 else "middle"))
        i += 1
    for e in edges:
        (x1, y1), (x2, y2) = position[e.source], position[e.target]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        shorten = 9 / length  # stop at the node's edge so the arrowhead shows
        e.x1, e.y1 = round(x1 + (x2 - x1) * shorten, 1), round(y1 + (y2 - y1) * shorten, 1)
        e.x2, e.y2 = round(x2 - (x2 - x1) * shorten, 1), round(y2 - (y2 - y1) * shorten, 1)
    return AdaptationMap(size, nodes, edges, labels)
