"""Practice operations: import, export and reading what a viewer may see.

One function per user operation, named <thing>_<verb>; each checks
permission first, validates, writes, commits, then runs after-commit effects.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kb.content import (
    Practice as PracticeDoc,
    Problem,
    ValidationFailed,
    markdown_to_text,
    parse_practice,
    parse_practice_bytes,
    render_markdown,
)
from kb.content.document import content_hash, slugify, unknown_original
from kb.content.metrics import headline, is_example, shown_evidence
from kb.content.tags import keys_of
from kb.content.vocab import THEMES, population_band
from kb.db import session
from kb.models import (
    ChangeAction,
    ChangeLog,
    Organization,
    Practice,
    PracticeStatus,
    PracticeNetwork,
    PracticeTag,
    PracticeTheme,
    Revision,
    RevisionTranslation,
    utcnow,
)
from kb.services import effects
from kb.services.aggregates import data_version, kept, kept_by
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.mirror import ExportResult, sync_directory
from kb.services.tags.common import concept_of
from kb.services.permissions import can, organization_known_to, require, visible_to
from kb.services.uow import UnitOfWork


STALE_MONTHS = 24


def is_stale(practice: Practice, months: int = STALE_MONTHS) -> bool:
    """Not reviewed (or, never reviewed, not published) for `months` months: "may be outdated"."""
    checked = practice.last_reviewed_at or practice.published_at
    if checked is None:
        return False
    return checked < utcnow() - dt.timedelta(days=round(months * 30.44))


# ------------------------------------------------------------------ importing


@dataclass
class ImportOutcome:
    slug: str
    action: str  # created | updated | unchanged
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, list[Problem]]] = field(default_factory=list)
    # valid documents the import may not apply (see _refusals): nothing was written
    refused: list[tuple[str, list[Problem]]] = field(default_factory=list)
    warnings: list[tuple[str, list[Problem]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


def practice_import(identity: Identity, text: str, filename: str | None = None) -> ImportOutcome:
    """Create or update a published practice from a document (idempotent by slug).

    An unchanged document (same content hash as the current revision) makes no
    new revision and no change-log row. A document that would publish over an
    archived practice, or widen who may see a network-only one, is refused
    (ValidationFailed naming the field): that takes a moderator in the portal.
    """
    require(identity, "practice.import")
    result = parse_practice(text, filename)
    if result.errors or result.practice is None:
        raise ValidationFailed(result.errors, result.warnings)
    doc = result.practice
    with UnitOfWork() as uow:
        outcome = _store_published(uow, identity, doc, text)
        outcome.warnings = result.warnings + _lineage_warnings(text, doc, set())
    return outcome


def _lineage_warnings(text: str, doc: PracticeDoc, also_known: set[str]) -> list[Problem]:
    """Warn about an adaptation whose original is neither in the KB nor coming with it."""
    original = doc.adapted_from
    if not original or original in also_known or session().scalar(
            select(Practice.id).where(Practice.slug == original)):
        return []
    return [unknown_original(text, original)]


def practices_import_dir(
    identity: Identity,
    directory: Path,
    on_file: Callable[[Path, str, list[Problem]], None] | None = None,
) -> ImportReport:
    """Import every *.md file of a folder; good files go in even when others fail.

    Refused files (an archived practice, a widened visibility) are reported
    like failed ones, each with its reason, and change nothing.
    """
    require(identity, "practice.import")
    report = ImportReport()
    parsed = []
    for path in sorted(Path(directory).glob("*.md")):
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # removed meanwhile (the export mirror may share the folder)
            continue
        parsed.append((path, data, parse_practice_bytes(data, path.name)))
    # an adaptation may come before its original in the same folder
    coming = {result.practice.slug for _path, _data, result in parsed if result.practice}
    batch = current_app.config["IMPORT_BATCH"]
    if parsed:
        from kb.services.search import search_vectors_of_folder

        search_vectors_of_folder(directory)
    # the derived views (search index, read model) catch up once, after the last
    # batch is committed: one index commit that also merges the index's segments
    with effects.derived_views_deferred():
        for start in range(0, len(parsed), batch):
            # one transaction per batch, each document in its own savepoint (all or
            # nothing per document); each file is reported once it is committed
            done: list[tuple[Path, str, list[Problem]]] = []
            with UnitOfWork() as uow:
                for path, data, result in parsed[start:start + batch]:
                    status, problems = _import_one(uow, identity, report, path, data,
                                                   result, coming)
                    done.append((path, status, problems))
            if on_file:
                for path, status, problems in done:
                    on_file(path, status, problems)
    return report


def _import_one(uow: UnitOfWork, identity: Identity, report: ImportReport, path: Path,
                data: bytes, result, coming: set[str]) -> tuple[str, list[Problem]]:
    problems: list[Problem] = []
    if result.practice:
        result = result._replace(warnings=result.warnings + _lineage_warnings(
            data.decode("utf-8"), result.practice, coming))
    if result.errors or result.practice is None:
        report.failed.append((str(path), result.errors))
        problems = result.errors
        status = "failed"
    else:
        text = data.decode("utf-8")
        change_ids = uow.session.info.get("kb.change_ids")
        mark = len(change_ids) if change_ids is not None else 0
        savepoint = uow.session.begin_nested()
        try:
            outcome = _store_published(uow, identity, result.practice, text)
            savepoint.commit()
        except ValidationFailed as refusal:
            savepoint.rollback()
            if change_ids is not None:
                del change_ids[mark:]
            report.refused.append((str(path), refusal.errors))
            problems = refusal.errors
            status = "refused"
        except BaseException:
            savepoint.rollback()
            raise
        else:
            getattr(report, outcome.action).append(outcome.slug)
            status = outcome.action
            _remember_parsed(text, result.practice.slug, result.practice)
    if result.warnings:
        report.warnings.append((str(path), result.warnings))
    return status, problems + list(result.warnings)


def _organization_for(doc: PracticeDoc) -> Organization:
    s = session()
    slug = slugify(doc.organization)
    org = s.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        # a fictional example's population is illustrative: its town stays unknown
        org = Organization(slug=slug, name=doc.organization, country=doc.country,
                           region=doc.region,
                           population=None if is_example(doc.tags) else doc.population,
                           kind=_guess_kind(doc.organization))
        s.add(org)
        s.flush()
    return org


def _guess_kind(name: str) -> str:
    lowered = name.lower()
    for kind, words in (
        ("region", ("region", "county", "maakunta", "landskap", "provinc", "regio")),
        ("agency", ("agency", "authority", "virasto", "myndighet", "agentur")),
        ("association", ("association", "network", "liitto", "förbund", "verband")),
        ("municipality", ("municipality", "kunta", "kommun", "gemeinde", "commune",
                          "ajuntament", "ayuntamiento", "concello", "comune", "câmara municipal",
                          "gemeente", "council")),
        ("city", ("city", "kaupunki", "stad", "stadt", "ville", "ciudad", "citta")),
    ):
        if any(w in lowered for w in words):
            return kind
    return "other"


def _store_published(uow: UnitOfWork, identity: Identity, doc: PracticeDoc,
                     text: str) -> ImportOutcome:
    s = uow.session
    digest = content_hash(text)
    practice = s.scalar(select(Practice).where(Practice.slug == doc.slug))
    now = utcnow()
    if practice is not None and practice.current_revision is not None \
            and practice.current_revision.content_hash == digest \
            and practice.status == PracticeStatus.PUBLISHED:
        return ImportOutcome(doc.slug, "unchanged")
    if practice is not None and practice.status == PracticeStatus.ARCHIVED and digest in {
            r.content_hash for r in (practice.current_revision, practice.published_revision)
            if r is not None}:
        # an archived practice's own document changes nothing: it stays archived
        return ImportOutcome(doc.slug, "unchanged")
    if practice is not None:
        refusals = _refusals(practice, doc, text)
        if refusals:
            raise ValidationFailed(refusals)
    org = _organization_for(doc)
    created = practice is None
    if practice is None:
        practice = Practice(slug=doc.slug, organization=org, created_at=now,
                            created_by_id=identity.user_id)
        s.add(practice)
        s.flush()
        # a new practice has no filter rows and no revisions: say so instead of asking
        set_committed_value(practice, "theme_rows", [])
        set_committed_value(practice, "network_rows", [])
        set_committed_value(practice, "tag_rows", [])
        number = 1
    else:
        number = (s.scalar(select(func.max(Revision.number))
                           .where(Revision.practice_id == practice.id)) or 0) + 1
    revision = Revision(practice_id=practice.id, number=number, document=text,
                        content_hash=digest, state=PracticeStatus.PUBLISHED,
                        author_id=identity.user_id, created_at=now,
                        comment="imported" if created else "re-imported")
    _fill_parsed_columns(revision, doc)
    s.add(revision)
    s.flush()
    practice.organization = org
    publish_revision(uow, practice, revision, doc, now, reviewed=False)
    return ImportOutcome(doc.slug, "created" if created else "updated")


def _refusals(practice: Practice, doc: PracticeDoc, text: str) -> list[Problem]:
    """Why an import may not publish this document over the stored practice.

    An import acts for the operator, not for a moderator: it never brings an
    archived practice back, and never lets more people see a practice than its
    last reviewed version allowed (network-only to public, or to more networks).
    """
    def line_of(key: str) -> int | None:
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith(f"{key}:"):
                return number
        return None

    if practice.status == PracticeStatus.ARCHIVED:
        return [Problem("slug", f"'{practice.slug}' is archived; a moderator restores it in the "
                        "portal (the file was not imported)", line_of("slug"))]
    reviewed = practice.published_revision or practice.current_revision
    if reviewed is None or reviewed.visibility != "network":
        return []
    if doc.visibility != "network":
        return [Problem("visibility", f"'{practice.slug}' is shared with networks only; making "
                        "it public needs a moderator: submit the change in the portal (the file "
                        "was not imported)", line_of("visibility"))]
    added = sorted(set(doc.networks) - set(reviewed.networks or []))
    if added:
        return [Problem("networks", f"'{practice.slug}' would be shared with {', '.join(added)} "
                        "too; sharing it more widely needs a moderator: submit the change in "
                        "the portal (the file was not imported)", line_of("networks"))]
    return []


def publish_revision(uow: UnitOfWork, practice: Practice, revision: Revision,
                     doc: PracticeDoc, now, reviewed: bool = True) -> None:
    """Make a revision the live one: the single path of every publication.

    Supersedes the previous live revision, refreshes the filter rows, writes the
    change-log row in the same transaction and schedules the after-commit effects.
    An import publishes without a review (``reviewed=False``): it leaves the date
    of the last review as it was.
    """
    was_published = practice.status == PracticeStatus.PUBLISHED
    previous = practice.published_revision
    if previous is not None and previous.id != revision.id:
        previous.state = PracticeStatus.SUPERSEDED
    revision.state = PracticeStatus.PUBLISHED
    practice.current_revision = revision
    practice.published_revision = revision
    practice.status = PracticeStatus.PUBLISHED
    practice.visibility = doc.visibility
    practice.adapted_from_slug = doc.adapted_from
    practice.updated_at = now
    practice.published_at = practice.published_at or now
    if reviewed:
        practice.last_reviewed_at = now
    practice.theme_rows = [PracticeTheme(theme=t) for t in doc.themes]
    practice.network_rows = [PracticeNetwork(network=n) for n in doc.networks]
    practice.tag_rows = [PracticeTag(tag=k, label=v, concept=concept_of(v))
                         for k, v in keys_of(doc.tags).items()]
    uow.session.add(ChangeLog(practice_id=practice.id, slug=practice.slug,
                              action=ChangeAction.UPDATE if was_published
                              else ChangeAction.PUBLISH, revision_id=revision.id,
                              created_at=now))
    effects.after_practice_change(uow)


def _fill_parsed_columns(revision: Revision, doc: PracticeDoc) -> None:
    revision.title = doc.title
    revision.summary = doc.summary
    revision.language = doc.language
    revision.country = doc.country
    revision.region = doc.region
    revision.population = doc.population
    revision.population_band = population_band(doc.population)
    revision.stage = doc.stage
    revision.evidence = doc.evidence
    revision.started = doc.started
    revision.ended = doc.ended
    revision.started_year = doc.started_year
    revision.themes = list(doc.themes)
    revision.tags = list(doc.tags)
    revision.outcomes = [o.__dict__ for o in doc.outcomes]
    revision.networks = list(doc.networks)
    revision.visibility = doc.visibility
    revision.adapted_from = doc.adapted_from
    _fill_translations(revision, doc)


def _fill_translations(revision: Revision, doc: PracticeDoc) -> None:
    """Make the revision's translation rows those of the document (updated in place)."""
    rows = {t.language: t for t in revision.translation_rows}
    for lang in [lang for lang in rows if lang not in doc.translations]:
        revision.translation_rows.remove(rows.pop(lang))
    for lang, item in doc.translations.items():
        row = rows.get(lang)
        if row is None:
            revision.translation_rows.append(RevisionTranslation(
                language=lang, title=item["title"], summary=item["summary"]))
        else:
            row.title, row.summary = item["title"], item["summary"]


