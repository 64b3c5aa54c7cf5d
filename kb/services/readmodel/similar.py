"""Similar practices, stored per published revision."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from kb.db import session
from kb.models import Practice, PracticeStatus, SimilarEntry
from kb.services.identity import Identity
from kb.services.practices import PracticeCard, load_for_cards, visible_practices
from search import Viewer

log = logging.getLogger(__name__)

STORED = 20  # kept per revision: enough for a reader who may not see some of them
EVERYTHING = Viewer(see_all=True)


def similar_refresh(index, practice_ids) -> int:
    """Store the practices most like each of these (for the published ones), as the
    search index finds them now. Returns how many practices were refreshed."""
    return similar_store(practice_ids, similar_find(index, practice_ids))


def similar_find(index, practice_ids) -> dict[int, tuple[int, list[int]]]:
    """For each published practice of these: (its published revision, the ids of the
    practices most like it, best first), as the search index finds them now. Reads only."""
    ids = sorted(set(practice_ids))
    if not ids:
        return {}
    published: dict[int, int] = {pid: rid for pid, rid in session().execute(
        select(Practice.id, Practice.published_revision_id).where(
            Practice.id.in_(ids), Practice.status == PracticeStatus.PUBLISHED,
            Practice.published_revision_id.is_not(None))) if rid is not None}
    return {pid: (revision_id, [hit.id for hit in index.similar(pid, viewer=EVERYTHING,
                                                                 limit=STORED)])
            for pid, revision_id in published.items()}


def similar_store(practice_ids, found: dict[int, tuple[int, list[int]]]) -> int:
    """Replace the stored similar lists of these practices by `found` (similar_find);
    inside the caller's unit of work. Returns how many practices have a list."""
    s = session()
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    s.execute(delete(SimilarEntry).where(SimilarEntry.practice_id.in_(ids)))
    for pid, (revision_id, similar) in found.items():
        s.add_all(SimilarEntry(practice_id=pid, position=i, revision_id=revision_id,
                               similar_id=sid) for i, sid in enumerate(similar))
    return len(found)


def similar_cards(identity: Identity, practice_id: int, limit: int = 5) -> list[PracticeCard]:
    """The stored similar practices of a practice that the identity may see, best first
    (two queries, whatever the size of the knowledge base)."""
    s = session()
    order = dict(s.execute(select(SimilarEntry.similar_id, SimilarEntry.position).where(
        SimilarEntry.practice_id == practice_id)).all())
    if not order:
        return []
    found = s.scalars(load_for_cards(visible_practices(identity).where(
        Practice.id.in_(order), Practice.id != practice_id))).unique()
    return [PracticeCard.of(p) for p in sorted(found, key=lambda p: order[p.id])[:limit]]
