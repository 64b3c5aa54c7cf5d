"""The editorial flow: drafts, submission, review, publication, history, flags.

State machine of a practice's working revision:

    draft -> submitted -> published -> archived
    submitted -> changes_requested -> submitted
    submitted -> rejected

Editing a published practice creates a new revision that goes through review;
the published revision stays live until the new one is approved. Every save
names the revision it started from and that revision's content hash; a save
based on anything older is refused with the current text and a diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

import yaml
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.content import ValidationFailed, parse_practice
from kb.content.document import Practice as PracticeDoc, Problem, content_hash, parse_draft
from kb.content.metrics import MEASURED_LEVELS, missing_for_claim, shown_evidence
from kb.db import session
from kb.models import (
    AuditEvent,
    ChangeAction,
    ChangeLog,
    Flag,
    Follow,
    Membership,
    Network,
    NetworkModerator,
    Organization,
    Practice,
    PracticeStatus as S,
    Revision,
    User,
    utcnow,
)
from kb.services import effects
from kb.services.accounts import _link, audit
from kb.services.csvfile import csv_text
from kb.services.errors import Conflict, InvalidInput, NotFound
from kb.services.events import first_published
from kb.services.lineage_rules import lineage_check
from kb.services.identity import Identity
from kb.services.notifications import notify
from kb.services.permissions import (curated_by, curating_networks, curating_networks_of,
                                     json_list_has, knows, network_only, require,
                                     reviewable_by)
from kb.services.practices import (STALE_MONTHS, _fill_parsed_columns, publish_revision,
                                   slugify)
from kb.services.uow import UnitOfWork, unit_of_work



class StaleEdit(Conflict):
    """Someone changed the practice after this edit started."""

    def __init__(self, current: Revision, diff: list[tuple[str, str]]):
        self.current = current
        self.diff = diff
        super().__init__(_("Someone else changed this practice while you were editing. Your "
                           "text is kept below; compare it with the current version and save "
                           "again."))


# ------------------------------------------------------------------ helpers


def _practice(slug: str, lock: bool = False) -> Practice:
    """The practice at an address; ``lock``: for a decision that changes it.

    Locking takes the practice's row until the commit (``FOR UPDATE``; on SQLite
    the unit of work already holds the write lock), so two writers never both
    decide from the same working revision.
    """
    if lock:
        session().execute(select(Practice.id).where(Practice.slug == slug).with_for_update())
    practice = session().scalar(select(Practice).where(Practice.slug == slug).options(
        joinedload(Practice.current_revision), joinedload(Practice.published_revision),
        joinedload(Practice.organization)))
    if practice is None:
        raise NotFound(_("No such practice."))
    return practice


def _validate(text: str, slug: str | None = None) -> PracticeDoc:
    result = parse_practice(text, f"{slug}.md" if slug else None)
    if result.errors or result.practice is None:
        raise ValidationFailed(result.errors, result.warnings)
    return result.practice


def _organization_of(identity: Identity, doc) -> Organization:
    org = session().scalar(select(Organization).where(
        Organization.slug == slugify(doc.organization)))
    if org is None or not (identity.is_site_admin or org.id in identity.organizations):
        from kb.content.document import Problem

        raise ValidationFailed([Problem("organization", _(
            "choose an organization you act for"))])
    return org


def _check_networks(doc) -> None:
    known = set(session().scalars(select(Network.slug).where(Network.slug.in_(doc.networks))))
    missing = [n for n in doc.networks if n not in known]
    if missing:
        from kb.content.document import Problem

        raise ValidationFailed([Problem("networks", _("unknown network: %(names)s",
                                                      names=", ".join(missing)))])


def _new_revision(practice: Practice, text: str, doc, identity: Identity, state: str,
                  base: Revision | None, comment: str | None = None) -> Revision:
    number = (session().scalar(select(func.max(Revision.number)).where(
        Revision.practice_id == practice.id)) or 0) + 1
    now = utcnow()
    revision = Revision(practice_id=practice.id, number=number, document=text,
                        content_hash=content_hash(text), state=state,
                        author_id=identity.user_id, created_at=now, updated_at=now,
                        base_revision_id=base.id if base else None, comment=comment)
    _fill_parsed_columns(revision, doc)
    session().add(revision)
    session().flush()
    practice.current_revision = revision
    practice.updated_at = now
    return revision


def working_revision(practice: Practice) -> Revision | None:
    """The revision under work (draft, submitted, changes requested), if any."""
    current = practice.current_revision
    if current is not None and current.state in (S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED):
        return current
    return None


def _diff_texts(old: str, new: str) -> list[tuple[str, str]]:
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("? "):
            continue
        out.append(({"+ ": "added", "- ": "removed"}.get(line[:2], "same"), line[2:]))
    return out


def _reviewers(practice: Practice) -> set[int]:
    """Who may review a practice (the rule of `practice.review`): admins, global
    moderators unless it is network-only, its networks' moderators."""
    s = session()
    private = network_only(practice)
    roles = ("admin",) if private else ("admin", "global_moderator")
    ids = set(s.scalars(select(User.id).where(User.site_role.in_(roles),
                                              User.deleted_at.is_(None))))
    networks = curating_networks(practice, shared_only=private)
    if networks:
        ids |= set(s.scalars(select(NetworkModerator.user_id).join(Network).where(
            Network.slug.in_(networks))))
    return ids