# ------------------------------------------------------------------ exporting


def practices_export(identity: Identity, directory: Path,
                     on_file: Callable[[str], None] | None = None,
                     on_total: Callable[[int], None] | None = None,
                     include_network: bool = False) -> ExportResult:
    """Make DIRECTORY hold every published practice as <slug>.md, byte for byte as stored.

    Files whose text changed are rewritten; files of practices that are
    archived, unpublished or deleted are removed, and so are network-only ones
    unless include_network is set (a full backup by the operator). Files the
    database knows nothing about are left alone.
    """
    require(identity, "practice.export")
    return sync_directory(Path(directory), include_network, on_file, on_total)


# -------------------------------------------------------------------- reading


def _published() -> Select:
    return select(Practice).where(Practice.status == PracticeStatus.PUBLISHED)


def _visible_practices(identity: Identity) -> Select:
    """Published practices the identity may see, joined to their published revision."""
    return _published().join(Practice.published_revision).where(visible_to(identity))


_PARSED: OrderedDict[tuple[str, str], PracticeDoc] = OrderedDict()
_PARSED_MAX = 1024   # documents kept parsed (an import batch fits)
_parsed_lock = threading.Lock()


def _parsed(document: str, slug: str) -> PracticeDoc:
    """A stored document, parsed (kept for the most recently used documents)."""
    key = (document, slug)
    with _parsed_lock:
        doc = _PARSED.get(key)
        if doc is not None:
            _PARSED.move_to_end(key)
            return doc
    result = parse_practice(document, f"{slug}.md")
    if result.practice is None:  # stored documents were valid when stored
        raise ValueError(f"stored document no longer parses: {result.errors}")
    _remember_parsed(document, slug, result.practice)
    return result.practice


