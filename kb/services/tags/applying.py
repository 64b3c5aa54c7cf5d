"""Tagging a practice as an act of a city: add and remove community tags.

An application records the practice, the tag, the organization the person acts for,
the person, the time and the scope (public, or a network whose members alone see it).
Each change writes a change-log entry in its transaction, so every node's search index
and pages follow it.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.content.tags import MAX_LENGTH, BadTag, tag_check
from kb.db import session
from kb.models import (ChangeAction, ChangeLog, Membership, Network, NetworkMember,
                       Organization, Practice, TagAlias, TagApplication, utcnow)
from kb.services import effects
from kb.services.accounts import audit, email_link
from kb.services.errors import Conflict, InvalidInput, NotFound, RateLimited
from kb.services.identity import Identity
from kb.services.notifications import notify
from kb.services.permissions import require, tag_scope_visible
from kb.services.tags.common import PUBLIC, concept_of
from kb.services.uow import UnitOfWork, unit_of_work


def practice_for_tags(slug: str) -> Practice:
    """The practice at an address, with its published revision and organization."""
    practice = session().scalar(select(Practice).where(Practice.slug == slug).options(
        joinedload(Practice.published_revision), joinedload(Practice.organization)))
    if practice is None:
        raise NotFound(_("No such practice."))
    return practice


def bad_tag_message(exc: BadTag) -> str:
    if exc.code == "empty":
        return _("Write a tag.")
    if exc.code == "long":
        return _("A tag has at most %(num)d characters.", num=MAX_LENGTH)
    return _("Use letters, digits, spaces and hyphens in a tag.")


def log_tag_change(practice: Practice, uow: UnitOfWork) -> None:
    """A change-log entry for a practice whose tags changed, and the after-commit effects."""
    uow.session.add(ChangeLog(practice_id=practice.id, slug=practice.slug,
                              action=ChangeAction.TAGS,
                              revision_id=practice.published_revision_id))
    effects.after_practice_change(uow)


def _acting_organization(identity: Identity, organization: str | None) -> Organization | None:
    """The organization named (by slug), if the identity acts for it; with none named,
    the identity's only organization."""
    s = session()
    if not organization:
        if len(identity.organizations) == 1:
            return s.get(Organization, next(iter(identity.organizations)))
        return None
    org = s.scalar(select(Organization).where(Organization.slug == organization))
    if org is None or not (identity.is_site_admin or org.id in identity.organizations):
        return None
    return org


def _check_rate(identity: Identity) -> None:
    limit = current_app.config["TAGS_PER_HOUR"]
    since = utcnow() - dt.timedelta(hours=1)
    recent = session().scalar(select(func.count()).select_from(TagApplication).where(
        TagApplication.user_id == identity.user_id, TagApplication.created_at > since)) or 0
    if recent >= limit:
        raise RateLimited(_("You have added %(num)d tags in the last hour, the most allowed; "
                            "please try again later.", num=limit))


