"""One service call per page: each returns everything its page shows, as a typed result.

The templates only format these results; they call no service. What depends on many
practices is read from the read model (kb.services.readmodel), never computed per view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.services.editorial import is_following
from kb.services.exchange import (CitiesLikeMine, PracticePanel, cities_like_mine,
                                  practice_panel_get)
from kb.services.identity import Identity
from kb.services.permissions import require
from kb.services.practices import (Facets, Home, Page, PracticeCard, PracticeDetail, home_get,
                                   practice_facets, practice_get, practice_list)
from kb.services.readmodel import read_model_refresh, similar_cards
from kb.services.tags.reading import PracticeTags, practice_tags_get

HOME_LIKE_MINE = 5
SIMILAR_ON_PAGE = 5


@dataclass
class HomePage:
    home: Home
    like_mine: CitiesLikeMine | None  # for a signed-in person only


def home_page_get(identity: Identity) -> HomePage:
    """The home page: featured and newest practices, facets, and cities like mine."""
    require(identity, "kb.read")
    like = cities_like_mine(identity, limit=HOME_LIKE_MINE, choices=False) \
        if identity.user_id is not None else None
    return HomePage(home_get(identity), like)


@dataclass
class PracticePage:
    detail: PracticeDetail
    panel: PracticePanel
    following: bool  # the reader follows this practice
    similar: list[PracticeCard] = field(default_factory=list)  # stored when published
    tags: PracticeTags | None = None  # the owner's, then the community's, and the form


def practice_page_get(identity: Identity, slug: str) -> PracticePage:
    """A practice page: the practice, what the exchange adds to it, similar practices."""
    read_model_refresh()  # bounded; before anything is loaded: applying commits
    detail = practice_get(identity, slug)
    panel = practice_panel_get(identity, slug)
    following = is_following(identity, detail.card.id) if identity.user_id else False
    return PracticePage(detail, panel, following,
                        similar_cards(identity, detail.card.id, limit=SIMILAR_ON_PAGE),
                        practice_tags_get(identity, slug))


@dataclass
class PracticeWithTags:
    detail: PracticeDetail
    tags: PracticeTags  # the owner's, then the community's with their provenance


def practice_with_tags_get(identity: Identity, slug: str) -> PracticeWithTags:
    """A practice and its tags, as the JSON API answers for its address (a network's
    private tags for those who may see them only)."""
    detail = practice_get(identity, slug)
    return PracticeWithTags(detail, practice_tags_get(identity, slug))


@dataclass
class PracticeListPage:
    practices: Page
    facets: Facets


def practice_list_page_get(identity: Identity, filters: dict[str, list[str]] | None = None,
                           page: int = 1, per_page: int = 20) -> PracticeListPage:
    """The list of practices: one page of them, and the counts to filter by."""
    require(identity, "kb.read")
    return PracticeListPage(practice_list(identity, filters, page=page, per_page=per_page),
                            practice_facets(identity))