def _author_ids(practice: Practice) -> set[int]:
    return {r.author_id for r in practice.revisions if r.author_id}


def _followers(practice: Practice) -> set[int]:
    return set(session().scalars(select(Follow.user_id).where(
        Follow.practice_id == practice.id)))


def _practice_link(practice: Practice, endpoint: str = "moderation.review") -> str:
    return _link(endpoint, slug=practice.slug)


# ----------------------------------------------------------------- writing


@unit_of_work
def practice_draft_create(identity: Identity, text: str, filename: str | None = None, *,
                          incomplete: bool = False, uow: UnitOfWork) -> Practice:
    """Start a new practice as a draft of one of my organizations.

    An uploaded document without a slug takes it from its file name. With `incomplete`
    (the web form) a half-written document is kept as it is; what it still lacks is
    checked on submission (`practice_submit`).
    """
    require(identity, "practice.create")
    doc = _draft_document(text, filename, incomplete)
    if doc.slug is None:  # a draft begun without a title
        base = slugify(doc.title) if doc.title else "draft"
        used = session().scalar(select(Practice.id).where(Practice.slug == base))
        doc.slug = base if used is None else _free_slug(base)
        text = _with_slug(text, doc.slug)
    org = _organization_of(identity, doc)
    if not incomplete:
        _check_networks(doc)
    taken = session().scalar(select(Practice).where(Practice.slug == doc.slug))
    if taken is not None and knows(identity, taken):
        from kb.content.document import Problem

        raise ValidationFailed([Problem("slug", _(
            "another practice already has the address %(slug)s; choose another title or "
            "slug", slug=doc.slug))])
    if taken is not None:
        # a practice this author may not know of: answered as an unknown address,
        # the draft takes the next free one
        doc.slug = _free_slug(doc.slug)
        text = _with_slug(text, doc.slug)
    if not incomplete:
        lineage_check(doc.slug, doc.adapted_from)
    practice = Practice(slug=doc.slug, organization=org, status=S.DRAFT,
                        visibility=doc.visibility, adapted_from_slug=doc.adapted_from,
                        created_by_id=identity.user_id)
    session().add(practice)
    session().flush()
    _new_revision(practice, text, doc, identity, S.DRAFT, None)
    audit(identity, "practice.draft", "practice", practice.slug)
    return practice


def _draft_document(text: str, filename: str | None, incomplete: bool):
    """The practice a draft describes; refused unless `incomplete` drafts are allowed
    (and even then when its metadata cannot be read at all)."""
    result = parse_draft(text, filename) if incomplete else parse_practice(text, filename)
    if result.practice is None or (result.errors and not incomplete):
        raise ValidationFailed(result.errors, result.warnings)
    return result.practice


