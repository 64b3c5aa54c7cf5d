"""Counts over every visible practice are kept until the next change, per visibility scope."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from kb.db import session
from kb.services.editorial import practice_archive
from kb.services.identity import ANONYMOUS, SYSTEM, Identity
from kb.services.organizations import network_create
from kb.services.practices import home_get, practice_facets, practice_list
from tests.services.test_exchange import put

MEMBER = Identity(user_id=90, networks=frozenset({"alpha"}))
ORG = "Northbrook City (fictional example)"


@contextmanager
def statements():
    seen: list[str] = []
    engine = session().get_bind()

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def water(identity) -> int:
    return dict(practice_facets(identity).themes).get("water", 0)


def test_counts_are_read_once_per_change_and_follow_every_change(app):
    with app.app_context():
        network_create(SYSTEM, "Alpha", "alpha")
        before = water(ANONYMOUS)
        with statements() as first:
            home_get(ANONYMOUS)
        with statements() as again:
            home = home_get(ANONYMOUS)
        # the second home page reads no count over the practices again
        grouped = [s for s in first if "GROUP BY" in s or "count(" in s.lower()]
        assert grouped and not [s for s in again if "GROUP BY" in s or "count(" in s.lower()]
        assert home.facets.total == practice_list(ANONYMOUS).total

        put("agg-public", ORG)
        assert water(ANONYMOUS) == before + 1
        assert home_get(ANONYMOUS).facets.total == home.facets.total + 1
        assert "agg-public" in [c.slug for c in practice_list(ANONYMOUS, per_page=100).items]

        put("agg-private", ORG, visibility="network", networks=["alpha"])
        assert water(ANONYMOUS) == before + 1       # the public's counts are the public's
        assert water(MEMBER) == before + 2          # a member's include the network's
        assert water(SYSTEM) == before + 2
        assert "agg-private" not in [c.slug for c in practice_list(ANONYMOUS, per_page=100).items]
        assert "agg-private" in [c.slug for c in practice_list(MEMBER, per_page=100).items]

        practice_archive(SYSTEM, "agg-public")
        assert water(ANONYMOUS) == before
        assert practice_list(ANONYMOUS).total == home.facets.total


def _tagged_doc(slug: str) -> str:
    from tests.services.test_exchange import doc

    return doc(slug, ORG).replace("themes: [water]", "themes: [water]\ntags: [rain cellar]")


def test_tag_pages_are_read_once_per_change_and_show_fresh_names(app):
    from kb.models import Organization
    from kb.services.organizations import org_update
    from kb.services.practices import practice_import
    from kb.services.tags.reading import tag_page_get, tags_index_get

    def count(index) -> int:
        return next((t.count for t in index.top if t.key == "rain cellar"), 0)

    with app.app_context():
        practice_import(SYSTEM, _tagged_doc("agg-tag-a"))
        page = tag_page_get(ANONYMOUS, "rain cellar")
        assert page.practices.total == 1 and count(tags_index_get(ANONYMOUS)) == 1
        with statements() as again:
            tag_page_get(ANONYMOUS, "rain cellar")
            tags_index_get(ANONYMOUS)
        assert not [s for s in again if "GROUP BY" in s or "count(" in s.lower()]

        # a renamed organization shows its new name at once (names are read fresh)
        org = session().scalar(select(Organization).where(Organization.name == ORG))
        org_update(SYSTEM, org.slug, "Northbrook Town (fictional example)", org.kind,
                   org.country, org.region, org.population, org.website, org.description)
        assert [c[0] for c in tag_page_get(ANONYMOUS, "rain cellar").cities] == \
            ["Northbrook Town (fictional example)"]

        practice_import(SYSTEM, _tagged_doc("agg-tag-b"))
        assert tag_page_get(ANONYMOUS, "rain cellar").practices.total == 2
        assert count(tags_index_get(ANONYMOUS)) == 2
        practice_archive(SYSTEM, "agg-tag-a")
        page = tag_page_get(ANONYMOUS, "rain cellar")
        assert [c.slug for c in page.practices.items] == ["agg-tag-b"]
        assert count(tags_index_get(ANONYMOUS)) == 1
