"""The one rule of lineage every writer checks: a practice is never adapted from its own
adaptation. A lower module, so the editorial services and the exchange both use it
without importing each other."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.document import Problem, ValidationFailed
from kb.db import session
from kb.models import Practice

MAX_DEPTH = 50  # lineage walks stop here even on corrupt data


def lineage_cycle(slug: str, source_slug: str | None) -> list[str] | None:
    """The loop that `slug adapted from source_slug` would close, or None.

    Walks up from the source through every practice whatever its state (a draft
    or archived practice still carries its lineage), so a practice can never be
    declared an adaptation of one of its own descendants.
    """
    if not source_slug:
        return None
    if source_slug == slug:
        return [slug, slug]
    parents = dict(session().execute(select(Practice.slug, Practice.adapted_from_slug)).all())
    cursor: str | None
    path, cursor, seen = [slug, source_slug], source_slug, {source_slug}
    for _step in range(MAX_DEPTH):
        cursor = parents.get(cursor)
        if not cursor:
            return None
        path.append(cursor)
        if cursor == slug or cursor in seen:
            return path
        seen.add(cursor)
    return path


def lineage_check(slug: str, source_slug: str | None) -> None:
    """Refuse (as a validation error on adapted_from) a lineage that would loop.

    For the editorial service: practice_draft_save and review_approve should call
    it with the document's slug and adapted_from.
    """
    loop = lineage_cycle(slug, source_slug)
    if loop:
        raise ValidationFailed([Problem("adapted_from", _(
            "a practice cannot be adapted from one of its own adaptations (%(path)s)",
            path=" → ".join(loop)))])
