"""What the exchange's modules share: indicator keys, the visible practices, lineage walks.

Everything a reader sees in the exchange is computed from the practices the
reader may see (`visible_practices`, the one SQL condition of
kb.services.permissions.visible_to), so a network-only practice is never
counted, drawn or compared for someone outside its networks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.document import Outcome
from kb.db import session
from kb.models import IndicatorMapping, Practice, Revision
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.lineage_rules import MAX_DEPTH
from kb.services.practices import load_for_cards, visible_practices
from kb.services.readmodel.lineage import family_members

__all__ = ["MAX_DEPTH", "norm", "indicator_key", "outcomes_of", "visible_published",
           "children_map", "descendants", "indicator_mappings", "resolve_key",
           "practice_by_slug", "family", "family_pool", "published_of"]

def norm(text: Any) -> str:
    """Case- and space-insensitive form of an indicator name or unit."""
    return " ".join(str(text or "").casefold().split())


def indicator_key(indicator: str, unit: str) -> str:
    """The key indicators are matched by: normalized indicator and unit."""
    return f"{norm(indicator)}|{norm(unit)}"


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
    model keeps it (one query), or every visible practice while the read model has not
    yet caught up with it. Both give the same lineage, comparison and replication."""
    members = family_members(identity, practice)
    return visible_published(identity) if members is None else members


def children_map(practices: Iterable[Practice]) -> dict[str, list[Practice]]:
    children: dict[str, list[Practice]] = defaultdict(list)
    for p in practices:
        if p.adapted_from_slug and p.adapted_from_slug != p.slug:
            children[p.adapted_from_slug].append(p)
    for kids in children.values():
        kids.sort(key=lambda p: (p.published_at or dt.datetime.min, p.id))
    return children


def descendants(root: Practice, children: dict[str, list[Practice]]) -> list[Practice]:
    """All adaptations below a practice, at any depth, each once (cycle-safe)."""
    out, seen, stack = [], {root.slug}, list(children.get(root.slug, []))
    while stack:
        p = stack.pop(0)
        if p.slug in seen:
            continue
        seen.add(p.slug)
        out.append(p)
        stack.extend(children.get(p.slug, []))
    return out


def indicator_mappings(practice_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Indicator mappings: those written in the documents (an outcome's `matches`),
    overridden by those an author stored on the practice page."""
    ids = list(set(practice_ids))
    if not ids:
        return {}
    mappings: dict[tuple[int, str], str] = {}
    for practice in session().scalars(select(Practice).where(Practice.id.in_(ids))):
        if practice.published_revision is None:
            continue
        for row in practice.published_revision.outcomes or []:
            if row.get("matches"):
                mappings[(practice.id, indicator_key(row["indicator"], row["unit"]))] = \
                    indicator_key(row["matches"], row["unit"])
    mappings.update({(m.practice_id, m.indicator_key): m.target_key for m in session().scalars(
        select(IndicatorMapping).where(IndicatorMapping.practice_id.in_(ids)))})
    return mappings


def resolve_key(practice_id: int, key: str, mappings: dict[tuple[int, str], str],
             owners: dict[str, set[int]]) -> str:
    """Follow a practice's own mapping, then the mappings of the practices whose
    indicator it was mapped to (an adaptation of an adaptation), a few hops at most."""
    seen = {key}
    key = mappings.get((practice_id, key), key)
    for _hop in range(5):
        nxt = None
        for owner in owners.get(key, ()):
            target = mappings.get((owner, key))
            if target and target not in seen:
                nxt = target
                break
        if nxt is None:
            break
        seen.add(nxt)
        key = nxt
    return key


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