@unit_of_work
def practice_tag_add(identity: Identity, slug: str, tag: str, organization: str | None = None,
                     scope: str = PUBLIC, *, uow: UnitOfWork) -> TagApplication:
    """Tag a practice for one of my organizations, publicly or for one of its networks.

    Every problem with the form is reported at once, each naming its field
    (``tag``, ``organization``, ``scope``).
    """
    practice = practice_for_tags(slug)
    require(identity, "practice.tag", practice)
    s = uow.session
    errors: dict[str, str] = {}
    org = _acting_organization(identity, organization)
    if org is None:
        errors["organization"] = _("Choose an organization you act for.")
    key = label = ""
    try:
        key, label = tag_check(tag)
    except BadTag as exc:
        errors["tag"] = bad_tag_message(exc)
    scope = (scope or PUBLIC).strip()
    if scope != PUBLIC:
        network = s.scalar(select(Network).where(Network.slug == scope))
        member = network is not None and org is not None and s.scalar(
            select(NetworkMember.organization_id).where(
                NetworkMember.network_id == network.id,
                NetworkMember.organization_id == org.id)) is not None
        if not member:
            errors["scope"] = _("Only members of a network may add its private tags: choose "
                                "a network your organization belongs to, or a public tag.")
    if errors:
        raise InvalidInput(errors)
    assert org is not None
    _check_rate(identity)
    # a tag moderators merged into another one is applied as that one: a network's
    # moderators decide for its private tags, global moderators for every tag
    merged = dict(s.execute(select(TagAlias.scope, TagAlias.target).where(
        TagAlias.tag == key, TagAlias.kind == "merged",
        TagAlias.scope.in_(sorted({PUBLIC, scope})))).all())
    target = merged.get(scope) or merged.get(PUBLIC)
    if target:
        key, label = target, target
    exists = s.scalar(select(TagApplication.id).where(
        TagApplication.practice_id == practice.id, TagApplication.tag == key,
        TagApplication.organization_id == org.id, TagApplication.scope == scope))
    if exists is not None:
        raise Conflict(_("%(organization)s has already tagged this practice “%(tag)s”.",
                         organization=org.name, tag=label))
    application = TagApplication(practice_id=practice.id, tag=key, label=label,
                                 concept=concept_of(label), organization_id=org.id,
                                 user_id=identity.user_id, scope=scope)
    s.add(application)
    s.flush()
    audit(identity, "tag.add", "practice", practice.slug, tag=key, organization=org.slug,
          scope=scope)
    if scope == PUBLIC and org.id != practice.organization_id:
        owners = set(s.scalars(select(Membership.user_id).where(
            Membership.organization_id == practice.organization_id)))
        title = practice.published_revision.title if practice.published_revision else slug
        notify(uow, owners - {identity.user_id}, "practice_tagged",
               _("%(organization)s tagged %(title)s “%(tag)s”", organization=org.name,
                 title=title, tag=label),
               email_link("pages.practice_detail", slug=practice.slug))
    log_tag_change(practice, uow)
    return application


@unit_of_work
def practice_tag_remove(identity: Identity, application_id: int, *,
                        uow: UnitOfWork) -> None:
    """Remove a tag application: my organization's own, or any a moderator curates."""
    application = uow.session.get(TagApplication, application_id)
    if application is None:
        raise NotFound(_("No such tag."))
    practice = practice_for_tags_by_id(application.practice_id)
    require(identity, "practice.view", practice)
    if not tag_scope_visible(identity, application.scope):
        raise NotFound(_("No such tag."))  # another network's tag: as if unknown
    require(identity, "tag.untag", application)
    own = application.organization_id in identity.organizations
    audit(identity, "tag.remove" if own else "tag.moderate_remove", "practice", practice.slug,
          tag=application.tag, organization=application.organization.slug,
          scope=application.scope)
    uow.session.delete(application)
    log_tag_change(practice, uow)


def practice_for_tags_by_id(practice_id: int) -> Practice:
    practice = session().scalar(select(Practice).where(Practice.id == practice_id).options(
        joinedload(Practice.published_revision), joinedload(Practice.organization)))
    if practice is None:
        raise NotFound(_("No such practice."))
    return practice


def practice_tag_report(identity: Identity, application_id: int, reason: str):
    """Report a misused public tag to the practice's moderators, through the practice's
    reports (flags). A network's private tags are curated by its own moderators, who may
    remove them at once; they are not reported to anyone else."""
    application = session().get(TagApplication, application_id)
    if application is None or application.scope != PUBLIC:
        raise NotFound(_("No such tag."))
    practice = practice_for_tags_by_id(application.practice_id)
    require(identity, "practice.flag", practice)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("Say what is wrong, so moderators can act on it.")})
    from kb.services.editorial import flag_create

    return flag_create(identity, practice.slug, _(
        "Tag “%(tag)s” added by %(organization)s: %(reason)s", tag=application.label,
        organization=application.organization.name, reason=reason))
