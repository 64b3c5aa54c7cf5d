"""Dashboards: the whole knowledge base's and each network's, as key figures and charts.

Everything here is counted in SQL over the read model's facts (kb.services.readmodel:
one row per published practice, one per outcome, the replication entries), joined
with the one visibility rule (kb.services.permissions.visible_to), so a page runs a
fixed number of queries whatever the size of the knowledge base, and a network-only
practice is never counted for someone outside its networks.

Fictional examples (tag ``example``) are left out of every total, chart and list here;
the dashboards say how many were left out. A chart with too little data says so
instead of drawing it (the thresholds below, documented in docs/exchange.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import get_locale, gettext as _
from sqlalchemy import (ColumnElement, Select, Text, and_, case, cast, distinct, func, or_,
                        select, true)
from sqlalchemy.orm import aliased

from kb.content.vocab import EVIDENCE, STAGES
from kb.db import session
from kb.models import (Network, NetworkMember, Organization, OutcomeFact, Practice,
                       PracticeFact, PracticeNetwork, PracticeStatus, PracticeTheme,
                       ReplicationEntry, ReplicationLink, Revision)
from kb.services.aggregates import data_version, kept_by
from kb.services.csvfile import csv_text
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.permissions import require, visible_to
from kb.services.practices import PracticeCard, load_for_cards
from kb.services.readmodel import read_model_refresh
from kb.services.replication_rules import REPLICATED_MIN_CITIES

# Below these a chart says "not enough data yet" instead of drawing a misleading picture.
MIN_PRACTICES = 5     # practices behind a breakdown (theme, country, stage, evidence, members)
MIN_MONTHS = 3        # months with activity behind the activity chart
MIN_ADAPTATIONS = 2   # adaptations a practice needs to be listed as "most adapted"
MIN_OUTCOMES = 5      # outcome rows behind the reported-outcomes chart
MOST_ADAPTED = 10     # practices in the "most adapted" chart
LISTED = 20           # practices and adaptations listed on a network dashboard (newest)
IMPROVEMENTS = 20     # improvements in a network's outcome summary (largest change first)


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
    # False: too little data to draw honestly; the page says so (the table and CSV stay)
    enough: bool = True

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


def _counted(pairs: Iterable[tuple[str, int]], label_kind: str, chart_id: str, title: str,
             description: str, series: str, order: list[str] | None = None,
             minimum: int = MIN_PRACTICES, practices: int | None = None) -> Chart:
    counter = Counter(dict(pairs))
    if order is not None:
        items = [(k, counter.get(k, 0)) for k in order if counter.get(k, 0)]
    else:
        items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    counted = sum(counter.values()) if practices is None else practices
    return Chart(chart_id, title, description, [k for k, _v in items],
                 [(series, [v for _k, v in items])], label_kind, enough=counted >= minimum)


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


def _activity_chart(description: str, submissions: dict[str, int],
                    publications: dict[str, int], adaptations: dict[str, int]) -> Chart:
    counts = [submissions, publications, adaptations]
    active = {m for c in counts for m, n in c.items() if m and n}
    months = _months_between(active)
    return Chart("activity", _("Activity over time"), description, months, [
        (_("Submissions"), [counts[0].get(m, 0) for m in months]),
        (_("Publications"), [counts[1].get(m, 0) for m in months]),
        (_("Adaptations published"), [counts[2].get(m, 0) for m in months]),
    ], "month", enough=len(active) >= MIN_MONTHS)


def _outcome_chart(improved: int, worsened: int, unknown: int) -> Chart:
    return Chart("outcomes", _("Reported outcomes"), _(
        "Outcome rows reported by the practices: improved (the result moved the way the "
        "practice says is better), worsened, or not comparable (no baseline or direction)."),
        [_("Improved"), _("Worsened"), _("No baseline or direction")],
        [(_("Outcome rows"), [improved, worsened, unknown])],
        enough=improved + worsened + unknown >= MIN_OUTCOMES)


def _chart_by_id(charts: list[Chart], chart_id: str) -> Chart:
    """One chart of a dashboard, for its CSV download."""
    for c in charts:
        if c.id == chart_id:
            return c
    raise NotFound(_("No such chart."))


# ------------------------------------------------------------------ counting in SQL


def _visible_ids(identity: Identity):
    """The ids of the published practices the identity may see (the one rule), as a
    subquery the dashboards join their facts with."""
    return select(Practice.id).where(
        Practice.status == PracticeStatus.PUBLISHED, visible_to(identity)).subquery()


class _Scope:
    """The published practices a reader may see, as facts, optionally narrowed to a
    network's (its members' practices and those shared with it)."""

    def __init__(self, visible, members: set[int] | None = None, network: str | None = None):
        self.visible = visible  # _visible_ids(identity)
        self.members, self.network = members, network

    def ours(self, fact) -> ColumnElement[bool]:
        """The condition "a practice of the network" on a facts alias (True for the KB)."""
        if self.network is None:
            return true()
        shared = select(PracticeNetwork.practice_id).where(
            PracticeNetwork.network == self.network)
        return or_(fact.organization_id.in_(self.members or {-1}),
                   fact.practice_id.in_(shared))

    def real(self, *columns) -> Select:
        """Facts of the visible, real (not example) practices in scope."""
        return select(*columns).select_from(PracticeFact).join(
            self.visible, self.visible.c.id == PracticeFact.practice_id).where(
            PracticeFact.example.is_(False), self.ours(PracticeFact))

    def adaptations(self, *columns) -> tuple[Select, Any]:
        """Visible real adaptations of visible real practices (child: PracticeFact,
        parent: the returned alias); narrowed to the network by the caller."""
        parent = aliased(PracticeFact)
        seen = aliased(self.visible)
        query = select(*columns).select_from(PracticeFact).join(
            self.visible, self.visible.c.id == PracticeFact.practice_id).join(
            parent, parent.slug == PracticeFact.parent_slug).join(
            seen, seen.c.id == parent.practice_id).where(
            PracticeFact.example.is_(False), parent.example.is_(False))
        return query, parent


@dataclass
class KeyFigures:
    practices: int
    cities: int  # organizations with a practice counted
    countries: int
    adaptations: int
    improvements: int  # outcome rows that moved the way their practice calls better
    outcome_rows: int
    median_days_to_publish: float | None  # from first submission to first publication
    replicated: int
    examples: int  # fictional examples left out of every figure


def _key_figures(scope: _Scope, adaptations: int) -> tuple[KeyFigures, tuple[int, int, int]]:
    s = session()
    real = PracticeFact.example.is_(False)

    def among_real(column):
        return case((real, column), else_=None)

    n, orgs, countries, improved, worsened, unknown, examples = s.execute(
        select(func.count(among_real(PracticeFact.practice_id)),
               func.count(distinct(among_real(PracticeFact.organization_id))),
               func.count(distinct(among_real(PracticeFact.country))),
               func.coalesce(func.sum(among_real(PracticeFact.outcomes_improved)), 0),
               func.coalesce(func.sum(among_real(PracticeFact.outcomes_worsened)), 0),
               func.coalesce(func.sum(among_real(PracticeFact.outcomes_unknown)), 0),
               func.count(case((PracticeFact.example.is_(True), 1), else_=None)))
        .select_from(PracticeFact).join(scope.visible,
                                        scope.visible.c.id == PracticeFact.practice_id)
        .where(scope.ours(PracticeFact))).one()
    days = s.execute(scope.real(PracticeFact.days_to_publish, func.count()).where(
        PracticeFact.days_to_publish.is_not(None)).group_by(
        PracticeFact.days_to_publish)).all()
    figures = KeyFigures(int(n), int(orgs), int(countries), adaptations, int(improved),
                         int(improved + worsened + unknown),
                         _median([(int(v), int(k)) for v, k in days]),
                         _replicated(scope), int(examples))
    return figures, (int(improved), int(worsened), int(unknown))


def _median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many), None without any."""
    total = sum(n for _v, n in histogram)
    if not total:
        return None
    ordered = sorted(histogram)

    def nth(k: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return value
        return ordered[-1][0]

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def _replicated(scope: _Scope) -> int:
    """Practices in scope whose improving adaptations the reader may see come from at
    least REPLICATED_MIN_CITIES other organizations."""
    hidden_link = select(ReplicationLink.link_id).where(
        ReplicationLink.practice_id == ReplicationEntry.practice_id,
        ReplicationLink.via_id == ReplicationEntry.via_id,
        ReplicationLink.link_id.not_in(select(scope.visible.c.id))).exists()
    replicated = select(ReplicationEntry.practice_id).join(
        PracticeFact, PracticeFact.practice_id == ReplicationEntry.practice_id).join(
        scope.visible, scope.visible.c.id == ReplicationEntry.practice_id).where(
        ~hidden_link, scope.ours(PracticeFact)).group_by(ReplicationEntry.practice_id).having(
        func.count(distinct(ReplicationEntry.organization_id)) >= REPLICATED_MIN_CITIES)
    return session().scalar(select(func.count()).select_from(replicated.subquery())) or 0


def _submissions(identity: Identity, organization_ids: set[int] | None = None
                 ) -> dict[str, int]:
    """Revisions submitted per month, counted only where the reader may see the
    audience the revision declares (a network-only one only for its networks), and
    never for fictional examples."""
    month = func.substr(cast(Revision.submitted_at, Text), 1, 7)
    query = select(month, func.count()).where(
        Revision.submitted_at.is_not(None),
        ~func.lower(cast(Revision.tags, Text)).like('%"example"%'))
    if not identity.is_site_admin:
        audience = [Revision.visibility == "public"] + [
            cast(Revision.networks, Text).like(f'%"{n}"%')
            for n in sorted(identity.networks)]
        query = query.where(or_(*audience))
    if organization_ids is not None:
        query = query.join(Practice, Practice.id == Revision.practice_id).where(
            Practice.organization_id.in_(organization_ids or {-1}))
    return {m: n for m, n in session().execute(query.group_by(month)).all() if m}


def _cards(ids: Iterable[int]) -> dict[int, PracticeCard]:
    ids = set(ids)
    if not ids:
        return {}
    return {p.id: PracticeCard.of(p) for p in session().scalars(load_for_cards(
        select(Practice).where(Practice.id.in_(ids)))).unique()}


# ------------------------------------------------------------------ the exchange's


@dataclass
class Dashboard:
    figures: KeyFigures
    charts: list[Chart]

    def chart(self, chart_id: str) -> Chart:
        return _chart_by_id(self.charts, chart_id)

    # the figures under their former names (the API and older templates read these)
    @property
    def practices(self) -> int:
        return self.figures.practices

    @property
    def organizations(self) -> int:
        return self.figures.cities

    @property
    def countries(self) -> int:
        return self.figures.countries

    @property
    def adaptations(self) -> int:
        return self.figures.adaptations

    @property
    def outcome_rows(self) -> int:
        return self.figures.outcome_rows

    @property
    def improved_rows(self) -> int:
        return self.figures.improvements

    @property
    def replicated(self) -> int:
        return self.figures.replicated


def dashboard_get(identity: Identity) -> Dashboard:
    """The public dashboard of the whole knowledge base, as the viewer may see it.

    Kept per data version (kb.services.aggregates: the monthly submissions it counts
    change without a change-log entry) and language (its titles are translated)."""
    require(identity, "kb.read")
    read_model_refresh()
    return kept_by(("dashboard", data_version(identity), identity.is_site_admin,
                    str(get_locale())), lambda: _dashboard(identity))


def _dashboard(identity: Identity) -> Dashboard:
    s = session()
    scope = _Scope(_visible_ids(identity))
    adapted, parent = scope.adaptations()
    adaptation_months: dict[str, int] = dict(s.execute(adapted.add_columns(
        PracticeFact.published_month, func.count()).group_by(PracticeFact.published_month)
    ).all())
    figures, (improved, worsened, unknown) = _key_figures(
        scope, sum(adaptation_months.values()))
    themes = s.execute(scope.real(PracticeTheme.theme, func.count()).join(
        PracticeTheme, PracticeTheme.practice_id == PracticeFact.practice_id).group_by(
        PracticeTheme.theme)).all()
    countries: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    for country, stage, level, n in s.execute(scope.real(
            PracticeFact.country, PracticeFact.stage, PracticeFact.evidence, func.count())
            .group_by(PracticeFact.country, PracticeFact.stage, PracticeFact.evidence)):
        countries[country] += n
        stages[stage] += n
        evidence[level] += n
    published = dict(s.execute(scope.real(PracticeFact.published_month, func.count())
                               .group_by(PracticeFact.published_month)).all())
    most = s.execute(adapted.add_columns(parent.practice_id, func.count()).group_by(
        parent.practice_id).having(
        func.count() >= MIN_ADAPTATIONS).order_by(func.count().desc(), parent.slug)
        .limit(MOST_ADAPTED)).all()
    cards = _cards(pid for pid, _n in most)
    most_adapted = Chart("most-adapted", _("Most adapted practices"), _(
        "Published practices with at least %(n)d published adaptations (direct "
        "adaptations), the most adapted first.", n=MIN_ADAPTATIONS),
        [cards[pid].title for pid, _n in most], [(_("Adaptations"), [n for _p, n in most])],
        enough=bool(most))
    most_adapted.links = [cards[pid].slug for pid, _n in most]
    practices_label = _("Practices")
    charts = [
        _counted(themes, "theme", "themes", _("Practices by theme"),
                 _("Number of published practices per theme; a practice can have several "
                   "themes."), practices_label, practices=figures.practices),
        _counted(countries.items(), "country", "countries", _("Practices by country"),
                 _("Number of published practices per country."), practices_label),
        _counted(stages.items(), "stage", "stages", _("Practices by stage"),
                 _("Number of published practices per stage, from idea to scaled."),
                 practices_label, order=list(STAGES)),
        _counted(evidence.items(), "evidence", "evidence", _("Practices by evidence"),
                 _("Number of published practices per level of evidence."), practices_label,
                 order=list(EVIDENCE)),
        _activity_chart(_("Per month: revisions submitted for review, practices first "
                          "published, and adaptations first published."),
                        _submissions(identity), published, adaptation_months),
        most_adapted,
        _outcome_chart(improved, worsened, unknown),
    ]
    return Dashboard(figures, charts)


# ------------------------------------------------------------------ a network's


@dataclass
class Edge:
    source: PracticeCard  # the original
    target: PracticeCard  # the adaptation


@dataclass
class Improvement:
    """An improvement a member reported, with its source."""

    practice: PracticeCard
    indicator: str
    unit: str
    baseline: float | None
    result: float
    relative_change: float | None
    period: str | None
    source: str | None


@dataclass
class NetworkDashboard:
    network: Network
    members: list[Organization]
    figures: KeyFigures
    practices: list[PracticeCard]  # the newest, at most LISTED
    practices_total: int
    inside: list[Edge]  # adaptations between practices of the network (newest first)
    across: list[Edge]  # adaptations between the network and practices outside it
    inside_total: int
    across_total: int
    improvements: list[Improvement]  # the largest reported improvements, with sources
    charts: list[Chart]

    def chart(self, chart_id: str) -> Chart:
        return _chart_by_id(self.charts, chart_id)

    @property
    def outcome_rows(self) -> int:
        return self.figures.outcome_rows

    @property
    def improved_rows(self) -> int:
        return self.figures.improvements


def network_dashboard_get(identity: Identity, slug: str) -> NetworkDashboard:
    """What a network's exchange produced, counted over what the viewer may see."""
    require(identity, "kb.read")
    read_model_refresh()
    s = session()
    network = s.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound(_("No such network."))
    members = sorted(s.scalars(select(Organization).join(
        NetworkMember, NetworkMember.organization_id == Organization.id).where(
        NetworkMember.network_id == network.id)), key=lambda o: o.name)
    member_ids = {o.id for o in members}
    # the network and its members are read fresh; what is counted over the practices is
    # kept per data version (a member joining or leaving is audited) and language
    counted = kept_by(("network_dashboard", data_version(identity), slug,
                       tuple(sorted(member_ids)), identity.is_site_admin, str(get_locale())),
                      lambda: _network_counts(identity, slug, members))
    return NetworkDashboard(network, members, *counted)


def _network_counts(identity: Identity, slug: str, members: list[Organization]) -> tuple:
    """Everything of a network's dashboard but the network and its members, in the order
    of NetworkDashboard's fields."""
    s = session()
    member_ids = {o.id for o in members}
    scope = _Scope(_visible_ids(identity), member_ids, slug)
    edges, parent = scope.adaptations()
    child_ours, parent_ours = scope.ours(PracticeFact), scope.ours(parent)
    inside_case = case((and_(child_ours, parent_ours), 1), else_=0)
    edges = edges.where(or_(child_ours, parent_ours))
    totals = dict(inside=0, across=0)
    adaptation_months: Counter[str] = Counter()
    # grouped over a subquery's named columns: PostgreSQL cannot tell that two CASE
    # expressions with their own parameters are the same expression
    grouped = edges.add_columns(inside_case.label("inside"),
                                PracticeFact.published_month.label("month"),
                                case((child_ours, 1), else_=0).label("ours_child")).subquery()
    for inside, month, ours_child, n in s.execute(
            select(grouped.c.inside, grouped.c.month, grouped.c.ours_child,
                   func.count()).group_by(grouped.c.inside, grouped.c.month,
                                          grouped.c.ours_child)):
        totals["inside" if inside else "across"] += n
        if ours_child:
            adaptation_months[month] += n
    newest = {flag: s.execute(edges.where(inside_case == flag).add_columns(
        PracticeFact.practice_id, parent.practice_id).order_by(
        PracticeFact.published_month.desc(), PracticeFact.practice_id.desc()).limit(
        LISTED)).all() for flag in (1, 0)}
    figures, (improved, worsened, unknown) = _key_figures(
        scope, totals["inside"] + totals["across"])
    per_org = s.execute(scope.real(PracticeFact.organization_id, func.count()).group_by(
        PracticeFact.organization_id)).all()
    names = {o.id: o.name for o in members}
    missing = {oid for oid, _n in per_org if oid not in names}
    if missing:
        names.update(s.execute(select(Organization.id, Organization.name).where(
            Organization.id.in_(missing))).all())
    listed = [pid for (pid,) in s.execute(scope.real(PracticeFact.practice_id).order_by(
        PracticeFact.published_month.desc(), PracticeFact.practice_id.desc()).limit(LISTED))]
    rows = s.execute(scope.real(OutcomeFact).join(
        OutcomeFact, OutcomeFact.practice_id == PracticeFact.practice_id).where(
        OutcomeFact.improved.is_(True)).order_by(
        func.abs(func.coalesce(OutcomeFact.relative_change, 0)).desc(),
        OutcomeFact.practice_id, OutcomeFact.position).limit(IMPROVEMENTS)).scalars().all()
    cards = _cards(set(listed) | {i for pairs in newest.values() for pair in pairs for i in pair}
                   | {r.practice_id for r in rows})
    inside_edges, across_edges = ([Edge(cards[p], cards[c]) for c, p in newest[flag]]
                                  for flag in (1, 0))
    published = dict(s.execute(scope.real(PracticeFact.published_month, func.count())
                               .group_by(PracticeFact.published_month)).all())
    charts = [
        _counted(((names.get(oid, "?"), n) for oid, n in per_org), "text", "contributions",
                 _("Practices contributed"), _(
                     "Published practices per organization: from the network's members, or "
                     "shared with the network."), _("Practices")),
        Chart("adaptations", _("Adaptations"), _(
            "Adaptations between the network's own practices, and between the network and "
            "practices from outside it."),
            [_("Inside the network"), _("With other networks and cities")],
            [(_("Adaptations"), [totals["inside"], totals["across"]])],
            enough=totals["inside"] + totals["across"] >= MIN_ADAPTATIONS),
        _outcome_chart(improved, worsened, unknown),
        _activity_chart(_(
            "Per month: revisions submitted by member organizations, the network's practices "
            "first published, and its adaptations first published."),
            _submissions(identity, member_ids), published, adaptation_months),
    ]
    improvements = [Improvement(cards[r.practice_id], r.indicator, r.unit, r.baseline,
                                r.result, r.relative_change, r.period, r.source)
                    for r in rows]
    return (figures, [cards[p] for p in listed], figures.practices, inside_edges,
            across_edges, totals["inside"], totals["across"], improvements, charts)
