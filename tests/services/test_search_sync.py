"""The search index follows the database: at once for the author, on catch-up for others."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import select

from kb.db import session
from kb.models import Practice, PracticeStatus
from kb.services.identity import ANONYMOUS, SYSTEM, Identity
from kb.services.practices import practice_import
from kb.services.search import get_index, practice_search
from tests.conftest import REPO

NEW_PRACTICE = """\
---
title: Snow-clearing volunteers
summary: Residents clear the pavements of older neighbours after heavy snow.
language: en
organization: Frostby (fictional example town)
country: 'NO'
themes: [elderly-care, social-inclusion]
tags: [example]
stage: pilot
evidence: anecdotal
---
## Challenge

Older residents could not leave home after snowfall. Codeword {word}.
"""


def published_ids() -> set[int]:
    return set(session().scalars(select(Practice.id).where(
        Practice.status == PracticeStatus.PUBLISHED)))


def test_index_matches_the_database_after_start(ctx):
    assert get_index().doc_ids() == published_ids()


def test_a_practice_published_through_the_services_is_searchable_at_once(ctx):
    assert practice_search(ANONYMOUS, "quokkasnow").total == 0
    practice_import(SYSTEM, NEW_PRACTICE.format(word="quokkasnow"), "snow-clearing.md")
    results = practice_search(ANONYMOUS, "quokkasnow")
    assert [h.slug for h in results.hits] == ["snow-clearing"]
    # an edit replaces what the index knows
    practice_import(SYSTEM, NEW_PRACTICE.format(word="wombatsnow"), "snow-clearing.md")
    assert practice_search(ANONYMOUS, "quokkasnow").total == 0
    assert practice_search(ANONYMOUS, "wombatsnow").total == 1


def test_another_node_catches_up_before_answering(make_app, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-a"))
    node_b = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-b"))
    with node_a.app_context():
        practice_import(SYSTEM, NEW_PRACTICE.format(word="capybarasnow"), "snow-clearing.md")
    with node_b.app_context():
        assert [h.slug for h in practice_search(ANONYMOUS, "capybarasnow").hits] == [
            "snow-clearing"]
        assert get_index().doc_ids() == published_ids()


def test_network_only_practices_are_indexed_but_only_members_find_them(ctx):
    assert practice_search(ANONYMOUS, "zebrafink").total == 0
    assert practice_search(ANONYMOUS, "", {"theme": ["procurement"]}).total == 0
    member = Identity(user_id=7, networks=frozenset({"alpine-towns"}))
    assert [h.slug for h in practice_search(member, "zebrafink").hits] == ["netzwerk-intern"]
    outsider = Identity(user_id=8, networks=frozenset({"other-network"}))
    assert practice_search(outsider, "zebrafink").total == 0


def test_deleting_the_index_and_starting_again_rebuilds_it(make_app):
    app = make_app()
    index_dir = app.config["INDEX_DIR"]
    app.extensions["kb.search"].close()
    shutil.rmtree(index_dir)
    again = make_app(INSTANCE_PATH=app.instance_path)
    with again.app_context():
        assert get_index().doc_ids() == published_ids()
        assert practice_search(ANONYMOUS, "wardens").total >= 1


IMPORTER = textwrap.dedent("""
    import sys
    from kb import create_app
    from kb.services.identity import SYSTEM
    from kb.services.practices import practice_import
    app = create_app({"INSTANCE_PATH": sys.argv[1], "SEED_DIR": sys.argv[2],
                      "SECRET_KEY": "t", "AUTO_INIT": False})
    template = open(sys.argv[3]).read()
    with app.app_context():
        for i in range(400):
            practice_import(SYSTEM, template.replace("{word}", f"word{i}"), f"bulk-{i:04d}.md")
            print(i, flush=True)
""")


def test_killed_in_the_middle_of_indexing_the_index_matches_the_database(make_app, tmp_path):
    app = make_app()
    app.extensions["kb.search"].close()
    template = tmp_path / "template.md"
    template.write_text(NEW_PRACTICE)
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, app.instance_path, app.config["SEED_DIR"],
         str(template)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "KB_DATABASE_URL": app.config["DATABASE_URL"]})
    for _ in range(15):  # let it commit and index a few practices, then kill it mid-stream
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = make_app(INSTANCE_PATH=app.instance_path)
    with again.app_context():
        ids = published_ids()
        assert len(ids) > 6 + 10
        assert get_index().doc_ids() == ids


def test_cities_like_mine_sort_puts_practices_from_similar_places_first(ctx):
    from kb.services.organizations import org_create

    org_create(SYSTEM, "Thamesby", "city", "GB", None, 41000)
    org_create(SYSTEM, "Loughton Bay", "city", "IE", None, 8500)
    british = practice_search(ANONYMOUS, "flood wardens", sort="like_mine",
                              organization="thamesby")
    irish = practice_search(ANONYMOUS, "flood wardens", sort="like_mine",
                            organization="loughton-bay")
    assert british.sort == irish.sort == "like_mine"
    assert british.hits[0].slug == "riverton-flood-wardens"   # GB, 42,000 people
    assert irish.hits[0].slug == "lakeside-flood-wardens"     # IE, 9,000 people
    assert british.total == irish.total == practice_search(ANONYMOUS, "flood wardens").total