def _submission_problems(identity: Identity, text: str, slug: str) -> list[Problem]:
    """Everything that keeps a document from review, all at once (empty: it may go)."""
    result = parse_practice(text, f"{slug}.md")
    doc = result.practice
    if result.errors or doc is None:
        return list(result.errors)
    problems: list[Problem] = []
    for check in (lambda: _organization_of(identity, doc),
                  lambda: _check_networks(doc),
                  lambda: lineage_check(slug, doc.adapted_from)):
        try:
            check()
        except ValidationFailed as exc:
            problems.extend(exc.errors)
    return problems


def _free_slug(base: str) -> str:
    """The first of base-2, base-3 ... that no practice has (at most 80 characters)."""
    base = base[:74].rstrip("-")
    taken = set(session().scalars(select(Practice.slug).where(
        Practice.slug.like(f"{base}-%"))))
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _with_slug(text: str, slug: str) -> str:
    """The document with `slug` as its address in the frontmatter."""
    head, sep, rest = text.partition("\n---")
    if re.search(r"(?m)^slug:", head):
        head = re.sub(r"(?m)^slug:.*$", f"slug: {slug}", head, count=1)
    else:
        head = head.replace("---\n", f"---\nslug: {slug}\n", 1)
    return head + sep + rest


@dataclass
class EditState:
    practice: Practice
    document: str
    base_revision_id: int
    base_hash: str
    working: Revision | None


def practice_edit_start(identity: Identity, slug: str) -> EditState:
    """What an editor starts from: the revision under work, or the published one."""
    practice = _practice(slug)
    require(identity, "practice.edit", practice)
    base = working_revision(practice) or practice.published_revision or practice.current_revision
    if base is None:
        raise NotFound(_("No such revision."))
    return EditState(practice, base.document, base.id, base.content_hash,
                     working_revision(practice))


@unit_of_work
def practice_draft_save(identity: Identity, slug: str, text: str, base_revision_id: int,
                        base_hash: str, *, incomplete: bool = False,
                        uow: UnitOfWork) -> Revision:
    """Save my edit as a draft; refused when someone changed the practice since I started.

    With `incomplete` (the web form) a half-written document is kept as it is.
    """
    practice = _practice(slug, lock=True)
    require(identity, "practice.edit", practice)
    doc = _draft_document(text, f"{slug}.md", incomplete)
    if doc.slug != slug:
        raise ValidationFailed([Problem("slug", _("the address of a practice cannot change"))])
    _organization_of(identity, doc)
    if not incomplete:
        _check_networks(doc)
        lineage_check(slug, doc.adapted_from)
    working = working_revision(practice)
    current = working or practice.published_revision or practice.current_revision
    if current is None:
        raise NotFound(_("No such revision."))
    if current.id != base_revision_id or current.content_hash != base_hash:
        raise StaleEdit(current, _diff_texts(current.document, text))
    if working is not None and working.state == S.SUBMITTED:
        raise Conflict(_("This version is waiting for review; it cannot be changed now."))
    if working is not None and working.author_id == identity.user_id:
        # my own draft: saved in place, its hash changes so other editors notice
        working.document = text
        working.content_hash = content_hash(text)
        working.updated_at = utcnow()
        _fill_parsed_columns(working, doc)
        practice.updated_at = working.updated_at
        revision = working
    else:
        if working is not None:
            working.state = S.SUPERSEDED
        revision = _new_revision(practice, text, doc, identity, S.DRAFT, current)
    audit(identity, "practice.save", "practice", slug, revision=revision.number)
    return revision


