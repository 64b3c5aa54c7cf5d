"""Starting the portal: warnings an operator needs before the first request."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from kb.app import warn_if_rate_limits_are_per_process
from kb.config import REPO_ROOT

WARNING = "worker processes serve the portal"


def test_memory_rate_limits_under_several_workers_warn_at_start(make_app, monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with caplog.at_level(logging.WARNING, logger="kb.app"):
        make_app()
    assert f"4 {WARNING}" in caplog.text and "redis://" in caplog.text
    caplog.clear()
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    with caplog.at_level(logging.WARNING, logger="kb.app"):
        make_app()
    assert WARNING not in caplog.text


def test_a_shared_rate_limit_store_needs_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="kb.app"):
        assert not warn_if_rate_limits_are_per_process("redis://cache:6379", 4)
        assert warn_if_rate_limits_are_per_process("memory://", 2)
    assert caplog.text.count(WARNING) == 1


def gunicorn_start_log(tmp_path, workers: int) -> str:
    """What `gunicorn -w N wsgi:app` logs until it boots its first worker."""
    env = {**os.environ, "KB_INSTANCE_PATH": str(tmp_path / "instance"), "KB_AUTO_INIT": "0",
           "KB_SECRET_KEY": "test", "KB_RATELIMIT_STORAGE_URI": "memory://"}
    env.pop("WEB_CONCURRENCY", None)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers),
                             "-b", "127.0.0.1:0", "wsgi:app"], cwd=REPO_ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "Booting worker" in line:
                break
    finally:
        watchdog.cancel()
        proc.terminate()
        try:
            # a worker signalled before it set up its own handlers is stopped by the
            # master only after gunicorn's graceful timeout (30 s, kb/serving.py)
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert any("Booting worker" in line for line in lines), "".join(lines)
    return "".join(lines)


def test_gunicorn_with_several_workers_warns_about_memory_rate_limits(tmp_path):
    assert f"2 {WARNING}" in gunicorn_start_log(tmp_path, 2)
    assert WARNING not in gunicorn_start_log(tmp_path, 1)
