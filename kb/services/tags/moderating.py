"""Moderating tags: rename, merge, mark synonyms (removing one application is
kb.services.tags.applying.practice_tag_remove, which moderators may use on any).

Public tags are curated by global moderators, a network's private tags by that network's
moderators; site admins curate all. Each action is audited and writes a change-log entry
for every practice it touches, so the search index and the pages of every node follow.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from kb.content.tags import BadTag, tag_check, tag_key
from kb.models import (ChangeAction, ChangeLog, Practice, PracticeTag, TagAlias,
                       TagApplication)
from kb.services import effects
from kb.services.accounts import audit
from kb.services.errors import InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.permissions import require
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


@unit_of_work
def tag_merge(identity: Identity, source: str, target: str, scope: str = PUBLIC, *,
              uow: UnitOfWork) -> int:
    """Merge one tag into another (a rename when the other is new): every application
    of `source` in the scope becomes `target`; for public tags, the owner's tags and
    later applications of `source` lead to `target` too. Returns the practices touched."""
    require(identity, "tag.moderate", scope or PUBLIC)
    scope = scope or PUBLIC
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
    practices = set(s.scalars(select(TagApplication.practice_id).where(in_scope)))
    if scope == PUBLIC:
        practices |= set(s.scalars(select(PracticeTag.practice_id).where(
            PracticeTag.tag == source_key)))
    if not practices and scope != PUBLIC:
        raise NotFound(_("No such tag."))
    # an organization that applied both keeps one application
    twin = aliased(TagApplication)
    s.execute(delete(TagApplication).where(in_scope, exists().where(
        twin.practice_id == TagApplication.practice_id, twin.tag == target_key,
        twin.organization_id == TagApplication.organization_id, twin.scope == scope)))
    s.execute(update(TagApplication).where(in_scope).values(
        tag=target_key, label=target_label, concept=concept_of(target_label)))
    if scope == PUBLIC:
        for alias in s.scalars(select(TagAlias).where(TagAlias.target == source_key)):
            alias.target = target_key  # no chains: what led to the source leads on
        s.execute(delete(TagAlias).where(TagAlias.tag == target_key))
        alias = s.get(TagAlias, source_key) or TagAlias(tag=source_key)
        alias.target, alias.kind, alias.created_by_id = target_key, "merged", identity.user_id
        s.add(alias)
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
def tag_synonym_set(identity: Identity, tag: str, target: str, *, uow: UnitOfWork) -> int:
    """Mark a public tag a synonym of another: both keep their words on the practices,
    and the tag's page, search filter and facet count lead to the other."""
    require(identity, "tag.moderate", PUBLIC)
    key, _label = _checked("tag", tag)
    target_key, _target_label = _checked("target", target)
    if key == target_key:
        raise InvalidInput({"target": _("Choose a different tag.")})
    s = uow.session
    if s.scalar(select(TagAlias.target).where(TagAlias.tag == target_key)) == key:
        s.execute(delete(TagAlias).where(TagAlias.tag == target_key))  # turned around
    alias = s.get(TagAlias, key) or TagAlias(tag=key)
    alias.target, alias.kind, alias.created_by_id = target_key, "synonym", identity.user_id
    s.add(alias)
    practices = set(s.scalars(select(TagApplication.practice_id).where(
        TagApplication.tag == key, TagApplication.scope == PUBLIC)))
    practices |= set(s.scalars(select(PracticeTag.practice_id).where(PracticeTag.tag == key)))
    audit(identity, "tag.synonym", "tag", key, target=target_key, practices=len(practices))
    return _log_practices(uow, practices)
