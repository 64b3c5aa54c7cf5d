"""A reader browses the portal in a real Chromium: no console errors, no script from content."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_home_and_practice_page_without_console_errors(page, live_server):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text().startswith("What works in other cities")
    page.get_by_role("link", name="Volunteer flood wardens").first.click()
    page.wait_for_url("**/practices/riverton-flood-wardens")
    assert page.locator("h1").inner_text() == "Volunteer flood wardens"
    table = page.locator("table.outcomes")
    assert "Households warned before flooding" in table.inner_text()
    assert page.locator("article .practice-head").get_attribute("lang") == "en"
    assert page.console_errors == []


def test_keyboard_user_can_skip_to_content(page, live_server):
    page.goto(live_server + "/practices")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_search_from_the_header(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Search practices").fill("wardens")
    page.get_by_label("Search practices").press("Enter")
    page.wait_for_url("**/search?q=wardens*")
    assert "Volunteer flood wardens" in page.locator("main").inner_text()
    assert page.console_errors == []


def test_hostile_markdown_runs_no_script(page, live_server):
    page.goto(live_server + "/practices/hostile-markup-test")
    page.wait_for_load_state("load")
    for link in page.locator(".practice-body a, .links a").all():
        link.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss === undefined")
    assert page.dialogs == []
    html = page.locator(".practice-body").inner_html()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