def _remember_parsed(document: str, slug: str, doc: PracticeDoc) -> None:
    """Keep a document parsed once (an import indexes what it just parsed)."""
    with _parsed_lock:
        _PARSED[(document, slug)] = doc
        _PARSED.move_to_end((document, slug))
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)


@functools.lru_cache(maxsize=512)
def rendered_body(document: str, slug: str) -> str:
    return render_markdown(_parsed(document, slug).body)


@functools.lru_cache(maxsize=512)
def body_text(document: str, slug: str) -> str:
    return markdown_to_text(_parsed(document, slug).body)


@dataclass
class PracticeCard:
    """What a list shows of a practice."""

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
    published_at: dt.datetime | None
    featured: bool
    outcomes_count: int
    adapted_from: str | None
    # {language: {"title", "summary"}}: the contributor's translations
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # the headline outcome (kb.content.metrics.headline), read from the parsed columns
    headline: dict | None = None
    # the evidence level the outcomes support (anecdotal when a measured claim has none)
    evidence_shown: str = ""
    # a fictional example (tag "example")
    example: bool = False
    # the owner's tags, then public community tags (kb.services.tags.reading.ShownTag)
    tags: list = field(default_factory=list)

    @classmethod
    def of(cls, practice: Practice) -> PracticeCard:
        rev = practice.published_revision
        if rev is None:
            raise NotFound("no such practice")
        return cls(
            id=practice.id, slug=practice.slug, title=rev.title, summary=rev.summary,
            language=rev.language, organization=practice.organization.name,
            organization_slug=practice.organization.slug, country=rev.country,
            themes=list(rev.themes), stage=rev.stage, evidence=rev.evidence,
            population=rev.population, published_at=practice.published_at,
            featured=practice.featured, outcomes_count=len(rev.outcomes or []),
            adapted_from=practice.adapted_from_slug, translations=rev.translations,
            headline=headline(rev.outcomes), evidence_shown=shown_evidence(
                rev.evidence, rev.outcomes), example=is_example(rev.tags),
        )


