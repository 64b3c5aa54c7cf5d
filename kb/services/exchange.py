"""Adapt, compare, learn: lineage, outcome comparison, cities like mine, dashboards.

Everything a reader sees here is computed from the practices the reader may
see (kb.services.practices._visible_practices, one SQL condition),
so a network-only practice is never counted, drawn or compared for someone
outside its networks. docs/exchange.md explains the rules for officials:
the "replicated" mark and the "cities like mine" score.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.document import Outcome, Problem, ValidationFailed, serialize_practice, slugify
from kb.content.vocab import EVIDENCE, POPULATION_BANDS, STAGES, population_band
from kb.db import session
from kb.models import (
    Follow,
    IndicatorMapping,
    Membership,
    MemberRole,
    Network,
    Organization,
    OrganizationFollow,
    Practice,
    PracticeStatus,
    Revision,
    User,
)
from kb.services.csvfile import csv_text
from kb.services.errors import Conflict, InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.mail import queue_mail
from kb.services.notifications import notify
from kb.services.permissions import (can, knows, organization_known_to, require,
                                     sees_network)
from kb.services.practices import (
    PracticeCard,
    _load,
    _parsed,
    _visible_practices,
)
from kb.services.uow import UnitOfWork

MAX_DEPTH = 50  # lineage walks stop here even on corrupt data

# ------------------------------------------------------------------ helpers


def _norm(text: Any) -> str:
    """Case- and space-insensitive form of an indicator name or unit."""
    return " ".join(str(text or "").casefold().split())


def indicator_key(indicator: str, unit: str) -> str:
    """The key indicators are matched by: normalized indicator and unit."""
    return f"{_norm(indicator)}|{_norm(unit)}"


def _published(practice: Practice) -> Revision:
    """The published revision of a practice read as published; without one it is unknown."""
    if practice.published_revision is None:
        raise NotFound(_("No such practice."))
    return practice.published_revision


def _outcomes(practice: Practice) -> list[Outcome]:
    out = []
    for row in _published(practice).outcomes or []:
        try:
            out.append(Outcome(**row))
        except TypeError:  # a stored row always has indicator, unit and result
            continue
    return out


def _visible(identity: Identity) -> list[Practice]:
    """Every published practice the identity may see (exact rule, loaded for cards)."""
    return list(session().scalars(
        _load(_visible_practices(identity)).order_by(Practice.id)).unique())


def _children_map(practices: Iterable[Practice]) -> dict[str, list[Practice]]:
    children: dict[str, list[Practice]] = defaultdict(list)
    for p in practices:
        if p.adapted_from_slug and p.adapted_from_slug != p.slug:
            children[p.adapted_from_slug].append(p)
    for kids in children.values():
        kids.sort(key=lambda p: (p.published_at or dt.datetime.min, p.id))
    return children


def _descendants(root: Practice, children: dict[str, list[Practice]]) -> list[Practice]:
    """All adaptations below a practice, at any depth, each once (cycle-safe)."""
    out, seen, stack = [], {root.slug}, list(children.get(root.slug, []))
    while stack:
        p = stack.pop(0)
        if p.slug in seen:
            continue
        seen.add(p.slug)
        out.append(p)
        stack.extend(children.get(p.slug, []))
    return out


def _mappings(practice_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Indicator mappings: those written in the documents (an outcome's `matches`),
    overridden by those an author stored on the practice page."""
    ids = list(set(practice_ids))
    if not ids:
        return {}
    mappings: dict[tuple[int, str], str] = {}
    for practice in session().scalars(select(Practice).where(Practice.id.in_(ids))):
        if practice.published_revision is None:
            continue
        for row in practice.published_revision.outcomes or []:
            if row.get("matches"):
                mappings[(practice.id, indicator_key(row["indicator"], row["unit"]))] = \
                    indicator_key(row["matches"], row["unit"])
    mappings.update({(m.practice_id, m.indicator_key): m.target_key for m in session().scalars(
        select(IndicatorMapping).where(IndicatorMapping.practice_id.in_(ids)))})
    return mappings


def _resolve(practice_id: int, key: str, mappings: dict[tuple[int, str], str],
             owners: dict[str, set[int]]) -> str:
    """Follow a practice's own mapping, then the mappings of the practices whose
    indicator it was mapped to (an adaptation of an adaptation), a few hops at most."""
    seen = {key}
    key = mappings.get((practice_id, key), key)
    for _hop in range(5):
        nxt = None
        for owner in owners.get(key, ()):
            target = mappings.get((owner, key))
            if target and target not in seen:
                nxt = target
                break
        if nxt is None:
            break
        seen.add(nxt)
        key = nxt
    return key


