"""The moderation queue: who may act on what, and every filter, decided in SQL, a page at
a time.

A moderator of one network sees the submissions of that network only (its members'
practices, and those shared with it; a network-only one only where it is shared); a
global moderator sees every submission that is not network-only. The queue must agree,
submission by submission, with the rule of practice.review that the review page applies.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from kb.db import session
from kb.models import Practice, User
from kb.services import editorial as ed
from kb.services.accounts import identity_for
from kb.services.identity import SYSTEM
from kb.services.organizations import network_add_member, network_create, network_set_moderator
from kb.services.permissions import can

RIVERTON = "riverton-fictional-example-town"
SOLBY = "solby-fiktiv-exempelkommun"

DOC = """\
---
slug: {slug}
title: Practice {slug}
summary: A submission waiting for review in the queue tests.
language: {language}
organization: {organization}
country: GB
themes: [{themes}]
stage: pilot
evidence: anecdotal
visibility: {visibility}
networks: [{networks}]
---
## Challenge

Something to review.
"""

# slug, organization, themes, visibility, networks, language
SUBMISSIONS = [
    ("riverton-public", "Riverton (fictional example town)", "water", "public", "", "en"),
    ("riverton-rivers-only", "Riverton (fictional example town)", "water, energy",
     "network", "rivers", "en"),
    ("riverton-lakes-only", "Riverton (fictional example town)", "energy", "network",
     "lakes", "fi"),
    ("riverton-shared-lakes", "Riverton (fictional example town)", "housing", "public",
     "lakes", "en"),
    ("solby-public", "Solby (fiktiv exempelkommun)", "water", "public", "", "sv"),
    ("solby-lakes-only", "Solby (fiktiv exempelkommun)", "water", "network", "lakes", "sv"),
    ("solby-shared-rivers", "Solby (fiktiv exempelkommun)", "mobility", "public",
     "rivers", "en"),
    ("solby-rivers-only", "Solby (fiktiv exempelkommun)", "waste-management", "network",
     "rivers", "en"),
]


@pytest.fixture
def queue_people(app, make_user):
    ids = {
        "riverton": make_user("author@kb.example", orgs={RIVERTON: "contributor"}),
        "solby": make_user("solby@kb.example", orgs={SOLBY: "contributor"}),
        "rivers_mod": make_user("rivers-mod@kb.example"),
        "lakes_mod": make_user("lakes-mod@kb.example"),
        "both_mod": make_user("both-mod@kb.example"),
        "global_mod": make_user("global-mod@kb.example", role="global_moderator"),
        "admin": make_user("admin@kb.example", role="admin"),
    }
    with app.app_context():
        network_create(SYSTEM, "Rivers", "rivers")
        network_create(SYSTEM, "Lakes", "lakes")
        network_add_member(SYSTEM, "rivers", RIVERTON)
        network_set_moderator(SYSTEM, "rivers", "rivers-mod@kb.example")
        network_set_moderator(SYSTEM, "lakes", "lakes-mod@kb.example")
        network_set_moderator(SYSTEM, "rivers", "both-mod@kb.example")
        network_set_moderator(SYSTEM, "lakes", "both-mod@kb.example")
    return ids


@pytest.fixture
def who(app, queue_people):
    def get(name):
        return identity_for(session().get(User, queue_people[name]))
    return get


@pytest.fixture
def waiting(ctx, who):
    for slug, org, themes, visibility, networks, language in SUBMISSIONS:
        author = who("riverton" if org.startswith("Riverton") else "solby")
        ed.practice_draft_create(author, DOC.format(
            slug=slug, organization=org, themes=themes, visibility=visibility,
            networks=networks, language=language))
        ed.practice_submit(author, slug)
    return [s[0] for s in SUBMISSIONS]


def queued(identity, **filters) -> list[str]:
    page = ed.moderation_queue(identity, per_page=100, **filters)
    assert page.total == len(page.items)
    return [item.practice.slug for item in page.items]


def reviewable(identity, slugs) -> list[str]:
    """What the review page's rule (practice.review) lets this identity act on."""
    practices = {p.slug: p for p in session().scalars(select(Practice).where(
        Practice.slug.in_(slugs)))}
    return [s for s in slugs if can(identity, "practice.review", practices[s])]


def test_a_network_moderator_sees_the_work_of_their_network_only(waiting, who):
    assert queued(who("rivers_mod")) == ["riverton-public", "riverton-rivers-only",
                                         "riverton-shared-lakes", "solby-shared-rivers",
                                         "solby-rivers-only"]
    assert queued(who("lakes_mod")) == ["riverton-lakes-only", "riverton-shared-lakes",
                                        "solby-lakes-only"]


def test_a_global_moderator_sees_every_submission_that_is_not_network_only(waiting, who):
    assert queued(who("global_mod")) == ["riverton-public", "riverton-shared-lakes",
                                         "solby-public", "solby-shared-rivers"]
    assert queued(who("admin")) == waiting


def has_theme(spec, theme):
    return theme in [t.strip() for t in spec[2].split(",")]


def curated_by_rivers(spec):
    # Riverton is a member of rivers: its practices are curated by rivers too
    return "rivers" in spec[4] or spec[1].startswith("Riverton")


FILTERS = [
    ({}, lambda s: True),
    ({"theme": "water"}, lambda s: has_theme(s, "water")),
    ({"language": "sv"}, lambda s: s[5] == "sv"),
    ({"network": "lakes"}, lambda s: "lakes" in s[4]),
    ({"network": "rivers"}, curated_by_rivers),
    ({"network": "no_such%"}, lambda s: False),
    ({"theme": "wat%"}, lambda s: False),
    ({"theme": "water", "network": "rivers"},
     lambda s: has_theme(s, "water") and curated_by_rivers(s)),
]


def test_the_queue_and_its_filters_agree_with_the_review_rule(waiting, who):
    for name in ("rivers_mod", "lakes_mod", "both_mod", "global_mod", "admin"):
        identity = who(name)
        for filters, keep in FILTERS:
            expected = [s[0] for s in SUBMISSIONS if keep(s)]
            assert queued(identity, **filters) == reviewable(identity, expected), \
                (name, filters)


def test_the_queue_comes_a_page_at_a_time_oldest_first(waiting, who, app):
    identity = who("admin")
    everything = queued(identity)
    pages = [ed.moderation_queue(identity, page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [8, 8, 8, 8]
    assert [p.pages for p in pages] == [3, 3, 3, 3]
    assert [i.practice.slug for p in pages for i in p.items] == everything
    assert pages[3].items == []
    # a page loads its own rows: the statements do not grow with the queue
    statements = []
    engine = app.extensions["kb.db"].engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        first = ed.moderation_queue(identity, page=1, per_page=3)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(first.items) == 3 and len(statements) <= 6, statements


def test_the_network_filter_offers_the_networks_the_moderator_curates(waiting, who):
    def offered(name):
        return [n.slug for n in ed.moderation_queue(who(name)).networks]

    assert offered("rivers_mod") == ["rivers"]
    assert offered("both_mod") == ["lakes", "rivers"]
    assert offered("global_mod") == ["lakes", "rivers"]


def test_each_row_names_the_networks_that_curate_it(waiting, who):
    rows = {i.practice.slug: i.networks for i in ed.moderation_queue(who("admin")).items}
    assert rows["riverton-public"] == {"rivers"}
    assert rows["riverton-lakes-only"] == {"lakes", "rivers"}
    assert rows["solby-public"] == set()
