"""Search as a derived view of the database.

The index follows the change log: `search_catch_up` applies every change the
index has not seen, in order, idempotently, from the database's current
state. The request that made a change calls it after its commit (its author
sees the change at once); every search calls it first (a cheap max(id)
check), so other workers and nodes catch up before they answer.

A practice whose search document cannot be built (or indexed) is left out
of the index, logged, and recorded in the index state with its error; the
catch-up goes on past it, `search_status` (`kb status`, the admin area)
lists it, and a later revision that indexes clears it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.db import session
from kb.models import ChangeLog, Practice, PracticeStatus
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.content.metrics import headline, is_example, shown_evidence
from search import IndexBusy, IndexFailure, IndexUnavailable, SearchIndex, SearchResults, Viewer

log = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "title", "adapted", "replicated", "like_mine")
# "cities like mine" re-ranks this many best matches by the context of the viewer's city
LIKE_MINE_WINDOW = 500


def get_index() -> SearchIndex:
    return current_app.extensions["kb.search"]


def _viewer_for(identity: Identity) -> Viewer:
    return Viewer(networks=frozenset(identity.networks), see_all=identity.is_site_admin)


def _latest_change_id() -> int:
    return session().scalar(select(func.max(ChangeLog.id))) or 0


def search_doc(practice: Practice, adaptations_count: int) -> dict:
    """The plain dict the search package indexes for a published practice."""
    rev = practice.published_revision
    if rev is None:
        raise NotFound(f"no published revision of {practice.slug}")
    return {
        "id": practice.id, "slug": practice.slug, "title": rev.title,
        "summary": rev.summary, "body": _searchable_text(rev, practice.slug),
        "language": rev.language, "organization": practice.organization.name,
        "organization_slug": practice.organization.slug, "country": rev.country,
        "region": rev.region, "population": rev.population,
        "population_band": rev.population_band, "themes": list(rev.themes),
        "tags": list(rev.tags), "stage": rev.stage, "evidence": rev.evidence,
        "started_year": rev.started_year, "published_at": practice.published_at,
        "updated_at": practice.updated_at, "adaptations_count": adaptations_count,
        "adapted_from": practice.adapted_from_slug, "visibility": practice.visibility,
        "networks": list(rev.networks or []), "featured": practice.featured,
        "outcomes_count": len(rev.outcomes or []),
        "headline": headline(rev.outcomes),
        "evidence_shown": shown_evidence(rev.evidence, rev.outcomes),
        "example": is_example(rev.tags),
        "replicated": "yes" if adaptations_count and _replicated(practice) else None,
        "translations": rev.translations,
    }


def _replicated(practice: Practice) -> bool:
    from kb.services.exchange import replicated_for_index

    return replicated_for_index(practice)


def _searchable_text(rev, slug: str) -> str:
    """The body, then the other prose of the document: outcomes, transferability, adaptation."""
    from kb.services.practices import _parsed, body_text

    doc = _parsed(rev.document, slug)
    parts = [body_text(rev.document, slug)]
    parts += [o.indicator for o in doc.outcomes]
    for block in (doc.transferability or {}, doc.adaptation or {}):
        # unknown keys are kept as found: numbers, dates, lists, mappings
        parts += _words_of(list(block.values()))
    return "\n".join(parts)


def _words_of(value) -> list[str]:
    """Every scalar inside a YAML value, as text."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _words_of(item)]
    return [str(value)]


def _doc_or_failure(practice: Practice, adaptations_count: int) -> dict | IndexFailure:
    """The search document of a practice, or the reason it cannot be built (logged)."""
    try:
        return search_doc(practice, adaptations_count)
    except Exception as exc:  # one bad document must never stop the others
        log.error("practice %s (id %s) is left out of the search index: %s: %s",
                  practice.slug, practice.id, type(exc).__name__, exc, exc_info=True)
        return IndexFailure(practice_id=practice.id, slug=practice.slug,
                            error=f"{type(exc).__name__}: {exc}"[:500])


def _log_failures(failures: list[IndexFailure], logged=()) -> None:
    """Log the failures the index found itself (those of _doc_or_failure are logged)."""
    for failure in failures:
        if failure.practice_id in logged:
            continue
        log.error("practice %s (id %s) is left out of the search index: %s",
                  failure.slug, failure.practice_id, failure.error)


