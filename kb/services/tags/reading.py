"""Reading tags: a practice's tags with provenance, tag pages, the tag index, suggestions.

Every query keeps to what the viewer may see: practices by `visible_to`, community tags by
`tag_visible_to` (a network's private tags for its members and moderators only). Pages read
a bounded number of rows: counts are computed by the database (GROUP BY with LIMIT), never
by loading the practices.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union, union_all

from kb.content.tags import tag_key, tag_label
from kb.content.vocab import THEMES
from kb.db import session
from kb.models import (Membership, Network, NetworkMember, Organization, Practice, PracticeTag,
                       PracticeTheme, TagAlias, TagApplication)
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.permissions import can, require, tag_visible_to
from kb.services.practices import Page, PracticeCard, visible_practices
from kb.services.tags.applying import practice_for_tags
from kb.services.tags.common import (PUBLIC, concept_of, group_of, network_aliases, resolve,
                                    resolve_many, resolve_scoped)
from search.glossary import glossary

RELATED = 12
CITIES = 50
PER_THEME = 8
TOP = 30
SUGGESTIONS = 10


@dataclass
class TagCity:
    name: str
    slug: str
    # when this organization applied the tag
    tagged_at: dt.datetime | None = None


@dataclass
class ShownTag:
    """A tag as a practice shows it: the owner's, or a community tag with its cities."""

    key: str        # where it links (after moderators' merges and synonyms)
    label: str
    owner: bool = False
    scope: str = PUBLIC
    cities: list[TagCity] = field(default_factory=list)
    # applications the viewer may remove: (id, organization name)
    removable: list[tuple[int, str]] = field(default_factory=list)
    # the public applications, which a signed-in reader may report: (id, organization name)
    applications: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class PracticeTags:
    slug: str
    owner: list[ShownTag]
    community: list[ShownTag]
    can_tag: bool = False
    # the viewer's organizations (slug, name) and the networks they may tag privately for
    organizations: list[tuple[str, str]] = field(default_factory=list)
    networks: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


def _shown(identity: Identity, practice_ids: list[int], owner_rows, apps) -> dict[int, list]:
    """{practice id: owner tags then community tags} from loaded rows."""
    keys = {r.tag for r in owner_rows} | {a.tag for a, _o in apps if a.scope == PUBLIC}
    leads = resolve_many(keys)
    private = resolve_scoped({(a.scope, a.tag) for a, _o in apps if a.scope != PUBLIC})
    out: dict[int, list[ShownTag]] = {pid: [] for pid in practice_ids}
    seen: dict[tuple[int, str, str], ShownTag] = {}
    for row in sorted(owner_rows, key=lambda r: r.label.casefold()):
        out[row.practice_id].append(ShownTag(leads[row.tag], row.label, owner=True))
    for app, org in apps:
        k = (app.practice_id, app.tag, app.scope)
        shown = seen.get(k)
        if shown is None:
            lead = leads[app.tag] if app.scope == PUBLIC else private[(app.scope, app.tag)]
            shown = seen[k] = ShownTag(lead, app.label, scope=app.scope)
            out[app.practice_id].append(shown)
        shown.cities.append(TagCity(org.name, org.slug, app.created_at))
        if app.scope == PUBLIC:
            shown.applications.append((app.id, org.name))
        if can(identity, "tag.untag", app):
            shown.removable.append((app.id, org.name))
    return out


def _community_rows(identity: Identity, practice_ids: list[int], public_only: bool = False):
    query = (select(TagApplication, Organization)
             .join(Organization, Organization.id == TagApplication.organization_id)
             .where(TagApplication.practice_id.in_(practice_ids))
             .order_by(TagApplication.scope != PUBLIC, TagApplication.created_at,
                       TagApplication.id))
    query = query.where(TagApplication.scope == PUBLIC) if public_only else \
        query.where(tag_visible_to(identity))
    return session().execute(query).all()