@unit_of_work
def practice_submit(identity: Identity, slug: str, *, uow: UnitOfWork) -> Revision:
    practice = _practice(slug, lock=True)
    require(identity, "practice.edit", practice)
    working = working_revision(practice)
    if working is None or working.state not in S.EDITABLE:
        raise Conflict(_("There is no draft to submit."))
    problems = _submission_problems(identity, working.document, slug)
    if problems:
        raise ValidationFailed(problems)  # moderators never receive an incomplete document
    working.state = S.SUBMITTED
    working.submitted_at = utcnow()
    if practice.status != S.PUBLISHED:
        practice.status = S.SUBMITTED
    audit(identity, "practice.submit", "practice", slug, revision=working.number)
    notify(uow, _reviewers(practice) - {identity.user_id}, "new_submission",
           _("New submission to review: %(title)s", title=working.title),
           _practice_link(practice))
    return working


@dataclass
class Saved:
    """What the editor's button did: the revision, whether it went to review, and
    what keeps it from review when it did not."""

    revision: Revision
    submitted: bool
    problems: list[Problem] = field(default_factory=list)


@unit_of_work
def practice_save(identity: Identity, slug: str, text: str, base_revision_id: int,
                  base_hash: str, submit: bool = False, *, uow: UnitOfWork) -> Saved:
    """The editor's save (and submit) button: one transaction.

    The text is saved as a draft whatever it lacks (refused only when stale or
    unreadable); submitted when asked and complete. Submitting a text equal to my saved
    draft submits that draft. An incomplete one stays a draft and the problems say why.
    """
    working = working_revision(_practice(slug, lock=True)) if submit else None
    if working is not None and working.document == text and working.state in S.EDITABLE:
        revision = working
    else:
        revision = practice_draft_save(identity, slug, text, base_revision_id, base_hash,
                                       incomplete=True, uow=uow)
    if not submit:
        return Saved(revision, False)
    problems = _submission_problems(identity, revision.document, slug)
    if problems:
        return Saved(revision, False, problems)
    return Saved(practice_submit(identity, slug, uow=uow), True)


# ---------------------------------------------------------------- reviewing


def _under_review(identity: Identity, slug: str, comment: str | None, refusal: str,
                  require_comment: bool = False) -> tuple[Practice, Revision, str]:
    """The practice and its submitted revision, once the reviewer may decide on it."""
    practice = _practice(slug, lock=True)
    require(identity, "practice.review", practice)
    comment = (comment or "").strip()
    if require_comment and not comment:
        raise InvalidInput({"comment": _("Write a comment: the author deserves a reason.")})
    working = working_revision(practice)
    if working is None or working.state != S.SUBMITTED:
        raise Conflict(refusal)
    return practice, working, comment


def _record_decision(working: Revision, identity: Identity, comment: str, state: str) -> None:
    working.state = state
    working.reviewed_by_id, working.reviewed_at = identity.user_id, utcnow()
    working.review_comment = comment or None


@unit_of_work
def review_approve(identity: Identity, slug: str, comment: str = "", *,
                   uow: UnitOfWork) -> Revision:
    """Publish the submitted revision; it replaces the live one."""
    practice, working, comment = _under_review(
        identity, slug, comment, _("Only a submitted version can be approved."))
    doc = _validate(working.document, slug)
    lineage_check(slug, doc.adapted_from)
    was_published = practice.status == S.PUBLISHED
    _record_decision(working, identity, comment, S.PUBLISHED)
    publish_revision(uow, practice, working, doc, working.reviewed_at)
    audit(identity, "practice.approve", "practice", slug, revision=working.number,
          comment=comment)
    notify(uow, _author_ids(practice) - {identity.user_id}, "submission_state",
           _("Published: %(title)s", title=working.title),
           _practice_link(practice, "pages.practice_detail"))
    notify(uow, _followers(practice) - _author_ids(practice) - {identity.user_id},
           "followed_practice", _("Updated: %(title)s", title=working.title),
           _practice_link(practice, "pages.practice_detail"))
    if not was_published:
        first_published(uow, practice)
    return working


