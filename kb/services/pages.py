"""One service call per page: each returns everything its page shows, as a typed result.

The templates only format these results; they call no service. A part of a page that
may fail on its own (similar practices from the search index) is answered here, so an
error is decided by the service rather than swallowed by a template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kb.services.editorial import is_following
from kb.services.errors import ServiceError
from kb.services.exchange import (CitiesLikeMine, PracticePanel, cities_like_mine,
                                  practice_panel_get)
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.services.practices import Home, PracticeDetail, home_get, practice_get
from kb.services.search import practice_similar

log = logging.getLogger(__name__)

HOME_LIKE_MINE = 5
SIMILAR_ON_PAGE = 5


@dataclass
class HomePage:
    home: Home
    like_mine: CitiesLikeMine | None  # for a signed-in person only


def home_page_get(identity: Identity) -> HomePage:
    """The home page: featured and newest practices, facets, and cities like mine."""
    require(identity, "kb.read")
    like = cities_like_mine(identity, limit=HOME_LIKE_MINE) \
        if identity.user_id is not None else None
    return HomePage(home_get(identity), like)


@dataclass
class PracticePage:
    detail: PracticeDetail
    panel: PracticePanel
    following: bool  # the reader follows this practice
    similar: list = field(default_factory=list)  # search hits; empty when search is down


def practice_page_get(identity: Identity, slug: str) -> PracticePage:
    """A practice page: the practice, what the exchange adds to it, similar practices."""
    detail = practice_get(identity, slug)
    panel = practice_panel_get(identity, slug)
    following = is_following(identity, detail.card.id) if identity.user_id else False
    try:
        similar = list(practice_similar(identity, slug, limit=SIMILAR_ON_PAGE))
    except ServiceError as error:  # the page stands without them; the log says why
        log.warning("similar practices of %s unavailable: %s", slug, error)
        similar = []
    return PracticePage(detail, panel, following, similar)
