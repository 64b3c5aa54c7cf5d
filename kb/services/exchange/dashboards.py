"""Dashboards: the whole knowledge base's and each network's, as charts and tables."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.vocab import EVIDENCE, STAGES
from kb.db import session
from kb.models import Network, Organization, Practice, Revision
from kb.services.csvfile import csv_text
from kb.services.errors import NotFound
from kb.services.exchange.common import (children_map, outcomes_of, published_of,
                                         visible_published)
from kb.services.exchange.comparison import REPLICATED_MIN_CITIES, replications
from kb.services.identity import Identity
from kb.services.permissions import require, sees_network
from kb.services.practices import PracticeCard



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
        for o in outcomes_of(p):
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
    children = children_map(practices)
    by_slug = {p.slug: p for p in practices}
    counts = Counter({slug: len(kids) for slug, kids in children.items() if slug in by_slug})
    pairs = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    chart = Chart(chart_id, _("Most adapted practices"), _(
        "Published practices with the most published adaptations (direct adaptations)."),
        [PracticeCard.of(by_slug[s]).title for s, _n in pairs],
        [(_("Adaptations"), [n for _s, n in pairs])])
    chart.links = [s for s, _n in pairs]
    return chart


def _chart_by_id(charts: list[Chart], chart_id: str) -> Chart:
    """One chart of a dashboard, for its CSV download."""
    for c in charts:
        if c.id == chart_id:
            return c
    raise NotFound(_("No such chart."))


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
        return _chart_by_id(self.charts, chart_id)


def dashboard_get(identity: Identity) -> Dashboard:
    """The public dashboard of the whole knowledge base, as the viewer may see it."""
    require(identity, "kb.read")
    visible = visible_published(identity)
    slugs = {p.slug for p in visible}
    adaptations = [p for p in visible if p.adapted_from_slug in slugs]
    themes: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    for p in visible:
        rev = published_of(p)
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
        replicated=len([1 for c in replications(visible).values()
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
        return _chart_by_id(self.charts, chart_id)


def network_dashboard_get(identity: Identity, slug: str) -> NetworkDashboard:
    """What a network's exchange produced, counted over what the viewer may see."""
    require(identity, "kb.read")
    network = session().scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound(_("No such network."))
    members = sorted((m.organization for m in network.members), key=lambda o: o.name)
    member_ids = {o.id for o in members}
    visible = visible_published(identity)
    by_slug = {p.slug: p for p in visible}
    ours = [p for p in visible if p.organization_id in member_ids
            or slug in (published_of(p).networks or [])]
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