@unit_of_work
def review_request_changes(identity: Identity, slug: str, comment: str, *,
                           uow: UnitOfWork) -> Revision:
    practice, working, comment = _under_review(
        identity, slug, comment, _("Only a submitted version can be sent back."), True)
    _record_decision(working, identity, comment, S.CHANGES_REQUESTED)
    if practice.status != S.PUBLISHED:
        practice.status = S.CHANGES_REQUESTED
    audit(identity, "practice.request_changes", "practice", slug,
          revision=working.number, comment=comment)
    notify(uow, _author_ids(practice) - {identity.user_id}, "submission_state",
           _("Changes requested for %(title)s: %(comment)s", title=working.title,
             comment=comment), _practice_link(practice, "editor.edit"))
    return working


@unit_of_work
def review_reject(identity: Identity, slug: str, reason: str, *, uow: UnitOfWork) -> Revision:
    practice, working, reason = _under_review(
        identity, slug, reason, _("Only a submitted version can be rejected."), True)
    _record_decision(working, identity, reason, S.REJECTED)
    if practice.published_revision is not None:
        practice.current_revision = practice.published_revision
    else:
        practice.status = S.REJECTED
    audit(identity, "practice.reject", "practice", slug, revision=working.number,
          comment=reason)
    notify(uow, _author_ids(practice) - {identity.user_id}, "submission_state",
           _("Not accepted: %(title)s: %(reason)s", title=working.title, reason=reason),
           _practice_link(practice, "moderation.history"))
    return working


def practice_feature(identity: Identity, slug: str, featured: bool = True) -> None:
    practice = _practice(slug)
    require(identity, "practice.review", practice)
    if practice.status != S.PUBLISHED:
        raise Conflict(_("Only a published practice can be featured."))
    with UnitOfWork() as uow:
        practice.featured = featured
        session().add(ChangeLog(practice_id=practice.id, slug=slug, action=ChangeAction.UPDATE,
                                revision_id=practice.published_revision_id))
        audit(identity, "practice.feature" if featured else "practice.unfeature", "practice",
              slug)
        effects.after_practice_change(uow)


def practice_archive(identity: Identity, slug: str, comment: str = "") -> None:
    practice = _practice(slug)
    require(identity, "practice.review", practice)
    published = practice.published_revision
    if practice.status != S.PUBLISHED or published is None:
        raise Conflict(_("Only a published practice can be archived."))
    with UnitOfWork() as uow:
        practice.status = S.ARCHIVED
        practice.featured = False
        session().add(ChangeLog(practice_id=practice.id, slug=slug,
                                action=ChangeAction.UNPUBLISH,
                                revision_id=practice.published_revision_id))
        audit(identity, "practice.archive", "practice", slug, comment=comment)
        notify(uow, _author_ids(practice) - {identity.user_id}, "submission_state",
               _("Archived: %(title)s", title=published.title),
               _practice_link(practice, "moderation.history"))
        effects.after_practice_change(uow)


def practice_restore(identity: Identity, slug: str) -> None:
    practice = _practice(slug)
    require(identity, "practice.review", practice)
    if practice.status != S.ARCHIVED:
        raise Conflict(_("Only an archived practice can be restored."))
    with UnitOfWork() as uow:
        practice.status = S.PUBLISHED
        session().add(ChangeLog(practice_id=practice.id, slug=slug, action=ChangeAction.PUBLISH,
                                revision_id=practice.published_revision_id))
        audit(identity, "practice.restore", "practice", slug)
        effects.after_practice_change(uow)


@unit_of_work
def revision_restore(identity: Identity, slug: str, number: int, *,
                     uow: UnitOfWork) -> Revision:
    """Bring back an old revision as a new submission."""
    practice = _practice(slug, lock=True)
    require(identity, "practice.review", practice)
    old = session().scalar(select(Revision).where(Revision.practice_id == practice.id,
                                                  Revision.number == number))
    if old is None:
        raise NotFound(_("No such revision."))
    working = working_revision(practice)
    doc = _validate(old.document, slug)
    if working is not None:
        working.state = S.SUPERSEDED
    revision = _new_revision(practice, old.document, doc, identity, S.SUBMITTED,
                             practice.published_revision,
                             f"restored from revision {number}")
    revision.submitted_at = utcnow()
    if practice.status not in (S.PUBLISHED, S.ARCHIVED):
        practice.status = S.SUBMITTED
    audit(identity, "practice.restore_revision", "practice", slug, revision=number)
    notify(uow, _reviewers(practice) - {identity.user_id}, "new_submission",
           _("New submission to review: %(title)s", title=revision.title),
           _practice_link(practice))
    return revision


