"""What the tag services share: the glossary concept of a tag, aliases, scopes."""

from __future__ import annotations

from sqlalchemy import select

from kb.db import session
from kb.models import TagAlias
from search.glossary import glossary

PUBLIC = "public"


def concept_of(tag: str) -> str | None:
    """The glossary concept a tag names, in any language ("tulvat": "flood"), if any."""
    return glossary().concept_of(tag)


def resolve(key: str) -> str:
    """The tag a tag leads to after moderators' merges and synonyms (itself if none)."""
    seen = {key}
    s = session()
    while True:
        target = s.scalar(select(TagAlias.target).where(TagAlias.tag == key))
        if target is None or target in seen:
            return key
        seen.add(target)
        key = target


def resolve_many(keys) -> dict[str, str]:
    """{key: the tag it leads to} for many tags, one query per alias step."""
    keys = set(keys)
    out = {k: k for k in keys}
    pending = set(keys)
    s = session()
    for _step in range(5):
        if not pending:
            break
        found = dict(s.execute(select(TagAlias.tag, TagAlias.target).where(
            TagAlias.tag.in_(pending))).all())
        if not found:
            break
        for k, v in out.items():
            if v in found:
                out[k] = found[v]
        pending = set(found.values())
    return out


def group_of(key: str) -> set[str]:
    """The tag and every tag that leads to it (its merged tags and synonyms)."""
    group = {key}
    frontier = {key}
    s = session()
    for _step in range(5):
        more = set(s.scalars(select(TagAlias.tag).where(TagAlias.target.in_(frontier))))
        frontier = more - group
        if not frontier:
            break
        group |= frontier
    return group


def index_fields(practice_id: int, owner_tags) -> dict:
    """The tags of a practice for its search document (plain values).

    ``tags``: the words of the owner's tags, then of the public community tags (searched
    as text, the `tag:` field and autocomplete); ``tag_keys``: the tags they lead to
    (the public facet); ``network_tags``: "network:tag" for each network's private tags,
    counted and filtered inside the index for that network's members only;
    ``card_tags``: what a search result shows (public only).
    """
    from kb.content.tags import keys_of
    from kb.models import Organization, TagApplication

    owner = keys_of(owner_tags)
    rows = session().execute(
        select(TagApplication.tag, TagApplication.label, TagApplication.scope,
               Organization.name)
        .join(Organization, Organization.id == TagApplication.organization_id)
        .where(TagApplication.practice_id == practice_id)
        .order_by(TagApplication.created_at, TagApplication.id)).all()
    leads = resolve_many(set(owner) | {r.tag for r in rows})
    labels = dict(owner)
    cards = [{"key": leads[k], "label": v, "owner": True, "cities": []}
             for k, v in owner.items()]
    community: dict[str, dict] = {}
    network: set[str] = set()
    for key, label, scope, org in rows:
        if scope != PUBLIC:
            network.add(f"{scope}:{leads[key]}")
            continue
        labels.setdefault(key, label)
        card = community.get(key)
        if card is None:
            card = community[key] = {"key": leads[key], "label": label, "owner": False,
                                     "cities": []}
        if org not in card["cities"]:
            card["cities"].append(org)
    return {"tags": list(labels.values()),
            "tag_keys": sorted({leads[k] for k in labels}),
            "network_tags": sorted(network),
            "card_tags": cards + sorted(community.values(),
                                        key=lambda c: (-len(c["cities"]), c["label"]))}