def _practice(slug: str) -> Practice:
    practice = session().scalar(_load(select(Practice).where(Practice.slug == slug)))
    if practice is None:
        raise NotFound(_("No such practice."))
    return practice


# ------------------------------------------------------------------ lineage


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


@dataclass
class LineageNode:
    card: PracticeCard
    children: list[LineageNode]
    current: bool = False


@dataclass
class Lineage:
    root: LineageNode
    generations: int  # 1 = the original alone
    size: int
    current_slug: str
    missing_source: str | None  # the original is no longer published, or hidden


def _family(identity: Identity, practice: Practice, visible: list[Practice]):
    """Root of the visible lineage of a practice, its members and the children map."""
    by_slug = {p.slug: p for p in visible}
    root, missing, seen = practice, None, {practice.slug}
    for _step in range(MAX_DEPTH):
        parent_slug = root.adapted_from_slug
        if not parent_slug or parent_slug in seen:
            break
        parent = by_slug.get(parent_slug)
        if parent is None:
            missing = parent_slug
            break
        seen.add(parent_slug)
        root = parent
    children = _children_map(visible)
    members = [root] + _descendants(root, children)
    return root, members, children, missing


def lineage_get(identity: Identity, slug: str) -> Lineage:
    """The tree of adaptations a practice belongs to, from its oldest visible original."""
    require(identity, "kb.read")
    practice = _practice(slug)
    require(identity, "practice.view", practice)
    return _lineage(identity, practice, _visible(identity))


def _lineage(identity: Identity, practice: Practice, visible: list[Practice]) -> Lineage:
    slug = practice.slug
    root, _members, children, missing = _family(identity, practice, visible)
    seen: set[str] = set()
    depth = 0

    def build(p: Practice, level: int) -> LineageNode:
        nonlocal depth
        seen.add(p.slug)
        depth = max(depth, level)
        kids = [build(c, level + 1) for c in children.get(p.slug, []) if c.slug not in seen]
        return LineageNode(PracticeCard.of(p), kids, p.slug == slug)

    tree = build(root, 1)
    return Lineage(tree, depth, len(seen), slug, missing)


# ------------------------------------------------------------------ adapting


