"""Cities like mine: practices from organizations in a context like the reader's.

docs/exchange.md explains the score to officials.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.vocab import POPULATION_BANDS, population_band
from kb.db import session
from kb.models import Membership, Organization, Practice
from kb.services.errors import NotFound
from kb.services.exchange.common import visible_published
from kb.services.identity import Identity
from kb.services.permissions import organization_known_to, require
from kb.services.practices import PracticeCard

# ------------------------------------------------------------ cities like mine

# Neighbouring countries (land borders and short sea links with regular ferries or a
# bridge) for the European countries in the knowledge base. Symmetric by construction.
_NEIGHBOUR_PAIRS = """
AT-CZ AT-DE AT-HU AT-IT AT-SI AT-SK AT-CH AT-LI BE-DE BE-FR BE-LU BE-NL CZ-DE CZ-PL CZ-SK
DE-DK DE-FR DE-LU DE-NL DE-PL DE-CH DK-SE DK-NO EE-FI EE-LV EE-RU ES-FR ES-PT ES-AD FI-SE
FI-NO FI-RU FR-IT FR-LU FR-CH FR-AD FR-MC GB-IE GB-FR IS-NO IS-GB IT-SI IT-CH IT-SM IT-VA
NL-GB NO-SE PL-SK PL-LT PL-UA PL-BY SE-EE SI-HR SI-HU LV-LT HR-HU HU-SK SK-UA
"""
NEIGHBOURS: dict[str, frozenset[str]] = {}
for _pair in _NEIGHBOUR_PAIRS.split():
    _a, _b = _pair.split("-")
    NEIGHBOURS[_a] = NEIGHBOURS.get(_a, frozenset()) | {_b}
    NEIGHBOURS[_b] = NEIGHBOURS.get(_b, frozenset()) | {_a}

SCORE_SAME_BAND = 3.0
SCORE_NEIGHBOUR_BAND = 1.5
SCORE_SAME_COUNTRY = 2.0
SCORE_NEIGHBOUR_COUNTRY = 1.0
SCORE_SAME_KIND = 1.0
_BAND_ORDER = {key: i for i, (key, *_rest) in enumerate(POPULATION_BANDS)}


@dataclass
class Context:
    country: str | None
    band: str | None
    kind: str | None


@dataclass
class LikeMine:
    card: PracticeCard
    score: float
    reasons: list[str]


@dataclass
class CitiesLikeMine:
    organization: Organization | None
    context: Context | None
    results: list[LikeMine]
    organizations: list[Organization]  # to choose from


def similarity(mine: Context, theirs: Context) -> tuple[float, list[str]]:
    """The "cities like mine" score of one context against mine, with its reasons."""
    score, reasons = 0.0, []
    if mine.band and theirs.band:
        gap = abs(_BAND_ORDER[mine.band] - _BAND_ORDER[theirs.band])
        if gap == 0:
            score += SCORE_SAME_BAND
            reasons.append(_("same population band"))
        elif gap == 1:
            score += SCORE_NEIGHBOUR_BAND
            reasons.append(_("neighbouring population band"))
    if mine.country and theirs.country:
        if mine.country == theirs.country:
            score += SCORE_SAME_COUNTRY
            reasons.append(_("same country"))
        elif theirs.country in NEIGHBOURS.get(mine.country, ()):
            score += SCORE_NEIGHBOUR_COUNTRY
            reasons.append(_("neighbouring country"))
    if mine.kind and theirs.kind and mine.kind == theirs.kind and mine.kind != "other":
        score += SCORE_SAME_KIND
        reasons.append(_("same kind of organization"))
    return score, reasons


def context_of(org: Organization) -> Context:
    return Context((org.country or "").upper() or None, population_band(org.population),
                   org.kind)


def first_organization(identity: Identity) -> Organization | None:
    if not identity.organizations or identity.user_id is None:
        return None
    return session().scalar(select(Organization).join(
        Membership, Membership.organization_id == Organization.id).where(
        Membership.user_id == identity.user_id).order_by(Membership.created_at, Membership.id)
        .limit(1))


def cities_like_mine(identity: Identity, organization: str | None = None,
                     limit: int = 20) -> CitiesLikeMine:
    """Published practices from organizations in a context like mine, best first."""
    require(identity, "kb.read")
    org = None
    if organization:
        org = session().scalar(select(Organization).where(Organization.slug == organization,
                                                          organization_known_to(identity)))
        if org is None:
            raise NotFound(_("No such organization."))
    else:
        org = first_organization(identity)
    visible = visible_published(identity)
    choices_ids = {p.organization_id for p in visible}
    if org is not None:
        choices_ids.add(org.id)
    choices = list(session().scalars(select(Organization).where(
        Organization.id.in_(choices_ids)).order_by(Organization.name))) if choices_ids else []
    if org is None:
        return CitiesLikeMine(None, None, [], choices)
    mine = context_of(org)
    ranked = []
    for p in visible:
        if p.organization_id == org.id:
            continue
        rev = p.published_revision
        theirs = Context(rev.country, rev.population_band or
                         population_band(p.organization.population), p.organization.kind)
        score, reasons = similarity(mine, theirs)
        if score > 0:
            ranked.append(LikeMine(PracticeCard.of(p), score, reasons))
    ranked.sort(key=lambda r: (-r.score, -(r.card.published_at or dt.datetime.min).timestamp(),
                               r.card.slug))
    return CitiesLikeMine(org, mine, ranked[:limit], choices)


def like_mine_scores(organization: Organization,
                     practices: Iterable[Practice]) -> dict[str, float]:
    """Score of each practice against one organization (for a search sort)."""
    mine = context_of(organization)
    out = {}
    for p in practices:
        rev = p.published_revision
        out[p.slug] = similarity(mine, Context(rev.country, rev.population_band,
                                               p.organization.kind))[0]
    return out