@dataclass
class PracticeDetail:
    card: PracticeCard
    doc: PracticeDoc
    body_html: str
    document: str
    revision_number: int
    updated_at: dt.datetime
    last_reviewed_at: dt.datetime | None
    adapted_from: PracticeCard | None
    adapted_from_missing: str | None
    adaptation_chain: list[PracticeCard]
    adapted_by: list[PracticeCard]
    show_email: bool
    stale: bool
    # the original named by adapted_from is not in this knowledge base at all
    # (or, published, is hidden from this viewer: its existence is not revealed)
    adapted_from_absent: bool = False
    published_at: dt.datetime | None = None


@dataclass
class Page:
    items: list[PracticeCard]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _load(query: Select) -> Select:
    return query.options(joinedload(Practice.published_revision),
                         joinedload(Practice.organization))


def practice_get(identity: Identity, slug: str) -> PracticeDetail:
    practice = session().scalar(_load(select(Practice).where(Practice.slug == slug)))
    if practice is None:
        raise NotFound("no such practice")  # word for word what a hidden one answers
    require(identity, "practice.view", practice)
    rev = practice.published_revision
    if rev is None:
        raise NotFound("no such practice")
    doc = _parsed(rev.document, practice.slug)
    source, missing, absent = None, None, False
    chain: list[PracticeCard] = []
    if practice.adapted_from_slug:
        seen = {practice.slug}
        cursor = practice.adapted_from_slug
        while cursor and cursor not in seen and len(chain) < 20:
            seen.add(cursor)
            parent = session().scalar(_load(select(Practice).where(Practice.slug == cursor)))
            if parent is None or not can(identity, "practice.view", parent):
                if not chain:
                    missing = cursor
                    absent = parent is None or parent.status == PracticeStatus.PUBLISHED
                break
            chain.append(PracticeCard.of(parent))
            cursor = parent.adapted_from_slug
        source = chain[0] if chain else None
    document = rev.document
    email = (doc.contact or {}).get("email")
    if email and identity.is_anonymous:
        # e-mail addresses are for signed-in readers only, in the source too
        document = document.replace(email, "hidden-sign-in-to-see")
    children = session().scalars(_load(_visible_practices(identity).where(
        Practice.adapted_from_slug == practice.slug)).order_by(Practice.published_at)).unique()
    return PracticeDetail(
        card=PracticeCard.of(practice), doc=doc, body_html=rendered_body(rev.document, practice.slug),
        document=document, revision_number=rev.number, updated_at=practice.updated_at,
        last_reviewed_at=practice.last_reviewed_at, adapted_from=source,
        adapted_from_missing=missing, adaptation_chain=chain,
        adapted_by=[PracticeCard.of(p) for p in children],
        show_email=not identity.is_anonymous, stale=is_stale(practice),
        adapted_from_absent=absent, published_at=practice.published_at,
    )


