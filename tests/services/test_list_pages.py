"""The list pages' services: organizations, themes and networks, with their counts.

Each count is what the reader may see (a network-only practice counts for its network's
members only), a page of organizations at a time, and the same numbers the practice list
gives when filtered the same way.
"""

from __future__ import annotations

from sqlalchemy import select

from kb.db import session
from kb.models import User
from kb.services import practices as svc
from kb.services.accounts import identity_for
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import (network_add_member, network_create, network_get,
                                       network_index_get, network_set_moderator)


def test_organizations_come_a_page_at_a_time_with_what_the_reader_may_see(ctx):
    for identity in (ANONYMOUS, SYSTEM):
        everything = svc.organization_list(identity, per_page=1000)
        assert everything.total == len(everything.items) > 2
        for org in everything.items:
            assert org.practices == svc.practice_list(
                identity, organization=org.slug).total > 0
        pages = -(-everything.total // 2)
        paged = [svc.organization_list(identity, page=n, per_page=2)
                 for n in range(1, pages + 2)]
        assert [o for p in paged for o in p.items] == everything.items
        assert {p.pages for p in paged} == {pages} and paged[-1].items == []
    public = {o.slug for o in svc.organization_list(ANONYMOUS).items}
    everyone = {o.slug for o in svc.organization_list(SYSTEM).items}
    # the organization whose only practice is network-only is not listed for the public
    assert everyone - public == {"bergdorf-fiktive-beispielgemeinde"}


def test_theme_counts_are_the_practice_list_counts(ctx):
    for identity in (ANONYMOUS, SYSTEM):
        counts = svc.theme_counts(identity)
        assert counts == dict(svc.practice_facets(identity).themes)
        for theme, n in counts.items():
            assert svc.practice_list(identity, {"theme": [theme]}).total == n
    assert svc.theme_counts(ANONYMOUS).get("procurement", 0) + 1 == svc.theme_counts(
        SYSTEM)["procurement"]


def test_networks_with_member_counts_and_a_network_page_in_few_queries(ctx, make_user):
    make_user("mod@kb.example")
    network_create(SYSTEM, "Rivers", "rivers")
    network_create(SYSTEM, "Empty", "empty")
    for org in ("riverton-fictional-example-town", "hillford-fictional-example-town",
                "bergdorf-fiktive-beispielgemeinde"):
        network_add_member(SYSTEM, "rivers", org)
    network_set_moderator(SYSTEM, "rivers", "mod@kb.example")
    assert [(n.slug, n.members) for n in network_index_get(ANONYMOUS)] == [
        ("empty", 0), ("rivers", 3)]
    detail = network_get(ANONYMOUS, "rivers")
    assert [m.slug for m in detail.members] == ["bergdorf-fiktive-beispielgemeinde",
                                                "hillford-fictional-example-town",
                                                "riverton-fictional-example-town"]
    # a member with nothing the reader may see is named, not linked
    assert detail.linked == {"hillford-fictional-example-town",
                             "riverton-fictional-example-town"}
    assert detail.moderators == []  # moderators are named to the network's curators only
    mod = identity_for(session().scalar(select(User).where(User.email == "mod@kb.example")))
    assert network_get(mod, "rivers").moderators == ["mod"]


def test_the_lists_are_kept_until_something_they_show_changes(ctx):
    from kb.services.editorial import practice_archive
    from kb.services.organizations import org_update

    before = svc.organization_list(ANONYMOUS, per_page=1000)
    themes = svc.theme_counts(ANONYMOUS)
    assert svc.organization_list(ANONYMOUS, per_page=1000).items == before.items
    # a rename writes no change-log entry: the list shows the new name at once
    org = next(o for o in before.items if o.slug == "riverton-fictional-example-town")
    org_update(SYSTEM, org.slug, "Riverton Borough (fictional example town)", org.kind,
               org.country, None, None, None, "")
    renamed = {o.slug: o.name for o in svc.organization_list(ANONYMOUS, per_page=1000).items}
    assert renamed[org.slug] == "Riverton Borough (fictional example town)"
    # an archived practice leaves the counts at once
    slug = svc.practice_list(ANONYMOUS, organization=org.slug).items[0].slug
    practice_archive(SYSTEM, slug)
    after = {o.slug: o.practices for o in svc.organization_list(ANONYMOUS,
                                                                per_page=1000).items}
    assert after.get(org.slug, 0) == org.practices - 1
    assert sum(svc.theme_counts(ANONYMOUS).values()) < sum(themes.values())
