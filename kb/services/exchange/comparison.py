"""Outcome comparison along a lineage, indicator mappings, and the "replicated" mark."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from kb.db import session
from kb.models import ChangeAction, ChangeLog, IndicatorMapping, Practice, PracticeStatus
from kb.services import effects
from kb.services.accounts import audit
from kb.services.csvfile import csv_text
from kb.services.errors import Conflict, InvalidInput
from kb.services.exchange.common import (MAX_DEPTH, family, norm,
                                         family_pool,
                                         indicator_key, indicator_mappings, outcomes_of,
                                         practice_by_slug, resolve_key, visible_published)
from kb.services.identity import Identity
from kb.services.permissions import can, require
from kb.services.practices import PracticeCard, load_for_cards
from kb.services.replication_rules import REPLICATED_MIN_CITIES, replications
from kb.services.uow import UnitOfWork

# ------------------------------------------------------------- comparison


@dataclass
class ComparisonRow:
    slug: str
    title: str
    organization: str
    country: str
    indicator: str  # as the practice names it
    unit: str
    baseline: float | int | None
    result: float | int
    relative_change: float | None
    improved: bool | None
    period: str | None
    original: bool
    current: bool
    mapped: bool
    # inhabitants, where known (never for a fictional example's illustrative town)
    population: int | None = None
    # the values per 1,000 inhabitants, for counts and volumes where the population is known
    baseline_per_1000: float | None = None
    result_per_1000: float | None = None
    example: bool = False  # a fictional example: illustrative figures


# Units of counts and volumes (before any "/year" or "per year"), for which a value per
# 1,000 inhabitants compares places of different size. Rates, shares, times and money
# are compared as they are. Documented in docs/exchange.md.
COUNT_UNITS = {"count", "number", "cases", "people", "persons", "households", "inhabitants",
               "residents", "visits", "trips", "passengers", "vehicles", "cars", "dwellings",
               "homes", "apartments", "reports", "calls", "incidents",
               "kpl", "henkilöä", "asukasta", "käyntiä", "matkaa", "matkustajaa",
               "ilmoitusta", "st", "stycken", "personer", "lägenheter", "bilar", "anzahl",
               "personen", "nombre", "personnes"}
VOLUME_UNITS = {"m3", "m³", "cubic metres", "cubic meters", "l", "litres", "liters",
                "megalitres", "megaliters", "ml", "kuutiometriä", "litraa", "kubikmeter",
                "liter"}


def per_1000_applies(unit: str) -> bool:
    """Whether values in this unit are counts or volumes (so per 1,000 inhabitants)."""
    base = norm(unit).split("/")[0].split(" per ")[0].strip()
    return base in COUNT_UNITS or base in VOLUME_UNITS


def per_1000(value, population: int | None) -> float | None:
    if value is None or not population or population <= 0:
        return None
    return value * 1000 / population


@dataclass
class ComparisonGroup:
    key: str
    indicator: str
    unit: str
    rows: list[ComparisonRow]

    @property
    def cities(self) -> int:
        return len({r.slug for r in self.rows})

    @property
    def scale(self) -> float:
        values = [abs(v) for r in self.rows for v in (r.baseline, r.result) if v is not None]
        return max(values) if values and max(values) > 0 else 1.0

    @property
    def has_baseline(self) -> bool:
        return any(r.baseline is not None for r in self.rows)

    @property
    def change_scale(self) -> float:
        """The largest relative change (in absolute value), for the change chart."""
        values = [abs(r.relative_change) for r in self.rows if r.relative_change is not None]
        return max(values) if values and max(values) > 0 else 1.0

    @property
    def has_change(self) -> bool:
        return any(r.relative_change is not None for r in self.rows)

    @property
    def per_1000(self) -> bool:
        """Values per 1,000 inhabitants are charted when two or more rows have them."""
        return sum(1 for r in self.rows if r.result_per_1000 is not None) >= 2

    @property
    def per_1000_scale(self) -> float:
        values = [abs(v) for r in self.rows for v in (r.baseline_per_1000, r.result_per_1000)
                  if v is not None]
        return max(values) if values and max(values) > 0 else 1.0


@dataclass
class MappingChoice:
    key: str
    indicator: str
    unit: str
    mapped_to: str | None
    targets: list[tuple[str, str]]  # (key, label)


@dataclass
class Comparison:
    slug: str
    root_slug: str
    groups: list[ComparisonGroup]
    practices: int
    can_map: bool
    mapping: list[MappingChoice]

    @property
    def shared(self) -> list[ComparisonGroup]:
        """Indicators reported by two or more practices of the lineage."""
        return [g for g in self.groups if g.cities >= 2]


def _compare(practice: Practice, members: list[Practice], root: Practice,
             mappings: dict[tuple[int, str], str]) -> list[ComparisonGroup]:
    owners: dict[str, set[int]] = defaultdict(set)
    for p in members:
        for o in outcomes_of(p):
            owners[indicator_key(o.indicator, o.unit)].add(p.id)
    groups: dict[str, ComparisonGroup] = {}
    order = {p.id: i for i, p in enumerate(members)}
    for p in sorted(members, key=lambda m: order[m.id]):
        card = PracticeCard.of(p)
        for o in outcomes_of(p):
            own = indicator_key(o.indicator, o.unit)
            key = resolve_key(p.id, own, mappings, owners)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ComparisonGroup(key, o.indicator, o.unit, [])
            population = None if card.example else (
                p.organization.population or card.population)
            counted = per_1000_applies(o.unit)
            group.rows.append(ComparisonRow(
                slug=p.slug, title=card.title, organization=card.organization,
                country=card.country, indicator=o.indicator, unit=o.unit,
                baseline=o.baseline, result=o.result, relative_change=o.relative_change,
                improved=o.improved, period=None if o.period is None else str(o.period),
                original=p.id == root.id, current=p.id == practice.id, mapped=key != own,
                population=population,
                baseline_per_1000=per_1000(o.baseline, population) if counted else None,
                result_per_1000=per_1000(o.result, population) if counted else None,
                example=card.example))
    return list(groups.values())


def comparison_get(identity: Identity, slug: str) -> Comparison:
    """The outcomes of a practice's whole lineage, matched indicator by indicator."""
    require(identity, "kb.read")
    practice = practice_by_slug(slug)
    require(identity, "practice.view", practice)
    return comparison_of(identity, practice, family_pool(identity, practice))


