"""What the exchange's modules share: indicator keys, the visible practices, lineage walks.

Everything a reader sees in the exchange is computed from the practices the
reader may see (`visible_practices`, the one SQL condition of
kb.services.permissions.visible_to), so a network-only practice is never
counted, drawn or compared for someone outside its networks.
"""

from __future__ import annotations


from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.document import Outcome
from kb.db import session
from kb.models import Practice, Revision
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.lineage_rules import MAX_DEPTH
from kb.services.practices import load_for_cards, visible_practices
from kb.services.readmodel.lineage import family_members, linked_families
from kb.services.replication_rules import (children_map, descendants, indicator_key,
                                          indicator_mappings, norm, resolve_key)

__all__ = ["MAX_DEPTH", "norm", "indicator_key", "outcomes_of", "visible_published",
           "children_map", "descendants", "indicator_mappings", "resolve_key",
           "practice_by_slug", "family", "family_pool", "published_of"]


def published_of(practice: Practice) -> Revision:
    """The published revision of a practice read as published; without one it is unknown."""
    if practice.published_revision is None:
        raise NotFound(_("No such practice."))
    return practice.published_revision


def outcomes_of(practice: Practice) -> list[Outcome]:
    out = []
    for row in published_of(practice).outcomes or []:
        try:
            out.append(Outcome(**row))
        except TypeError:  # a stored row always has indicator, unit and result
            continue
    return out


def visible_published(identity: Identity) -> list[Practice]:
    """Every published practice the identity may see (exact rule, loaded for cards)."""
    return list(session().scalars(
        load_for_cards(visible_practices(identity)).order_by(Practice.id)).unique())


def family_pool(identity: Identity, practice: Practice) -> list[Practice]:
    """The visible practices a practice's lineage is drawn from: its family as the read
    model keeps it, or, for a practice it does not hold (archived, or published since
    the last catch-up), the families of its original and of its adaptations. Both give
    the lineage, comparison and replication that every visible practice would."""
    members = family_members(identity, practice)
    return linked_families(identity, practice) if members is None else members


def practice_by_slug(slug: str) -> Practice:
    practice = session().scalar(load_for_cards(select(Practice).where(Practice.slug == slug)))
    if practice is None:
        raise NotFound(_("No such practice."))
    return practice

def family(practice: Practice, visible: list[Practice]):
    """Root of the visible lineage of a practice, its members and the children map."""
    by_slug = {p.slug: p for p in visible}
    root, missing, seen = practice, None, {practice.slug}
    for _step in range(MAX_DEPTH):
        parent_slug = root.adapted_from_slug
        if not parent_slug or parent_slug in seen:
            break
        parent = by_slug.get(parent_slug)
        if parent is None:
            missing = parent_slug
            break
        seen.add(parent_slug)
        root = parent
    children = children_map(visible)
    members = [root] + descendants(root, children)
    return root, members, children, missing
