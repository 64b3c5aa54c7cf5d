"""Dashboard facts and replication entries, kept per practice from the change log.

- facts: one row per published practice (what the dashboards count: country, stage,
  evidence, month of publication, days from first submission to publication, outcome
  verdicts, whether it is a fictional example) and one row per outcome;
- replication: for each practice, the improving adaptations below it with the chain
  that leads to each, so a reader counts only what they may see.

Both follow the changed practices only: a change touches its own facts, and the
replication entries of its lineage family (and of the families that reached it).
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, func, select

from kb.content.document import Outcome
from kb.content.metrics import is_example
from kb.db import session
from kb.models import (LineageEntry, OutcomeFact, Practice, PracticeFact, PracticeStatus,
                       ReplicationEntry, ReplicationLink, Revision)
from kb.services.practices import load_for_cards
from kb.services.replication_rules import replication_entries

CHUNK = 500


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _outcomes(rows) -> list[Outcome]:
    out = []
    for row in rows or []:
        try:
            out.append(Outcome(**row))
        except TypeError:  # a stored row always has indicator, unit and result
            continue
    return out


def facts_refresh(practice_ids: Iterable[int]) -> int:
    """Bring the facts of these practices to their current state; returns those published."""
    s = session()
    done = 0
    for ids in _chunks(sorted(set(practice_ids))):
        s.execute(delete(PracticeFact).where(PracticeFact.practice_id.in_(ids)))
        s.execute(delete(OutcomeFact).where(OutcomeFact.practice_id.in_(ids)))
        rows = s.execute(select(
            Practice.id, Practice.slug, Practice.adapted_from_slug, Practice.organization_id,
            Practice.published_at, Revision.country, Revision.stage, Revision.evidence,
            Revision.tags, Revision.outcomes).join(
            Revision, Revision.id == Practice.published_revision_id).where(
            Practice.id.in_(ids), Practice.status == PracticeStatus.PUBLISHED)).all()
        first = dict(s.execute(select(Revision.practice_id, func.min(Revision.submitted_at))
                               .where(Revision.practice_id.in_(ids))
                               .group_by(Revision.practice_id)).all())
        for (pid, slug, parent, org, published_at, country, stage, evidence, tags,
             outcome_rows) in rows:
            outcomes = _outcomes(outcome_rows)
            submitted = first.get(pid)
            days = None
            if submitted is not None and published_at is not None and \
                    published_at >= submitted:
                days = (published_at - submitted).days
            s.add(PracticeFact(
                practice_id=pid, slug=slug, parent_slug=parent if parent != slug else None,
                organization_id=org, country=country, stage=stage, evidence=evidence,
                example=is_example(tags),
                published_month=published_at.strftime("%Y-%m") if published_at else None,
                days_to_publish=days,
                outcomes_improved=sum(1 for o in outcomes if o.improved is True),
                outcomes_worsened=sum(1 for o in outcomes if o.improved is False),
                outcomes_unknown=sum(1 for o in outcomes if o.improved is None)))
            s.add_all(OutcomeFact(
                practice_id=pid, position=i, indicator=str(o.indicator)[:300],
                unit=str(o.unit)[:100], baseline=o.baseline, result=o.result,
                relative_change=o.relative_change, improved=o.improved,
                period=None if o.period is None else str(o.period)[:100],
                source=None if not o.source else str(o.source)[:1000])
                for i, o in enumerate(outcomes))
            done += 1
    return done


def replication_refresh(practice_ids: Iterable[int]) -> int:
    """Recompute the replication entries of the families these practices belong to now,
    and of the practices whose entries passed through them; returns entries written."""
    s = session()
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    reached: set[int] = set(ids)
    for chunk in _chunks(ids):
        reached.update(s.scalars(select(ReplicationLink.practice_id).where(
            ReplicationLink.link_id.in_(chunk))))
        reached.update(s.scalars(select(ReplicationEntry.practice_id).where(
            ReplicationEntry.practice_id.in_(chunk))))
    roots: set[str] = set()
    for chunk in _chunks(sorted(reached)):
        roots.update(s.scalars(select(LineageEntry.root_slug).where(
            LineageEntry.practice_id.in_(chunk))))
    members: list[Practice] = []
    for chunk in _chunks(sorted(roots)):  # type: ignore[arg-type]
        members += s.scalars(load_for_cards(select(Practice).join(
            LineageEntry, LineageEntry.practice_id == Practice.id).where(
            LineageEntry.root_slug.in_(chunk), Practice.status == PracticeStatus.PUBLISHED))
        ).unique()
    stale = sorted(reached | {p.id for p in members})
    for chunk in _chunks(stale):
        s.execute(delete(ReplicationEntry).where(ReplicationEntry.practice_id.in_(chunk)))
        s.execute(delete(ReplicationLink).where(ReplicationLink.practice_id.in_(chunk)))
    written = 0
    for pid, entries in replication_entries(members).items():
        for e in entries:
            s.add(ReplicationEntry(practice_id=pid, via_id=e.via_id,
                                   organization_id=e.organization_id,
                                   organization=e.organization[:200]))
            s.add_all(ReplicationLink(practice_id=pid, via_id=e.via_id, link_id=link)
                      for link in dict.fromkeys(e.chain))
            written += 1
    return written


def facts_rebuild() -> None:
    """Every fact and replication entry again, from the published practices."""
    s = session()
    for model in (PracticeFact, OutcomeFact, ReplicationEntry, ReplicationLink):
        s.execute(delete(model))
    ids = list(s.scalars(select(Practice.id).where(
        Practice.status == PracticeStatus.PUBLISHED).order_by(Practice.id)))
    facts_refresh(ids)
    replication_refresh(ids)
