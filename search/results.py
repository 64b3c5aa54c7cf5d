"""Plain result objects: JSON-serializable with ``dataclasses.asdict``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class IndexBusy(Exception):
    """Another writer held the index lock for longer than the lock timeout."""


class IndexUnavailable(Exception):
    """The index directory cannot be read or written (permissions, a full or
    read-only disk, a file where the directory should be). ``path`` names it."""

    def __init__(self, path: str, reason: BaseException | str):
        self.path = path
        self.reason = reason
        super().__init__(f"search index {path}: {reason}")


class IndexDamaged(IndexUnavailable):
    """The live index cannot be read: a file of it is missing, truncated or garbled.

    Rebuilding it from the data (``SearchIndex.rebuild``) repairs it; until then searches
    cannot be answered, as for any unavailable index."""


@dataclass(frozen=True)
class IndexFailure:
    """A practice that could not be indexed: left out of the index and reported.

    Passed to ``SearchIndex.apply``/``rebuild`` in place of a document that
    could not be built, and returned by ``SearchIndex.failures()``. A later
    successful document (or a delete) for the same practice clears it.
    """

    practice_id: int
    slug: str
    error: str
    change_id: int = 0
    failed_at: str = ""


@dataclass(frozen=True)
class Viewer:
    """Who is searching. ``Viewer()`` is an anonymous member of the public.

    A practice with visibility "network" is visible only when ``see_all`` is
    set or one of its networks is in ``networks``.
    """

    networks: frozenset[str] = frozenset()
    see_all: bool = False

    def key(self) -> tuple:
        return ("*",) if self.see_all else tuple(sorted(self.networks))


@dataclass
class Hit:
    id: int
    slug: str
    title: str
    summary: str
    language: str
    organization: str
    organization_slug: str
    country: str
    themes: list[str]
    stage: str
    evidence: str
    population: int | None
    published_at: datetime | None
    adaptations_count: int
    score: float
    snippet: str = ""
    # {language: {"title", "summary"}}: the contributor's translations
    translations: dict = field(default_factory=dict)
    # the headline outcome row as a plain dict (indicator, baseline, result, ...)
    headline: dict | None = None
    evidence_shown: str = ""
    # a fictional example, ranked after real practices of the same relevance
    example: bool = False
    # the owner's tags, then public community tags: {"key", "label", "owner", "cities"}
    tags: list = field(default_factory=list)


@dataclass
class SearchResults:
    total: int
    page: int
    per_page: int
    pages: int
    hits: list[Hit]
    # read only: the index keeps an answer for the same search asked again
    facets: dict[str, list[dict]] = field(default_factory=dict)
    suggestion: str | None = None
    degraded: bool = False
    sort: str = "relevance"
    # the limits the query reached (search.querying.LimitHit), for a message to the user
    limits: list = field(default_factory=list)
    # glossary labels in other languages that were searched too ("also searched")
    expanded: list[str] = field(default_factory=list)
    # changes the index had not applied yet when it answered (its caller sets it)
    pending: int = 0
