"""A walk over the pages a funder or an official looks at first, on the bundled practices,
in English and Finnish, on a desktop (1280 px) and a phone (390 px).

Every page fits its width; the headline result shows on cards and the practice page; the
map has country outlines and place names. With $KB_SCREENSHOTS set, a screenshot of every
page is saved there for a person to look at (full-page screenshots take about as long as the
walk itself, so a plain test run takes none).

    KB_SCREENSHOTS=/tmp/walk .venv/bin/python -m pytest tests/e2e/test_screenshot_walk.py -s
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_PRACTICES
from tests.e2e.conftest import serving

pytestmark = pytest.mark.e2e

NETWORK = "nordic-cities"
MEMBERS = ("helsingin-kaupunki", "goteborgs-stad", "city-of-tallinn",
           "vantaan-kaupunki-ohjaamo-vantaa", "esimerkkila-kuvitteellinen-esimerkkikaupunki")
ORIGINAL = "rotterdam-water-square-benthemplein"  # a practice with an adaptation
WALK = [
    ("home", "/", True),
    ("search", "/search?q=flood", True),
    ("practice", f"/practices/{ORIGINAL}", True),
    ("dashboard", "/dashboard", False),
    ("network-dashboard", f"/networks/{NETWORK}/dashboard", False),
    ("map", "/dashboard/map", False),
    ("cities-like-mine", "/cities-like-mine?organization=helsingin-kaupunki", False),
]
WIDTHS = (1280, 390)
# the SVG texts of the map's place names that are drawn at this width
DRAWN_LABELS = """() => [...document.querySelectorAll('.adaptation-map .labels text')]
  .filter(t => getComputedStyle(t.parentNode).display !== 'none'
               && t.getBoundingClientRect().width > 0).map(t => t.textContent)"""


@pytest.fixture(scope="module")
def shots() -> Path | None:
    if not os.environ.get("KB_SCREENSHOTS"):
        return None
    folder = Path(os.environ["KB_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def bundled_server(tmp_path_factory, instance_templates):
    from kb import create_app
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create

    settings = {"INSTANCE_PATH": str(tmp_path_factory.mktemp("walk") / "instance"),
                "SEED_DIR": str(BUNDLED_PRACTICES), "SECRET_KEY": "e2e", "AUTO_INIT": True}
    instance_templates.prepare(settings)
    app = create_app(settings)
    with app.app_context():
        network_create(SYSTEM, "Nordic cities", NETWORK)
        for slug in MEMBERS:
            network_add_member(SYSTEM, NETWORK, slug)
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_walk(browser, bundled_server, shots, language, width):
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  locale={"en": "en-GB", "fi": "fi-FI"}[language])
    page = context.new_page()
    problems = []
    try:
        for label, path, headline in WALK:
            response = page.goto(bundled_server + path)
            assert response is not None and response.status == 200, (label, response)
            assert page.evaluate("document.documentElement.lang").startswith(language), label
            if shots is not None:
                page.screenshot(path=str(shots / f"{label}-{language}-{width}.png"),
                                full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{label}: {scroll} px wide at {width}")
            if headline and not page.locator(".headline-outcome").first.is_visible():
                problems.append(f"{label}: no headline result in sight")
            if label == "map":
                outlines = page.locator(".adaptation-map .countries path").count()
                names = page.evaluate(DRAWN_LABELS)
                if outlines < 20:
                    problems.append(f"map: {outlines} country outlines")
                if not {"Helsinki", "Rotterdam", "Paris"} <= set(names):
                    problems.append(f"map: place names drawn: {names}")
                if shots is not None:
                    page.locator("figure.adaptation-map").screenshot(
                        path=str(shots / f"map-figure-{language}-{width}.png"))
            if label == "cities-like-mine":
                rows = page.locator("ol.like-mine > li").count()
                reason = {"en": "same country", "fi": "sama maa"}[language]
                if rows < 3 or reason not in page.locator("ol.like-mine").inner_text():
                    problems.append(f"cities like mine: {rows} rows, no '{reason}'")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
