"""Cities like mine: practices from organizations in a context like the reader's.

docs/exchange.md explains the score to officials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple

from flask_babel import get_locale, gettext as _
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from kb import world
from kb.content.vocab import POPULATION_BANDS, population_band
from kb.db import session
from kb.models import Membership, Organization, OrganizationPlace, Practice, Revision
from kb.services.aggregates import data_version, kept_by
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.permissions import organization_known_to, require
from kb.services.exchange.common import published_of
from kb.services.practices import PracticeCard, load_for_cards, visible_practices

# ------------------------------------------------------------ cities like mine

# Neighbouring countries: land borders of Natural Earth's countries, plus short sea links
# with a bridge, a tunnel or regular ferries (kb.world, built by scripts/world_atlas.py).
NEIGHBOURS = world.NEIGHBOURS

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
    kind: str | None = None  # of the practice's organization


class Choice(NamedTuple):
    """An organization to choose from."""

    id: int
    slug: str
    name: str
    country: str | None


@dataclass
class CitiesLikeMine:
    organization: Organization | None
    context: Context | None
    results: list[LikeMine]
    organizations: list[Choice]  # to choose from (empty when not asked for)
    # what the choices were read from: equal versions, equal choices (a page may keep
    # their rendered list by it)
    organizations_version: tuple = ()


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


def _elsewhere(org: Organization) -> ColumnElement[bool]:
    """Not the organization itself, nor another at its confirmed GeoNames place (the
    city's other bodies): their practices are the reader's own city's, not a city like it."""
    place = org.place.geonames_id if org.place is not None else None
    other = Practice.organization_id != org.id
    if place is None:
        return other
    return and_(other, Practice.organization_id.not_in(select(
        OrganizationPlace.organization_id).where(OrganizationPlace.geonames_id == place)))


def cities_like_mine(identity: Identity, organization: str | None = None,
                     limit: int = 20, choices: bool = True) -> CitiesLikeMine:
    """Published practices from organizations in a context like mine, best first; with
    `choices`, the organizations to choose from too (every one with a visible practice,
    and the reader's own)."""
    require(identity, "kb.read")
    org = None
    if organization:
        org = session().scalar(select(Organization).where(Organization.slug == organization,
                                                          organization_known_to(identity)))
        if org is None:
            raise NotFound(_("No such organization."))
    else:
        org = first_organization(identity)
    current = data_version(identity)
    version = ("cities_like_mine_choices", current,
               org.id if org is not None else None) if choices else ()
    listed = kept_by(version, lambda: _choices(identity, org)) if choices else []
    if org is None:
        return CitiesLikeMine(None, None, [], listed, version)
    mine = context_of(org)
    # ranked over every visible practice: kept per data version (kb.services.aggregates)
    # and language (the reasons are translated)
    ranked = kept_by(("cities_like_mine", current, org.id, repr(mine), limit,
                      str(get_locale())), lambda: _ranked(identity, org, mine, limit))
    return CitiesLikeMine(org, mine, ranked, listed, version)


def _choices(identity: Identity, org: Organization | None) -> list[Choice]:
    # correlated: each organization's practices are looked up by their index
    known: ColumnElement[bool] = visible_practices(identity).where(
        Practice.organization_id == Organization.id).exists()
    if org is not None:
        known = or_(known, Organization.id == org.id)
    return [Choice(*row) for row in session().execute(select(
        Organization.id, Organization.slug, Organization.name, Organization.country).where(
        known).order_by(Organization.name))]


def _ranked(identity: Identity, org: Organization, mine: Context, limit: int
            ) -> list[LikeMine]:
    score = _score_sql(mine)
    best = session().scalars(load_for_cards(visible_practices(identity).join(
        Organization, Organization.id == Practice.organization_id).where(
        _elsewhere(org), score > 0)).order_by(
        score.desc(), Practice.published_at.desc(), Practice.slug).limit(limit)).unique()
    ranked = []
    for p in best:
        rev = published_of(p)
        theirs = Context(rev.country, rev.population_band or
                         population_band(p.organization.population), p.organization.kind)
        points, reasons = similarity(mine, theirs)  # the score the query ranked by
        ranked.append(LikeMine(PracticeCard.of(p), points, reasons, p.organization.kind))
    return ranked


def _band_sql():
    """A practice's population band as `similarity` reads it: its document's, else its
    organization's population's."""
    return func.coalesce(Revision.population_band, case(*[
        ((Organization.population >= low) if high is None else
         and_(Organization.population >= low, Organization.population < high), key)
        for key, _label, low, high in POPULATION_BANDS], else_=None))


def _score_sql(mine: Context):
    """`similarity(mine, theirs)`'s score as one SQL expression, to rank in the database."""
    score: ColumnElement[float] = literal(0.0)
    if mine.band:
        band, near = _band_sql(), [k for k, i in _BAND_ORDER.items()
                                   if abs(i - _BAND_ORDER[mine.band]) == 1]
        score = score + case((band == mine.band, SCORE_SAME_BAND),
                             (band.in_(near), SCORE_NEIGHBOUR_BAND), else_=0.0)
    if mine.country:
        score = score + case((Revision.country == mine.country, SCORE_SAME_COUNTRY),
                             (Revision.country.in_(sorted(NEIGHBOURS.get(mine.country, ()))),
                              SCORE_NEIGHBOUR_COUNTRY), else_=0.0)
    if mine.kind and mine.kind != "other":
        score = score + case((Organization.kind == mine.kind, SCORE_SAME_KIND), else_=0.0)
    return score


def like_mine_scores(organization: Organization,
                     practices: Iterable[Practice]) -> dict[str, float]:
    """Score of each practice against one organization (for a search sort)."""
    mine = context_of(organization)
    out = {}
    for p in practices:
        rev = published_of(p)
        out[p.slug] = similarity(mine, Context(rev.country, rev.population_band,
                                               p.organization.kind))[0]
    return out