# ------------------------------------------------------------------ reading


@dataclass
class WorkItem:
    practice: Practice
    revision: Revision


WORK_PER_PAGE = 50


@dataclass
class WorkPage:
    """One page of My work: drafts and submissions, the last changed first."""

    items: list[WorkItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def my_work(identity: Identity, page: int = 1, per_page: int = WORK_PER_PAGE) -> WorkPage:
    """Drafts and submissions of my organizations, newest first, with their state."""
    require(identity, "account.manage")
    page = max(1, page)
    query = select(Practice).join(Revision, Revision.id == Practice.current_revision_id).where(
        Revision.state.in_((S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.REJECTED)))
    if not identity.is_site_admin:
        query = query.where(Practice.organization_id.in_(identity.organizations or {-1}))
    s = session()
    total = s.scalar(query.with_only_columns(func.count()))
    practices = s.scalars(query.options(
        joinedload(Practice.current_revision), joinedload(Practice.organization)).order_by(
        func.coalesce(Revision.updated_at, Revision.created_at).desc(), Practice.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).unique()
    return WorkPage([WorkItem(p, p.current_revision) for p in practices
                     if p.current_revision is not None], total or 0, page, per_page)


@dataclass
class QueueItem:
    practice: Practice
    revision: Revision
    is_edit: bool
    age_days: int
    networks: set[str]


@dataclass
class NetworkChoice:
    slug: str
    name: str


QUEUE_PER_PAGE = 50


@dataclass
class QueuePage:
    """One page of the moderation queue, and the networks its filter offers."""

    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    networks: list[NetworkChoice] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def moderation_queue(identity: Identity, network: str | None = None, theme: str | None = None,
                     language: str | None = None, min_age_days: int | None = None,
                     page: int = 1, per_page: int = QUEUE_PER_PAGE) -> QueuePage:
    """Submissions waiting for review that this moderator may review, oldest first.

    Who may review what (practice.review), and every filter, are SQL conditions: a
    page reads its own rows only, whatever the length of the queue. The filter offers
    the networks whose work this moderator may see: every network for a global
    moderator, the networks they curate for a network's moderator.
    """
    require(identity, "practice.moderate")
    page = max(1, page)
    now = utcnow()
    query = select(Revision).join(Practice, Practice.current_revision_id == Revision.id).where(
        Revision.state == S.SUBMITTED, reviewable_by(identity))
    if language:
        query = query.where(Revision.language == language)
    if min_age_days is not None:
        query = query.where(func.coalesce(Revision.submitted_at, Revision.created_at)
                            <= now - dt.timedelta(days=min_age_days))
    if network:
        query = query.where(curated_by(network))
    if theme:
        # the themes of a submission are in its document's columns only
        query = query.where(json_list_has(Revision.themes, theme))
    s = session()
    total = s.scalar(query.with_only_columns(func.count()))
    revisions = list(s.scalars(query.options(
        joinedload(Revision.practice).joinedload(Practice.organization)).order_by(
        Revision.submitted_at, Revision.id).offset((page - 1) * per_page).limit(per_page))
        .unique())
    curating = curating_networks_of(rev.practice for rev in revisions)
    items = []
    for rev in revisions:
        practice = rev.practice
        shared, member_of = curating[practice.id]
        age = (now - (rev.submitted_at or rev.created_at)).days
        items.append(QueueItem(practice, rev, practice.published_revision_id is not None,
                               age, shared | member_of))
    choices = select(Network.slug, Network.name).order_by(Network.name, Network.id)
    if not identity.is_global_moderator:
        choices = choices.where(Network.slug.in_(sorted(identity.moderates)))
    return QueuePage(items, total or 0, page, per_page,
                     [NetworkChoice(*row) for row in s.execute(choices)])


@dataclass
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class Diff:
    old: Revision | None
    new: Revision
    fields: list[FieldChange] = field(default_factory=list)
    body: list[tuple[str, str]] = field(default_factory=list)


def _dump(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False,
                          default_flow_style=True, width=100_000).strip()


def _readable(text: str, slug: str):
    """What a stored revision says; a half-written draft too."""
    doc = parse_draft(text, f"{slug}.md").practice
    if doc is None:
        raise ValidationFailed(parse_practice(text, f"{slug}.md").errors)
    return doc


def diff_revisions(old: Revision | None, new: Revision, slug: str) -> Diff:
    """Field by field for the metadata, line by line for the body."""
    new_doc = _readable(new.document, slug)
    old_doc = _readable(old.document, slug) if old is not None else None
    new_meta = new_doc.frontmatter()
    old_meta = old_doc.frontmatter() if old_doc else {}
    fields = []
    for key in list(dict.fromkeys([*old_meta, *new_meta])):
        if old_meta.get(key) != new_meta.get(key):
            fields.append(FieldChange(key, _dump(old_meta.get(key)), _dump(new_meta.get(key))))
    body = _diff_texts(old_doc.body if old_doc else "", new_doc.body)
    return Diff(old, new, fields, body)


@dataclass
class HistoryEntry:
    revision: Revision
    author: str | None
    reviewer: str | None


def practice_history(identity: Identity, slug: str) -> list[HistoryEntry]:
    """Every revision, newest first, with who wrote and who reviewed it."""
    practice = _practice(slug)
    require(identity, "practice.history", practice)
    revisions = list(session().scalars(select(Revision).where(
        Revision.practice_id == practice.id).order_by(Revision.number.desc())))
    ids = {i for r in revisions for i in (r.author_id, r.reviewed_by_id) if i}
    names: dict[int | None, str] = dict(session().execute(
        select(User.id, User.name).where(User.id.in_(ids))).all())
    return [HistoryEntry(r, names.get(r.author_id), names.get(r.reviewed_by_id))
            for r in revisions]


def revisions_diff(identity: Identity, slug: str, a: int, b: int) -> Diff:
    practice = _practice(slug)
    require(identity, "practice.history", practice)
    by_number = {r.number: r for r in session().scalars(select(Revision).where(
        Revision.practice_id == practice.id))}
    if a not in by_number or b not in by_number:
        raise NotFound(_("No such revision."))
    return diff_revisions(by_number[a], by_number[b], slug)


@dataclass
class Review:
    practice: Practice
    revision: Revision
    diff: Diff | None
    similar: list
    # checklist: the evidence level the outcomes support, and what a complete row lacks
    evidence_shown: str = ""
    evidence_missing: list = field(default_factory=list)


def review_get(identity: Identity, slug: str) -> Review:
    """What a moderator sees of a submission: the revision, its diff, similar practices."""
    practice = _practice(slug)
    require(identity, "practice.history", practice)
    rev = working_revision(practice) or practice.current_revision
    if rev is None:
        raise NotFound(_("No such revision."))
    diff = None
    if practice.published_revision is not None and practice.published_revision.id != rev.id:
        diff = diff_revisions(practice.published_revision, rev, slug)
    from kb.services.search import practice_similar_to_document

    similar = [h for h in practice_similar_to_document(identity, rev.document, slug)
               if h.slug != slug]
    missing = missing_for_claim(rev.outcomes) if rev.evidence in MEASURED_LEVELS else []
    return Review(practice, rev, diff, similar,
                  evidence_shown=shown_evidence(rev.evidence, rev.outcomes),
                  evidence_missing=missing)


# --------------------------------------------------------------- flags etc.


def flag_create(identity: Identity, slug: str, reason: str) -> Flag:
    practice = _practice(slug)
    require(identity, "practice.flag", practice)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("Say what is wrong, so moderators can act on it.")})
    with UnitOfWork() as uow:
        flag = Flag(practice_id=practice.id, user_id=identity.user_id, reason=reason[:2000])
        session().add(flag)
        audit(identity, "practice.flag", "practice", slug)
        notify(uow, _reviewers(practice) - {identity.user_id}, "new_submission",
               _("A reader reported a problem with %(title)s", title=practice.published_revision.title
                 if practice.published_revision else slug), _link("moderation.flags"))
    return flag


