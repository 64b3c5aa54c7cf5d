"""The bundled practices ship with their vectors, so a first start does not embed them."""

from __future__ import annotations

import shutil

from kb import create_app
from kb.services.search import FOLDER_VECTORS
from tests.conftest import BUNDLED_PRACTICES, FIXTURE_PRACTICES


REGENERATE = ("practices/vectors.npz is out of date: regenerate it as docs/cli.md says "
              "(kb vectors export on a fresh first start)")




def _start(tmp_path, seeds, name="instance"):
    app = create_app({"INSTANCE_PATH": str(tmp_path / name), "SEED_DIR": str(seeds),
                      "AUTO_INIT": True, "TESTING": True, "SECRET_KEY": "t",
                      "SEARCH_DENSE": True})
    app.extensions["kb.search"].close()
    return app


def test_a_first_start_on_the_bundled_practices_embeds_nothing(tmp_path, dense_model):
    app = _start(tmp_path, BUNDLED_PRACTICES)
    assert dense_model.embedded == 0, REGENERATE
    index = app.extensions["kb.search"]
    assert index.dense_status().startswith("hybrid")
    with app.app_context():
        from kb.services.identity import ANONYMOUS
        from kb.services.search import practice_search

        found = practice_search(ANONYMOUS, "flood")
        assert found.total > 0
    app.extensions["kb.db"].dispose()


def test_a_damaged_vectors_file_is_skipped_and_the_documents_embedded(tmp_path, dense_model,
                                                                      caplog):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(sorted(FIXTURE_PRACTICES.glob("*.md"))[0], seeds)
    (seeds / FOLDER_VECTORS).write_bytes(b"not numpy")
    app = _start(tmp_path, seeds)
    assert dense_model.embedded == 1
    assert "vectors shipped with" in caplog.text and FOLDER_VECTORS in caplog.text
    app.extensions["kb.db"].dispose()
