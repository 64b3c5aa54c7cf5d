"""The code's type annotations hold: mypy finds no error in kb and search."""

from __future__ import annotations

from mypy import api

from kb.config import REPO_ROOT


def test_mypy_finds_no_errors(monkeypatch):
    # the [mypy] section of setup.cfg (per-module settings for untyped libraries) applies
    monkeypatch.chdir(REPO_ROOT)
    report, errors, status = api.run(["--config-file", "setup.cfg", "kb", "search"])
    assert status == 0, report + errors
    assert "Success: no issues found" in report, report
