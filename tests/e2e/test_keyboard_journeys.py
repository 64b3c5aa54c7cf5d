"""Keyboard only: search with a facet and open a result; write and submit a practice;
review and approve it. No mouse click anywhere in these journeys."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the element `selector` names has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def sign_in_by_keyboard(page, base, email):
    page.goto(base + "/login")
    type_into(page, "#f-email", email)
    type_into(page, "#f-password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_search_with_a_facet_and_open_a_result(page, live_server):
    page.goto(live_server + "/search?q=flood")
    tab_to(page, ".filters input[name=theme][value=flood-preparedness]")
    with page.expect_navigation():
        page.keyboard.press("Space")  # a filter applies itself when ticked
    assert "theme=flood-preparedness" in page.url
    tab_to(page, ".hits a[href^='/practices/']")
    target = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server + target
    assert page.console_errors == []


def test_write_submit_review_and_approve_by_keyboard(browser, live_server, live_user):
    live_user("writer@kb.example", orgs={"riverton-fictional-example-town": "contributor"})
    live_user("moderator@kb.example", role="global_moderator")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in_by_keyboard(page, live_server, "writer@kb.example")
        page.goto(live_server + "/practices/new")
        type_into(page, "#f-title", "Keyboard-written rain gardens")
        type_into(page, "#f-summary", "Written and sent for review without a mouse.")
        tab_to(page, "#theme-water")
        page.keyboard.press("Space")
        tab_to(page, "#f-stage")
        page.keyboard.type("Pilot")
        tab_to(page, "#f-evidence")
        page.keyboard.type("Anecdotal")
        type_into(page, "#f-body", "## Challenge\n\nRain.\n\n## Solution\n\nGardens.")
        tab_to(page, "button[name=action][value=save]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/practices/keyboard-written-rain-gardens/edit")
        tab_to(page, "button[name=action][value=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/my-work")
        context.clear_cookies()

        sign_in_by_keyboard(page, live_server, "moderator@kb.example")
        page.goto(live_server + "/moderation")
        tab_to(page, "a[href='/moderation/practices/keyboard-written-rain-gardens']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, "form[aria-labelledby=action-approve-title] button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        context.clear_cookies()
        response = page.goto(live_server + "/practices/keyboard-written-rain-gardens")
        assert response.status == 200
        assert page.locator("h1").inner_text() == "Keyboard-written rain gardens"
    finally:
        context.close()


def test_the_editor_keeps_a_copy_in_the_browser_and_offers_it_back(browser, live_server,
                                                                    live_user):
    live_user("autosaver@kb.example", orgs={"riverton-fictional-example-town": "contributor"})
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in_by_keyboard(page, live_server, "autosaver@kb.example")
        page.goto(live_server + "/practices/new")
        type_into(page, "#f-title", "Words that must not be lost")
        status = page.locator("[data-autosave-status]")
        status.filter(has_text="Saved in this browser").wait_for()
        page.close()  # the tab is closed before any save

        page = context.new_page()
        page.goto(live_server + "/practices/new")
        assert page.locator("#f-title").input_value() == ""
        offer = page.locator("[data-autosave-offer]")
        assert offer.is_visible()
        tab_to(page, "[data-autosave-restore]")
        page.keyboard.press("Enter")
        assert page.locator("#f-title").input_value() == "Words that must not be lost"
        assert not offer.is_visible()
    finally:
        context.close()
