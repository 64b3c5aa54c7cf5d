"""The one place that decides who may do what.

Every service calls `require(identity, action, target)` before it reads or
writes anything. docs/permissions.md lists the table this implements.
"""

from __future__ import annotations

from typing import Any

from kb.models import Practice, PracticeStatus
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
    """Raise PermissionDenied (or NotFound, to hide what exists) unless allowed."""
    if can(identity, action, target):
        return
    if action == "practice.view":
        # do not reveal that a hidden practice exists
        raise NotFound("no such practice")
    raise PermissionDenied(f"you may not {ACTION_LABELS.get(action, action)}")


def sees_network(identity: Identity, networks: list[str] | tuple[str, ...]) -> bool:
    return identity.is_site_admin or bool(identity.networks & set(networks or ()))


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


@rule("search.reindex")
def _reindex(identity: Identity, _target=None) -> bool:
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
    if identity.is_global_moderator:
        return True
    if not identity.moderates:
        return False
    from kb.services.editorial import _networks_of

    return bool(identity.moderates & _networks_of(practice))


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


ACTION_LABELS = {
    "practice.import": "import practices",
    "practice.export": "export practices",
    "search.reindex": "rebuild the search index",
    "user.manage": "manage accounts",
    "org.create": "create organizations",
    "org.manage": "manage this organization",
    "network.manage": "manage networks",
    "practice.adapt": "adapt this practice",
    "indicator.map": "map the indicators of this practice",
    "organization.follow": "follow organizations",
    "practice.contact": "contact the owner of this practice",
}
