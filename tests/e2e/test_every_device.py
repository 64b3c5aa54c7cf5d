"""Every page type fits a 390 px phone screen: nothing wider than the viewport."""

from __future__ import annotations

import pytest

from tests.e2e.pages import open_page, prepare_pages, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# the innermost elements that reach past the right edge, to say what to fix
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 1
          )
  .slice(0, 6).map(el => el.tagName.toLowerCase() + '.' + el.className + ' '
          + Math.round(el.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def pages(live_app):
    return prepare_pages(live_app)


def test_no_page_type_is_wider_than_a_phone(browser, live_server, pages):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    too_wide = {}
    try:
        for signed_in in (False, True):
            if signed_in:
                sign_in(page, live_server)
            for label, path, needs_sign_in in pages:
                if needs_sign_in != signed_in:
                    continue
                response = open_page(page, live_server, path)
                assert response.status < 500, label
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > page.evaluate("innerWidth"):
                    too_wide[label] = (width, page.evaluate(WIDEST))
    finally:
        context.close()
    assert not too_wide, "\n".join(f"{k}: {v}" for k, v in too_wide.items())


def test_on_a_phone_search_shows_results_first_and_filters_behind_a_button(browser,
                                                                            live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/search?q=flood")
        first = page.locator(".hits > li").first
        assert first.is_visible()
        assert first.bounding_box()["y"] < PHONE["height"]  # on the first screen
        facet = page.locator(".filters input[type=checkbox]").first
        assert not facet.is_visible()
        toggle = page.locator("summary.filter-toggle")
        toggle.focus()
        page.keyboard.press("Enter")
        assert facet.is_visible()
        # on a wide screen the filters stay beside the results, no button
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        assert page.locator(".filters input[type=checkbox]").first.is_visible()
        assert not page.locator("summary.filter-toggle").is_visible()
    finally:
        context.close()


def test_a_wide_table_scrolls_in_its_own_region_that_the_keyboard_reaches(browser,
                                                                          live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/practices/riverton-flood-wardens")
        region = page.locator(".table-scroll").first
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("aria-label") == "Measured outcomes"
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls inside
        for _ in range(200):
            page.keyboard.press("Tab")
            if region.evaluate("el => el === document.activeElement"):
                break
        else:
            raise AssertionError("the table's region is not reachable with Tab")
        page.keyboard.press("ArrowRight")
        for _ in range(40):  # the arrow key scrolls the region (smoothly, in steps)
            if region.evaluate("el => el.scrollLeft") > 0:
                break
            page.wait_for_timeout(50)
        assert region.evaluate("el => el.scrollLeft") > 0
    finally:
        context.close()
