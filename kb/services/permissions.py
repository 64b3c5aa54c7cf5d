"""The one place that decides who may do what.

Every service calls `require(identity, action, target)` before it reads or
writes anything. docs/permissions.md lists the table this implements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, not_, or_, select, true

from kb.db import session
from kb.models import (Network, NetworkMember, Organization, Practice, PracticeNetwork,
                       PracticeStatus, Revision, TagApplication)
from kb.services.errors import NotFound, PermissionDenied
from kb.services.identity import Identity

# action -> predicate(identity, target)
_RULES: dict[str, Any] = {}


def rule(action: str):
    def register(fn):
        _RULES[action] = fn
        return fn
    return register


def can(identity: Identity, action: str, target: Any = None) -> bool:
    try:
        predicate = _RULES[action]
    except KeyError:
        raise KeyError(f"no permission rule for {action!r}") from None
    return bool(predicate(identity, target))


def require(identity: Identity, action: str, target: Any = None) -> None:
    """Raise PermissionDenied unless allowed; NotFound when the target is hidden.

    A practice the identity may neither read, edit nor review is answered as if
    its address were unknown, so that no operation reveals that it exists.
    """
    if can(identity, action, target):
        return
    if action == "practice.view" or (isinstance(target, Practice)
                                     and not knows(identity, target)):
        raise NotFound("no such practice")
    raise PermissionDenied(f"you may not {ACTION_LABELS.get(action, action)}")


def knows(identity: Identity, practice: Practice) -> bool:
    """Whether the identity may know that a practice exists."""
    return _view(identity, practice) or _edit(identity, practice) or \
        _review(identity, practice)


def network_only(practice: Practice) -> bool:
    """Private to its networks: published as network-only, or about to be."""
    current = practice.current_revision
    return practice.visibility == "network" or (
        current is not None and current.visibility == "network")


def sees_network(identity: Identity, networks: list[str] | tuple[str, ...]) -> bool:
    return identity.is_site_admin or bool(identity.networks & set(networks or ()))


def visible_to(identity: Identity):
    """The rule of `practice.view` for published practices, as one SQL condition.

    Public practices for everyone; network-only ones for the members and moderators
    of a network they are shared with; everything for site admins. Every list,
    count and aggregate of practices filters with it, and nothing filters again.
    """
    if identity.is_site_admin:
        return true()
    if not identity.networks:
        return Practice.visibility == "public"
    return or_(Practice.visibility == "public", Practice.id.in_(
        select(PracticeNetwork.practice_id).where(
            PracticeNetwork.network.in_(sorted(identity.networks)))))


def visibility_key(identity: Identity) -> tuple:
    """Readers with the same key see the same practices under `visible_to` (and the
    same tags under `tag_visible_to`): everything, or the public plus these networks."""
    if identity.is_site_admin:
        return ("*",)
    return tuple(sorted(identity.networks))


def tag_visible_to(identity: Identity):
    """Which community tags the identity may see, as one SQL condition on TagApplication.

    Public tags for everyone; a network's private tags for its members and moderators
    (the identity's networks); everything for site admins. Used with visible_to (the
    practice must be visible too) by every page, count, facet and API answer of tags.
    """
    if identity.is_site_admin:
        return true()
    if not identity.networks:
        return TagApplication.scope == "public"
    return or_(TagApplication.scope == "public",
               TagApplication.scope.in_(sorted(identity.networks)))


def tag_scope_visible(identity: Identity, scope: str) -> bool:
    """The rule of tag_visible_to for one scope."""
    return scope == "public" or identity.is_site_admin or scope in identity.networks


def curating_networks(practice: Practice, shared_only: bool = False) -> set[str]:
    """Networks that curate a practice: those it is shared with and its organization's
    (only those it is shared with, when asked)."""
    shared, member_of = curating_networks_of([practice])[practice.id]
    return shared if shared_only else shared | member_of


def curating_networks_of(practices) -> dict[int, tuple[set[str], set[str]]]:
    """For each practice: (the networks it is shared with, its organization's networks),
    in two queries for any number of practices."""
    s = session()
    practices = list(practices)
    shared: dict[int, set[str]] = {p.id: set() for p in practices}
    for pid, network in s.execute(select(PracticeNetwork.practice_id, PracticeNetwork.network)
                                  .where(PracticeNetwork.practice_id.in_(list(shared)))):
        shared[pid].add(network)
    orgs = {p.organization_id for p in practices}
    member_of: dict[int, set[str]] = {o: set() for o in orgs}
    for org_id, slug in s.execute(select(NetworkMember.organization_id, Network.slug).join(
            Network, Network.id == NetworkMember.network_id).where(
            NetworkMember.organization_id.in_(orgs))):
        member_of[org_id].add(slug)
    out = {}
    for p in practices:
        rev = p.current_revision
        out[p.id] = (shared[p.id] | set((rev.networks or []) if rev is not None else []),
                     member_of[p.organization_id])
    return out


def reviews(identity: Identity, practice: Practice, shared: set[str],
            member_of: set[str]) -> bool:
    """The rule of practice.review, given the practice's curating networks."""
    if identity.is_site_admin:
        return True
    private = network_only(practice)
    if identity.is_global_moderator and not private:
        return True
    if not identity.moderates:
        return False
    return bool(identity.moderates & (shared if private else shared | member_of))


def json_list_has(column, value: str):
    """SQL condition: a JSON list column of slugs (a revision's themes or networks) holds
    `value`. Portable (SQLite and PostgreSQL): the serialized list is matched for the
    quoted value, LIKE's wildcards escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


def shared_with_any(networks) -> ColumnElement[bool]:
    """SQL condition on Practice joined to its *current* Revision: shared with one of
    these networks (published as such, or so the working revision says)."""
    networks = sorted(networks)
    return or_(Practice.id.in_(select(PracticeNetwork.practice_id).where(
        PracticeNetwork.network.in_(networks))),
        *(json_list_has(Revision.networks, n) for n in networks))


def of_member_of_any(networks) -> ColumnElement[bool]:
    """SQL condition on Practice: its organization is a member of one of these networks."""
    return Practice.organization_id.in_(select(NetworkMember.organization_id).join(
        Network, Network.id == NetworkMember.network_id).where(
        Network.slug.in_(sorted(networks))))


def curated_by(network: str) -> ColumnElement[bool]:
    """SQL condition on Practice joined to its current Revision: one of the networks that
    curate it is `network` (see curating_networks)."""
    return or_(shared_with_any([network]), of_member_of_any([network]))


def reviewable_by(identity: Identity) -> ColumnElement[bool]:
    """The rule of practice.review (see `reviews`) as one SQL condition on Practice
    joined to its current Revision, for lists of work waiting for moderators."""
    if identity.is_site_admin:
        return true()
    private = or_(Practice.visibility == "network", Revision.visibility == "network")
    allowed: list[ColumnElement[bool]] = []
    if identity.is_global_moderator:
        allowed.append(not_(private))
    if identity.moderates:
        allowed.append(or_(shared_with_any(identity.moderates),
                           and_(not_(private), of_member_of_any(identity.moderates))))
    return or_(*allowed) if allowed else false()


def organization_known_to(identity: Identity):
    """SQL condition on Organization: the viewer may know that it exists.

    An organization shows on the portal through a published practice the viewer
    may see; the organizations the viewer acts for are theirs to know. One whose
    only practices are network-only is as unknown as a slug nobody uses.
    """
    if identity.is_site_admin:
        return true()
    # correlated: the database looks up the practices of each organization asked about
    # (by their index), not every published practice for each query
    known: ColumnElement[bool] = select(Practice.id).where(
        Practice.organization_id == Organization.id,
        Practice.status == PracticeStatus.PUBLISHED, visible_to(identity)).exists()
    if identity.organizations:
        known = or_(known, Organization.id.in_(sorted(identity.organizations)))
    return known


@rule("practice.view")
def _view(identity: Identity, practice: Practice) -> bool:
    if practice.status != PracticeStatus.PUBLISHED:
        return identity.is_site_admin
    if practice.visibility == "public":
        return True
    revision = practice.published_revision
    return sees_network(identity, revision.networks if revision else [])


@rule("practice.import")
def _import(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("practice.export")
def _export(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("mail.manage")
def _mail_manage(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("search.reindex")
def _reindex(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("instance.backup")
def _backup(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("kb.status")
def _status(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("kb.read")
def _read(identity: Identity, _target=None) -> bool:
    return True


# -- accounts


@rule("account.register")
def _register(identity: Identity, _target=None) -> bool:
    return identity.user_id is None


@rule("account.recover")
def _recover(identity: Identity, _target=None) -> bool:
    return True


@rule("account.verify")
def _verify(identity: Identity, _target=None) -> bool:
    return True


@rule("account.sign_in")
def _sign_in(identity: Identity, _target=None) -> bool:
    return identity.user_id is None


@rule("account.manage")
def _manage_own(identity: Identity, _target=None) -> bool:
    return identity.user_id is not None


@rule("account.view")
def _view_account(identity: Identity, user_id=None) -> bool:
    return identity.is_site_admin or (identity.user_id is not None and identity.user_id == user_id)


@rule("user.manage")
def _manage_users(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


# -- organizations and networks


@rule("org.create")
def _org_create(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


@rule("org.manage")
def _org_manage(identity: Identity, org) -> bool:
    return identity.is_site_admin or (org is not None and org.id in identity.admin_of)


@rule("org.join")
def _org_join(identity: Identity, _target=None) -> bool:
    return identity.user_id is not None and identity.verified


@rule("org.leave")
def _org_leave(identity: Identity, org) -> bool:
    return org is not None and org.id in identity.organizations


@rule("network.manage")
def _network_manage(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


# -- the editorial flow


@rule("practice.create")
def _create(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin or bool(identity.organizations)


@rule("practice.edit")
def _edit(identity: Identity, practice: Practice) -> bool:
    return identity.is_site_admin or practice.organization_id in identity.organizations


@rule("practice.review")
def _review(identity: Identity, practice: Practice) -> bool:
    """Site admins review everything; global moderators every practice that is not
    network-only; a network's moderators the practices of their network (for a
    network-only practice: the networks it is shared with)."""
    if identity.is_site_admin or (identity.is_global_moderator and not network_only(practice)):
        return True
    if not identity.moderates:
        return False
    return reviews(identity, practice, *curating_networks_of([practice])[practice.id])


@rule("practice.moderate")
def _moderate(identity: Identity, _target=None) -> bool:
    return identity.is_global_moderator or bool(identity.moderates)


@rule("practice.history")
def _history(identity: Identity, practice: Practice) -> bool:
    return _edit(identity, practice) or _review(identity, practice)


@rule("practice.flag")
def _flag(identity: Identity, practice: Practice) -> bool:
    return identity.user_id is not None and identity.verified and \
        practice.status == PracticeStatus.PUBLISHED and _view(identity, practice)


@rule("audit.view")
def _audit(identity: Identity, _target=None) -> bool:
    return identity.is_site_admin


# -- exchange: adapting, comparing, following, contacting


@rule("practice.adapt")
def _adapt(identity: Identity, practice: Practice) -> bool:
    return (identity.is_site_admin or bool(identity.organizations)) and \
        practice is not None and _view(identity, practice)


@rule("indicator.map")
def _indicator_map(identity: Identity, practice: Practice) -> bool:
    return practice is not None and _edit(identity, practice)


@rule("organization.follow")
def _organization_follow(identity: Identity, _target=None) -> bool:
    return identity.user_id is not None


@rule("practice.contact")
def _contact(identity: Identity, practice: Practice) -> bool:
    return identity.user_id is not None and identity.verified and \
        practice is not None and _view(identity, practice)


# -- community tags


@rule("practice.tag")
def _tag(identity: Identity, practice: Practice) -> bool:
    """Tag a practice one may see, acting for one's organization (a verified person)."""
    return identity.user_id is not None and identity.verified and \
        (identity.is_site_admin or bool(identity.organizations)) and \
        practice is not None and _view(identity, practice)


