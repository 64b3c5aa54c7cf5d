"""Many people writing at once: writers and moderators through gunicorn with several workers.

Each writer signs in, creates practices, edits and submits them and practices of the other
writers; moderators approve what reaches the queue, all at the same time over HTTP against
one database (SQLite in WAL mode, and PostgreSQL). Afterwards nothing is lost: no request
failed on the server, every submission a writer was told about waits in the queue or was
decided on, every approval a moderator saw is live, and the search index holds exactly the
published revisions.
"""

from __future__ import annotations

import json
import os
import random
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
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURE_PRACTICES, REPO

pytestmark = pytest.mark.load

WRITERS = 6
# the suite writes 24 practices; the write-load run of docs/benchmarks.md sets 34 (204),
# with LOAD_SEARCH_DENSE=1
PRACTICES_PER_WRITER = int(os.environ.get("LOAD_PRACTICES_PER_WRITER", "4"))
MODERATORS = 2
WORKERS = 4
PASSWORD = "correct horse battery"
RIVERTON = "riverton-fictional-example-town"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
REVIEW_RE = re.compile(r'href="/moderation/practices/([a-z0-9-]+)"')


def _form(title: str, slug: str) -> dict:
    return {
        "title": title, "slug": slug,
        "summary": "Pupils build rain gardens that keep roof water out of the sewers.",
        "language": "en", "organization": "Riverton (fictional example town)",
        "country": "GB", "themes": ["climate-adaptation"], "tags": "rain gardens",
        "stage": "pilot", "evidence": "monitored", "license": "CC-BY-4.0",
        "visibility": "public",
        "body": "## Challenge\n\nSewers overflow in summer storms.\n\n## Solution\n\n"
                f"Rain gardens ({title}).",
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A person's browser: cookies, CSRF tokens from forms, every status code recorded."""

    def __init__(self, base: str, log: list):
        self.base, self.log = base, log
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=120) as resp:
                status, headers, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, headers, text = exc.code, exc.headers, exc.read().decode()
        self.log.append((method, path, status))
        return status, headers, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict, token_from: str | None = None):
        _, _, page = self.get(token_from or path)
        found = CSRF_RE.search(page)
        assert found, f"no form on {token_from or path}"
        return self.request("POST", path, {**data, "csrf_token": found.group(1)})

    def sign_in(self, email: str) -> None:
        status, _, _ = self.post("/login", {"email": email, "password": PASSWORD})
        assert status == 302, f"{email} could not sign in ({status})"

    def flashed(self, headers) -> str:
        """Follow a redirect and return the page it leads to (with its flash message)."""
        return self.get(urllib.parse.urlsplit(headers["Location"]).path)[2]