def comparison_of(identity: Identity, practice: Practice, visible: list[Practice]) -> Comparison:
    slug = practice.slug
    root, members, _children, _missing = family(practice, visible)
    mappings = indicator_mappings(p.id for p in members)
    groups = _compare(practice, members, root, mappings)
    can_map = len(members) > 1 and can(identity, "indicator.map", practice)
    choices = []
    if can_map:
        targets: dict[str, str] = {}
        for p in members:
            if p.id == practice.id:
                continue
            for o in outcomes_of(p):
                targets.setdefault(indicator_key(o.indicator, o.unit),
                                   f"{o.indicator} ({o.unit}) – {p.organization.name}")
        for o in outcomes_of(practice):
            own = indicator_key(o.indicator, o.unit)
            choices.append(MappingChoice(own, o.indicator, o.unit,
                                         mappings.get((practice.id, own)),
                                         sorted(((k, v) for k, v in targets.items() if k != own),
                                                key=lambda kv: kv[1].casefold())))
    return Comparison(slug, root.slug, groups, len(members), can_map, choices)


def indicator_mapping_save(identity: Identity, slug: str, indicator: str,
                           target: str | None) -> None:
    """The author says an indicator of their practice is the same as one named
    differently in its lineage (or, with no target, removes that mapping)."""
    practice = practice_by_slug(slug)
    require(identity, "indicator.map", practice)
    if practice.published_revision is None:
        raise Conflict(_("Only a published practice can be compared."))
    own = {indicator_key(o.indicator, o.unit) for o in outcomes_of(practice)}
    if indicator not in own:
        raise InvalidInput({"indicator": _("This practice reports no such indicator.")})
    if target:
        _root, members, _c, _m = family(practice, family_pool(identity, practice))
        allowed = {indicator_key(o.indicator, o.unit) for p in members if p.id != practice.id
                   for o in outcomes_of(p)}
        if target not in allowed or target == indicator:
            raise InvalidInput({"target": _("Choose an indicator of a related practice.")})
    with UnitOfWork() as uow:
        row = session().get(IndicatorMapping, (practice.id, indicator))
        if target:
            if row is None:
                row = IndicatorMapping(practice_id=practice.id, indicator_key=indicator)
                session().add(row)
            row.target_key, row.created_by_id = target, identity.user_id
        elif row is not None:
            session().delete(row)
        audit(identity, "practice.indicator_map", "practice", slug, indicator=indicator,
              target=target or None)
        # the "replicated" mark of the originals above may change: search re-reads them
        cursor, seen = practice.adapted_from_slug, {practice.slug}
        while cursor and cursor not in seen and len(seen) < MAX_DEPTH:
            seen.add(cursor)
            parent = session().scalar(select(Practice).where(Practice.slug == cursor))
            if parent is None:
                break
            if parent.status == PracticeStatus.PUBLISHED:
                session().add(ChangeLog(practice_id=parent.id, slug=parent.slug,
                                        action=ChangeAction.UPDATE,
                                        revision_id=parent.published_revision_id))
            cursor = parent.adapted_from_slug
        effects.after_practice_change(uow)