LIST_FILTERS = ("theme", "country", "language")


def practice_list(identity: Identity, filters: dict[str, list[str]] | None = None,
                  page: int = 1, per_page: int = 20, organization: str | None = None,
                  order: str = "newest", organizations: list[str] | None = None,
                  network: str | None = None) -> Page:
    """Published practices the identity may see, filtered (OR within, AND across)."""
    require(identity, "kb.read")
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in LIST_FILTERS}
    query = _visible_practices(identity)
    if filters.get("country"):
        query = query.where(Revision.country.in_(filters["country"]))
    if filters.get("language"):
        query = query.where(Revision.language.in_(filters["language"]))
    if filters.get("theme"):
        query = query.where(Practice.id.in_(
            select(PracticeTheme.practice_id).where(PracticeTheme.theme.in_(filters["theme"]))))
    if organization:
        query = query.join(Practice.organization).where(Organization.slug == organization)
    if organizations is not None or network:
        # a network's practices: from its member organizations, or shared with it
        in_network = []
        if organizations:
            in_network.append(Practice.organization_id.in_(
                select(Organization.id).where(Organization.slug.in_(organizations))))
        if network:
            in_network.append(Practice.id.in_(
                select(PracticeNetwork.practice_id).where(PracticeNetwork.network == network)))
        query = query.where(or_(*in_network)) if in_network else query.where(false())
    page = max(1, page)
    start = (page - 1) * per_page

    def count_and_page() -> tuple[int, list[int]]:
        total = session().scalar(select(func.count()).select_from(query.subquery()))
        ids = session().scalars(query.with_only_columns(Practice.id).order_by(
            *_order(order)).offset(start).limit(per_page))
        return total or 0, list(ids)

    # which practices, and how many: kept until the next change (kb.services.aggregates);
    # the cards themselves are read fresh
    total, ids = kept("practice_list", identity, count_and_page,
                      tuple(sorted((k, tuple(v)) for k, v in filters.items())), organization,
                      None if organizations is None else tuple(organizations), network,
                      order, start, per_page)
    from kb.services.tags.reading import card_tags

    return Page(card_tags(identity, cards_in_order(ids)), total, page, per_page)


