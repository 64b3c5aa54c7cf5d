"""The editor's and the search page's pickers in a real browser, on a phone-sized screen:
a theme found by its name in another language, a country chosen by typing, the regions of
that country offered, and nothing wider than the screen."""

from __future__ import annotations

import pytest

import shutil

from tests.conftest import BUNDLED_PRACTICES, FIXTURE_PRACTICES
from tests.e2e.conftest import sign_in
from tests.e2e.test_every_person import AXE, SERIOUS, _needs

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_seeds(tmp_path_factory):
    """The bundled practices (many countries and themes) and the test practices."""
    seeds = tmp_path_factory.mktemp("picker-seeds")
    shutil.copytree(BUNDLED_PRACTICES, seeds, dirs_exist_ok=True)
    shutil.copytree(FIXTURE_PRACTICES, seeds, dirs_exist_ok=True)
    return seeds


@pytest.fixture(scope="module")
def writer_email(live_user):
    email, _password = live_user("picker@kb.example",
                                 orgs={"riverton-fictional-example-town": "contributor"})
    return email


@pytest.fixture
def writer(browser, live_server, writer_email):
    email = writer_email
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, email)
    yield page
    assert errors == []
    context.close()


def _visible_themes(page):
    return page.eval_on_selector_all(
        "#theme-choices .check", "els => els.filter(e => !e.hidden).map(e => e.querySelector('input').value)")


def test_a_theme_is_found_by_its_finnish_name_and_ticked_by_keyboard(writer, live_server):
    page = writer
    page.goto(live_server + "/practices/new")
    box = page.get_by_label("Find a theme")
    assert box.is_visible()
    box.fill("ilma")  # Finnish: ilmanlaatu (air quality), ilmastonmuutokseen sopeutuminen
    assert set(_visible_themes(page)) == {"air-quality", "climate-adaptation"}
    box.fill("luftkval")  # Swedish
    assert _visible_themes(page) == ["air-quality"]
    assert page.locator("#theme-choices-filter-count").inner_text() == "1 of 27 shown"
    box.press("Enter")  # to the list, not a form submission
    assert page.evaluate("document.activeElement.id") == "theme-air-quality"
    page.keyboard.press("Space")
    box.focus()
    page.keyboard.press("Escape")  # every theme again, the ticked one still ticked
    assert len(_visible_themes(page)) == 27
    assert page.locator("#theme-air-quality").is_checked()
    assert page.url.endswith("/practices/new")


def test_a_country_chosen_by_typing_brings_its_regions(writer, live_server):
    page = writer
    page.goto(live_server + "/practices/new")
    page.get_by_label("Find a country").fill("ruotsi")  # Sweden, typed in Finnish
    assert page.locator("#f-country").input_value() == "SE"
    assert page.locator("#f-country-filter-count").inner_text() == "Sweden chosen"
    page.wait_for_function(
        "() => [...document.querySelectorAll('#region-choices option')]"
        ".some(o => o.value === 'Skåne län')")
    page.get_by_label("Region").fill("Skåne län")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _needs(AXE)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(SERIOUS) == []


def test_the_search_page_finds_a_rare_country_in_its_filter(browser, live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/search")
        first = page.locator(".hits > li").first
        assert first.bounding_box()["y"] < PHONE["height"]  # results still come first
        page.locator("summary.filter-toggle").click()
        countries = "#facet-country .check"
        shown = "els => els.filter(e => !e.hidden).map(e => e.querySelector('input').value)"
        before = page.eval_on_selector_all(countries, shown)
        assert len(before) == 10  # the ten most frequent; the box fetches the others
        assert "EE" not in page.eval_on_selector_all(
            countries, "els => els.map(e => e.querySelector('input').value)")
        page.get_by_label("Find a country").fill("viro")  # Estonia, typed in Finnish
        page.wait_for_function(
            "() => [...document.querySelectorAll('#facet-country .check')]"
            ".filter(e => !e.hidden).map(e => e.querySelector('input').value).join() === 'EE'")
        page.get_by_label("Find a country").press("Enter")
        assert page.evaluate("document.activeElement.value") == "EE"
        with page.expect_navigation():
            page.keyboard.press("Space")  # a filter applies itself when ticked
        assert "country=EE" in page.url
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
