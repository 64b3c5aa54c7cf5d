"""The rule of the "replicated" mark and the indicator matching it uses.

A lower module (pure computation over loaded practices), so the exchange's pages and
the read model (kb.services.readmodel), which keeps the mark for the dashboards,
apply the same rule without importing each other.

A practice is replicated when organizations other than its own published adaptations
of it (at any depth) that report an improvement on one of its own indicators, matched
by name and unit or through a stored mapping. Fictional examples (tag ``example``)
take no part: they are neither replicated nor count as an improving city, and an
adaptation below an example is not reached through it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select

from kb.content.document import Outcome
from kb.content.metrics import is_example
from kb.db import session
from kb.models import IndicatorMapping, Practice

REPLICATED_MIN_CITIES = 2


def norm(text: Any) -> str:
    """Case- and space-insensitive form of an indicator name or unit."""
    return " ".join(str(text or "").casefold().split())


def indicator_key(indicator: str, unit: str) -> str:
    """The key indicators are matched by: normalized indicator and unit."""
    return f"{norm(indicator)}|{norm(unit)}"


def published_outcomes(practice: Practice) -> list[Outcome]:
    """The outcome rows of a practice's published revision (none without one)."""
    out = []
    rev = practice.published_revision
    for row in (rev.outcomes if rev is not None else None) or []:
        try:
            out.append(Outcome(**row))
        except TypeError:  # a stored row always has indicator, unit and result
            continue
    return out


def practice_is_example(practice: Practice) -> bool:
    rev = practice.published_revision
    return rev is not None and is_example(rev.tags)


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
    return [p for p, _chain in descendant_chains(root, children)]


def descendant_chains(root: Practice, children: dict[str, list[Practice]]
                      ) -> list[tuple[Practice, list[int]]]:
    """Each adaptation below a practice with the ids of the practices leading to it
    (itself included), breadth first, each once (cycle-safe)."""
    out, seen = [], {root.slug}
    queue = [(c, [c.id]) for c in children.get(root.slug, [])]
    while queue:
        p, chain = queue.pop(0)
        if p.slug in seen:
            continue
        seen.add(p.slug)
        out.append((p, chain))
        queue.extend((c, chain + [c.id]) for c in children.get(p.slug, []))
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


@dataclass(frozen=True)
class Improvement:
    """An organization that improved on a practice's indicator through `via`."""

    organization_id: int
    organization: str
    via_id: int
    chain: tuple[int, ...]  # the practices from the first adaptation down to `via`


def replication_entries(practices: list[Practice]) -> dict[int, list[Improvement]]:
    """For each practice (by id), every published adaptation below it, by another
    organization, that reports an improvement on one of its own indicators."""
    practices = [p for p in practices if not practice_is_example(p)]
    children = children_map(practices)
    mappings = indicator_mappings(p.id for p in practices)
    owners: dict[str, set[int]] = defaultdict(set)
    outcomes = {p.id: published_outcomes(p) for p in practices}
    for p in practices:
        for o in outcomes[p.id]:
            owners[indicator_key(o.indicator, o.unit)].add(p.id)
    result: dict[int, list[Improvement]] = {}
    for p in practices:
        below = descendant_chains(p, children)
        if not below:
            continue
        own = {resolve_key(p.id, indicator_key(o.indicator, o.unit), mappings, owners)
               for o in outcomes[p.id]}
        found = [Improvement(child.organization_id, child.organization.name, child.id,
                             tuple(chain))
                 for child, chain in below if child.organization_id != p.organization_id
                 and any(o.improved is True and resolve_key(
                     child.id, indicator_key(o.indicator, o.unit), mappings, owners) in own
                     for o in outcomes[child.id])]
        if found:
            result[p.id] = found
    return result


def replications(practices: list[Practice]) -> dict[str, list[str]]:
    """For each practice (by slug), the organizations, by name, that replicate it."""
    slugs = {p.id: p.slug for p in practices}
    return {slugs[pid]: sorted({e.organization_id: e.organization for e in entries}.values())
            for pid, entries in replication_entries(practices).items()}
