"""When the disk refuses: a read-only database or an unusable search index gives a clear
503 page (the log names the path, the page does not), searches keep answering from the
last committed index while only its writes fail, and everything recovers without a
restart once the fault is gone.

Tests run as root, where permission bits do not stop writes: files are made immutable
(chattr +i), and the index directory is replaced by a file.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.services.identity import SYSTEM
from kb.services.practices import practice_import
from kb.services.search import get_index
from tests.auth_helpers import post

PASSWORD = "correct horse battery"
NEW_PRACTICE = """\
---
title: Snow-clearing volunteers
summary: Residents clear the pavements of older neighbours after heavy snow.
language: en
organization: Frostby (fictional example town)
country: 'NO'
themes: [elderly-care]
stage: pilot
evidence: anecdotal
---
## Challenge

Older residents could not leave home after snowfall. Codeword quokkasnow.
"""


@pytest.fixture
def immutable():
    """Make paths immutable (chattr +i); undone by calling .undo() and after the test."""
    done: list[str] = []

    class Immutable:
        def __call__(self, *paths):
            for path in map(str, paths):
                result = subprocess.run(["chattr", "+i", path], capture_output=True)
                if result.returncode != 0:
                    pytest.skip(f"chattr +i is not supported here: {result.stderr!r}")
                done.append(path)

        def undo(self):
            while done:
                subprocess.run(["chattr", "-i", done.pop()], check=True)

    if shutil.which("chattr") is None:
        pytest.skip("chattr (e2fsprogs) is not installed")
    helper = Immutable()
    yield helper
    helper.undo()


def _errors_naming(caplog, path: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR and path in r.getMessage()]


def _sign_in(client):
    return post(client, "/login", {"email": "ana@city.example", "password": PASSWORD})


def test_a_read_only_database_gives_503_at_sign_in_then_recovers(app, client, make_user,
                                                                  caplog, immutable):
    make_user("ana@city.example")
    db = app.extensions["kb.db"]
    path = db.engine.url.database
    db.engine.dispose()
    immutable(path)

    refused = _sign_in(client)
    assert refused.status_code == 503
    html = refused.get_data(as_text=True)
    assert "temporarily unavailable" in html
    assert path not in html and "sqlite" not in html.lower()
    assert _errors_naming(caplog, path)
    assert client.get("/").status_code == 200  # reading still works

    immutable.undo()
    signed_in = _sign_in(client)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"


def test_an_unwritable_index_keeps_answering_from_its_last_commit(app, client, caplog,
                                                                   immutable):
    with app.app_context():
        index_dir = get_index().path
    generations = [p for p in Path(index_dir).iterdir() if p.name.startswith("gen-")]
    assert client.get("/search?q=flood+wardens").status_code == 200
    immutable(index_dir, *generations)

    with app.app_context():  # published: the database commits, the index cannot follow
        practice_import(SYSTEM, NEW_PRACTICE, "snow-clearing.md")
    found = client.get("/search?q=flood+wardens")
    assert found.status_code == 200 and "riverton-flood-wardens" in found.get_data(as_text=True)
    missing = client.get("/search?q=quokkasnow")
    assert missing.status_code == 200 and "snow-clearing" not in missing.get_data(as_text=True)
    assert client.get("/practices/snow-clearing").status_code == 200
    assert _errors_naming(caplog, index_dir)

    immutable.undo()
    caught_up = client.get("/search?q=quokkasnow")
    assert caught_up.status_code == 200 and "/practices/snow-clearing" in caught_up.get_data(
        as_text=True)


def test_an_unusable_index_directory_gives_503_then_recovers(app, client, caplog):
    with app.app_context():
        index_dir = get_index().path
    shutil.rmtree(index_dir)
    Path(index_dir).write_text("not a directory")  # nothing can be read or written there

    for url in ("/search?q=flood+wardens", "/api/v1/search?q=flood+wardens"):
        refused = client.get(url)
        assert refused.status_code == 503
        assert index_dir not in refused.get_data(as_text=True)
    assert "temporarily unavailable" in client.get("/search?q=x").get_data(as_text=True)
    assert _errors_naming(caplog, index_dir)

    os.remove(index_dir)
    found = client.get("/search?q=flood+wardens")
    assert found.status_code == 200 and "riverton-flood-wardens" in found.get_data(as_text=True)