def _hidden(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database(request):
    return request.param


@pytest.fixture
def serve(tmp_path, make_app):
    """serve(workers, dense): an instance with writers and moderators, served by gunicorn
    with several workers; returns the app (on the same instance) and the server's URL."""
    servers = []

    def start(workers: int = WORKERS, dense: bool = False):
        instance = tmp_path / "instance"
        app = make_app(INSTANCE_PATH=str(instance))
        from kb.services.accounts import user_create
        from kb.services.identity import SYSTEM
        from kb.services.organizations import membership_add

        with app.app_context():
            for i in range(WRITERS):
                user_create(SYSTEM, f"writer{i}@riverton.example", f"Writer {i}", PASSWORD)
                membership_add(SYSTEM, RIVERTON, f"writer{i}@riverton.example", "contributor")
            for i in range(MODERATORS):
                user_create(SYSTEM, f"mod{i}@kb.example", f"Moderator {i}", PASSWORD,
                            "global_moderator")
        app.extensions["kb.db"].dispose()
        port = _free_port()
        env = {**os.environ, "KB_INSTANCE_PATH": str(instance), "KB_SECRET_KEY": "load-test",
               "KB_SEED_DIR": str(FIXTURE_PRACTICES), "KB_RATELIMIT_LOGIN": "10000 per minute",
               "KB_LOG_LEVEL": "WARNING", "KB_SEARCH_DENSE": "1" if dense else "0"}
        if app.config["DATABASE_URL"].startswith("postgresql"):
            env["KB_DATABASE_URL"] = app.config["DATABASE_URL"]
        log = open(tmp_path / "gunicorn.log", "w")
        command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers),
                   "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--chdir", str(REPO)]
        from gunicorn.config import KNOWN_SETTINGS

        if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
            command.append("--no-control-socket")
        server = subprocess.Popen(command + ["wsgi:app"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        servers.append((server, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=60).read()
                break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "gunicorn.log").read_text())
                time.sleep(0.2)
        return app, base

    yield start
    for server, log in servers:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def portal(serve):
    """Writers and moderators on gunicorn with several workers, lexical search (the
    multilingual model would embed every approval, about half a second each: the test
    below covers it in several workers; LOAD_SEARCH_DENSE=1 switches it on here too)."""
    return serve(dense=os.environ.get("LOAD_SEARCH_DENSE") == "1")


def test_concurrent_writers_and_moderators_lose_nothing(portal, tmp_path):
    app, base = portal
    log: list = []
    submitted: list[str] = []   # slugs a writer was told are "Submitted for review"
    approved: list[str] = []    # slugs a moderator was told are "Approved and published"
    slugs = [f"load-practice-{w}-{j}" for w in range(WRITERS)
             for j in range(PRACTICES_PER_WRITER)]
    created: list[str] = []
    writers_done = threading.Event()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def edit_and_submit(browser: Browser, slug: str, title: str) -> None:
        status, _, page = browser.get(f"/practices/{slug}/edit")
        if status != 200:
            return
        data = {**_form(title, slug), "action": "submit",
                "base_revision_id": _hidden(page, "base_revision_id"),
                "base_hash": _hidden(page, "base_hash")}
        status, headers, _ = browser.post(f"/practices/{slug}/edit", data)
        if status == 302 and "Submitted for review" in browser.flashed(headers):
            with lock:
                submitted.append(slug)

    def writer(i: int) -> None:
        try:
            rnd = random.Random(i)
            browser = Browser(base, log)
            browser.sign_in(f"writer{i}@riverton.example")
            for j in range(PRACTICES_PER_WRITER):
                slug = f"load-practice-{i}-{j}"
                status, _, _ = browser.post("/practices/new",
                                            {**_form(f"Load practice {i}-{j}", slug),
                                             "action": "save"})
                assert status == 302, f"draft of {slug}: {status}"
                with lock:
                    created.append(slug)
                edit_and_submit(browser, slug, f"Load practice {i}-{j} submitted")
                # then everyone edits everyone's practices: the same ones at the same time
                for k in range(2):
                    with lock:
                        other = rnd.choice(created)
                    edit_and_submit(browser, other, f"{other} edit {i}-{j}-{k}")
                browser.get("/search?q=rain+gardens")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    def moderator(i: int) -> None:
        try:
            browser = Browser(base, log)
            browser.sign_in(f"mod{i}@kb.example")
            idle = 0
            while idle < 3:
                _, _, queue = browser.get("/moderation")
                waiting = list(dict.fromkeys(REVIEW_RE.findall(queue)))
                if not waiting:
                    if writers_done.is_set():
                        idle += 1
                    time.sleep(0.2)
                    continue
                idle = 0
                for slug in waiting[i::MODERATORS] or waiting:
                    status, headers, _ = browser.post(
                        f"/moderation/practices/{slug}", {"action": "approve", "comment": ""})
                    if status == 302 and "Approved and published" in browser.flashed(headers):
                        with lock:
                            approved.append(slug)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    mods = [threading.Thread(target=moderator, args=(i,)) for i in range(MODERATORS)]
    for t in threads + mods:
        t.start()
    for t in threads:
        t.join()
    writers_done.set()
    for t in mods:
        t.join()
    assert not failures, failures

    server_errors = [entry for entry in log if entry[2] >= 500]
    assert server_errors == [], (server_errors,
                                 (tmp_path / "gunicorn.log").read_text()[-5000:])
    assert sorted(created) == sorted(slugs)
    assert submitted, "no submission went through"
    assert approved, "no submission was approved"

    from kb.db import session
    from kb.models import AuditEvent, ChangeLog, Practice, PracticeStatus as S, Revision, User
    from kb.services.accounts import identity_for
    from kb.services.editorial import moderation_queue
    from kb.services.search import get_index, search_catch_up
    from search import Viewer

    with app.app_context():
        s = session()
        moderator_identity = identity_for(s.scalar(select(User).where(
            User.email == "mod0@kb.example")))
        queued = {item.revision.id for item in moderation_queue(moderator_identity).items}
        # every revision a writer submitted is in the queue or was decided by a moderator
        ever_submitted = s.scalars(select(Revision).where(Revision.submitted_at.is_not(None))
                                   ).all()
        stranded = [(r.practice.slug, r.number, r.state) for r in ever_submitted
                    if r.id not in queued and r.reviewed_at is None]
        assert stranded == []
        assert len(ever_submitted) == len(submitted)
        assert s.scalar(select(func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "practice.approve")) == len(approved)
        # every approval is live: the last approved revision of each practice is published
        for slug in set(approved):
            practice = s.scalar(select(Practice).where(Practice.slug == slug))
            last = s.scalar(select(Revision).where(
                Revision.practice_id == practice.id, Revision.reviewed_at.is_not(None),
                Revision.state.in_((S.PUBLISHED, S.SUPERSEDED)))
                .order_by(Revision.reviewed_at.desc(), Revision.id.desc()).limit(1))
            assert practice.status == S.PUBLISHED
            assert practice.published_revision_id == last.id, slug
        # the index equals the published rows, and says it is up to date
        search_catch_up()
        published = {p.id: p.published_revision.title for p in s.scalars(
            select(Practice).where(Practice.status == S.PUBLISHED))}
        index = get_index()
        assert index.last_change_id() == s.scalar(select(func.max(ChangeLog.id)))
        hits = index.search(viewer=Viewer(see_all=True), per_page=100, facets=False)
        assert hits.total == len(published)
        found = {h.id: h.title for page in range(1, hits.pages + 1) for h in index.search(
            viewer=Viewer(see_all=True), per_page=100, page=page, facets=False).hits}
        assert found == published


# Finnish for "fenced areas where dogs run off the leash": no word in common with the practice
DOGS_IN_FINNISH = "aidatut alueet joilla koirat juoksevat vapaana ilman hihnaa"


@pytest.mark.parametrize("database", [pytest.param("postgresql",
                                                   marks=pytest.mark.postgresql)])
def test_workers_embed_an_approved_practice_and_find_it_in_another_language(
        serve, tmp_path, dense_model):
    """The multi-node set-up (PostgreSQL, several workers) with the multilingual model:
    a practice written and approved through the web is embedded by the workers' applier
    and found by a query in another language that shares no word with it."""
    app, base = serve(workers=2, dense=True)
    log: list = []
    slug = "fenced-dog-parks"
    writer = Browser(base, log)
    writer.sign_in("writer0@riverton.example")
    form = {**_form("Fenced dog parks", slug),
            "summary": "The town built fenced areas where dogs may run off the leash.",
            "body": "## Challenge\n\nDogs off the leash frightened people in the parks."
                    "\n\n## Solution\n\nFenced areas where dogs may run freely."}
    status, _, _ = writer.post("/practices/new", {**form, "action": "save"})
    assert status == 302
    status, _, page = writer.get(f"/practices/{slug}/edit")
    status, headers, _ = writer.post(f"/practices/{slug}/edit", {
        **form, "action": "submit", "base_revision_id": _hidden(page, "base_revision_id"),
        "base_hash": _hidden(page, "base_hash")})
    assert "Submitted for review" in writer.flashed(headers)
    moderator = Browser(base, log)
    moderator.sign_in("mod0@kb.example")
    status, headers, _ = moderator.post(f"/moderation/practices/{slug}",
                                        {"action": "approve", "comment": ""})
    assert "Approved and published" in moderator.flashed(headers)

    from kb.services.identity import ANONYMOUS
    from kb.services.search import practice_search, search_catch_up

    with app.app_context():       # this process searches with words only
        search_catch_up()
        assert slug in [h.slug for h in practice_search(ANONYMOUS, "fenced dogs").hits]
        assert slug not in [h.slug for h in practice_search(ANONYMOUS, DOGS_IN_FINNISH).hits]

    def found() -> list[str]:
        status, _, text = anonymous.get("/api/v1/search?" + urllib.parse.urlencode(
            {"q": DOGS_IN_FINNISH}))
        assert status == 200, text
        return [hit["slug"] for hit in json.loads(text)["hits"]]

    anonymous = Browser(base, log)
    deadline = time.monotonic() + 300          # a bound on the wait, not a measure
    while slug not in found() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert slug in found(), (tmp_path / "gunicorn.log").read_text()[-5000:]
    assert [entry for entry in log if entry[2] >= 500] == []
