"""Moderating tags: rename, merge, mark synonyms (removing one application is
kb.services.tags.applying.practice_tag_remove, which moderators may use on any).

Public tags are curated by global moderators, a network's private tags by that network's
moderators; site admins curate all. Each action is audited and writes a change-log entry
for every practice it touches, so the search index and the pages of every node follow.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from kb.content.tags import BadTag, tag_check, tag_key
from kb.db import session
from kb.models import (ChangeAction, ChangeLog, Network, Practice, PracticeTag, TagAlias,
                       TagApplication)
from kb.services import effects
from kb.services.accounts import audit
from kb.services.errors import InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.permissions import can, require
from kb.services.tags.applying import bad_tag_message
from kb.services.tags.common import PUBLIC, concept_of
from kb.services.uow import UnitOfWork, unit_of_work


def _checked(field: str, text: str) -> tuple[str, str]:
    try:
        return tag_check(text)
    except BadTag as exc:
        raise InvalidInput({field: bad_tag_message(exc)}) from None


def _log_practices(uow: UnitOfWork, practice_ids) -> int:
    """A change-log entry for each practice whose tags changed; how many."""
    ids = sorted(set(practice_ids))
    s = uow.session
    for practice_id, slug, revision_id in s.execute(
            select(Practice.id, Practice.slug, Practice.published_revision_id)
            .where(Practice.id.in_(ids))).all():
        s.add(ChangeLog(practice_id=practice_id, slug=slug, action=ChangeAction.TAGS,
                        revision_id=revision_id))
    if ids:
        effects.after_practice_change(uow)
    return len(ids)


def _checked_scope(scope: str | None) -> str:
    """The scope named: "public", or the slug of a network that exists."""
    scope = (scope or PUBLIC).strip() or PUBLIC
    if scope != PUBLIC and session().scalar(
            select(Network.id).where(Network.slug == scope)) is None:
        raise InvalidInput({"scope": _("Choose the public tags or a network you moderate.")})
    return scope


def _practices_with(s, key: str, scope: str) -> set[int]:
    """The practices whose tags lead differently once `key` is aliased in `scope`: for a
    network, those with the tag as the network's private tag; for public aliases, those
    with the tag in any scope (public aliases apply to private tags too) or the owner's."""
    query = select(TagApplication.practice_id).where(TagApplication.tag == key)
    if scope != PUBLIC:
        return set(s.scalars(query.where(TagApplication.scope == scope)))
    return set(s.scalars(query)) | set(s.scalars(select(PracticeTag.practice_id).where(
        PracticeTag.tag == key)))


def _set_alias(s, identity: Identity, key: str, target: str, kind: str, scope: str) -> None:
    """`key` leads to `target` in `scope` from now on (no chains, no loops)."""
    for alias in s.scalars(select(TagAlias).where(TagAlias.target == key,
                                                  TagAlias.scope == scope)):
        alias.target = target   # what led to the tag leads on to the target
    s.flush()
    s.execute(delete(TagAlias).where(TagAlias.scope == scope, or_(
        TagAlias.tag == target, TagAlias.tag == TagAlias.target)))
    alias = s.get(TagAlias, (key, scope)) or TagAlias(tag=key, scope=scope)
    alias.target, alias.kind, alias.created_by_id = target, kind, identity.user_id
    s.add(alias)


@unit_of_work
def tag_merge(identity: Identity, source: str, target: str, scope: str = PUBLIC, *,
              uow: UnitOfWork) -> int:
    """Merge one tag into another (a rename when the other is new): every application
    of `source` in the scope becomes `target`, and later applications of `source` in the
    scope are applied as `target`; for public tags, the owner's tags lead to `target`
    too. A network's moderators merge its private tags only. Returns the practices
    touched."""
    require(identity, "tag.moderate", scope or PUBLIC)
    scope = _checked_scope(scope)
    errors = {}
    source_key = tag_key(source)
    if not source_key:
        errors["source"] = _("Write a tag.")
    try:
        target_key, target_label = tag_check(target)
    except BadTag as exc:
        errors["target"] = bad_tag_message(exc)
    if not errors and source_key == target_key:
        errors["target"] = _("Choose a different tag.")
    if errors:
        raise InvalidInput(errors)
    s = uow.session
    in_scope = and_(TagApplication.tag == source_key, TagApplication.scope == scope)
    practices = _practices_with(s, source_key, scope)
    if not practices and scope != PUBLIC:
        raise NotFound(_("No such tag."))
    # an organization that applied both keeps one application
    twin = aliased(TagApplication)
    s.execute(delete(TagApplication).where(in_scope, exists().where(
        twin.practice_id == TagApplication.practice_id, twin.tag == target_key,
        twin.organization_id == TagApplication.organization_id, twin.scope == scope)))
    s.execute(update(TagApplication).where(in_scope).values(
        tag=target_key, label=target_label, concept=concept_of(target_label)))
    _set_alias(s, identity, source_key, target_key, "merged", scope)
    audit(identity, "tag.merge", "tag", source_key, target=target_key, scope=scope,
          practices=len(practices))
    return _log_practices(uow, practices)


@unit_of_work
def tag_rename(identity: Identity, old: str, new: str, scope: str = PUBLIC, *,
               uow: UnitOfWork) -> int:
    """Rename a tag everywhere in its scope (a merge into the new name)."""
    require(identity, "tag.moderate", scope or PUBLIC)
    return tag_merge(identity, old, new, scope, uow=uow)


@unit_of_work
def tag_synonym_set(identity: Identity, tag: str, target: str, scope: str = PUBLIC, *,
                    uow: UnitOfWork) -> int:
    """Mark a tag a synonym of another: both keep their words on the practices, and the
    tag's page, search filter and facet count lead to the other. A public synonym holds
    for everyone; a network's (set by its moderators) for the network's private tags,
    seen by its members and moderators only."""
    require(identity, "tag.moderate", scope or PUBLIC)
    scope = _checked_scope(scope)
    key, _label = _checked("tag", tag)
    target_key, _target_label = _checked("target", target)
    if key == target_key:
        raise InvalidInput({"target": _("Choose a different tag.")})
    s = uow.session
    _set_alias(s, identity, key, target_key, "synonym", scope)
    practices = _practices_with(s, key, scope)
    audit(identity, "tag.synonym", "tag", key, target=target_key, scope=scope,
          practices=len(practices))
    return _log_practices(uow, practices)


def tag_moderation_scopes(identity: Identity) -> list[tuple[str, str]]:
    """The tags an identity curates, as (scope, name): "public" for global moderators,
    then the networks whose private tags they moderate (every network for site admins).
    Empty for everyone else."""
    require(identity, "kb.read")
    s = session()
    query = select(Network.slug, Network.name).order_by(Network.name)
    if not identity.is_site_admin:
        query = query.where(Network.slug.in_(sorted(identity.moderates)))
    scopes = [(PUBLIC, "")] if can(identity, "tag.moderate", PUBLIC) else []
    return scopes + [(slug, name) for slug, name in s.execute(query).all()
                     if can(identity, "tag.moderate", slug)]
