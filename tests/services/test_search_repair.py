"""A deleted, truncated or garbled search index is found and rebuilt, and the log says so.

At start (kb.bootstrap.ensure_ready), by the background applier when applying fails, and
after a search found the index damaged (the page answers 503, the applier rebuilds it).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import pytest

from kb.services.derived import applier_running
from kb.services.editorial import practice_archive
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.search import practice_search

PUBLISHED = {"riverton-flood-wardens", "hillford-flood-wardens", "lakeside-flood-wardens",
             "jarvela-sahkoinen-rakennuslupa", "solby-medborgarbudget"}


def generation(app) -> Path:
    index = Path(app.config["INDEX_DIR"])
    return index / (index / "CURRENT").read_text().strip()


def garble_toc(app) -> None:
    toc = next(generation(app).glob("_MAIN_*.toc"))
    toc.write_bytes(b"garbage" * 10)


def truncate(app, suffix: str) -> None:
    for path in generation(app).iterdir():
        if path.name.endswith(suffix):
            with open(path, "r+b") as handle:
                handle.truncate(path.stat().st_size // 2)


def delete(app) -> None:
    shutil.rmtree(app.config["INDEX_DIR"])


def found(app) -> set[str]:
    with app.app_context():
        return {h.slug for h in practice_search(ANONYMOUS, "", per_page=50).hits}


def restart(make_app, app):
    """The portal starts again on the same instance folder."""
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()
    return make_app(INSTANCE_PATH=app.instance_path)


@pytest.mark.parametrize("damage, said", [
    (delete, "is missing: rebuilding it"),
    (garble_toc, "is damaged"),
    (lambda app: truncate(app, "_stored.col"), "is damaged"),
    (lambda app: truncate(app, ".trm"), "is damaged"),
    (lambda app: truncate(app, ".id.col"), "is damaged"),
], ids=["deleted", "garbled-toc", "truncated-stored", "truncated-terms", "truncated-ids"])
def test_a_start_finds_a_broken_index_and_rebuilds_it(make_app, caplog, damage, said):
    app = make_app()
    assert {"riverton-flood-wardens"} <= found(app)
    expected = found(app)
    app.extensions["kb.search"].close()
    damage(app)
    with caplog.at_level(logging.INFO, logger="kb.services.search"):
        again = restart(make_app, app)
    lines = [r for r in caplog.records if r.name == "kb.services.search"
             and "rebuilding it from the database" in r.getMessage()]
    assert len(lines) == 1 and said in lines[0].getMessage()
    assert app.config["INDEX_DIR"] in lines[0].getMessage()
    assert found(again) == expected
    with again.app_context():
        assert again.extensions["kb.search"].damage() is None


def test_a_sound_index_is_not_rebuilt_at_start(make_app, caplog):
    app = make_app()
    before = generation(app).name
    with caplog.at_level(logging.INFO, logger="kb.services.search"):
        again = restart(make_app, app)
    assert "rebuilding it" not in caplog.text
    assert generation(again).name == before


def wait_for_the_applier(app) -> None:
    deadline = time.monotonic() + 60
    with app.app_context():
        while applier_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not applier_running()


def test_the_background_applier_rebuilds_an_index_it_cannot_apply_to(make_app, caplog):
    app = make_app()
    app.extensions["kb.search"].close()
    garble_toc(app)
    with caplog.at_level(logging.INFO, logger="kb.services.search"):
        with app.app_context():
            practice_archive(SYSTEM, "solby-medborgarbudget", "Ended")
        wait_for_the_applier(app)
    assert "is damaged" in caplog.text and "rebuilding it from the database" in caplog.text
    assert found(app) == PUBLISHED - {"solby-medborgarbudget"}


def test_a_search_on_a_damaged_index_answers_503_and_the_index_is_rebuilt(make_app, caplog):
    app = make_app()
    client = app.test_client()
    assert client.get("/search?q=flood").status_code == 200
    app.extensions["kb.search"].close()
    garble_toc(app)
    with caplog.at_level(logging.INFO, logger="kb.services.search"):
        response = client.get("/search?q=flood")
        assert response.status_code == 503
        wait_for_the_applier(app)
    assert "is damaged" in caplog.text and "rebuilding it from the database" in caplog.text
    page = client.get("/search?q=flood")
    assert page.status_code == 200
    assert "riverton-flood-wardens" in page.get_data(as_text=True)


def test_a_deleted_index_is_rebuilt_by_the_applier_with_a_log_line(make_app, caplog):
    app = make_app()
    app.extensions["kb.search"].close()
    delete(app)
    with caplog.at_level(logging.INFO, logger="kb.services.search"):
        with app.app_context():
            from kb.services.derived import catch_up_all

            catch_up_all()
    assert "is missing: rebuilding it from the database" in caplog.text
    assert found(app) == PUBLISHED
    assert os.path.isdir(app.config["INDEX_DIR"])
