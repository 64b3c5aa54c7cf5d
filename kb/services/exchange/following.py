"""Following organizations, and what a first publication tells their followers."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.db import session
from kb.models import Follow, Organization, OrganizationFollow, Practice, User
from kb.services import events
from kb.services.accounts import email_link, identity_for
from kb.services.errors import NotFound
from kb.services.identity import Identity
from kb.services.notifications import notify
from kb.services.permissions import can, organization_known_to, require
from kb.services.uow import UnitOfWork

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


@events.on_first_publish
def notify_adaptation_published(uow: UnitOfWork, practice: Practice) -> None:
    """Tell people what a first publication means for them (inside the caller's unit of work).

    - followers of the practice's organization: "<organization> published <title>";
    - when it is an adaptation, followers of the original: "new adaptation of <original>".

    It listens to the first-publish event (kb.services.events), which review_approve
    announces when a practice is published for the first time. Followers who may not
    see the practice are skipped.
    """
    s = uow.session
    rev = practice.published_revision
    if rev is None:
        return
    link = email_link("pages.practice_detail", slug=practice.slug)
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
