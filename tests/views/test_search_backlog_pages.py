"""What the search page, the API and /readyz say about a node's backlog; facets with "more"."""

from __future__ import annotations

import re
import threading

from bench.generate import write_documents
from kb.services.identity import SYSTEM
from kb.services.practices import practices_import_dir


def _wait_for_applier() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("kb-derived-applier"):
            thread.join(timeout=300)


def test_a_node_behind_says_search_is_updating_and_readyz_reports_the_backlog(
        make_app, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-a"))
    node_b = make_app(DATABASE_URL=db_url, INDEX_DIR=str(tmp_path / "index-b"),
                      SEARCH_SYNC_CHANGES=5)
    client = node_b.test_client()
    assert client.get("/readyz").get_json()["pending"] == {"search": 0, "read_model": 0}
    write_documents(tmp_path / "bulk", 30)
    with node_a.app_context():
        practices_import_dir(SYSTEM, tmp_path / "bulk")

    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ready" and body["database"] and body["index"]
    assert body["pending"]["search"] == 30 and body["updating"]
    _wait_for_applier()  # /readyz started the applier: the node catches up on its own
    assert client.get("/readyz").get_json()["pending"] == {"search": 0, "read_model": 0}

    with node_a.app_context():
        write_documents(tmp_path / "more", 8, start=100)
        practices_import_dir(SYSTEM, tmp_path / "more")
    page = client.get("/search?q=synthetic").get_data(as_text=True)
    assert "Search is updating: 8 changes pending." in page
    _wait_for_applier()
    with node_a.app_context():
        write_documents(tmp_path / "again", 7, start=200)
        practices_import_dir(SYSTEM, tmp_path / "again")
    api = client.get("/api/v1/search?q=synthetic").get_json()
    assert api["updating"] is True and api["pending"] == 7
    _wait_for_applier()
    assert client.get("/api/v1/search?q=synthetic").get_json()["updating"] is False
    assert "Search is updating" not in client.get("/search?q=synthetic").get_data(as_text=True)


def test_healthz_answers_without_the_database(make_app, tmp_path):
    app = make_app()
    assert app.test_client().get("/healthz").get_json() == {"status": "alive"}


def test_readyz_is_unavailable_without_an_index(make_app, tmp_path):
    import shutil

    app = make_app(INDEX_DIR=str(tmp_path / "index"))
    app.extensions["kb.search"].close()
    shutil.rmtree(tmp_path / "index")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["index"] is False


def test_each_facet_shows_its_top_values_and_more_on_demand(make_app, tmp_path):
    app = make_app()
    write_documents(tmp_path / "towns", 30, towns=100_000)
    with app.app_context():
        practices_import_dir(SYSTEM, tmp_path / "towns")
    client = app.test_client()
    page = client.get("/search?q=synthetic").get_data(as_text=True)
    towns = re.findall(r'name="organization" value="([^"]+)"', page)
    assert len(towns) == 10
    more = re.search(r'<a class="facet-more" href="([^"]*more=organization[^"]*)"', page)
    assert more
    full = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(r'name="organization" value="([^"]+)"', full)) >= 28
    # a chosen value stays in view even when it is not among the most frequent
    last = re.findall(r'name="organization" value="([^"]+)"', full)[-1]
    chosen = client.get(f"/search?q=synthetic&organization={last}").get_data(as_text=True)
    assert f'name="organization" value="{last}" checked' in chosen
