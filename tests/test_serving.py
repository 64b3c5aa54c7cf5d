"""Production serving: `kb serve --production` runs gunicorn; the application starts once.

A first start imports the seed practices in gunicorn's master process, before any worker is
forked, so the import runs once (not once per worker), never inside a worker's timeout, and
the first request finds a ready portal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_PRACTICES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production(tmp_path):
    """`kb serve --production` with 2 workers on a fresh instance folder; yields its log."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "KB_INSTANCE_PATH": str(tmp_path / "instance"),
           "KB_SEED_DIR": str(FIXTURE_PRACTICES), "KB_SECRET_KEY": "serving-test",
           "KB_SEARCH_DENSE": "false", "WEB_CONCURRENCY": "2", "KB_LOG_LEVEL": "INFO"}
    kb = Path(sys.executable).with_name("kb")
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(kb), "serve", "--production", "--port", str(port)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        first = None
        while first is None:
            try:
                first = urllib.request.urlopen(base + "/", timeout=120)
            except (urllib.error.URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log_path.read_text()) from None
                time.sleep(0.2)
        yield base, first, log_path
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_a_first_production_start_imports_once_in_the_master_and_serves(production):
    base, first, log_path = production
    assert first.status == 200
    assert "Volunteer flood wardens" in first.read().decode()
    search = urllib.request.urlopen(base + "/search?q=flood", timeout=30).read().decode()
    assert "riverton-flood-wardens" in search
    # let both workers finish booting before the log is read
    deadline = time.monotonic() + 30
    while log_path.read_text().count("Booting worker") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_path.read_text()
    assert log.count("Booting worker") == 2, log
    assert log.count("first start: importing 6 practices") == 1, log
    assert log.count("search analysis:") == 1, log  # the start-up ran once, not per worker
    # ... and before any worker was forked, so no worker's timeout covers it
    assert log.index("first start: importing") < log.index("Booting worker"), log
    assert "WORKER TIMEOUT" not in log
    # gunicorn's lines and the portal's share one format: time, level, logger, request id
    from tests.test_logs import TEXT_LINE

    for needle in ("first start: importing", "Booting worker", "kb.request"):
        line = next(line for line in log.splitlines() if needle in line)
        assert TEXT_LINE.match(line), line


def test_the_gunicorn_settings_are_those_documented():
    import kb.serving as serving

    assert serving.preload_app is True
    assert serving.timeout >= 30 and serving.threads >= 1
    deploy = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    for name in serving.__all__:
        if not callable(getattr(serving, name)):
            assert f"`{name}`" in deploy, name
