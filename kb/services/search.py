"""Search as a derived view of the database.

The index follows the change log (see kb.services.derived, which runs every
derived view). Applying is in order, idempotent, from the database's current
state, in bounded batches with one index commit per batch:

- after a commit, the unit of work that made a change applies it at once
  (``search_apply_own``), so its author sees it; a small backlog in front of
  it (at most ``KB_SEARCH_SYNC_CHANGES``) is applied with it, a larger one is
  left to the background applier and the change is applied *ahead* of it;
- before a search, a request makes a bounded check (``search_refresh``): it
  applies at most ``KB_SEARCH_SYNC_CHANGES`` pending changes (another
  worker's last few), never waiting long for the index writer; a larger
  backlog starts the background applier and the search answers from the last
  committed index, saying how many changes are pending (``pending`` on the
  results, "updating" on the page and in the API);
- ``search_catch_up`` applies everything, batch by batch (CLI, start-up).

A practice whose search document cannot be built (or indexed) is left out
of the index, logged, and recorded in the index state with its error; the
catch-up goes on past it, `search_status` (`kb status`, the admin area)
lists it, and a later revision that indexes clears it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.db import session
from kb.models import ChangeLog, Practice, PracticeStatus
from kb.services.errors import InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.services.tags.common import index_fields
from kb.content.metrics import headline, is_example, shown_evidence
from search import (IndexBusy, IndexDamaged, IndexFailure, IndexUnavailable, SearchIndex,
                    SearchResults, Viewer)

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
    tags = index_fields(practice.id, rev.tags)
    return {
        "id": practice.id, "slug": practice.slug, "title": rev.title,
        "summary": rev.summary, "body": _searchable_text(rev, practice.slug),
        "language": rev.language, "organization": practice.organization.name,
        "organization_slug": practice.organization.slug, "country": rev.country,
        "region": rev.region, "population": rev.population,
        "population_band": rev.population_band, "themes": list(rev.themes),
        "tags": tags["tags"], "tag_keys": tags["tag_keys"],
        "network_tags": tags["network_tags"], "card_tags": tags["card_tags"],
        "network_tag_words": tags["network_tag_words"],
        "stage": rev.stage, "evidence": rev.evidence,
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


def search_catch_up(batch: int | None = None) -> int:
    """Apply every change the index has not seen, batch by batch; returns how many.

    When the index directory cannot be written, searches answer from the last
    committed index and the fault is logged with the directory; when there is
    no index to answer from, IndexUnavailable reaches the caller.
    """
    batch = batch or current_app.config["CATCH_UP_BATCH"]
    try:
        if not get_index().exists():
            search_rebuild_unchecked()
            return -1
        done = 0
        while True:
            applied = _apply_batch(batch)
            if applied <= 0:
                return done
            done += applied
    except IndexUnavailable as exc:
        return _unwritable(exc)


def _unwritable(exc: IndexUnavailable) -> int:
    if isinstance(exc, IndexDamaged):
        search_repair_soon()
    if not _readable(get_index()):
        raise exc
    log.error("search index %s cannot be written (%s); searches answer from the last "
              "committed index until it can", exc.path, exc.reason)
    return 0


def _readable(index: SearchIndex) -> bool:
    try:
        return index.exists()
    except IndexUnavailable:
        return False


def search_repair() -> bool:
    """Rebuild this node's index from the database when it is missing or damaged (a
    file deleted, truncated or garbled), saying so in the log; True when it was rebuilt.

    Run at start, by the background applier when applying fails or a search found the
    index damaged. The check reads the whole index: never on a request's path.
    """
    index = get_index()
    if not index.exists():
        log.warning("search index %s is missing: rebuilding it from the database",
                    index.path)
    else:
        reason = index.damage()
        if reason is None:
            return False
        log.error("search index %s is damaged (%s): rebuilding it from the database",
                  index.path, reason)
    count = search_rebuild_unchecked()
    log.warning("search index %s rebuilt with %d practices", index.path, count)
    return True


def search_pending() -> int:
    """Change-log entries this node's index has not applied (two numbers compared)."""
    return max(0, _latest_change_id() - get_index().last_change_id())


def search_apply_batch(limit: int) -> int:
    """One bounded batch for the background applier (kb.services.derived).

    A missing index, or one that fails to apply because it is damaged, is rebuilt."""
    try:
        if search_repair_requested(clear=True) and search_repair():
            return 1
        if not get_index().exists():
            return 1 if search_repair() else 0
        try:
            return _apply_batch(limit) or _fill_vectors()
        except IndexBusy:
            raise
        except IndexDamaged:
            if search_repair():
                return 1
            raise
        except IndexUnavailable:
            raise
        except Exception:
            if search_repair():  # Whoosh fails in many ways on a damaged file
                return 1
            raise
    except IndexUnavailable as exc:
        return _unwritable(exc)