def cards_in_order(ids: list[int]) -> list[PracticeCard]:
    """The cards of these practices, in this order (ids a checked service chose)."""
    if not ids:
        return []
    rows = {p.id: p for p in session().scalars(_load(select(Practice).where(
        Practice.id.in_(ids)))).unique()}
    return [PracticeCard.of(rows[i]) for i in ids if i in rows]


def _order(order: str):
    if order == "title":
        return (Practice.slug,)
    return (Practice.published_at.desc(), Practice.id.desc())


@dataclass
class Facets:
    themes: list[tuple[str, int]]
    countries: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    total: int


def practice_facets(identity: Identity) -> Facets:
    """Counts by theme, country and language over what the identity may see (kept
    until the next change: kb.services.aggregates)."""
    require(identity, "kb.read")
    return kept("practice_facets", identity, lambda: _practice_facets(identity))


def _practice_facets(identity: Identity) -> Facets:

    def ordered(pairs):
        return sorted(((k, int(v)) for k, v in pairs), key=lambda kv: (-kv[1], kv[0]))

    query = _visible_practices(identity)
    ids = query.with_only_columns(Practice.id).subquery()
    s = session()
    themes = s.execute(select(PracticeTheme.theme, func.count())
                       .where(PracticeTheme.practice_id.in_(select(ids.c.id)))
                       .group_by(PracticeTheme.theme)).all()
    countries = s.execute(query.with_only_columns(Revision.country, func.count())
                          .group_by(Revision.country)).all()
    languages = s.execute(query.with_only_columns(Revision.language, func.count())
                          .group_by(Revision.language)).all()
    total = s.scalar(select(func.count()).select_from(ids))
    return Facets(ordered(themes), ordered(countries), ordered(languages), total or 0)


@dataclass
class Home:
    featured: list[PracticeCard]
    newest: list[PracticeCard]
    facets: Facets
    organizations: int
    # where the data stood (aggregates.data_version): the page's parts are kept by it
    version: tuple = ()


def home_get(identity: Identity) -> Home:
    """Featured and newest practices, the counts and the themes. The same for every
    reader of one visibility scope until the data changes, so each process keeps it per
    data version (kb.services.aggregates)."""
    require(identity, "kb.read")
    version = data_version(identity)
    return kept_by(("home", version), lambda: _home(identity, version))


def _home(identity: Identity, version: tuple) -> Home:
    s = session()
    featured = list(s.scalars(_load(_visible_practices(identity).where(
        Practice.featured.is_(True))).order_by(Practice.published_at.desc())).unique())
    newest = practice_list(identity, page=1, per_page=6).items
    cards = [PracticeCard.of(p) for p in featured[:3]]
    if not featured:
        # until moderators feature some, show the evaluated ones with the most outcomes
        cards = cards_in_order(list(s.scalars(
            _visible_practices(identity).with_only_columns(Practice.id).where(
                Revision.evidence.in_(("evaluated", "experimental", "monitored"))).order_by(
                func.coalesce(func.json_array_length(Revision.outcomes), 0).desc(),
                Practice.published_at.desc(), Practice.slug).limit(3))))
    facets = practice_facets(identity)
    organizations = s.scalar(_visible_practices(identity).with_only_columns(
        func.count(func.distinct(Practice.organization_id))))
    from kb.services.tags.reading import card_tags

    return Home(card_tags(identity, cards), newest, facets, organizations or 0, version)


@dataclass
class OrganizationDetail:
    slug: str
    name: str
    kind: str
    country: str | None
    region: str | None
    population: int | None
    practices: Page
    # "geonames", "admin" or None (not stated); coordinates when known
    population_source: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    can_manage: bool = False


