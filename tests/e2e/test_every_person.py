"""Every person: no serious accessibility violation (axe-core) and valid HTML (Nu HTML
Checker) on every page type.

The checkers come from the npm registry into tests/e2e/node_modules:

    npm ci --prefix tests/e2e

and the HTML checker runs on Java (Debian: default-jre-headless).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.pages import open_page, prepare_pages, sign_in

pytestmark = pytest.mark.e2e

MODULES = Path(__file__).parent / "node_modules"
AXE = MODULES / "axe-core" / "axe.min.js"
VNU = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# the page types checked in every language and on a phone as well (every page type runs in
# English on a wide screen; tests/e2e/test_every_device.py opens every page type on a phone)
EVERY_LANGUAGE = {"home", "search", "practice", "new practice", "tag",
                  "draft after a refused submission", "review", "sign in", "dashboard"}

SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
      .map(n => n.target.join(' ')).join(' | '));
}"""


def _needs(path: Path) -> None:
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run `npm ci --prefix tests/e2e` (.ci/run does)")


@pytest.fixture(scope="module")
def pages(live_app):
    return prepare_pages(live_app)


def _sweep(browser, live_server, pages, viewport, language, signed_in, check, script=None):
    """Open every page type (of one sign-in state) and hand each to `check`; `script` is
    a file run in every page before its own scripts."""
    context = browser.new_context(viewport=viewport, bypass_csp=True, locale=language)
    if script is not None:
        context.add_init_script(path=script)
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = context.new_page()
    try:
        if signed_in:
            context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
            sign_in(page, live_server)
            context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
        for label, path, needs_sign_in in pages:
            if needs_sign_in != signed_in:
                continue
            if (language != "en" or viewport is PHONE) and label not in EVERY_LANGUAGE:
                continue
            response = open_page(page, live_server, path)
            check(label, page, response)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
def test_no_serious_accessibility_violation_on_any_page_type(browser, live_server, pages,
                                                            language):
    _needs(AXE)
    found = {}

    def check(label, page, response):
        violations = page.evaluate(SERIOUS)
        if violations:
            found[label] = violations

    # the phone layout in English, on the representative page types; the other languages
    # on a wide screen (their words, labels and language attributes are the same at
    # either width)
    for viewport in (WIDE, PHONE) if language == "en" else (WIDE,):
        for signed_in in (False, True):
            _sweep(browser, live_server, pages, viewport, language, signed_in, check, AXE)
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_page_type_is_valid_html(browser, live_server, pages, tmp_path):
    _needs(VNU)
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: install Debian's default-jre-headless (.ci/run does)")
    saved = {}

    def keep(label, page, response):
        name = label.replace(" ", "-").replace(",", "") + ".html"
        (tmp_path / name).write_text(response.text(), encoding="utf-8")
        saved[name] = label

    for signed_in in (False, True):
        _sweep(browser, live_server, pages, WIDE, "en", signed_in, keep)
    run = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json",
                          *sorted(str(p) for p in tmp_path.glob("*.html"))],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    errors = [f"{saved.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: "
              f"{m.get('message')}" for m in messages if m.get("type") == "error"]
    assert len(saved) == len(pages)
    assert not errors, "\n".join(errors)
