"""Dense retrieval switched on over an index built without it: the node starts at once and
answers with words only while the background applier embeds the practices; then it ranks
with their vectors too."""

from __future__ import annotations

import time

from kb import create_app
from tests.conftest import FIXTURE_PRACTICES


def stored_similar() -> dict[int, list[int]]:
    """The similar practices stored for each practice (the read model), best first."""
    from sqlalchemy import select

    from kb.db import session
    from kb.models import SimilarEntry

    lists: dict[int, list[int]] = {}
    for pid, similar in session().execute(select(
            SimilarEntry.practice_id, SimilarEntry.similar_id).order_by(
            SimilarEntry.practice_id, SimilarEntry.position)):
        lists.setdefault(pid, []).append(similar)
    return lists


def similar_now(index) -> dict[int, list[int]]:
    """What the index finds for each practice now, as the read model stores it."""
    from kb.services.readmodel.similar import EVERYTHING, STORED

    found = {pid: [h.id for h in index.similar(pid, viewer=EVERYTHING, limit=STORED)]
             for pid in index.doc_ids()}
    return {pid: ids for pid, ids in found.items() if ids}


def test_a_node_switched_to_dense_answers_at_once_and_fills_its_vectors(tmp_path, dense_model,
                                                                        caplog):
    from kb.services.derived import applier_running
    from kb.services.identity import ANONYMOUS
    from kb.services.search import practice_search

    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "SEED_DIR": str(FIXTURE_PRACTICES),
                "AUTO_INIT": True, "TESTING": True, "SECRET_KEY": "t", "SEARCH_DENSE": False}
    lexical = create_app(settings)
    lexical.extensions["kb.search"].close()
    lexical.extensions["kb.db"].dispose()

    app = create_app({**settings, "SEARCH_DENSE": True})
    index = app.extensions["kb.search"]
    assert dense_model.embedded == 0                      # the start did not embed anything
    assert index.vectors_missing()
    assert "lexical ranking until" in index.dense_status()
    assert "search is lexical until" in caplog.text
    with app.app_context():
        by_words = stored_similar()
        assert by_words == similar_now(index)
    page = app.test_client().get("/search?q=flood")   # answers now, with words
    assert page.status_code == 200 and b"riverton-flood-wardens" in page.data
    with app.app_context():
        deadline = time.monotonic() + 300          # a bound on the wait, not a measure
        while applier_running(app) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not applier_running(app)
        assert not index.vectors_missing()
        assert index.dense_status().startswith("hybrid")
        # each published practice embedded once, network-only ones too
        assert dense_model.embedded == len(index.doc_ids()) == 6
        assert "riverton-flood-wardens" in [h.slug for h in practice_search(
            ANONYMOUS, "flood").hits]
        # the similar practices stored while it ranked with words are made again
        assert similar_now(index) != by_words
        assert stored_similar() == similar_now(index)
    index.close()
    app.extensions["kb.db"].dispose()


DOG_PARKS = """\
---
title: Hundrastgårdar i stadsdelarna
summary: Staden byggde inhägnade områden där hundar får springa lösa.
language: sv
organization: Solby (fictional example town)
country: SE
themes: [public-safety]
tags: [example]
stage: pilot
evidence: anecdotal
---
## Utmaning

Lösa hundar skrämde besökare i parkerna.
"""


def test_work_done_where_the_model_does_not_run_is_embedded_by_a_node_that_has_it(
        tmp_path, dense_model):
    """A process with dense retrieval off (a command run with other settings) publishes a
    practice into an index that ranks with vectors: it cannot embed it, and says so in the
    index; the first search on a node with the model starts its applier, which embeds the
    practice, and the practice is then found by its meaning in another language. The same
    after such a process rebuilt the whole index."""
    from kb.services.derived import applier_running, catch_up_all
    from kb.services.identity import ANONYMOUS, SYSTEM
    from kb.services.practices import practice_import
    from kb.services.search import practice_search, search_rebuild

    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "SEED_DIR": str(FIXTURE_PRACTICES),
                "AUTO_INIT": True, "TESTING": True, "SECRET_KEY": "t", "SEARCH_DENSE": True}
    app = create_app(settings)
    index = app.extensions["kb.search"]
    assert not index.vectors_missing() and dense_model.embedded == 6

    lexical = create_app({**settings, "SEARCH_DENSE": False})
    with lexical.app_context():
        practice_import(SYSTEM, DOG_PARKS, "hundrastgardar.md")
        catch_up_all()          # as a `kb` command does: the read model follows too
        assert "hundrastgardar" in [h.slug for h in practice_search(ANONYMOUS, "hundar").hits]
        new = next(h.id for h in practice_search(ANONYMOUS, "hundar").hits)
        by_words = stored_similar()[new]
    lexical.extensions["kb.search"].close()
    lexical.extensions["kb.db"].dispose()
    assert len(index.vectors_unembedded()) == 1
    assert "1 practice found by its words only" in index.dense_status()
    assert dense_model.embedded == 6

    page = app.test_client().get("/search?q=fenced+dog+parks")
    assert page.status_code == 200
    with app.app_context():
        deadline = time.monotonic() + 300          # a bound on the wait, not a measure
        while applier_running(app) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not applier_running(app)
        assert index.vectors_unembedded() == {} and dense_model.embedded == 7
        assert "hundrastgardar" in [h.slug for h in practice_search(
            ANONYMOUS, "fenced dog parks").hits]
        # its similar practices were stored by words; now they are made with its vector
        new = next(h.id for h in practice_search(ANONYMOUS, "hundar").hits)
        assert stored_similar()[new] == similar_now(index)[new] != by_words

    # the same kind of process rebuilds the whole index (`kb reindex` with other settings):
    # the running node notices at its next search and brings its vectors back, from the
    # vector cache (nothing is embedded again)
    lexical = create_app({**settings, "SEARCH_DENSE": False})
    with lexical.app_context():
        search_rebuild(SYSTEM)
    lexical.extensions["kb.search"].close()
    lexical.extensions["kb.db"].dispose()
    assert index.vectors_missing()
    assert app.test_client().get("/search?q=fenced+dog+parks").status_code == 200
    with app.app_context():
        deadline = time.monotonic() + 300          # a bound on the wait, not a measure
        while applier_running(app) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not index.vectors_missing() and dense_model.embedded == 7
        assert "hundrastgardar" in [h.slug for h in practice_search(
            ANONYMOUS, "fenced dog parks").hits]
    index.close()
    app.extensions["kb.db"].dispose()
