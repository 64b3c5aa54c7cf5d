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


def resolve(key: str, scope: str = PUBLIC) -> str:
    """The tag a tag leads to after moderators' merges and synonyms (itself if none).

    In a network's scope, the network's own aliases come first, then the public ones."""
    return resolve_many({key}, scope)[key]


def resolve_many(keys, scope: str = PUBLIC) -> dict[str, str]:
    """{key: the tag it leads to} for many tags of one scope, one query per alias step.

    A network's private tags follow the network's own aliases first, then the public
    ones; public tags and the owner's follow the public aliases only."""
    keys = set(keys)
    out = {k: k for k in keys}
    pending = set(keys)
    scopes = sorted({PUBLIC, scope or PUBLIC})
    s = session()
    for _step in range(5):
        if not pending:
            break
        found: dict[str, str] = {}
        for tag, target, alias_scope in s.execute(
                select(TagAlias.tag, TagAlias.target, TagAlias.scope).where(
                    TagAlias.tag.in_(pending), TagAlias.scope.in_(scopes))).all():
            if alias_scope != PUBLIC or tag not in found:
                found[tag] = target
        if not found:
            break
        for k, v in out.items():
            if v in found:
                out[k] = found[v]
        pending = set(found.values())
    return out


def resolve_scoped(pairs) -> dict[tuple[str, str], str]:
    """{(scope, key): the tag it leads to in that scope} for (scope, key) pairs."""
    by_scope: dict[str, set[str]] = {}
    for scope, key in pairs:
        by_scope.setdefault(scope, set()).add(key)
    out = {}
    for scope, keys in by_scope.items():
        for key, lead in resolve_many(keys, scope).items():
            out[(scope, key)] = lead
    return out


def network_aliases(identity) -> dict[str, dict[str, str]]:
    """{network: {tag: target}}: the aliases the moderators of the networks whose private
    tags the identity sees made for those tags (all networks' for site admins)."""
    query = select(TagAlias.scope, TagAlias.tag, TagAlias.target).where(
        TagAlias.scope != PUBLIC)
    if not identity.is_site_admin:
        if not identity.networks:
            return {}
        query = query.where(TagAlias.scope.in_(sorted(identity.networks)))
    out: dict[str, dict[str, str]] = {}
    for scope, tag, target in session().execute(query).all():
        out.setdefault(scope, {})[tag] = target
    return out


def group_of(key: str) -> set[str]:
    """The tag and every tag that leads to it publicly (its merged tags and synonyms)."""
    group = {key}
    frontier = {key}
    s = session()
    for _step in range(5):
        more = set(s.scalars(select(TagAlias.tag).where(TagAlias.target.in_(frontier),
                                                        TagAlias.scope == PUBLIC)))
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
    counted and filtered inside the index for that network's members only (after the
    network's renames and synonyms); ``network_tag_words``: the same before them, as the
    cities typed them, so that the members find a practice by either words;
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
    leads = resolve_many(set(owner) | {r.tag for r in rows if r.scope == PUBLIC})
    # a network's private tags lead where the network's moderators said, for its members
    private = resolve_scoped({(r.scope, r.tag) for r in rows if r.scope != PUBLIC})
    labels = dict(owner)
    cards = [{"key": leads[k], "label": v, "owner": True, "cities": []}
             for k, v in owner.items()]
    community: dict[str, dict] = {}
    network: set[str] = set()
    network_words: set[str] = set()
    for key, label, scope, org in rows:
        if scope != PUBLIC:
            network.add(f"{scope}:{private[(scope, key)]}")
            network_words.add(f"{scope}:{key}")
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
            "network_tag_words": sorted(network_words),
            "card_tags": cards + sorted(community.values(),
                                        key=lambda c: (-len(c["cities"]), c["label"]))}
