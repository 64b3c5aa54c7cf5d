"""Lineage rows: each published practice's family, parent and depth."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from kb.db import session
from kb.models import LineageEntry, Practice, PracticeStatus
from kb.services.identity import Identity
from kb.services.lineage_rules import MAX_DEPTH
from kb.services.practices import load_for_cards, visible_practices


def lineage_rows(parents: dict[str, str | None]) -> dict[str, tuple[str | None, str, int]]:
    """slug -> (parent, root, depth) over published practices given as slug -> original.

    A practice's parent is its original when that is published too; the root is where
    walking up ends (for corrupt data that loops: the loop's first slug in order).
    """
    out = {}
    for slug in parents:
        path, cursor = [slug], slug
        while len(path) <= MAX_DEPTH:
            parent = parents.get(cursor)
            if parent is None or parent not in parents:
                break
            if parent in path:  # a loop: every member names the same family
                cursor = min(path[path.index(parent):])
                break
            path.append(parent)
            cursor = parent
        parent = parents.get(slug)
        out[slug] = (parent if parent in parents else None, cursor, len(path) - 1)
    return out


def published_parents() -> dict[str, tuple[int, str | None]]:
    return {slug: (pid, parent) for pid, slug, parent in session().execute(
        select(Practice.id, Practice.slug, Practice.adapted_from_slug).where(
            Practice.status == PracticeStatus.PUBLISHED,
            Practice.published_revision_id.is_not(None)))}


def lineage_refresh() -> int:
    """Bring the lineage rows to the published practices; returns the rows changed.

    It reads two columns of the published practices (no documents) and writes only the
    rows that differ, so a catch-up and a rebuild give the same table.
    """
    s = session()
    published = published_parents()
    wanted = {published[slug][0]: (slug, parent, root, depth) for slug, (parent, root, depth)
              in lineage_rows({slug: p for slug, (_id, p) in published.items()}).items()}
    stored = {row.practice_id: row for row in s.scalars(select(LineageEntry))}
    changed = 0
    gone = [pid for pid in stored if pid not in wanted]
    if gone:
        s.execute(delete(LineageEntry).where(LineageEntry.practice_id.in_(gone)))
        changed += len(gone)
    for pid, (slug, parent, root, depth) in wanted.items():
        row = stored.get(pid)
        if row is None:
            s.add(LineageEntry(practice_id=pid, slug=slug, parent_slug=parent,
                               root_slug=root, depth=depth))
            changed += 1
        elif (row.slug, row.parent_slug, row.root_slug, row.depth) != (slug, parent, root,
                                                                        depth):
            row.slug, row.parent_slug, row.root_slug, row.depth = slug, parent, root, depth
            changed += 1
    return changed


def family_members(identity: Identity, practice: Practice) -> list[Practice] | None:
    """The published practices of a practice's family that the identity may see, loaded
    for cards, or None when the read model has no row for it yet.

    Most practices were never adapted and adapt nothing: their family is the practice
    alone, which the caller has loaded and may see, so one query on the lineage rows
    answers for them; a larger family costs one more query."""
    s = session()
    family = select(LineageEntry.root_slug).where(
        LineageEntry.practice_id == practice.id).scalar_subquery()
    first = s.scalars(select(LineageEntry.practice_id).where(
        LineageEntry.root_slug == family).limit(2)).all()
    if not first:
        return None
    if first == [practice.id]:
        return [practice]
    return list(s.scalars(load_for_cards(visible_practices(identity).join(
        LineageEntry, LineageEntry.practice_id == Practice.id).where(
        LineageEntry.root_slug == family)).order_by(Practice.id)).unique())


def linked_families(identity: Identity, practice: Practice) -> list[Practice]:
    """For a practice the lineage rows do not hold (archived, or published since the last
    catch-up): the visible published practices of the families of its original and of its
    published adaptations, found through the documents' own links. They are all its
    lineage can reach, so the page need not read every practice to draw it."""
    linked = select(LineageEntry.root_slug).join(
        Practice, Practice.id == LineageEntry.practice_id).where(
        or_(Practice.slug == practice.adapted_from_slug,
            Practice.adapted_from_slug == practice.slug))
    return list(session().scalars(load_for_cards(visible_practices(identity).join(
        LineageEntry, LineageEntry.practice_id == Practice.id).where(
        LineageEntry.root_slug.in_(linked))).order_by(Practice.id)).unique())