def comparison_csv(identity: Identity, slug: str) -> str:
    require(identity, "kb.read")
    comparison = comparison_get(identity, slug)
    return csv_text(
        ["indicator", "unit", "practice", "organization", "country", "reported_indicator",
         "baseline", "result", "relative_change", "improved", "period", "original",
         "population", "baseline_per_1000", "result_per_1000"],
        ([g.indicator, g.unit, r.slug, r.organization, r.country, r.indicator,
          _blank(r.baseline), r.result, _rounded(r.relative_change),
          "" if r.improved is None else str(r.improved).lower(), r.period or "",
          str(r.original).lower(), _blank(r.population), _rounded(r.baseline_per_1000),
          _rounded(r.result_per_1000)] for g in comparison.groups for r in g.rows))


def _blank(value):
    return "" if value is None else value


def _rounded(value):
    return "" if value is None else round(value, 4)


# ------------------------------------------------------------- replicated

@dataclass
class Replication:
    replicated: bool
    improving_cities: list[str]
    minimum: int = REPLICATED_MIN_CITIES


def replication_get(identity: Identity, slug: str) -> Replication:
    """Whether a practice is replicated, over the practices the viewer may see."""
    require(identity, "kb.read")
    practice = practice_by_slug(slug)
    require(identity, "practice.view", practice)
    return replication_of(identity, practice, family_pool(identity, practice))


def replication_of(identity: Identity, practice: Practice, visible: list[Practice]) -> Replication:
    _root, members, _c, _m = family(practice, visible)
    cities = replications(members).get(practice.slug, [])
    return Replication(len(cities) >= REPLICATED_MIN_CITIES, cities)


def replicated_slugs(identity: Identity) -> dict[str, list[str]]:
    """Replicated practices among those the identity may see, with the improving cities."""
    require(identity, "kb.read")
    return {slug: cities for slug, cities in replications(visible_published(identity)).items()
            if len(cities) >= REPLICATED_MIN_CITIES}


def replicated_for_index(practice: Practice) -> bool:
    """The "replicated" mark as the public search index holds it.

    Only public published practices count, so the mark never reveals a
    network-only adaptation. Loads the practice's descendants only (a few
    queries, none for a practice nobody adapted).
    """
    if not practice.is_public or practice.published_revision is None:
        return False
    family, frontier, seen = [practice], [practice.slug], {practice.slug}
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        found = list(session().scalars(load_for_cards(select(Practice).join(
            Practice.published_revision).where(
            Practice.status == PracticeStatus.PUBLISHED, Practice.visibility == "public",
            Practice.adapted_from_slug.in_(frontier)))).unique())
        frontier = [p.slug for p in found if p.slug not in seen]
        seen.update(frontier)
        family += [p for p in found if p.slug in frontier]
    if len(family) <= REPLICATED_MIN_CITIES:
        return False
    return len(replications(family).get(practice.slug, [])) >= REPLICATED_MIN_CITIES
