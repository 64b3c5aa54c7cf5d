"""Every page reads a bounded amount of data, whatever the size of the knowledge base.

One portal with 2,000 generated practices (bench/pages.py's generator, inserted in bulk
once for this module) serves every page type; the SQL statements each request runs and
the practices it loads are counted (not timed). A page that goes back to loading the
whole knowledge base per request fails here.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from bench.pages import build, page_addresses
from kb.app import create_app
from kb.models import Practice

SIZE = 2000

# SQL statements per request, measured at 2,000 practices with room for small changes;
# none depends on the number of practices (nor of members: a network page reading its
# members one by one, 5 each here, goes over).
QUERIES = {
    "home": 25, "search": 25, "practice": 40, "organization": 20, "theme": 20,
    "network": 15, "network dashboard": 25, "dashboard": 25, "map": 20,
    "cities like mine": 20, "moderation queue": 25, "moderation queue filtered": 25,
    "my work": 20, "API list": 20, "API search": 20, "organizations": 10, "networks": 10,
    "themes": 10, "practice list": 20, "tag": 25, "tags": 15, "API tag": 25,
    "tag suggestions": 10,
}
# practices loaded per request by the pages that read prepared or paged data
LOADED = {
    "home": 40, "search": 40, "practice": 60, "organization": 40, "theme": 40,
    "network": 60, "cities like mine": 40, "API list": 60, "API search": 40,
    "map": 0,  # grouped rows of organizations and adaptations, no practice
    # counted in SQL over the read model; cards only for what is listed (kb.services.
    # exchange.dashboards: ten most adapted; a network's newest practices and adaptations
    # and its largest improvements)
    "dashboard": 10, "network dashboard": 120,
    "tag": 40, "tags": 0, "API tag": 40, "tag suggestions": 0,
    # a page of the submissions waiting (200 here), not all of them
    "moderation queue": 60, "moderation queue filtered": 60, "my work": 60,
    "organizations": 0, "networks": 0, "themes": 0, "practice list": 40,
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    seed = folder / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("no practices\n")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(folder / "instance"),
                      "SEED_DIR": str(seed), "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "AUTO_INIT": True})
    with app.app_context():
        from kb.services.accounts import user_create
        from kb.services.identity import SYSTEM

        kb = build(SIZE, submissions=200)
        user_create(SYSTEM, "admin@pages.example", "Admin", "correct horse battery", "admin")
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@pages.example",
                                       "password": "correct horse battery"}).status_code == 302
    yield app, client, page_addresses(kb)
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()


def measure(app, client, url):
    counts = {"queries": 0, "practices": 0}

    def query(*_args):
        counts["queries"] += 1

    def loaded(*_args):
        counts["practices"] += 1

    engine = app.extensions["kb.db"].engine
    event.listen(engine, "before_cursor_execute", query)
    event.listen(Practice, "load", loaded)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", query)
        event.remove(Practice, "load", loaded)
    assert response.status_code == 200, (url, response.status_code)
    return counts


@pytest.mark.parametrize("page", sorted(QUERIES))
def test_a_page_runs_a_bounded_number_of_queries(portal, page):
    app, client, pages = portal
    client.get(pages[page])  # the first request may apply pending changes
    counts = measure(app, client, pages[page])
    print(page, counts)
    assert counts["queries"] <= QUERIES[page], counts
    if page in LOADED:
        assert counts["practices"] <= LOADED[page], counts
