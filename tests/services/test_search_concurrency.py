"""Catching up while others write: the index never keeps an older version of a practice
under a newer change id."""

from __future__ import annotations

from sqlalchemy import select

from kb.db import session
from kb.models import Practice
from kb.services.identity import SYSTEM
from kb.services.practices import practice_import
from kb.services.search import get_index, search_catch_up
from search import Viewer

DOCUMENT = """\
---
title: {title}
summary: Residents clear the pavements of older neighbours after heavy snow.
language: en
organization: Frostby (fictional example town)
country: 'NO'
themes: [elderly-care]
stage: pilot
evidence: anecdotal
---
## Challenge

Older residents could not leave home after snowfall.
"""


def _indexed_titles() -> dict[str, str]:
    hits = get_index().search(viewer=Viewer(see_all=True), per_page=100, facets=False).hits
    return {h.slug: h.title for h in hits}


def test_catch_up_indexes_what_was_committed_not_what_the_request_read_earlier(
        make_app, tmp_path):
    """A worker's request read a practice, then another worker published a new version;
    the catch-up in that request indexes the new version."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    reader = make_app(DATABASE_URL=url, INDEX_DIR=str(tmp_path / "index-reader"))
    writer = make_app(DATABASE_URL=url, INDEX_DIR=str(tmp_path / "index-writer"))
    with writer.app_context():
        practice_import(SYSTEM, DOCUMENT.format(title="Snow volunteers, first"), "snow.md")
    with reader.app_context():
        search_catch_up()
        assert _indexed_titles()["snow"] == "Snow volunteers, first"
        seen = session().scalar(select(Practice).where(Practice.slug == "snow"))
        assert seen.published_revision.title == "Snow volunteers, first"
        with writer.app_context():
            practice_import(SYSTEM, DOCUMENT.format(title="Snow volunteers, second"),
                            "snow.md")
        search_catch_up()
        assert _indexed_titles()["snow"] == "Snow volunteers, second"