@rule("tag.untag")
def _untag(identity: Identity, application) -> bool:
    """Remove one's own organization's tag; moderators remove any in their scope."""
    return application is not None and (
        application.organization_id in identity.organizations
        or _tag_moderate(identity, application.scope))


@rule("tag.moderate")
def _tag_moderate(identity: Identity, scope: str | None) -> bool:
    """Moderate the tags of a scope: public tags by global moderators, a network's
    private tags by that network's moderators; site admins all."""
    if identity.is_site_admin:
        return True
    if scope in (None, "public"):
        return identity.is_global_moderator
    return scope in identity.moderates


ACTION_LABELS = {
    "practice.tag": "tag this practice",
    "tag.untag": "remove this tag",
    "tag.moderate": "moderate these tags",
    "practice.import": "import practices",
    "practice.export": "export practices",
    "search.reindex": "rebuild the search index",
    "instance.backup": "back up or restore the installation",
    "mail.manage": "list and resend outgoing e-mail",
    "user.manage": "manage accounts",
    "org.create": "create organizations",
    "org.manage": "manage this organization",
    "network.manage": "manage networks",
    "practice.adapt": "adapt this practice",
    "indicator.map": "map the indicators of this practice",
    "organization.follow": "follow organizations",
    "practice.contact": "contact the owner of this practice",
}
