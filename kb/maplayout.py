"""Laying out a map drawn on the server: dots, their names, arcs between them.

Pure Python, no Flask. Names are placed greedily so that they do not overlap: each dot
tries four positions (right, left, above, below) and takes the first that covers no dot
and no name placed before it; the dots that matter most are placed first.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

LABEL_FONT = 15  # wide screens: a 960-wide map is drawn about 830 px wide
NARROW_FONT = 30  # phones: a 960-wide map is drawn about 360 px wide
NODE_RADIUS = 6
MAX_LABELS = 200  # names tried on one map; the list beside the map names every dot


@dataclass
class MapLabel:
    x: float
    y: float
    anchor: str  # start | end | middle
    size: int


@dataclass
class MapOrganization:
    slug: str
    name: str
    country: str | None
    practices: int
    adaptations: int  # adaptations it took part in, as original or adapter


@dataclass
class MapNode:
    """A dot: one place and the organizations there."""

    name: str  # the place's name (GeoNames) or, unplaced, the organization's short name
    country: str | None
    located: bool  # False: no coordinates, drawn inside its country
    x: float
    y: float
    organizations: list[MapOrganization] = field(default_factory=list)
    label: MapLabel | None = None
    narrow_label: MapLabel | None = None

    @property
    def adaptations(self) -> int:
        return sum(o.adaptations for o in self.organizations)

    @property
    def practices(self) -> int:
        return sum(o.practices for o in self.organizations)

    @property
    def slug(self) -> str:
        return self.organizations[0].slug


def short_name(name: str, limit: int = 28) -> str:
    """A label for an organization with no place name: "Lakeside (fictional example
    town)" -> "Lakeside"; long names are cut at a word."""
    text = re.sub(r"\s*\(.*?\)\s*", " ", name).strip() or name
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,–-") + "…"


def arc_path(x1: float, y1: float, x2: float, y2: float, gap: float) -> str:
    """A curved arc from one dot to another (bending to its left, so that the two
    directions between a pair never overlap), stopping short of both dots."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1
    ux, uy = dx / length, dy / length
    sx, sy, ex, ey = x1 + ux * gap, y1 + uy * gap, x2 - ux * gap, y2 - uy * gap
    bend = 0.2 * length
    cx, cy = (x1 + x2) / 2 + uy * bend, (y1 + y2) / 2 - ux * bend
    return f"M{sx:.1f} {sy:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}"


Box = tuple[float, float, float, float]


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _candidates(node: MapNode, size: int, width: int, height: int):
    """Label positions around a dot: right, left, above, below; with their box."""
    text_w = len(node.name) * size * 0.58
    r = NODE_RADIUS + 3
    for anchor, x, y in (("start", node.x + r, node.y + size * 0.35),
                         ("end", node.x - r, node.y + size * 0.35),
                         ("middle", node.x, node.y - r - size * 0.25),
                         ("middle", node.x, node.y + r + size * 0.8)):
        left = x if anchor == "start" else x - text_w if anchor == "end" else x - text_w / 2
        box = (left, y - size * 0.85, left + text_w, y + size * 0.25)
        outside = max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1]) + \
            max(0.0, box[3] - height)
        yield MapLabel(round(x, 1), round(y, 1), anchor, size), box, outside


class _Grid:
    """Boxes bucketed in square cells, so that a label is checked against its
    neighbourhood only, not against every dot and label of a large map."""

    def __init__(self, cell: float):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[Box]] = {}

    def _keys(self, box: Box):
        c = self.cell
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield i, j

    def add(self, box: Box) -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(box)

    def overlap(self, box: Box, any_at_all: bool = False) -> float:
        """The area the box shares with those near it; with ``any_at_all``, stop at the
        first box it touches (enough to know a position is taken)."""
        total, seen = 0.0, set()
        for key in self._keys(box):
            for b in self.cells.get(key, ()):
                if id(b) in seen:
                    continue
                seen.add(id(b))
                total += _overlap(box, b)
                if total and any_at_all:
                    return total
        return total


def place_labels(nodes: list[MapNode], size: int, width: int, height: int,
                 narrow: bool = False, most: int = MAX_LABELS) -> None:
    """Label the dots greedily, the most connected first: a label goes where it overlaps
    no dot and no label placed before it. A dot that takes part in adaptations gets a
    label even where every position overlaps (the least overlapping one); other dots go
    unlabelled then (the list beside the map names them), and so do all dots after the
    ``most`` first.

    The placing depends on the dots alone, so the labels of the last few maps are kept:
    a map drawn again over unchanged data (most map views) does not place them again."""
    key = (size, width, height, most,
           tuple((n.name, n.x, n.y, n.adaptations, n.practices) for n in nodes))
    with _placed_lock:
        labels = _placed.get(key)
        if labels is not None:
            _placed.move_to_end(key)
    if labels is None:
        labels = _place(nodes, size, width, height, most)
        with _placed_lock:
            _placed[key] = labels
            while len(_placed) > PLACED_KEPT:
                _placed.popitem(last=False)
    for node, label in zip(nodes, labels):
        if narrow:
            node.narrow_label = label
        else:
            node.label = label


#: label layouts kept, by the dots they were placed for (a few sizes of a few maps)
PLACED_KEPT = 16
_placed: OrderedDict[tuple, list[MapLabel | None]] = OrderedDict()
_placed_lock = threading.Lock()


def _place(nodes: list[MapNode], size: int, width: int, height: int,
           most: int) -> list[MapLabel | None]:
    """The label of each dot (None: unlabelled), in the order of ``nodes``."""
    obstacles = _Grid(size * 2)
    for n in nodes:
        obstacles.add((n.x - NODE_RADIUS, n.y - NODE_RADIUS, n.x + NODE_RADIUS,
                       n.y + NODE_RADIUS))
    placed: dict[int, MapLabel] = {}
    order = sorted(range(len(nodes)),
                   key=lambda i: (-nodes[i].adaptations, -nodes[i].practices, nodes[i].name))
    for i in order[:most]:
        node = nodes[i]
        best = None
        for label, box, outside in _candidates(node, size, width, height):
            cost = outside * size * 4 or obstacles.overlap(box, not node.adaptations)
            if best is None or cost < best[0]:
                best = (cost, label, box)
            if cost == 0:
                break
        assert best is not None
        if best[0] > 0 and not node.adaptations:
            continue
        obstacles.add(best[2])
        placed[i] = best[1]
    return [placed.get(i) for i in range(len(nodes))]
