"""Rate limits hold across worker processes when they share a storage (a real Redis)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.auth_helpers import post

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_uri(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed: install Debian's redis-server package "
                    "(.ci/run does this)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def attempts(clients, n):
    return [post(clients[i % len(clients)], "/login",
                 {"email": "someone@city.example", "password": "guess"}).status_code
            for i in range(n)]


def test_two_workers_sharing_redis_count_attempts_together(make_app, tmp_path, redis_uri):
    shared = {"RATELIMIT_STORAGE_URI": redis_uri, "RATELIMIT_LOGIN": "6 per minute",
              "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
              # the sign-in lockout (in the database) would answer first; here: the limiter
              "LOGIN_MAX_FAILURES": 100, "LOGIN_ADDRESS_MAX_FAILURES": 100}
    worker_a = make_app(**shared).test_client()
    worker_b = make_app(**shared).test_client()
    statuses = attempts([worker_a, worker_b], 8)
    assert statuses[:6] == [401] * 6
    assert statuses[6:] == [429, 429]


def test_the_limited_person_gets_a_clear_message(make_app):
    client = make_app(RATELIMIT_LOGIN="2 per minute").test_client()
    statuses = attempts([client], 3)
    assert statuses == [401, 401, 429]
    response = post(client, "/login", {"email": "someone@city.example", "password": "x"})
    assert "Too many attempts" in response.get_data(as_text=True)
    assert response.headers.get("Retry-After")
