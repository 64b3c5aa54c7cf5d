"""Settings: where the instance folder goes, and a bad value named in one line."""

from __future__ import annotations

from pathlib import Path

from kb import create_app
from tests.conftest import FIXTURE_PRACTICES


def test_the_instance_folder_defaults_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_INSTANCE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    app = create_app({"SEED_DIR": str(FIXTURE_PRACTICES), "SECRET_KEY": "test",
                      "AUTO_INIT": False})
    try:
        assert Path(app.instance_path) == tmp_path / "instance"
        assert (tmp_path / "instance").is_dir()
    finally:
        app.extensions["kb.search"].close()
        app.extensions["kb.db"].dispose()