def _adaptation_counts(slugs: set[str] | None = None) -> dict[str, int]:
    query = (select(Practice.adapted_from_slug, func.count())
             .where(Practice.status == PracticeStatus.PUBLISHED,
                    Practice.adapted_from_slug.is_not(None))
             .group_by(Practice.adapted_from_slug))
    if slugs is not None:
        query = query.where(Practice.adapted_from_slug.in_(slugs))
    return {slug: count for slug, count in session().execute(query).all() if slug is not None}


def _load_practices(ids) -> dict[int, Practice]:
    # populate_existing: a practice the request loaded before a later change was
    # committed must not be indexed from its old state under the newer change id
    rows = session().scalars(
        select(Practice).where(Practice.id.in_(ids))
        .options(joinedload(Practice.published_revision), joinedload(Practice.organization))
        .execution_options(populate_existing=True)
    ).unique()
    return {p.id: p for p in rows}


def search_catch_up() -> int:
    """Apply the changes the index has not seen; returns how many practices.

    When the index directory cannot be written, searches answer from the last
    committed index and the fault is logged with the directory; when there is
    no index to answer from, IndexUnavailable reaches the caller.
    """
    try:
        return _catch_up()
    except IndexUnavailable as exc:
        if not _readable(get_index()):
            raise
        log.error("search index %s cannot be written (%s); searches answer from the last "
                  "committed index until it can", exc.path, exc.reason)
        return 0


def _readable(index: SearchIndex) -> bool:
    try:
        return index.exists()
    except IndexUnavailable:
        return False


def _catch_up() -> int:
    index = get_index()
    if not index.exists():
        search_rebuild_unchecked()
        return -1
    last = index.last_change_id()
    latest = _latest_change_id()
    if latest <= last:
        return 0
    rows = session().execute(
        select(ChangeLog.practice_id, ChangeLog.slug)
        .where(ChangeLog.id > last, ChangeLog.id <= latest).order_by(ChangeLog.id)).all()
    ids: list[int] = list(dict.fromkeys(r.practice_id for r in rows))
    practices = _load_practices(ids)
    # an adaptation that appears or goes changes its original's "most adapted" rank
    parents = {p.adapted_from_slug for p in practices.values() if p.adapted_from_slug}
    if parents:
        for parent in session().scalars(select(Practice).where(Practice.slug.in_(parents))):
            if parent.id not in practices:
                ids.append(parent.id)
        practices = _load_practices(ids)
    counts = _adaptation_counts({p.slug for p in practices.values()})
    changes: list[tuple[int, dict | IndexFailure | None]] = []
    for pid in ids:
        practice = practices.get(pid)
        if practice is None or practice.status != PracticeStatus.PUBLISHED \
                or practice.published_revision is None:
            changes.append((pid, None))
        else:
            changes.append((pid, _doc_or_failure(practice, counts.get(practice.slug, 0))))
    try:
        _log_failures(index.apply(changes, upto=latest) or [],
                      {pid for pid, doc in changes if isinstance(doc, IndexFailure)})
    except IndexBusy:
        log.warning("search index busy; %d change(s) will be applied by the next catch-up",
                    len(changes))
        return 0
    return len(changes)


def search_rebuild(identity: Identity, progress: Callable[[int], None] | None = None,
                   on_total: Callable[[int], None] | None = None) -> int:
    """Rebuild the index beside the current one and swap it in."""
    require(identity, "search.reindex")
    return search_rebuild_unchecked(progress, on_total)


def search_rebuild_unchecked(progress=None, on_total=None) -> int:
    # the change id is read first: changes committed during the build are
    # applied again by the next catch-up, which is harmless (idempotent)
    upto = _latest_change_id()
    s = session()
    ids = list(s.scalars(select(Practice.id).where(Practice.status == PracticeStatus.PUBLISHED)
                        .order_by(Practice.id)))
    if on_total:
        on_total(len(ids))
    counts = _adaptation_counts()

    def docs():
        for start in range(0, len(ids), 200):
            batch = _load_practices(ids[start:start + 200])
            for pid in ids[start:start + 200]:
                doc = _doc_or_failure(batch[pid], counts.get(batch[pid].slug, 0))
                if isinstance(doc, IndexFailure):
                    logged.add(pid)
                yield doc

    logged: set[int] = set()

    failures = get_index().rebuild(docs(), last_change_id=upto, total=len(ids),
                                   progress=progress)
    _log_failures(failures, logged)
    return len(ids)


