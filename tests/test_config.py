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


def _run_with(env, tmp_path, monkeypatch, args=("search", "flood")):
    from click.testing import CliRunner

    from kb.cli import main

    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args), env={"KB_SEED_DIR": str(FIXTURE_PRACTICES),
                                                     **env})


def _one_error_line(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_per_page_that_is_not_a_number_is_named_in_one_line(tmp_path, monkeypatch):
    line = _one_error_line(_run_with({"KB_PER_PAGE": "abc"}, tmp_path, monkeypatch))
    assert line == "Error: KB_PER_PAGE='abc': expected a whole number, 1 to 200 (e.g. 20)"


def test_an_unknown_log_level_is_named_in_one_line(tmp_path, monkeypatch):
    line = _one_error_line(_run_with({"KB_LOG_LEVEL": "LOUD"}, tmp_path, monkeypatch))
    assert line == ("Error: KB_LOG_LEVEL='LOUD': expected one of DEBUG, INFO, WARNING, "
                    "ERROR, CRITICAL")


def test_an_instance_path_that_is_a_file_is_named_in_one_line(tmp_path, monkeypatch):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    line = _one_error_line(_run_with({"KB_INSTANCE_PATH": str(a_file)}, tmp_path, monkeypatch))
    assert line == f"Error: KB_INSTANCE_PATH='{a_file}': expected a folder, but it is a file"


def test_a_database_that_cannot_be_opened_is_named_in_one_line(tmp_path, monkeypatch):
    # /proc accepts no new files, even for root: like a read-only file system
    url = "sqlite:////proc/kb.sqlite3"
    line = _one_error_line(_run_with({"KB_INSTANCE_PATH": str(tmp_path / "i"),
                                      "KB_DATABASE_URL": url}, tmp_path, monkeypatch))
    assert line.startswith(f"Error: KB_DATABASE_URL='{url}': expected a database file the "
                           "portal can open and write (unable to open database file")


def test_every_setting_rejects_nonsense_with_its_name(tmp_path):
    from kb.config import SETTINGS, ConfigError, load_settings

    free_text = {"SECRET_KEY", "SITE_NAME", "SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD",
                 "INSTANCE_PATH", "INDEX_DIR", "SEED_DIR", "EXPORT_DIR"}
    for setting in SETTINGS:
        if setting.name in free_text:
            continue
        try:
            load_settings({f"KB_{setting.name}": "%%nonsense%%"})
        except ConfigError as exc:
            assert str(exc).startswith(f"KB_{setting.name}='%%nonsense%%': expected ")
        else:
            raise AssertionError(f"KB_{setting.name} accepted nonsense")


def test_a_misspelt_setting_is_named_with_the_likely_one():
    from kb.config import unknown_settings

    assert unknown_settings({"KB_PER_PAG": "10", "KB_PER_PAGE": "10", "PATH": "/bin"}) == [
        "KB_PER_PAG is not a setting (did you mean KB_PER_PAGE?)"]


def test_kb_version():
    from click.testing import CliRunner

    from kb.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("kb, version 0.1.0")


def test_an_unreachable_database_server_is_named_in_one_line(tmp_path, monkeypatch):
    # a socket folder where no server listens
    url = f"postgresql://kb@/kb?host={tmp_path}"
    line = _one_error_line(_run_with({"KB_INSTANCE_PATH": str(tmp_path / "i"),
                                      "KB_DATABASE_URL": url}, tmp_path, monkeypatch))
    assert line.startswith(f"Error: KB_DATABASE_URL='postgresql+psycopg://kb@/kb?host="
                           f"{str(tmp_path).replace('/', '%2F')}': expected a database server "
                           "the portal can reach (connection")
    assert "failed" in line


def test_a_postgresql_url_uses_the_bundled_driver():
    from kb.config import load_settings

    settings = load_settings({"KB_DATABASE_URL": "postgresql://kb:secret@db.example.org/kb"})
    assert settings["DATABASE_URL"] == "postgresql+psycopg://kb:secret@db.example.org/kb"