def practice_tags_get(identity: Identity, slug: str) -> PracticeTags:
    """A practice's tags: the owner's first, then the community's with the cities that
    applied them (a network's private tags for its members only), and the tag form."""
    practice = practice_for_tags(slug)
    require(identity, "practice.view", practice)
    s = session()
    owner_rows = list(s.scalars(select(PracticeTag).where(
        PracticeTag.practice_id == practice.id)))
    apps = _community_rows(identity, [practice.id])
    shown = _shown(identity, [practice.id], owner_rows, apps)[practice.id]
    result = PracticeTags(slug, [t for t in shown if t.owner], [t for t in shown if not t.owner])
    community = result.community
    # "tagged by N cities": most cities first; public before a network's private ones
    community.sort(key=lambda t: (t.scope != PUBLIC, -len(t.cities), t.label.casefold()))
    if can(identity, "practice.tag", practice):
        orgs = select(Organization.slug, Organization.name).order_by(Organization.name).where(
            Organization.id.in_(select(Membership.organization_id).where(
                Membership.user_id == identity.user_id)))
        result.organizations = [(slug, name) for slug, name in s.execute(orgs).all()]
        # the form acts for one of my organizations (a site admin acting for none uses
        # the API, naming the organization)
        result.can_tag = bool(result.organizations)
        result.networks = [(slug, name) for slug, name in s.execute(
            select(Network.slug, Network.name).join(
                NetworkMember, NetworkMember.network_id == Network.id).where(
                NetworkMember.organization_id.in_(sorted(identity.organizations)))
            .distinct().order_by(Network.name)).all()]
    return result


def card_tags(identity: Identity, cards: list[PracticeCard]) -> list[PracticeCard]:
    """Fill the tags of cards a checked service listed: the owner's and the public
    community tags (a network's private tags show on the practice page only)."""
    require(identity, "kb.read")
    ids = [c.id for c in cards]
    if not ids:
        return cards
    owner_rows = list(session().scalars(select(PracticeTag).where(
        PracticeTag.practice_id.in_(ids))))
    apps = _community_rows(identity, ids, public_only=True)
    shown = _shown(identity, ids, owner_rows, apps)
    for card in cards:
        card.tags = shown.get(card.id, [])
    return cards


# ---------------------------------------------------------------- tag pages


def _application_match(aliases: dict[str, dict[str, str]],
                       keys: set[str]) -> tuple[ColumnElement[bool], set[str]]:
    """Community tags that lead to one of `keys`, as the viewer sees them (`aliases`: the
    network_aliases of the viewer): public tags by the public aliases, a network's
    private tags by the network's own aliases first. Also the tags the networks' aliases
    lead to `keys`."""
    if not aliases:
        return TagApplication.tag.in_(keys), set()
    parts = [and_(TagApplication.scope.not_in(sorted(aliases)), TagApplication.tag.in_(keys))]
    gathered: set[str] = set()
    for network, table in sorted(aliases.items()):
        leads = resolve_many(set(table), network)
        led = {t for t, lead in leads.items() if lead in keys}
        gathered |= led
        tags = {k for k in keys if k not in table} | led
        parts.append(and_(TagApplication.scope == network, TagApplication.tag.in_(tags)))
    return or_(*parts), gathered


def _tagged(identity: Identity, keys: set[str], app_match: ColumnElement[bool],
            concept: str | None):
    """(practice id, tag, label) rows of tags in `keys` (community tags: `app_match`) or
    naming `concept`, the viewer may see, owner's and community's together."""
    owner_match: ColumnElement[bool] = PracticeTag.tag.in_(keys)
    if concept:
        owner_match = or_(owner_match, PracticeTag.concept == concept)
        app_match = or_(app_match, TagApplication.concept == concept)
    return union_all(
        select(PracticeTag.practice_id.label("practice_id"), PracticeTag.tag.label("tag"),
               PracticeTag.label.label("label"), literal(None).label("organization_id"))
        .where(owner_match),
        select(TagApplication.practice_id, TagApplication.tag, TagApplication.label,
               TagApplication.organization_id)
        .where(app_match, tag_visible_to(identity)))


def _all_tags(identity: Identity, as_led: bool = True):
    """(practice id, tag, label) of every tag the viewer may see; with `as_led`, a
    network's private tag its moderators renamed or made a synonym counts as the tag it
    leads to (public aliases are followed by the callers)."""
    apps = select(TagApplication.practice_id, TagApplication.tag, TagApplication.label)
    if as_led:
        apps = select(TagApplication.practice_id,
                      func.coalesce(TagAlias.target, TagApplication.tag),
                      func.coalesce(TagAlias.target, TagApplication.label)).outerjoin(
            TagAlias, and_(TagAlias.tag == TagApplication.tag,
                           TagAlias.scope == TagApplication.scope,
                           TagApplication.scope != PUBLIC))
    return union_all(
        select(PracticeTag.practice_id.label("practice_id"), PracticeTag.tag.label("tag"),
               PracticeTag.label.label("label")),
        apps.where(tag_visible_to(identity))).subquery()


@dataclass
class TagCount:
    key: str
    label: str
    count: int