def flags_open(identity: Identity) -> list[Flag]:
    require(identity, "practice.moderate")
    from kb.services.permissions import can

    flags = session().scalars(select(Flag).where(Flag.status == "open")
                              .order_by(Flag.created_at)).all()
    return [f for f in flags if can(identity, "practice.review", f.practice)]


def flag_resolve(identity: Identity, flag_id: int, resolution: str) -> Flag:
    flag = session().get(Flag, flag_id)
    if flag is None or flag.status != "open":
        raise NotFound(_("No open report with this number."))
    require(identity, "practice.review", flag.practice)
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput({"resolution": _("Say how the report was handled.")})
    with UnitOfWork():
        flag.status, flag.resolution = "resolved", resolution
        flag.resolved_by_id, flag.resolved_at = identity.user_id, utcnow()
        audit(identity, "practice.flag_resolve", "practice", flag.practice.slug,
              comment=resolution)
    return flag


def practices_stale(identity: Identity, months: int = STALE_MONTHS) -> list[Practice]:
    """Published practices not re-verified for `months` months, oldest first."""
    require(identity, "practice.moderate")
    from kb.services.permissions import can

    cutoff = utcnow() - dt.timedelta(days=round(months * 30.44))
    checked = func.coalesce(Practice.last_reviewed_at, Practice.published_at)
    practices = session().scalars(select(Practice).where(
        Practice.status == S.PUBLISHED, checked < cutoff).order_by(checked)).all()
    return [p for p in practices if can(identity, "practice.review", p)]