def _adaptation_slug(org: Organization, source: Practice) -> str:
    base = slugify(f"{org.slug}-{source.slug}", max_len=74)
    slug, n = base, 2
    while session().scalar(select(Practice.id).where(Practice.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def adaptation_document(source: Practice, org: Organization, slug: str) -> str:
    """The draft an adaptation starts from: the source's text and structure, my
    organization's context, no measured values of the source city."""
    src = _parsed(_published(source).document, source.slug)
    body = src.body.rstrip("\n")
    if src.outcomes:
        direction = {"higher": _("higher is better"), "lower": _("lower is better")}
        lines = "\n".join(f"- {o.indicator} ({o.unit}; "
                          f"{direction.get(o.better or '', _('direction not stated'))})"
                          for o in src.outcomes)
        body += "\n\n## " + _("Indicators to report") + "\n\n" + _(
            "The original practice measured these indicators. Report your own baseline and "
            "result for them under \"Measured outcomes\", with the same indicator name and "
            "unit, so that the results can be compared:") + "\n\n" + lines
    doc = src.__class__(
        slug=slug, title=src.title, summary=src.summary, language=src.language,
        organization=org.name, country=(org.country or src.country).upper(),
        themes=list(src.themes), stage="idea", evidence="anecdotal", body=body + "\n",
        region=org.region, population=org.population, tags=list(src.tags),
        transferability=src.transferability, adapted_from=source.slug,
        visibility="public", license=src.license,
    )
    return serialize_practice(doc)


def adapt_organizations(identity: Identity) -> list[Organization]:
    """The organizations I can adapt a practice for (those I act for)."""
    require(identity, "kb.read")
    if not identity.organizations:
        return []
    return list(session().scalars(select(Organization).where(
        Organization.id.in_(identity.organizations)).order_by(Organization.name)))


def practice_adapt(identity: Identity, slug: str, organization: str | None = None) -> Practice:
    """Start an adaptation of a published practice as a draft of my organization."""
    require(identity, "practice.create")
    source = _practice(slug)
    if not knows(identity, source):
        raise NotFound(_("No such practice."))
    if source.status != PracticeStatus.PUBLISHED or source.published_revision is None:
        raise Conflict(_("This practice is not published (it may have been archived), so it "
                         "cannot be adapted."))
    require(identity, "practice.adapt", source)
    if lineage_cycle(source.slug, source.adapted_from_slug):
        raise Conflict(_("The lineage of this practice loops back on itself; ask a moderator "
                         "to correct it before adapting it."))
    orgs = {o.slug: o for o in session().scalars(select(Organization).where(
        Organization.id.in_(identity.organizations)))} if identity.organizations else {}
    if organization:
        org = orgs.get(organization)
        if org is None and identity.is_site_admin:
            org = session().scalar(select(Organization).where(Organization.slug == organization))
        if org is None:
            raise InvalidInput({"organization": _("Choose an organization you act for.")})
    elif len(orgs) == 1:
        org = next(iter(orgs.values()))
    else:
        raise InvalidInput({"organization": _("Choose the organization this adaptation is for.")})
    if org.id == source.organization_id:
        raise Conflict(_("This practice is already your organization's: edit it instead of "
                         "adapting it."))
    text = adaptation_document(source, org, _adaptation_slug(org, source))
    from kb.services.editorial import practice_draft_create

    return practice_draft_create(identity, text)


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
        for o in _outcomes(p):
            owners[indicator_key(o.indicator, o.unit)].add(p.id)
    groups: dict[str, ComparisonGroup] = {}
    order = {p.id: i for i, p in enumerate(members)}
    for p in sorted(members, key=lambda m: order[m.id]):
        card = PracticeCard.of(p)
        for o in _outcomes(p):
            own = indicator_key(o.indicator, o.unit)
            key = _resolve(p.id, own, mappings, owners)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ComparisonGroup(key, o.indicator, o.unit, [])
            group.rows.append(ComparisonRow(
                slug=p.slug, title=card.title, organization=card.organization,
                country=card.country, indicator=o.indicator, unit=o.unit,
                baseline=o.baseline, result=o.result, relative_change=o.relative_change,
                improved=o.improved, period=None if o.period is None else str(o.period),
                original=p.id == root.id, current=p.id == practice.id, mapped=key != own))
    return list(groups.values())


def comparison_get(identity: Identity, slug: str) -> Comparison:
    """The outcomes of a practice's whole lineage, matched indicator by indicator."""
    require(identity, "kb.read")
    practice = _practice(slug)
    require(identity, "practice.view", practice)
    return _comparison(identity, practice, _visible(identity))


def _comparison(identity: Identity, practice: Practice, visible: list[Practice]) -> Comparison:
    slug = practice.slug
    root, members, _children, _missing = _family(identity, practice, visible)
    mappings = _mappings(p.id for p in members)
    groups = _compare(practice, members, root, mappings)
    can_map = len(members) > 1 and can(identity, "indicator.map", practice)
    choices = []
    if can_map:
        targets: dict[str, str] = {}
        for p in members:
            if p.id == practice.id:
                continue
            for o in _outcomes(p):
                targets.setdefault(indicator_key(o.indicator, o.unit),
                                   f"{o.indicator} ({o.unit}) – {p.organization.name}")
        for o in _outcomes(practice):
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
    practice = _practice(slug)
    require(identity, "indicator.map", practice)
    if practice.published_revision is None:
        raise Conflict(_("Only a published practice can be compared."))
    own = {indicator_key(o.indicator, o.unit) for o in _outcomes(practice)}
    if indicator not in own:
        raise InvalidInput({"indicator": _("This practice reports no such indicator.")})
    if target:
        _root, members, _c, _m = _family(identity, practice, _visible(identity))
        allowed = {indicator_key(o.indicator, o.unit) for p in members if p.id != practice.id
                   for o in _outcomes(p)}
        if target not in allowed or target == indicator:
            raise InvalidInput({"target": _("Choose an indicator of a related practice.")})
    from kb.services import effects
    from kb.services.accounts import audit
    from kb.models import ChangeAction, ChangeLog

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
         "baseline", "result", "relative_change", "improved", "period", "original"],
        ([g.indicator, g.unit, r.slug, r.organization, r.country, r.indicator,
          _blank(r.baseline), r.result,
          "" if r.relative_change is None else round(r.relative_change, 4),
          "" if r.improved is None else str(r.improved).lower(), r.period or "",
          str(r.original).lower()] for g in comparison.groups for r in g.rows))


def _blank(value):
    return "" if value is None else value


# ------------------------------------------------------------- replicated

REPLICATED_MIN_CITIES = 2


