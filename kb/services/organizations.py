"""Organizations, their people, and networks of organizations.

Joining an organization is by invitation from its admin or by a request
that its admin approves. Networks group member organizations; their
moderators curate what is shared with the network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext
from sqlalchemy import func, select

from kb.db import session
from kb.models import (
    ORGANIZATION_KINDS,
    Invitation,
    JoinRequest,
    Membership,
    MemberRole,
    Network,
    NetworkMember,
    NetworkModerator,
    Organization,
    User,
    utcnow,
)
from kb.services.accounts import _link, audit, normalize_email, EMAIL_RE
from kb.services.errors import Conflict, InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.mail import queue_mail
from kb.services.permissions import organization_known_to, require
from kb.services.practices import Page, organizations_with_practices, practice_list, slugify
from kb.services.uow import UnitOfWork

INVITATION_DAYS = 14
# a member's role as the invitation e-mail names it, in the sender's language
ROLE_LABELS = {MemberRole.CONTRIBUTOR: lazy_gettext("contributor"),
               MemberRole.ADMIN: lazy_gettext("admin")}


def _org(slug: str) -> Organization:
    org = session().scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(_("No such organization."))
    return org


def _network(slug: str) -> Network:
    network = session().scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound(_("No such network."))
    return network


def _user_by_email(email: str) -> User:
    user = session().scalar(select(User).where(User.email == normalize_email(email),
                                               User.deleted_at.is_(None)))
    if user is None:
        raise NotFound(_("No account has this address."))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ----------------------------------------------------------- organizations


def _clean_org_fields(name, kind, country, population) -> dict:
    import pycountry

    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = _("Enter the organization's name (at most 200 characters).")
    if kind not in ORGANIZATION_KINDS:
        errors["kind"] = _("Choose one of: %(kinds)s.", kinds=", ".join(ORGANIZATION_KINDS))
    country = (country or "").strip().upper() or None
    if country and pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = _("Use a two-letter ISO country code such as FI or SE.")
    if population not in (None, ""):
        try:
            population = int(str(population).replace(" ", "").replace(",", ""))
            if population < 0:
                raise ValueError
        except ValueError:
            errors["population"] = _("Enter a whole number.")
    else:
        population = None
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "kind": kind, "country": country, "population": population}


def org_create(identity: Identity, name: str, kind: str = "city", country: str | None = None,
               region: str | None = None, population=None, website: str | None = None,
               description: str = "") -> Organization:
    require(identity, "org.create")
    fields = _clean_org_fields(name, kind, country, population)
    slug = slugify(fields["name"])
    if session().scalar(select(Organization).where(Organization.slug == slug)):
        raise InvalidInput({"name": _("An organization with this name exists already.")})
    with UnitOfWork():
        org = Organization(slug=slug, region=region or None, website=website or None,
                           description=description or "", **fields)
        session().add(org)
        session().flush()
        audit(identity, "org.create", "organization", org.slug)
    return org


def org_update(identity: Identity, slug: str, name: str, kind: str, country: str | None,
               region: str | None, population, website: str | None,
               description: str) -> Organization:
    org = _org(slug)
    require(identity, "org.manage", org)
    fields = _clean_org_fields(name, kind, country, population)
    with UnitOfWork():
        for key, value in fields.items():
            setattr(org, key, value)
        org.region, org.website, org.description = region or None, website or None, description
        audit(identity, "org.update", "organization", org.slug)
    return org


@dataclass
class OrgPeople:
    organization: Organization
    members: list[Membership]
    invitations: list[Invitation]
    requests: list[JoinRequest]


def org_people(identity: Identity, slug: str) -> OrgPeople:
    """Members, open invitations and join requests (for the organization's admins)."""
    org = _org(slug)
    require(identity, "org.manage", org)
    s = session()
    members = list(s.scalars(select(Membership).where(Membership.organization_id == org.id)
                             .join(User).order_by(User.name)))
    invitations = list(s.scalars(select(Invitation).where(
        Invitation.organization_id == org.id, Invitation.accepted_at.is_(None),
        Invitation.expires_at > utcnow())))
    requests = list(s.scalars(select(JoinRequest).where(
        JoinRequest.organization_id == org.id, JoinRequest.status == "open")))
    return OrgPeople(org, members, invitations, requests)


def org_invite(identity: Identity, slug: str, email: str,
               role: str = MemberRole.CONTRIBUTOR) -> None:
    org = _org(slug)
    require(identity, "org.manage", org)
    email = normalize_email(email)
    errors = {}
    if not EMAIL_RE.match(email):
        errors["email"] = _("Enter an e-mail address such as name@city.example.")
    if role not in MemberRole.ALL:
        errors["role"] = _("Unknown role.")
    if errors:
        raise InvalidInput(errors)
    token = secrets.token_urlsafe(32)
    with UnitOfWork() as uow:
        session().add(Invitation(
            organization_id=org.id, email=email, role=role, token_hash=_token_hash(token),
            invited_by_id=identity.user_id,
            expires_at=utcnow() + dt.timedelta(days=INVITATION_DAYS)))
        audit(identity, "org.invite", "organization", org.slug, email=email, role=role)
        link = _link("auth.accept_invitation", token=token)
        queue_mail(
            uow, email, _("Invitation to act for %(org)s", org=org.name),
            _("You are invited to join %(org)s on the practice exchange as %(role)s. Sign in or "
              "create an account with this e-mail address, then open this link (valid for "
              "%(days)d days):\n\n%(link)s", org=org.name, role=str(ROLE_LABELS[role]),
              days=INVITATION_DAYS, link=link))


def invitation_accept(identity: Identity, token: str) -> Organization:
    require(identity, "org.join")
    invitation = session().scalar(select(Invitation).where(
        Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.accepted_at or invitation.expires_at < utcnow():
        raise InvalidInput({"token": _("This invitation is not valid any more.")})
    user = session().get(User, identity.user_id) if identity.user_id is not None else None
    if user is None:
        raise NotFound(_("No account has this address."))
    if normalize_email(user.email) != invitation.email:
        raise InvalidInput({"token": _("This invitation was sent to another e-mail address.")})
    with UnitOfWork():
        membership = session().scalar(select(Membership).where(
            Membership.user_id == user.id,
            Membership.organization_id == invitation.organization_id))
        if membership is None:
            session().add(Membership(user_id=user.id, organization_id=invitation.organization_id,
                                     role=invitation.role))
        elif invitation.role == MemberRole.ADMIN:
            membership.role = MemberRole.ADMIN
        invitation.accepted_at = utcnow()
        audit(identity, "org.invitation_accept", "organization",
              invitation.organization.slug)
    return invitation.organization


def membership_request(identity: Identity, slug: str, message: str = "") -> JoinRequest:
    require(identity, "org.join")
    org = _known_org(identity, slug)
    s = session()
    if org.id in identity.organizations:
        raise Conflict(_("You already act for this organization."))
    if s.scalar(select(JoinRequest).where(JoinRequest.user_id == identity.user_id,
                                          JoinRequest.organization_id == org.id,
                                          JoinRequest.status == "open")):
        raise Conflict(_("Your request is waiting for the organization's admins."))
    with UnitOfWork() as uow:
        request = JoinRequest(user_id=identity.user_id, organization_id=org.id,
                              message=(message or "")[:2000])
        s.add(request)
        audit(identity, "org.join_request", "organization", org.slug)
        admins = list(s.scalars(select(User.email).join(Membership).where(
            Membership.organization_id == org.id, Membership.role == MemberRole.ADMIN)))
        link = _link("auth.org_people", slug=org.slug)
        for email in admins:
            queue_mail(
                uow, email, _("%(name)s asks to join %(org)s", name=identity.name, org=org.name),
                _("Review the request here:\n\n%(link)s", link=link))
    return request


def membership_decide(identity: Identity, request_id: int, approve: bool) -> JoinRequest:
    request = session().get(JoinRequest, request_id)
    if request is None or request.status != "open":
        raise NotFound(_("No open request with this number."))
    require(identity, "org.manage", request.organization)
    with UnitOfWork() as uow:
        request.status = "approved" if approve else "rejected"
        request.decided_by_id = identity.user_id
        request.decided_at = utcnow()
        if approve:
            session().add(Membership(user_id=request.user_id,
                                     organization_id=request.organization_id,
                                     role=MemberRole.CONTRIBUTOR))
        audit(identity, f"org.join_{request.status}", "organization",
              request.organization.slug, user=request.user_id)
        email, org_name = request.user.email, request.organization.name
        # whole sentences: languages do not build them from a separate verdict word
        if approve:
            subject = _("Your request to join %(org)s was approved", org=org_name)
            body = _("Your request to join %(org)s was approved.", org=org_name)
        else:
            subject = _("Your request to join %(org)s was declined", org=org_name)
            body = _("Your request to join %(org)s was declined.", org=org_name)
        queue_mail(uow, email, subject, body)
    return request


def membership_set_role(identity: Identity, slug: str, user_id: int, role: str) -> None:
    org = _org(slug)
    require(identity, "org.manage", org)
    if role not in MemberRole.ALL:
        raise InvalidInput({"role": _("Unknown role.")})
    membership = session().scalar(select(Membership).where(
        Membership.organization_id == org.id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound(_("This person does not act for the organization."))
    with UnitOfWork():
        membership.role = role
        audit(identity, "org.set_role", "organization", org.slug, user=user_id, role=role)


def membership_remove(identity: Identity, slug: str, user_id: int) -> None:
    org = _org(slug)
    if user_id != identity.user_id:
        require(identity, "org.manage", org)
    else:
        require(identity, "org.leave", org)
    membership = session().scalar(select(Membership).where(
        Membership.organization_id == org.id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound(_("This person does not act for the organization."))
    with UnitOfWork():
        session().delete(membership)
        audit(identity, "org.remove_member", "organization", org.slug, user=user_id)


def membership_add(identity: Identity, slug: str, email: str,
                   role: str = MemberRole.CONTRIBUTOR) -> Membership:
    """Add an existing account directly (site admins and the operator)."""
    org = _org(slug)
    require(identity, "org.create")
    user = _user_by_email(email)
    if role not in MemberRole.ALL:
        raise InvalidInput({"role": _("Unknown role.")})
    with UnitOfWork():
        membership = session().scalar(select(Membership).where(
            Membership.organization_id == org.id, Membership.user_id == user.id))
        if membership is None:
            membership = Membership(user_id=user.id, organization_id=org.id, role=role)
            session().add(membership)
        membership.role = role
        audit(identity, "org.add_member", "organization", org.slug, user=user.id, role=role)
    return membership


def organizations_all(identity: Identity) -> list[Organization]:
    """Every organization the viewer may know of (all of them for site admins)."""
    require(identity, "kb.read")
    return list(session().scalars(select(Organization).where(
        organization_known_to(identity)).order_by(Organization.name)))


def _known_org(identity: Identity, slug: str) -> Organization:
    """An organization by slug; one the viewer may not know of answers as unknown."""
    org = session().scalar(select(Organization).where(Organization.slug == slug,
                                                      organization_known_to(identity)))
    if org is None:
        raise NotFound(_("No such organization."))
    return org


# ----------------------------------------------------------------- networks


def network_create(identity: Identity, name: str, slug: str | None = None,
                   description: str = "") -> Network:
    require(identity, "network.manage")
    name = (name or "").strip()
    slug = slug or slugify(name)
    errors = {}
    if not name:
        errors["name"] = _("Enter the network's name.")
    from kb.content.document import SLUG_RE

    if not SLUG_RE.match(slug or "") or not 3 <= len(slug) <= 80:
        errors["slug"] = _("Use 3 to 80 lower-case letters, digits and hyphens.")
    elif session().scalar(select(Network).where(Network.slug == slug)):
        errors["slug"] = _("A network with this address exists already.")
    if errors:
        raise InvalidInput(errors)
    with UnitOfWork():
        network = Network(slug=slug, name=name, description=description or "")
        session().add(network)
        audit(identity, "network.create", "network", slug)
    return network


def network_add_member(identity: Identity, network_slug: str, org_slug: str) -> None:
    require(identity, "network.manage")
    network, org = _network(network_slug), _org(org_slug)
    with UnitOfWork():
        if session().get(NetworkMember, (network.id, org.id)) is None:
            session().add(NetworkMember(network_id=network.id, organization_id=org.id))
            audit(identity, "network.add_member", "network", network.slug, org=org.slug)


def network_remove_member(identity: Identity, network_slug: str, org_slug: str) -> None:
    require(identity, "network.manage")
    network, org = _network(network_slug), _org(org_slug)
    row = session().get(NetworkMember, (network.id, org.id))
    if row is None:
        raise NotFound(_("This organization is not a member."))
    with UnitOfWork():
        session().delete(row)
        audit(identity, "network.remove_member", "network", network.slug, org=org.slug)


def network_set_moderator(identity: Identity, network_slug: str, email: str,
                          moderator: bool = True) -> None:
    require(identity, "network.manage")
    network, user = _network(network_slug), _user_by_email(email)
    row = session().get(NetworkModerator, (network.id, user.id))
    with UnitOfWork():
        if moderator and row is None:
            session().add(NetworkModerator(network_id=network.id, user_id=user.id))
        elif not moderator and row is not None:
            session().delete(row)
        audit(identity, "network.set_moderator", "network", network.slug, user=user.id,
              moderator=moderator)


@dataclass
class NetworkMemberRow:
    slug: str
    name: str
    country: str | None


@dataclass
class NetworkDetail:
    network: Network
    members: list[NetworkMemberRow]
    moderators: list[str]
    practices: Page
    # members whose organization page opens for this viewer (the others are not linked)
    linked: set[str] = field(default_factory=set)


@dataclass
class NetworkSummary:
    slug: str
    name: str
    members: int


def networks_list(identity: Identity) -> list[Network]:
    require(identity, "kb.read")
    return list(session().scalars(select(Network).order_by(Network.name)))


def network_index_get(identity: Identity) -> list[NetworkSummary]:
    """Every network with its number of member organizations (one GROUP BY)."""
    require(identity, "kb.read")
    members = select(NetworkMember.network_id, func.count().label("members")).group_by(
        NetworkMember.network_id).subquery()
    rows = session().execute(select(Network.slug, Network.name,
                                    func.coalesce(members.c.members, 0)).outerjoin(
        members, members.c.network_id == Network.id).order_by(Network.name, Network.id))
    return [NetworkSummary(slug, name, int(n)) for slug, name, n in rows]


def network_get(identity: Identity, slug: str, page: int = 1, per_page: int = 20) -> NetworkDetail:
    """The public page of a network: members and the practices the viewer may see."""
    require(identity, "kb.read")
    network = _network(slug)
    members = [NetworkMemberRow(*row) for row in session().execute(
        select(Organization.slug, Organization.name, Organization.country).join(
            NetworkMember, NetworkMember.organization_id == Organization.id).where(
            NetworkMember.network_id == network.id).order_by(Organization.name,
                                                             Organization.id))]
    org_slugs = [o.slug for o in members]
    practices = practice_list(identity, page=page, per_page=per_page,
                              organizations=org_slugs, network=network.slug)
    moderators: list[str] = []
    if identity.is_site_admin or network.slug in identity.moderates:
        moderators = list(session().scalars(select(User.name).join(
            NetworkModerator, NetworkModerator.user_id == User.id).where(
            NetworkModerator.network_id == network.id).order_by(User.name)))
    linked = organizations_with_practices(identity, org_slugs)
    return NetworkDetail(network, members, moderators, practices, linked)