#: called in the process that brought vectors into this node's index, with the practices
#: whose vectors were added to the live generation, or None when the whole index was
#: rebuilt with them (it ranked with words only before): what was derived from the index's
#: ranking, such as the stored similar practices (kb.services.readmodel), is made again
_vectors_added: list[Callable[[list[int] | None], None]] = []


def on_vectors_added(callback: Callable[[list[int] | None], None]) -> None:
    _vectors_added.append(callback)


def _announce_vectors(ids: list[int] | None) -> None:
    for callback in _vectors_added:
        try:
            callback(ids)
        except Exception:
            log.exception("after vectors were added to the search index")


_repair_requested: set[str] = set()
# how far the background applier has embedded the practices of an index folder whose live
# generation lacks the vectors dense retrieval needs (by practice id)
_vectors_done_upto: dict[str, int] = {}
#: practices embedded per applier round (about 2 a second): the applier lock is held for
#: seconds, not minutes, so the change log keeps being applied in between
VECTOR_BATCH = 16


def search_background_wanted() -> bool:
    """Whether this node's index needs work besides its backlog: a repair a search asked
    for, or vectors to embed (see search_start and _complete_vectors)."""
    index = get_index()
    return (index.path in _repair_requested or _vectors_missing(index)
            or bool(_unembedded_wanted()))


def _vectors_missing(index: SearchIndex) -> bool:
    """Whether this process ranks with vectors but the live generation has none: dense
    retrieval switched on since it was built, or a process without the model rebuilt it
    (a `kb reindex` run with other settings) while this one runs."""
    try:
        return index.vectors_missing()
    except IndexUnavailable:
        return False


# practices listed as unembedded that this process found changed again since (id, text
# hash), by index folder: they wait for the change log, not for another attempt
_unembedded_tried: dict[str, set[tuple[int, str]]] = {}


def _unembedded_wanted() -> list[int]:
    """The practices of the live generation that a process without the model applied
    (see SearchIndex.vectors_unembedded) and this process can embed now."""
    index = get_index()
    return _to_embed(index, _unembedded(index))


def _unembedded(index: SearchIndex) -> dict[int, str]:
    if not index.dense:
        return {}
    try:
        return index.vectors_unembedded()
    except IndexUnavailable:
        return {}


def _to_embed(index: SearchIndex, waiting: dict[int, str]) -> list[int]:
    """Those of ``waiting`` (vectors_unembedded) this process has not tried yet, when it
    has the model."""
    if not waiting:
        _unembedded_tried.pop(index.path, None)
        return []
    tried = _unembedded_tried.get(index.path, set())
    wanted = sorted(pid for pid, digest in waiting.items() if (pid, digest) not in tried)
    return wanted if wanted and index.embeds() else []


def _complete_vectors() -> int:
    """One applier round: embed up to VECTOR_BATCH of the practices another process
    applied without the model, into the live generation. Returns the practices handled."""
    index = get_index()
    waiting = _unembedded(index)
    ids = _to_embed(index, waiting)[:VECTOR_BATCH]
    if not ids:
        return 0
    batch = _load_practices(ids)
    docs = [doc for pid in ids if pid in batch
            and isinstance(doc := _doc_or_failure(batch[pid], 0), dict)]
    added = index.vectors_complete(docs)
    still = index.vectors_unembedded()
    _unembedded_tried.setdefault(index.path, set()).update(
        (pid, waiting[pid]) for pid in ids if still.get(pid) == waiting.get(pid))
    if added:
        log.info("dense retrieval: %d practices applied without the model embedded, "
                 "%d left", len(added), len(still))
        _announce_vectors(added)
    return len(ids)


def _fill_vectors() -> int:
    """One applier round of embedding (VECTOR_BATCH practices into the vector cache);
    once every published practice has its vector, the index is rebuilt from the cache
    (no embedding) and ranks with them. Returns the practices handled (0: nothing to do)."""
    index = get_index()
    if not index.vectors_missing():   # none missing, or another process of this node
        _vectors_done_upto.pop(index.path, None)    # finished them
        return _complete_vectors()
    if index.path not in _vectors_done_upto:
        log.info("search index %s has no vectors: embedding its practices (those not in "
                 "the vector cache) in the background, then rebuilding it", index.path)
    after = _vectors_done_upto.get(index.path, 0)
    ids = list(session().scalars(
        select(Practice.id).where(Practice.status == PracticeStatus.PUBLISHED,
                                  Practice.id > after)
        .order_by(Practice.id).limit(VECTOR_BATCH)))
    if ids:
        batch = _load_practices(ids)
        docs = [doc for pid in ids if isinstance(doc := _doc_or_failure(batch[pid], 0), dict)]
        embedded = index.vectors_fill(docs)
        _vectors_done_upto[index.path] = ids[-1]
        if embedded and ids[-1] // 500 != after // 500:   # progress, now and then
            left = session().scalar(select(func.count()).where(
                Practice.status == PracticeStatus.PUBLISHED, Practice.id > ids[-1]))
            log.info("dense retrieval: practices embedded up to id %d, %d left", ids[-1], left)
        return len(ids)
    log.info("every practice has its vector: rebuilding search index %s with them",
             index.path)
    count = search_rebuild_unchecked()
    _vectors_done_upto.pop(index.path, None)
    log.info("search index %s ranks with vectors: %d practices", index.path, count)
    _announce_vectors(None)
    return 1