def organization_get(identity: Identity, slug: str, page: int = 1,
                     per_page: int = 20) -> OrganizationDetail:
    require(identity, "kb.read")
    org = session().scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"no organization at {slug}")
    practices = practice_list(identity, page=page, per_page=per_page, organization=slug)
    if practices.total == 0 and not can(identity, "org.manage", org):
        # an organization with nothing visible is not shown to the public (its admins see it)
        raise NotFound(f"no organization at {slug}")
    place = org.place
    return OrganizationDetail(org.slug, org.name, org.kind, org.country, org.region,
                              org.population, practices,
                              population_source=place.population_source if place else None,
                              latitude=place.latitude if place else None,
                              longitude=place.longitude if place else None,
                              can_manage=can(identity, "org.manage", org))


def theme_get(identity: Identity, theme: str, page: int = 1, per_page: int = 20) -> Page:
    require(identity, "kb.read")
    if theme not in THEMES:
        raise NotFound(f"no theme {theme}")
    return practice_list(identity, {"theme": [theme]}, page=page, per_page=per_page)


@dataclass
class OrganizationSummary:
    slug: str
    name: str
    kind: str
    country: str | None
    practices: int


ORGANIZATIONS_PER_PAGE = 100


@dataclass
class OrganizationsPage:
    """One page of the organizations with practices the viewer may see, by name."""

    items: list[OrganizationSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def organization_list(identity: Identity, page: int = 1,
                      per_page: int = ORGANIZATIONS_PER_PAGE) -> OrganizationsPage:
    """Organizations with at least one practice the identity may see, a page at a time.

    The practice counts are one GROUP BY over the visible practices; only the
    organizations of the page asked for are loaded.
    """
    require(identity, "kb.read")
    page = max(1, page)

    def listing() -> list[OrganizationSummary]:
        counts = _visible_practices(identity).with_only_columns(
            Practice.organization_id, func.count().label("practices")).group_by(
            Practice.organization_id).subquery()
        return [OrganizationSummary(*row) for row in session().execute(select(
            Organization.slug, Organization.name, Organization.kind, Organization.country,
            counts.c.practices).join(counts, counts.c.organization_id == Organization.id)
            .order_by(Organization.name, Organization.id))]

    # every organization's line (a few thousand), kept per data version: a rename
    # writes no change-log entry, but an audit entry
    every = kept_by(("organization_list", data_version(identity)), listing)
    start = (page - 1) * per_page
    return OrganizationsPage(every[start:start + per_page], len(every), page, per_page)


def theme_counts(identity: Identity) -> dict[str, int]:
    """How many practices the identity may see under each theme (one GROUP BY)."""
    require(identity, "kb.read")
    ids = _visible_practices(identity).with_only_columns(Practice.id)
    return kept("theme_counts", identity, lambda: {theme: int(n) for theme, n in session(
    ).execute(select(PracticeTheme.theme, func.count()).where(
        PracticeTheme.practice_id.in_(ids)).group_by(PracticeTheme.theme))})


def organization_names(identity: Identity, slugs: Iterable[str]) -> dict[str, str]:
    """Display names of the organizations the viewer may know of, by slug (facet labels)."""
    require(identity, "kb.read")
    slugs = list(slugs)
    if not slugs:
        return {}
    return dict(session().execute(select(Organization.slug, Organization.name).where(
        Organization.slug.in_(slugs), organization_known_to(identity))).all())


def organizations_with_practices(identity: Identity, slugs: Iterable[str]) -> set[str]:
    """Which of these organizations have a practice the identity may see.

    Exactly the organizations whose page (/organizations/<slug>) opens for the identity.
    """
    require(identity, "kb.read")
    slugs = list(slugs)
    if not slugs:
        return set()
    # per organization, the first visible practice found is enough (a network of 250
    # members has thousands of practices: reading them all took 0.2 s at 100,000)
    has_one = _visible_practices(identity).with_only_columns(Practice.id).where(
        Practice.organization_id == Organization.id).exists()
    return set(session().scalars(select(Organization.slug).where(
        Organization.slug.in_(slugs), has_one)))


def tag_suggestions(identity: Identity, limit: int = 300) -> list[str]:
    """Tags of the practices the identity may see, most used first (for the editor)."""
    require(identity, "kb.read")
    counts: dict[str, int] = {}
    for tags in session().scalars(_visible_practices(identity).with_only_columns(Revision.tags)):
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t.casefold()))[:limit]


# Public names of the reading helpers, for the service modules built on them.
visible_practices = _visible_practices
load_for_cards = _load
parsed_document = _parsed
