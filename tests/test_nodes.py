"""Two nodes on one PostgreSQL database, as behind a load balancer.

Each node is a `kb serve` process on loopback with its own instance folder and search
index; they share only the database. What one node changes, the other finds through the
change log; when PostgreSQL stops, both answer 503 and recover by themselves; a node
killed while it applies a backlog catches up exactly after a restart.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_PRACTICES, REPO

pytestmark = pytest.mark.postgresql

KB = Path(sys.executable).parent / "kb"
PROPAGATION_SECONDS = 5.0

DOCUMENT = """\
---
slug: {slug}
title: Snow-clearing volunteers {word}
summary: Residents clear the pavements of older neighbours after heavy snow.
language: en
organization: Frostby (fictional example town)
country: 'NO'
themes: [elderly-care, social-inclusion]
stage: pilot
evidence: anecdotal
visibility: {visibility}
networks: [{networks}]
---
## Challenge

Older residents could not leave home after snowfall. Codeword {word}.
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Node:
    """One `kb serve` process; its instance folder and index stay across restarts."""

    def __init__(self, name: str, root: Path, database_url: str):
        self.name = name
        self.folder = root / name
        self.settings = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(self.folder),
                         "SECRET_KEY": "shared-secret", "SEED_DIR": str(FIXTURE_PRACTICES),
                         "SEARCH_DENSE": "false", "CATCH_UP_BATCH": "4",
                         "SEARCH_SYNC_CHANGES": "4", "LOG_LEVEL": "INFO"}
        self.env = {**os.environ, "PYTHONPATH": str(REPO),
                    **{f"KB_{name}": value for name, value in self.settings.items()}}
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log = root / f"{name}.log"
        self._app = None

    @property
    def app(self):
        """The node's instance as its command line sees it, in this process (saves
        starting Python for each command)."""
        if self._app is None:
            from kb import create_app
            from kb.config import load_settings

            parsed = {name: value for name, value in load_settings(
                {f"KB_{k}": v for k, v in self.settings.items()}).items()
                      if name in self.settings}
            self._app = create_app({**parsed, "AUTO_INIT": False, "TESTING": True})
        return self._app

    def cli(self, *args: str):
        from kb.cli import main

        return self.app.test_cli_runner().invoke(main, list(args))

    def close(self) -> None:
        if self._app is not None:
            self._app.extensions["kb.search"].close()
            self._app.extensions["kb.db"].dispose()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        self.port = free_port()
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [str(KB), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_until_serving()

    def wait_until_serving(self) -> None:
        assert self.process is not None
        for _ in range(1200):
            if self.process.poll() is not None:
                raise AssertionError(f"node {self.name} ended: {self.log.read_text()[-3000:]}")
            if get(f"{self.base}/healthz")[0] == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"node {self.name} did not answer: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def search(self, query: str) -> list[str]:
        status, body = get(f"{self.base}/api/v1/search?q={urllib.parse.quote(query)}")
        assert status == 200, (status, body)
        return [hit["slug"] for hit in json.loads(body)["hits"]]

    def ready(self) -> tuple[int, dict]:
        status, body = get(f"{self.base}/readyz")
        return status, json.loads(body) if body.startswith("{") else {}


def get(url: str, opener=None, data: dict | None = None) -> tuple[int, str]:
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with (opener or urllib.request.build_opener()).open(url, encoded, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def wait_for(condition, seconds: float = PROPAGATION_SECONDS) -> bool:
    """Whether condition() holds within seconds (asked every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


class Browser:
    """A signed-in person on one node: cookies, CSRF tokens from the forms."""

    def __init__(self, node: Node):
        self.node = node
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path: str, data: dict, form_page: str) -> tuple[int, str]:
        page = get(self.node.base + form_page, self.opener)[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return get(self.node.base + path, self.opener, {**data, "csrf_token": token})

    def login(self, email: str, password: str) -> None:
        status, page = self.post("/login", {"email": email, "password": password}, "/login")
        assert status == 200 and 'action="/logout"' in page, page[:500]


@pytest.fixture(scope="module")
def cluster(postgres_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("nodes")
    database = postgres_server.create_database(prefix="nodes")
    url = postgres_server.url(database)
    a, b = Node("a", root, url), Node("b", root, url)
    init = a.cli("init")
    assert init.exit_code == 0, init.output
    made = a.cli("user", "create", "mod@kb.example", "--name", "Moderator", "--password",
                 "correct horse battery", "--role", "admin")
    assert made.exit_code == 0, made.output
    try:
        a.start(wait=False)  # both start at once, as after a deployment
        b.start(wait=False)
        a.wait_until_serving()
        b.wait_until_serving()
        yield a, b, postgres_server, root
    finally:
        a.stop()
        b.stop()
        a.close()
        b.close()
        postgres_server.start()  # in case a test stopped it and failed before starting it
        postgres_server.drop_database(database)


def import_on(node: Node, folder: Path, slug: str, word: str, visibility: str = "public",
              networks: str = "") -> None:
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    (folder / f"{slug}.md").write_text(DOCUMENT.format(slug=slug, word=word,
                                                       visibility=visibility,
                                                       networks=networks))
    result = node.cli("import", str(folder))
    assert result.exit_code == 0, result.output


def test_a_change_on_one_node_is_found_on_the_other(cluster):
    a, b, _server, root = cluster
    slug = "snow-clearing-volunteers"
    assert b.search("quokkasnow") == []

    # published on node A (its command line, as the operator): found on node B
    import_on(a, root / "docs", slug, "quokkasnow")
    assert wait_for(lambda: b.search("quokkasnow") == [slug])

    # archived through node A's moderation page: gone from node B's search
    moderator = Browser(a)
    moderator.login("mod@kb.example", "correct horse battery")
    status, _page = moderator.post(f"/moderation/practices/{slug}",
                                   {"action": "archive", "comment": "Outdated"},
                                   f"/moderation/practices/{slug}")
    assert status == 200
    assert a.search("quokkasnow") == []
    assert wait_for(lambda: b.search("quokkasnow") == [])

    # published again, then made network-only: anonymous readers of B no longer find it
    moderator.post(f"/moderation/practices/{slug}", {"action": "restore"},
                   f"/moderation/practices/{slug}")
    assert wait_for(lambda: b.search("quokkasnow") == [slug])
    import_on(a, root / "docs", slug, "quokkasnow", "network", "alpine-towns")
    assert wait_for(lambda: b.search("quokkasnow") == [])
    assert b.ready()[1]["pending"]["search"] == 0


def test_nodes_answer_503_while_postgresql_is_down_and_recover_by_themselves(cluster):
    a, b, server, _root = cluster
    assert b.search("flood")
    # readers keep asking both nodes throughout: before, during and after the outage
    answers: list[int] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            for node in (a, b):
                answers.append(get(f"{node.base}/search?q=flood")[0])

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        assert wait_for(lambda: answers.count(200) >= 8, 60)
        server.stop()
        for node in (a, b):
            status, page = get(f"{node.base}/search?q=flood")
            assert status == 503, page[:300]
            assert "The portal is temporarily unavailable" in page
            status, body = get(f"{node.base}/api/v1/search?q=flood")
            assert status == 503 and json.loads(body)["error"] == "unavailable"
            status, ready = node.ready()
            assert status == 503 and ready["database"] is False
        during = len(answers)
        assert wait_for(lambda: len(answers) >= during + 8, 60)
    finally:
        server.start()
    try:
        for node in (a, b):  # no restart: the next requests reconnect
            assert wait_for(lambda: get(f"{node.base}/search?q=flood")[0] == 200, 30)
            assert node.ready()[0] == 200
            assert node.search("flood")
        after = len(answers)
        assert wait_for(lambda: len(answers) >= after + 8, 60)
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    # every answer was a page or the clear 503, never a server error or a dropped request
    assert set(answers) == {200, 503}
    assert answers[-8:] == [200] * 8
    assert a.process.poll() is None and b.process.poll() is None


def index_and_read_model() -> dict:
    """The node's index and the read model beside what the database says they must be."""
    from sqlalchemy import select

    from kb.db import session
    from kb.models import LineageEntry, Practice, PracticeStatus
    from kb.services.derived import pending
    from kb.services.readmodel import lineage_rows
    from kb.services.readmodel.lineage import published_parents
    from kb.services.search import get_index

    published = sorted(session().scalars(select(Practice.id).where(
        Practice.status == PracticeStatus.PUBLISHED)))
    stored = {row.slug: (row.parent_slug, row.root_slug, row.depth)
              for row in session().scalars(select(LineageEntry))}
    scratch = lineage_rows({s: p for s, (_i, p) in published_parents().items()})
    return {"published": published, "indexed": sorted(get_index().doc_ids()),
            "lineage_equal": stored == scratch, "pending": pending()}


def test_a_node_killed_while_indexing_catches_up_exactly(cluster):
    a, b, _server, root = cluster
    # a backlog for node B: 60 practices published through node A's command line
    bulk = root / "bulk"
    bulk.mkdir()
    for i in range(60):
        (bulk / f"bulk-{i:03d}.md").write_text(DOCUMENT.format(
            slug=f"bulk-{i:03d}", word=f"bulkword{i}", visibility="public", networks=""))
    result = a.cli("import", str(bulk))
    assert result.exit_code == 0, result.output

    # node B applies it in batches of 4 in its background applier; kill it meanwhile
    b.search("bulkword1")  # a search sees the backlog and starts the applier
    assert wait_for(lambda: 0 < b.ready()[1]["pending"]["search"] < 60, 60)
    b.kill()

    b.start()  # /readyz starts the applier again on the backlog left
    assert wait_for(lambda: b.ready()[1]["pending"]["search"] == 0, 120)
    # pages bring the read model (shared by the nodes, in the database) up to date
    assert wait_for(lambda: get(f"{b.base}/")[0] == 200
                    and b.ready()[1]["pending"]["read_model"] == 0, 120)
    b.stop()
    with b.app.app_context():
        found = index_and_read_model()
    assert found["indexed"] == found["published"]
    assert len(found["published"]) >= 60
    assert found["lineage_equal"] is True
    assert found["pending"] == {"search": 0, "read_model": 0}
    b.start()