@dataclass
class TagPage:
    key: str
    label: str
    # the glossary concept the tag names, and its labels in other languages
    concept: str | None
    concept_labels: list[tuple[str, str]]
    # the tags this page gathers (the tag, its merged tags and synonyms)
    gathered: list[str]
    practices: Page
    related: list[TagCount]
    cities: list[tuple[str, str, int]]


def tag_page_get(identity: Identity, tag: str, page: int = 1, per_page: int = 20,
                 language: str | None = None) -> TagPage:
    """/tags/<tag>: the practices with the tag, its merged tags, synonyms and glossary
    concept (in any language), with related tags and the cities that use it."""
    require(identity, "kb.read")
    return _tag_page(identity, resolve(tag_key(tag)), page, per_page, language, follow=True)


@dataclass(frozen=True)
class _TagFacts:
    """What a tag page shows, as ids and counts (kept until the next change)."""
    key: str
    label: str
    concept: str | None
    gathered: tuple[str, ...]
    total: int
    ids: tuple[int, ...]
    related: tuple[tuple[str, str, int], ...]
    cities: tuple[tuple[int, int], ...]   # (organization id, practices)


def _tag_page(identity: Identity, key: str, page: int, per_page: int,
              language: str | None, follow: bool) -> TagPage:
    from kb.services.aggregates import kept
    from kb.services.practices import cards_in_order

    if not key:
        raise NotFound("no such tag")
    page = max(1, page)
    # which practices, tags and cities, and how many: kept until the next change
    # (kb.services.aggregates); the cards and the organizations' names are read fresh
    facts = kept("tag_page", identity,
                 lambda: _tag_facts(identity, key, page, per_page, follow),
                 key, page, per_page, follow)
    cards = card_tags(identity, cards_in_order(list(facts.ids)))
    names = {i: (name, slug) for i, name, slug in session().execute(
        select(Organization.id, Organization.name, Organization.slug)
        .where(Organization.id.in_([i for i, _n in facts.cities])))}
    labels = []
    if facts.concept:
        for item in glossary().concept_labels(facts.concept):
            if (item.language, item.text) not in labels and item.text.casefold() != facts.key:
                labels.append((item.language, item.text))
        if language:
            labels.sort(key=lambda lt: lt[0] != language)
    return TagPage(facts.key, facts.label, facts.concept, labels, list(facts.gathered),
                   Page(cards, facts.total, page, per_page),
                   [TagCount(k, lb, n) for k, lb, n in facts.related],
                   [(*names[i], n) for i, n in facts.cities if i in names])


def _tag_facts(identity: Identity, key: str, page: int, per_page: int,
               follow: bool) -> _TagFacts:
    keys = group_of(key)
    concept = concept_of(key)
    s = session()
    aliases = network_aliases(identity)
    app_match, led_here = _application_match(aliases, keys)
    tagged = _tagged(identity, keys, app_match, concept).subquery()
    visible = visible_practices(identity).where(
        Practice.id.in_(select(tagged.c.practice_id))).with_only_columns(Practice.id)
    total = s.scalar(select(func.count()).select_from(visible.subquery())) or 0
    if not total and follow:
        # a tag the viewer's network renamed or made a synonym among its private tags
        for network, table in sorted(aliases.items()):
            if key in table:
                lead = resolve(key, network)
                if lead != key:
                    return _tag_facts(identity, lead, page, per_page, follow=False)
    seen_scopes = [PUBLIC, *aliases]
    if not total and not s.scalar(select(TagAlias.tag).where(
            TagAlias.target == key, TagAlias.scope.in_(seen_scopes)).limit(1)):
        raise NotFound("no such tag")
    ids = s.scalars(visible.order_by(Practice.published_at.desc(), Practice.id.desc())
                    .offset((page - 1) * per_page).limit(per_page))
    label = s.scalar(select(tagged.c.label).where(tagged.c.tag == key).limit(1)) or key
    everything = _all_tags(identity)
    related = s.execute(
        select(everything.c.tag, func.min(everything.c.label),
               func.count(func.distinct(everything.c.practice_id)).label("n"))
        .where(everything.c.practice_id.in_(visible), everything.c.tag.not_in(keys))
        .group_by(everything.c.tag).order_by(func.count(
            func.distinct(everything.c.practice_id)).desc(), everything.c.tag)
        .limit(RELATED)).all()
    users = union(
        select(tagged.c.practice_id, tagged.c.organization_id)
        .where(tagged.c.organization_id.is_not(None)),
        select(Practice.id, Practice.organization_id).where(
            Practice.id.in_(select(tagged.c.practice_id).where(
                tagged.c.organization_id.is_(None))))).subquery()
    cities = s.execute(
        select(Organization.id, func.count().label("n"))
        .join(users, users.c.organization_id == Organization.id)
        .where(users.c.practice_id.in_(visible))
        .group_by(Organization.id, Organization.name)
        .order_by(func.count().desc(), Organization.name).limit(CITIES)).all()
    return _TagFacts(key, label, concept, tuple(sorted(keys | led_here)), total, tuple(ids),
                     tuple((k, lb, n) for k, lb, n in related),
                     tuple((i, n) for i, n in cities))


