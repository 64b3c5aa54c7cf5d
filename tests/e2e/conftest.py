"""Real-browser fixtures: the portal on a local port, Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import FIXTURE_PRACTICES

CHROMIUM = os.environ.get("KB_TEST_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.e2e

HOSTILE_PRACTICE = """\
---
title: Hostile markup test
summary: A practice whose body tries every trick to run script.
language: en
organization: Testville (fictional example town)
country: GB
themes: [public-safety]
tags: [example]
stage: idea
evidence: anecdotal
links:
  - {title: '<img src=x onerror=window.__xss=1>', url: 'https://example.org/?q="><script>window.__xss=1</script>'}
---
## Challenge

<script>window.__xss = 1</script>
<img src=x onerror="window.__xss=1">
<svg onload="window.__xss=1"></svg>
<iframe src="javascript:window.__xss=1"></iframe>
[click me](javascript:window.__xss=1)
<a href="jav&#x09;ascript:window.__xss=1" id="tab-link">tabbed</a>
<details open ontoggle="window.__xss=1">x</details>
<p style="background:url(javascript:window.__xss=1)">styled</p>
<form action="javascript:window.__xss=1"><button>go</button></form>
"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                    "(.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_seeds(tmp_path_factory):
    """The test practices plus a hostile one."""
    seeds = tmp_path_factory.mktemp("live-seeds")
    shutil.copytree(FIXTURE_PRACTICES, seeds, dirs_exist_ok=True)
    (seeds / "hostile-markup-test.md").write_text(HOSTILE_PRACTICE)
    return seeds


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, instance_templates, live_seeds):
    """The portal with the test practices plus a hostile one, a fresh one for each test
    module (a copy of one first start, imported once per run)."""
    from kb import create_app

    settings = {"INSTANCE_PATH": str(tmp_path_factory.mktemp("live") / "instance"),
                "SEED_DIR": str(live_seeds), "SECRET_KEY": "e2e", "AUTO_INIT": True}
    instance_templates.prepare(settings)
    return create_app(settings)


@contextmanager
def serving(app):
    """Serve an app on a free local port for the duration of the block; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.extensions["kb.search"].close()
        app.extensions["kb.db"].dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    """live_app served on a free local port."""
    with serving(live_app) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.dialogs = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


@pytest.fixture(scope="module")
def live_user(live_app):
    """Create a confirmed account in the live portal; returns (email, password)."""
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import membership_add

    def factory(email, role="none", orgs=None):
        with live_app.app_context():
            user_create(SYSTEM, email, email.split("@")[0].title(), "correct horse battery",
                        role)
            for slug, member_role in (orgs or {}).items():
                membership_add(SYSTEM, slug, email, member_role)
        return email, "correct horse battery"

    return factory


def sign_in(page, base, email, password="correct horse battery"):
    page.goto(base + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