@dataclass
class SearchStatus:
    """What this node's search index has applied, and what it could not index."""

    index_dir: str
    exists: bool
    last_change_id: int
    latest_change_id: int
    documents: int
    failures: list[IndexFailure] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return max(0, self.latest_change_id - self.last_change_id)


def search_status(identity: Identity) -> SearchStatus:
    """The state of this node's index, with the practices it could not index."""
    require(identity, "search.reindex")
    index = get_index()
    return SearchStatus(index_dir=index.path, exists=index.exists(),
                        last_change_id=index.last_change_id(),
                        latest_change_id=_latest_change_id(),
                        documents=len(index.doc_ids()), failures=index.failures())


def practice_search(identity: Identity, q: str = "", filters: dict | None = None,
                    sort: str = "relevance", page: int = 1, per_page: int | None = None,
                    organization: str | None = None) -> SearchResults:
    require(identity, "kb.read")
    search_catch_up()
    if sort not in SORTS:
        sort = "relevance"
    per_page = per_page or current_app.config["PER_PAGE"]
    if sort == "like_mine":
        return _like_mine(identity, q, filters or {}, max(1, page), per_page, organization)
    return get_index().search(
        q=q or "", filters=filters or {}, viewer=_viewer_for(identity), sort=sort,
        page=max(1, page), per_page=per_page)


def _like_mine(identity: Identity, q: str, filters: dict, page: int, per_page: int,
               organization: str | None) -> SearchResults:
    """The best matches re-ranked by how much their city's context resembles mine.

    The context is the chosen organization, or the first one the viewer acts for;
    without one, the order stays by relevance. See docs/exchange.md for the score.
    """
    from kb.models import Organization
    from kb.services.exchange import _first_organization, like_mine_scores

    org = None
    if organization:
        org = session().scalar(select(Organization).where(Organization.slug == organization))
    org = org or _first_organization(identity)
    results = get_index().search(q=q or "", filters=filters, viewer=_viewer_for(identity),
                                 sort="relevance", page=1, per_page=LIKE_MINE_WINDOW)
    if org is not None and results.hits:
        practices = session().scalars(
            select(Practice).where(Practice.slug.in_([h.slug for h in results.hits]))
            .options(joinedload(Practice.published_revision),
                     joinedload(Practice.organization))).unique()
        scores = like_mine_scores(org, practices)
        order = {h.slug: i for i, h in enumerate(results.hits)}
        results.hits.sort(key=lambda h: (-scores.get(h.slug, 0), order[h.slug]))
    start = (page - 1) * per_page
    results.hits = results.hits[start:start + per_page]
    results.page, results.per_page = page, per_page
    results.pages = max(1, -(-min(results.total, LIKE_MINE_WINDOW) // per_page))
    results.sort = "like_mine"
    return results


def search_autocomplete(identity: Identity, prefix: str, limit: int = 8) -> list[dict]:
    require(identity, "kb.read")
    search_catch_up()
    if len(prefix.strip()) < 2:
        return []
    return get_index().autocomplete(prefix.strip(), viewer=_viewer_for(identity), limit=limit)


def practice_similar(identity: Identity, slug: str, limit: int = 5):
    practice = session().scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise NotFound(f"no practice at {slug}")
    require(identity, "practice.view", practice)
    search_catch_up()
    return get_index().similar(practice.id, viewer=_viewer_for(identity), limit=limit)


def practice_similar_to_document(identity: Identity, document: str, slug: str | None = None,
                                 limit: int = 5):
    """Published practices that resemble a document being written (possible duplicates)."""
    from kb.content import markdown_to_text, parse_practice

    require(identity, "kb.read")
    result = parse_practice(document, f"{slug}.md" if slug else "draft.md")
    doc = result.practice
    if doc is None:
        return []
    search_catch_up()
    return get_index().similar_to_text(doc.title, doc.summary, markdown_to_text(doc.body),
                                       doc.language, viewer=_viewer_for(identity), limit=limit)