def _replications(practices: list[Practice]) -> dict[str, list[str]]:
    """For each practice, the organizations (other than its own) whose published
    adaptations, at any depth, report an improvement on an indicator that matches
    one of the practice's own (by name and unit, or through a stored mapping)."""
    children = _children_map(practices)
    mappings = _mappings(p.id for p in practices)
    owners: dict[str, set[int]] = defaultdict(set)
    for p in practices:
        for o in _outcomes(p):
            owners[indicator_key(o.indicator, o.unit)].add(p.id)
    result: dict[str, list[str]] = {}
    for p in practices:
        below = _descendants(p, children)
        if not below:
            continue
        own = {_resolve(p.id, indicator_key(o.indicator, o.unit), mappings, owners)
               for o in _outcomes(p)}
        cities: dict[int, str] = {}
        for child in below:
            if child.organization_id == p.organization_id:
                continue
            for o in _outcomes(child):
                key = _resolve(child.id, indicator_key(o.indicator, o.unit), mappings, owners)
                if o.improved is True and key in own:
                    cities[child.organization_id] = child.organization.name
                    break
        if cities:
            result[p.slug] = sorted(cities.values())
    return result


@dataclass
class Replication:
    replicated: bool
    improving_cities: list[str]
    minimum: int = REPLICATED_MIN_CITIES


def replication_get(identity: Identity, slug: str) -> Replication:
    """Whether a practice is replicated, over the practices the viewer may see."""
    require(identity, "kb.read")
    practice = _practice(slug)
    require(identity, "practice.view", practice)
    return _replication(identity, practice, _visible(identity))


def _replication(identity: Identity, practice: Practice, visible: list[Practice]) -> Replication:
    _root, members, _c, _m = _family(identity, practice, visible)
    cities = _replications(members).get(practice.slug, [])
    return Replication(len(cities) >= REPLICATED_MIN_CITIES, cities)


