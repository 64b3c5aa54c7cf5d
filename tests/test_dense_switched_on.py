"""Dense retrieval switched on over an index built without it: the node starts at once and
answers with words only while the background applier embeds the practices; then it ranks
with their vectors too."""

from __future__ import annotations

import time

from kb import create_app
from tests.conftest import FIXTURE_PRACTICES


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
    index.close()
    app.extensions["kb.db"].dispose()
