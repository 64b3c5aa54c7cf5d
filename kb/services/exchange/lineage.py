"""The tree of adaptations a practice belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import Practice
from kb.services.exchange.common import family, family_pool, practice_by_slug
from kb.services.identity import Identity
from kb.services.lineage_rules import lineage_check, lineage_cycle
from kb.services.permissions import require
from kb.services.practices import PracticeCard

__all__ = ["LineageNode", "Lineage", "lineage_get", "lineage_of", "lineage_check",
           "lineage_cycle"]

@dataclass
class LineageNode:
    card: PracticeCard
    children: list[LineageNode]
    current: bool = False


@dataclass
class Lineage:
    root: LineageNode
    generations: int  # 1 = the original alone
    size: int
    current_slug: str
    missing_source: str | None  # the original is no longer published, or hidden

def lineage_get(identity: Identity, slug: str) -> Lineage:
    """The tree of adaptations a practice belongs to, from its oldest visible original."""
    require(identity, "kb.read")
    practice = practice_by_slug(slug)
    require(identity, "practice.view", practice)
    return lineage_of(identity, practice, family_pool(identity, practice))


def lineage_of(identity: Identity, practice: Practice, visible: list[Practice]) -> Lineage:
    slug = practice.slug
    root, _members, children, missing = family(practice, visible)
    seen: set[str] = set()
    depth = 0

    def build(p: Practice, level: int) -> LineageNode:
        nonlocal depth
        seen.add(p.slug)
        depth = max(depth, level)
        kids = [build(c, level + 1) for c in children.get(p.slug, []) if c.slug not in seen]
        return LineageNode(PracticeCard.of(p), kids, p.slug == slug)

    tree = build(root, 1)
    return Lineage(tree, depth, len(seen), slug, missing)


# ------------------------------------------------------------------ adapting