def search_repair_soon() -> None:
    """A search found the index damaged: the background applier checks and rebuilds it
    (never the request itself)."""
    from kb.services.derived import start_applier

    _repair_requested.add(get_index().path)
    start_applier()


def search_repair_requested(clear: bool = False) -> bool:
    path = get_index().path
    requested = path in _repair_requested
    if clear:
        _repair_requested.discard(path)
    return requested


def search_refresh() -> int:
    """The bounded check a request makes before it searches; returns the changes pending.

    At most ``KB_SEARCH_SYNC_CHANGES`` pending changes are applied here, with
    a short wait for the index writer; a larger backlog is left to the
    background applier, which this starts if it is not running.
    """
    limit = current_app.config["SEARCH_SYNC_CHANGES"]
    if has_request_context() and (_vectors_missing(get_index()) or _unembedded_wanted()):
        from kb.services.derived import start_applier

        # from a request only: never in a process about to fork its workers
        start_applier()   # no-op while it runs
    try:
        if not get_index().exists():
            search_rebuild_unchecked()
            return 0
        pending = search_pending()
        if pending == 0:
            return 0
        if pending <= limit:
            _apply_batch(limit, timeout=_SYNC_LOCK_WAIT)
            return search_pending()
    except IndexUnavailable as exc:
        _unwritable(exc)
        return 0
    from kb.services.derived import start_applier

    start_applier()
    return pending


# a request waits at most this long for the index writer before answering from
# the last committed index (the background applier or the next request applies)
_SYNC_LOCK_WAIT = 0.5


def search_apply_own(change_ids: list[int]) -> None:
    """After a commit: apply the committed changes at once (bounded), for their author.

    When at most ``KB_SEARCH_SYNC_CHANGES`` older changes are pending in front
    of them, those are applied too (in order, one commit); otherwise only the
    changed practices are applied, ahead of the backlog, which the background
    applier works through.
    """
    if not change_ids:  # nothing collected: the bounded check a search makes
        search_refresh()
        return
    index = get_index()
    try:
        if not index.exists():
            search_rebuild_unchecked()
            return
        last = index.last_change_id()
        first, newest = min(change_ids), max(change_ids)
        if newest <= last:
            return
        if first - 1 - last <= current_app.config["SEARCH_SYNC_CHANGES"]:
            _apply_batch(newest - last)
            return
        rows = session().execute(select(ChangeLog.practice_id)
                                 .where(ChangeLog.id.in_(change_ids))).all()
        _apply_changes([r.practice_id for r in rows], newest, ahead=True)
    except IndexUnavailable as exc:
        _unwritable(exc)


def search_apply_bulk() -> int:
    """After a bulk import: apply everything pending in one index commit that also
    merges the index's segments (see derived.catch_up_after_bulk); how many were applied."""
    try:
        if not get_index().exists():
            search_rebuild_unchecked()
            return -1
        pending = search_pending()
        return _apply_batch(pending, optimize=True) if pending else 0
    except IndexUnavailable as exc:
        return _unwritable(exc)


def _apply_batch(limit: int, timeout: float | None = None, optimize: bool = False) -> int:
    """Apply the next ``limit`` change-log entries in one index commit; how many were applied."""
    index = get_index()
    last = index.last_change_id()
    rows = session().execute(
        select(ChangeLog.id, ChangeLog.practice_id)
        .where(ChangeLog.id > last).order_by(ChangeLog.id).limit(limit)).all()
    if not rows:
        return 0
    if not _apply_changes([r.practice_id for r in rows], rows[-1].id, timeout=timeout,
                          optimize=optimize):
        return 0
    return len(rows)


def _apply_changes(practice_ids: list[int], upto: int, ahead: bool = False,
                   timeout: float | None = None, optimize: bool = False) -> bool:
    """Index the current state of these practices as of change ``upto``; False when busy."""
    ids: list[int] = list(dict.fromkeys(practice_ids))
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
        _log_failures(get_index().apply(changes, upto=upto, ahead=ahead, timeout=timeout,
                                        optimize=optimize) or [],
                      {pid for pid, doc in changes if isinstance(doc, IndexFailure)})
    except IndexBusy:
        log.warning("search index busy; %d change(s) will be applied by the next catch-up",
                    len(changes))
        return False
    return True