def replicated_slugs(identity: Identity) -> dict[str, list[str]]:
    """Replicated practices among those the identity may see, with the improving cities."""
    require(identity, "kb.read")
    return {slug: cities for slug, cities in _replications(_visible(identity)).items()
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
        found = list(session().scalars(_load(select(Practice).join(
            Practice.published_revision).where(
            Practice.status == PracticeStatus.PUBLISHED, Practice.visibility == "public",
            Practice.adapted_from_slug.in_(frontier)))).unique())
        frontier = [p.slug for p in found if p.slug not in seen]
        seen.update(frontier)
        family += [p for p in found if p.slug in frontier]
    if len(family) <= REPLICATED_MIN_CITIES:
        return False
    return len(_replications(family).get(practice.slug, [])) >= REPLICATED_MIN_CITIES


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


def _context_of(org: Organization) -> Context:
    return Context((org.country or "").upper() or None, population_band(org.population),
                   org.kind)


def _first_organization(identity: Identity) -> Organization | None:
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
        org = _first_organization(identity)
    visible = _visible(identity)
    choices_ids = {p.organization_id for p in visible}
    if org is not None:
        choices_ids.add(org.id)
    choices = list(session().scalars(select(Organization).where(
        Organization.id.in_(choices_ids)).order_by(Organization.name))) if choices_ids else []
    if org is None:
        return CitiesLikeMine(None, None, [], choices)
    mine = _context_of(org)
    ranked = []
    for p in visible:
        if p.organization_id == org.id:
            continue
        rev = _published(p)
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
    mine = _context_of(organization)
    out = {}
    for p in practices:
        rev = _published(p)
        out[p.slug] = similarity(mine, Context(rev.country, rev.population_band,
                                               p.organization.kind))[0]
    return out


# ------------------------------------------------------------------ charts


@dataclass
class Chart:
    """A chart's numbers: the SVG, the table and the CSV are all drawn from these."""

    id: str
    title: str
    description: str
    labels: list[str]
    series: list[tuple[str, list[float]]]  # (name, one value per label)
    label_kind: str = "text"  # theme | country | stage | evidence | month | text
    links: list[str | None] = field(default_factory=list)

    @property
    def maximum(self) -> float:
        values = [v for _name, vs in self.series for v in vs]
        return max(values) if values and max(values) > 0 else 1

    @property
    def total(self) -> float:
        return sum(v for _name, vs in self.series[:1] for v in vs)

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        return [(label, [vs[i] for _n, vs in self.series]) for i, label in
                enumerate(self.labels)]

    def csv(self) -> str:
        return csv_text([self.label_kind] + [name for name, _vs in self.series],
                        ([label] + [_num(v) for v in values] for label, values in self.rows))


def _num(value):
    return int(value) if float(value).is_integer() else round(value, 4)


def _counted(counter: Counter, label_kind: str, chart_id: str, title: str, description: str,
             series: str, order: list[str] | None = None, limit: int | None = None) -> Chart:
    if order is not None:
        pairs = [(k, counter.get(k, 0)) for k in order if counter.get(k, 0)]
    else:
        pairs = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if limit:
        pairs = pairs[:limit]
    return Chart(chart_id, title, description, [k for k, _v in pairs],
                 [(series, [v for _k, v in pairs])], label_kind)


def _month(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _months_between(months: Iterable[str]) -> list[str]:
    months = sorted(set(m for m in months if m))
    if not months:
        return []
    y, m = map(int, months[0].split("-"))
    end = months[-1]
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append(key)
        if key >= end or len(out) > 240:
            break
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def _activity_chart(chart_id: str, title: str, description: str,
                    submissions: list[dt.datetime | None],
                    publications: list[dt.datetime | None],
                    adaptations: list[dt.datetime | None]) -> Chart:
    counts = [Counter(_month(t) for t in ts if t) for ts in (submissions, publications,
                                                               adaptations)]
    months = _months_between(m for c in counts for m in c if m)
    return Chart(chart_id, title, description, months, [
        (_("Submissions"), [counts[0].get(m, 0) for m in months]),
        (_("Publications"), [counts[1].get(m, 0) for m in months]),
        (_("Adaptations published"), [counts[2].get(m, 0) for m in months]),
    ], "month")


def _submission_times(identity: Identity, organization_ids: set[int] | None = None
                      ) -> list[dt.datetime | None]:
    """When revisions were submitted, counted only where the viewer may see the
    practice's declared audience (a network-only submission only for its networks)."""
    query = select(Revision.submitted_at, Revision.visibility, Revision.networks).where(
        Revision.submitted_at.is_not(None))
    if organization_ids is not None:
        query = query.join(Practice, Practice.id == Revision.practice_id).where(
            Practice.organization_id.in_(organization_ids or {-1}))
    return [t for t, visibility, networks in session().execute(query)
            if visibility == "public" or sees_network(identity, networks or [])]


def _outcome_chart(chart_id: str, practices: list[Practice]) -> Chart:
    counts: Counter[str] = Counter()
    for p in practices:
        for o in _outcomes(p):
            counts["improved" if o.improved else "worsened" if o.improved is False
                   else "unknown"] += 1
    labels = ["improved", "worsened", "unknown"]
    names = {"improved": _("Improved"), "worsened": _("Worsened"),
             "unknown": _("No baseline or direction")}
    return Chart(chart_id, _("Reported outcomes"), _(
        "Outcome rows reported by the practices: improved (the result moved the way the "
        "practice says is better), worsened, or not comparable (no baseline or direction)."),
        [names[k] for k in labels], [(_("Outcome rows"), [counts[k] for k in labels])])


def _most_adapted_chart(chart_id: str, practices: list[Practice], limit: int = 10) -> Chart:
    children = _children_map(practices)
    by_slug = {p.slug: p for p in practices}
    counts = Counter({slug: len(kids) for slug, kids in children.items() if slug in by_slug})
    pairs = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    chart = Chart(chart_id, _("Most adapted practices"), _(
        "Published practices with the most published adaptations (direct adaptations)."),
        [PracticeCard.of(by_slug[s]).title for s, _n in pairs],
        [(_("Adaptations"), [n for _s, n in pairs])])
    chart.links = [s for s, _n in pairs]
    return chart


@dataclass
class Dashboard:
    practices: int
    organizations: int
    countries: int
    adaptations: int
    outcome_rows: int
    improved_rows: int
    replicated: int
    charts: list[Chart]

    def chart(self, chart_id: str) -> Chart:
        for c in self.charts:
            if c.id == chart_id:
                return c
        raise NotFound(_("No such chart."))


def dashboard_get(identity: Identity) -> Dashboard:
    """The public dashboard of the whole knowledge base, as the viewer may see it."""
    require(identity, "kb.read")
    visible = _visible(identity)
    slugs = {p.slug for p in visible}
    adaptations = [p for p in visible if p.adapted_from_slug in slugs]
    themes: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    for p in visible:
        rev = _published(p)
        themes.update(rev.themes or [])
        countries[rev.country] += 1
        stages[rev.stage] += 1
        evidence[rev.evidence] += 1
    outcome = _outcome_chart("outcomes", visible)
    charts = [
        _counted(themes, "theme", "themes", _("Practices by theme"),
                 _("Number of published practices per theme; a practice can have several "
                   "themes."), _("Practices")),
        _counted(countries, "country", "countries", _("Practices by country"),
                 _("Number of published practices per country."), _("Practices")),
        _counted(stages, "stage", "stages", _("Practices by stage"),
                 _("Number of published practices per stage, from idea to scaled."),
                 _("Practices"), order=list(STAGES)),
        _counted(evidence, "evidence", "evidence", _("Practices by evidence"),
                 _("Number of published practices per level of evidence."), _("Practices"),
                 order=list(EVIDENCE)),
        _activity_chart("activity", _("Activity over time"), _(
            "Per month: revisions submitted for review, practices first published, and "
            "adaptations first published."), _submission_times(identity),
            [p.published_at for p in visible], [p.published_at for p in adaptations]),
        _most_adapted_chart("most-adapted", visible),
        outcome,
    ]
    return Dashboard(
        practices=len(visible), organizations=len({p.organization_id for p in visible}),
        countries=len(countries), adaptations=len(adaptations),
        outcome_rows=int(sum(outcome.series[0][1])), improved_rows=int(outcome.series[0][1][0]),
        replicated=len([1 for c in _replications(visible).values()
                        if len(c) >= REPLICATED_MIN_CITIES]),
        charts=charts)


@dataclass
class Edge:
    source: PracticeCard  # the original
    target: PracticeCard  # the adaptation


@dataclass
class NetworkDashboard:
    network: Network
    members: list[Organization]
    practices: list[PracticeCard]
    inside: list[Edge]  # adaptations between practices of the network
    across: list[Edge]  # adaptations between the network and practices outside it
    outcome_rows: int
    improved_rows: int
    charts: list[Chart]

    def chart(self, chart_id: str) -> Chart:
        for c in self.charts:
            if c.id == chart_id:
                return c
        raise NotFound(_("No such chart."))


def network_dashboard_get(identity: Identity, slug: str) -> NetworkDashboard:
    """What a network's exchange produced, counted over what the viewer may see."""
    require(identity, "kb.read")
    network = session().scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound(_("No such network."))
    members = sorted((m.organization for m in network.members), key=lambda o: o.name)
    member_ids = {o.id for o in members}
    visible = _visible(identity)
    by_slug = {p.slug: p for p in visible}
    ours = [p for p in visible if p.organization_id in member_ids
            or slug in (_published(p).networks or [])]
    our_slugs = {p.slug for p in ours}
    inside, across = [], []
    for p in visible:
        parent = by_slug.get(p.adapted_from_slug or "")
        if parent is None:
            continue
        edge = Edge(PracticeCard.of(parent), PracticeCard.of(p))
        if p.slug in our_slugs and parent.slug in our_slugs:
            inside.append(edge)
        elif p.slug in our_slugs or parent.slug in our_slugs:
            across.append(edge)
    per_member: Counter[str] = Counter()
    names = {o.id: o.name for o in members}
    for p in ours:
        per_member[names.get(p.organization_id, p.organization.name)] += 1
    outcome = _outcome_chart("outcomes", ours)
    adaptation_times = [by_slug[e.target.slug].published_at for e in inside + across
                        if e.target.slug in our_slugs]
    charts = [
        _counted(per_member, "text", "contributions", _("Practices contributed"), _(
            "Published practices per organization: from the network's members, or shared "
            "with the network."), _("Practices")),
        Chart("adaptations", _("Adaptations"), _(
            "Adaptations between the network's own practices, and between the network and "
            "practices from outside it."),
            [_("Inside the network"), _("With other networks and cities")],
            [(_("Adaptations"), [len(inside), len(across)])]),
        outcome,
        _activity_chart("activity", _("Activity over time"), _(
            "Per month: revisions submitted by member organizations, the network's practices "
            "first published, and its adaptations first published."),
            _submission_times(identity, member_ids), [p.published_at for p in ours],
            adaptation_times),
    ]
    return NetworkDashboard(network, members, [PracticeCard.of(p) for p in ours], inside,
                            across, int(sum(outcome.series[0][1])),
                            int(outcome.series[0][1][0]), charts)


# ------------------------------------------------------------------ the map


@dataclass
class MapNode:
    slug: str
    name: str
    country: str
    x: float
    y: float
    practices: int
    adaptations: int  # edges touching it


@dataclass
class MapEdge:
    source: str  # organization slug of the original
    target: str  # organization slug of the adaptation
    practice: str  # slug of the adaptation
    title: str
    original: str
    source_name: str = ""
    target_name: str = ""
    x1: float = 0
    y1: float = 0
    x2: float = 0
    y2: float = 0


@dataclass
class CountryLabel:
    country: str
    x: float
    y: float
    anchor: str


@dataclass
class AdaptationMap:
    size: int
    nodes: list[MapNode]
    edges: list[MapEdge]
    countries: list[CountryLabel]

    def csv(self) -> str:
        names = {n.slug: n.name for n in self.nodes}
        return csv_text(["original_organization", "adapting_organization", "original",
                         "adaptation"],
                        ([names[e.source], names[e.target], e.original, e.practice]
                         for e in self.edges))


def adaptation_map_get(identity: Identity, size: int = 800) -> AdaptationMap:
    """Organizations around a circle, grouped by country; adaptations as arrows."""
    require(identity, "kb.read")
    visible = _visible(identity)
    by_slug = {p.slug: p for p in visible}
    counts = Counter(p.organization_id for p in visible)
    orgs = {p.organization_id: p.organization for p in visible}
    edges = []
    for p in visible:
        parent = by_slug.get(p.adapted_from_slug or "")
        if parent is not None:
            edges.append(MapEdge(parent.organization.slug, p.organization.slug, p.slug,
                                 _published(p).title, parent.slug,
                                 parent.organization.name, p.organization.name))
    touching: Counter[str] = Counter()
    for e in edges:
        touching[e.source] += 1
        touching[e.target] += 1
    ordered = sorted(orgs.values(), key=lambda o: ((o.country or "ZZ"), o.name.casefold()))
    groups: list[tuple[str, list[Organization]]] = []
    for o in ordered:
        country = o.country or "??"
        if not groups or groups[-1][0] != country:
            groups.append((country, []))
        groups[-1][1].append(o)
    centre, radius = size / 2, size / 2 - 110
    slots = len(ordered) + len(groups)  # an empty slot between countries
    nodes, labels, position = [], [], {}
    i = 0
    for country, members in groups:
        first = i
        for o in members:
            angle = 2 * math.pi * i / max(slots, 1) - math.pi / 2
            x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
            nodes.append(MapNode(o.slug, o.name, country, round(x, 1), round(y, 1),
                                 counts[o.id], touching[o.slug]))
            position[o.slug] = (x, y)
            i += 1
        mid = 2 * math.pi * (first + i - 1) / 2 / max(slots, 1) - math.pi / 2
        lx, ly = centre + (radius + 40) * math.cos(mid), centre + (radius + 40) * math.sin(mid)
        labels.append(CountryLabel(country, round(lx, 1), round(ly, 1),
                                   "start" if math.cos(mid) > 0.2 else
                                   "end" if math.cos(mid) < -0.2 else "middle"))
        i += 1
    for e in edges:
        (x1, y1), (x2, y2) = position[e.source], position[e.target]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        shorten = 9 / length  # stop at the node's edge so the arrowhead shows
        e.x1, e.y1 = round(x1 + (x2 - x1) * shorten, 1), round(y1 + (y2 - y1) * shorten, 1)
        e.x2, e.y2 = round(x2 - (x2 - x1) * shorten, 1), round(y2 - (y2 - y1) * shorten, 1)
    return AdaptationMap(size, nodes, edges, labels)


# -------------------------------------------------------------- following


def organization_follow(identity: Identity, slug: str, follow: bool = True) -> None:
    """Follow an organization: notified when it publishes a practice."""
    require(identity, "organization.follow")
    org = session().scalar(select(Organization).where(Organization.slug == slug,
                                                      organization_known_to(identity)))
    if org is None:
        raise NotFound(_("No such organization."))
    with UnitOfWork():
        row = session().get(OrganizationFollow, (identity.user_id, org.id))
        if follow and row is None:
            session().add(OrganizationFollow(user_id=identity.user_id, organization_id=org.id))
        elif not follow and row is not None:
            session().delete(row)


def is_following_organization(identity: Identity, organization_id: int) -> bool:
    require(identity, "kb.read")
    if identity.user_id is None:
        return False
    return session().get(OrganizationFollow, (identity.user_id, organization_id)) is not None


def notify_adaptation_published(uow: UnitOfWork, practice: Practice) -> None:
    """Tell people what a first publication means for them (inside the caller's unit of work).

    - followers of the practice's organization: "<organization> published <title>";
    - when it is an adaptation, followers of the original: "new adaptation of <original>".

    Call it from review_approve (and on import of a new practice) when a practice is
    published for the first time. Followers who may not see the practice are skipped.
    """
    from kb.services.accounts import _link, identity_for

    s = uow.session
    rev = practice.published_revision
    if rev is None:
        return
    link = _link("pages.practice_detail", slug=practice.slug)
    authors = {r.author_id for r in practice.revisions if r.author_id}

    def allowed(user_ids: set[int]) -> set[int]:
        if practice.visibility == "public":
            return user_ids
        out = set()
        for user in s.scalars(select(User).where(User.id.in_(user_ids))):
            if can(identity_for(user), "practice.view", practice):
                out.add(user.id)
        return out

    org_followers = set(s.scalars(select(OrganizationFollow.user_id).where(
        OrganizationFollow.organization_id == practice.organization_id))) - authors
    notify(uow, allowed(org_followers), "followed_organization",
           _("%(organization)s published: %(title)s", organization=practice.organization.name,
             title=rev.title), link)
    if practice.adapted_from_slug:
        source = s.scalar(select(Practice).where(Practice.slug == practice.adapted_from_slug))
        if source is not None:
            followers = set(s.scalars(select(Follow.user_id).where(
                Follow.practice_id == source.id))) - authors - org_followers
            source_title = source.published_revision.title if source.published_revision \
                else source.slug
            notify(uow, allowed(followers), "followed_practice",
                   _("New adaptation of %(original)s by %(organization)s: %(title)s",
                     original=source_title, organization=practice.organization.name,
                     title=rev.title), link)


# ---------------------------------------------------------------- contact


CONTACT_MAX = 5000


def practice_contact(identity: Identity, slug: str, message: str) -> int:
    """Send a message to the owner of a practice through the site.

    It goes to the practice's contact e-mail, or to its organization's admins when
    there is none; the sender's address is the Reply-To. No address is shown to the
    sender. Returns the number of recipients.
    """
    practice = _practice(slug)
    require(identity, "practice.contact", practice)
    message = (message or "").strip()
    if not message:
        raise InvalidInput({"message": _("Write a message.")})
    if len(message) > CONTACT_MAX:
        raise InvalidInput({"message": _("Keep the message under %(num)d characters.",
                                         num=CONTACT_MAX)})
    doc = _parsed(_published(practice).document, practice.slug)
    email = (doc.contact or {}).get("email")
    recipients = [email] if email else list(
        session().scalars(select(User.email).join(Membership, Membership.user_id == User.id)
                          .where(Membership.organization_id == practice.organization_id,
                                 Membership.role == MemberRole.ADMIN,
                                 User.deleted_at.is_(None))))
    if not recipients:
        raise Conflict(_("No one can be contacted for this practice yet."))
    sender = session().get(User, identity.user_id) if identity.user_id is not None else None
    if sender is None:
        raise NotFound(_("No account has this address."))
    from kb.services.accounts import _link, audit

    subject = _("About your practice: %(title)s", title=doc.title)[:150]
    body = _("%(name)s (a signed-in user of the portal) writes about %(title)s (%(link)s):",
             name=sender.name, title=doc.title,
             link=_link("pages.practice_detail", slug=slug)) + "\n\n" + message + "\n\n" + _(
        "Reply to this e-mail to answer them directly.")
    with UnitOfWork() as uow:
        audit(identity, "practice.contact", "practice", slug, recipients=len(recipients))
        for to in recipients:
            queue_mail(uow, to, subject, body, reply_to=sender.email)
    return len(recipients)


@dataclass
class PracticePanel:
    lineage: Lineage
    comparison: Comparison
    replication: Replication
    organizations: list[Organization]
    can_adapt: bool
    can_contact: bool
    following_organization: bool


def practice_panel_get(identity: Identity, slug: str) -> PracticePanel:
    """Everything the exchange adds to a practice page, for one viewer."""
    require(identity, "kb.read")
    practice = _practice(slug)
    require(identity, "practice.view", practice)
    orgs = [o for o in adapt_organizations(identity) if o.id != practice.organization_id]
    visible = _visible(identity)
    return PracticePanel(
        lineage=_lineage(identity, practice, visible),
        comparison=_comparison(identity, practice, visible),
        replication=_replication(identity, practice, visible), organizations=orgs,
        can_adapt=bool(orgs) and can(identity, "practice.adapt", practice),
        can_contact=can(identity, "practice.contact", practice),
        following_organization=is_following_organization(identity, practice.organization_id))