def practice_reverify(identity: Identity, slug: str, comment: str = "") -> None:
    practice = _practice(slug)
    require(identity, "practice.review", practice)
    with UnitOfWork():
        practice.last_reviewed_at = utcnow()
        audit(identity, "practice.reverify", "practice", slug, comment=comment)


def practice_follow(identity: Identity, slug: str, follow: bool = True) -> None:
    practice = _practice(slug)
    require(identity, "practice.view", practice)
    require(identity, "account.manage")
    with UnitOfWork():
        row = session().get(Follow, (identity.user_id, practice.id))
        if follow and row is None:
            session().add(Follow(user_id=identity.user_id, practice_id=practice.id))
        elif not follow and row is not None:
            session().delete(row)


def is_following(identity: Identity, practice_id: int) -> bool:
    require(identity, "kb.read")
    if identity.user_id is None:
        return False
    return session().get(Follow, (identity.user_id, practice_id)) is not None


def audit_list(identity: Identity, action: str | None = None, target: str | None = None,
               limit: int = 500) -> list[AuditEvent]:
    require(identity, "audit.view")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if target:
        query = query.where(AuditEvent.target_id == target)
    return list(session().scalars(query))


def audit_csv(identity: Identity, action: str | None = None, target: str | None = None) -> str:
    events = audit_list(identity, action, target, limit=100_000)
    names: dict[int | None, str | int] = dict(session().execute(select(User.id, User.email)).all())
    return csv_text(
        ["id", "time_utc", "actor", "action", "target_type", "target", "detail"],
        ([e.id, e.created_at.isoformat(timespec="seconds"),
          names.get(e.actor_id, "system" if e.actor_id is None else e.actor_id),
          e.action, e.target_type, e.target_id,
          yaml.safe_dump(e.detail, default_flow_style=True).strip() if e.detail else ""]
         for e in events))


def member_organizations(identity: Identity) -> list[Organization]:
    """The organizations I may write practices for."""
    require(identity, "account.manage")
    query = select(Organization).order_by(Organization.name)
    if not identity.is_site_admin:
        query = query.where(Organization.id.in_(
            select(Membership.organization_id).where(Membership.user_id == identity.user_id)))
    return list(session().scalars(query))