def search_start() -> None:
    """At start: say which text analysis runs, and rebuild an index that was
    built with another one (its documents and the queries would not meet)."""
    from search.decompound import decompounder, setup

    d = decompounder()
    log.info("search analysis: %s", setup()["decompounding"])
    if d.voikko_error:
        log.info("Finnish without Voikko (%s): compounds split by word frequencies; "
                 "install the Debian packages libvoikko1 and voikko-fi for lemmas", d.voikko_error)
    index = get_index()
    log.info("search ranking: %s", index.dense_status())
    if _readable(index) and index.analysis_outdated():
        log.info("search index built with another analysis set-up (%s): rebuilding it",
                 index.analysis())
        search_rebuild_unchecked()
    elif _readable(index) and index.vectors_missing():
        # lexical search is still right: answer with it while the background applier
        # embeds the practices a few at a time, then rebuilds from the vector cache
        log.warning("search index %s has no vectors for dense retrieval: search is lexical "
                    "until the background applier has embedded every practice (about 2 a "
                    "second, fewer when `kb vectors import` brought them)", index.path)


#: the vectors shipped with a folder of practice documents (``kb vectors export``)
FOLDER_VECTORS = "vectors.npz"


def search_vectors_export(identity: Identity, path: str) -> int:
    """Write this node's cached practice vectors to a file; returns how many."""
    require(identity, "search.reindex")
    return get_index().vectors_export(path)


def search_vectors_import(identity: Identity, path: str) -> int:
    """Add the vectors of a file written by search_vectors_export to this node's cache,
    so the practices they were made from are not embedded again; returns how many were
    new. A file that is not a vectors file is refused (InvalidInput on "file")."""
    require(identity, "search.reindex")
    try:
        return get_index().vectors_import(path)
    except ValueError as exc:   # the message names the file
        raise InvalidInput({"file": str(exc)}) from None


def search_vectors_of_folder(directory) -> int:
    """Before a folder of documents is imported: the vectors shipped with it (its
    vectors.npz, as the bundled practices have) join this node's cache. A damaged file
    is logged and skipped; the documents are then embedded as usual."""
    index = get_index()
    path = Path(directory) / FOLDER_VECTORS
    if not index.dense or not path.is_file():
        return 0
    try:
        return index.vectors_import(str(path))
    except (ValueError, OSError) as exc:
        log.warning("vectors shipped with %s not used: %s", directory, exc)
        return 0


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
                    organization: str | None = None, expand: bool = True) -> SearchResults:
    """Search what the viewer may see. ``expand``: also search the glossary's
    labels of the typed words in the other languages (False: "only in my
    language"); the labels searched are in ``SearchResults.expanded``."""
    require(identity, "kb.read")
    pending = search_refresh()
    if sort not in SORTS:
        sort = "relevance"
    per_page = per_page or current_app.config["PER_PAGE"]
    if sort == "like_mine":
        results = _like_mine(identity, q, filters or {}, max(1, page), per_page, organization,
                             expand)
    else:
        results = get_index().search(
            q=q or "", filters=filters or {}, viewer=_viewer_for(identity), sort=sort,
            page=max(1, page), per_page=per_page, expand=expand)
    results.pending = pending
    return results


def _like_mine(identity: Identity, q: str, filters: dict, page: int, per_page: int,
               organization: str | None, expand: bool = True) -> SearchResults:
    """The best matches re-ranked by how much their city's context resembles mine.

    The context is the chosen organization, or the first one the viewer acts for;
    without one, the order stays by relevance. See docs/exchange.md for the score.
    """
    from kb.models import Organization
    from kb.services.exchange import first_organization, like_mine_scores

    org = None
    if organization:
        org = session().scalar(select(Organization).where(Organization.slug == organization))
    org = org or first_organization(identity)
    results = get_index().search(q=q or "", filters=filters, viewer=_viewer_for(identity),
                                 sort="relevance", page=1, per_page=LIKE_MINE_WINDOW,
                                 expand=expand)
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
    search_refresh()
    if len(prefix.strip()) < 2:
        return []
    return get_index().autocomplete(prefix.strip(), viewer=_viewer_for(identity), limit=limit)


def practice_similar(identity: Identity, slug: str, limit: int = 5):
    practice = session().scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise NotFound(f"no practice at {slug}")
    require(identity, "practice.view", practice)
    search_refresh()
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
    search_refresh()
    return get_index().similar_to_text(doc.title, doc.summary, markdown_to_text(doc.body),
                                       doc.language, viewer=_viewer_for(identity), limit=limit,
                                       translations=doc.translations)