@dataclass
class TagIndex:
    top: list[TagCount]
    # theme -> its most used tags
    themes: dict[str, list[TagCount]]


def tags_index_get(identity: Identity) -> TagIndex:
    """/tags: the most used tags, overall and per theme, over what the viewer may see
    (kept until the next change: kb.services.aggregates)."""
    from kb.services.aggregates import kept

    require(identity, "kb.read")
    return kept("tags_index", identity, lambda: _tags_index(identity))


def _tags_index(identity: Identity) -> TagIndex:
    s = session()
    everything = _all_tags(identity)
    visible = visible_practices(identity).with_only_columns(Practice.id)
    n = func.count(func.distinct(everything.c.practice_id))
    top = s.execute(select(everything.c.tag, func.min(everything.c.label), n)
                    .where(everything.c.practice_id.in_(visible))
                    .group_by(everything.c.tag).order_by(n.desc(), everything.c.tag)
                    .limit(TOP)).all()
    counts = (select(PracticeTheme.theme.label("theme"), everything.c.tag.label("tag"),
                     func.min(everything.c.label).label("label"), n.label("n"))
              .join(PracticeTheme, PracticeTheme.practice_id == everything.c.practice_id)
              .where(everything.c.practice_id.in_(visible))
              .group_by(PracticeTheme.theme, everything.c.tag)).subquery()
    ranked = select(counts, func.row_number().over(
        partition_by=counts.c.theme, order_by=(counts.c.n.desc(), counts.c.tag)).label("rank")
    ).subquery()
    themes: dict[str, list[TagCount]] = {}
    for theme, key, label, count, _rank in s.execute(
            select(ranked).where(ranked.c.rank <= PER_THEME)
            .order_by(ranked.c.theme, ranked.c.rank)).all():
        if theme in THEMES:
            themes.setdefault(theme, []).append(TagCount(key, label, count))
    leads = resolve_many({k for k, _l, _n in top} |
                         {t.key for ts in themes.values() for t in ts})
    for items in themes.values():
        for t in items:
            t.key = leads[t.key]
    return TagIndex([TagCount(leads[k], lb, c) for k, lb, c in top],
                    dict(sorted(themes.items())))


def tag_suggest(identity: Identity, prefix: str, language: str = "en",
                limit: int = SUGGESTIONS) -> list[str]:
    """Tags to offer while someone types: glossary labels in their language, then tags
    in use that the viewer may see, starting with what was typed."""
    require(identity, "kb.read")
    typed = tag_label(prefix)
    if len(typed) < 2:
        return []
    out = glossary().labels_starting(typed, language, limit)
    from kb.services.aggregates import kept

    # every tag in use, by key: one reading per change serves every prefix typed
    in_use = kept("tags_in_use", identity, lambda: _tags_in_use(identity))
    key = tag_key(typed)
    found = []
    for i in range(bisect.bisect_left(in_use, (key,)), len(in_use)):
        if not in_use[i][0].startswith(key):
            break
        found.append(in_use[i])
    found.sort(key=lambda row: (-row[2], row[0]))
    known = {tag_key(t) for t in out}
    for _key, label, _count in found:
        if tag_key(label) not in known:
            known.add(tag_key(label))
            out.append(label)
    return out[:limit]


def _tags_in_use(identity: Identity) -> list[tuple[str, str, int]]:
    """(key, label, practices) of every tag on a practice the viewer may see, by key."""
    everything = _all_tags(identity, as_led=False)
    visible = visible_practices(identity).with_only_columns(Practice.id)
    rows = session().execute(
        select(everything.c.tag, func.min(everything.c.label),
               func.count(func.distinct(everything.c.practice_id)))
        .where(everything.c.practice_id.in_(visible)).group_by(everything.c.tag)).all()
    return sorted((str(k), str(label), int(n)) for k, label, n in rows)
