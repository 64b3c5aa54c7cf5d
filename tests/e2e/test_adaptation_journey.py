"""A city adapts a bundled practice in a real Chromium, a moderator publishes it, and the
adaptation shows up in the original's "Adapted by", the comparison chart and the network
dashboard. No console errors along the way."""

from __future__ import annotations

import re

import pytest

from kb.config import REPO_ROOT
from tests.e2e.conftest import serving
from tests.e2e.conftest import sign_in as conftest_sign_in

pytestmark = pytest.mark.e2e

ORIGINAL = "rotterdam-water-square-benthemplein"
ADOPTER = "jokiranta-kuvitteellinen-esimerkkikaupunki"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def exchange_server(tmp_path_factory, instance_templates):
    """The portal with the bundled practices, a contributor, a moderator and a network."""
    from kb import create_app
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import (membership_add, network_add_member,
                                           network_create)

    root = tmp_path_factory.mktemp("exchange")
    settings = {"INSTANCE_PATH": str(root / "instance"),
                "SEED_DIR": str(REPO_ROOT / "practices"),
                "SECRET_KEY": "e2e-exchange", "AUTO_INIT": True}
    instance_templates.prepare(settings)  # the bundled first start, imported once per run
    app = create_app(settings)
    with app.app_context():
        user_create(SYSTEM, "kaisa@jokiranta.example", "Kaisa", PASSWORD, "none")
        membership_add(SYSTEM, ADOPTER, "kaisa@jokiranta.example", "contributor")
        user_create(SYSTEM, "mod@exchange.example", "Mona", PASSWORD, "global_moderator")
        network_create(SYSTEM, "Water squares", "water-squares")
        network_add_member(SYSTEM, "water-squares", "municipality-of-rotterdam")
        network_add_member(SYSTEM, "water-squares", ADOPTER)
    with serving(app) as url:
        yield url


def sign_in(page, base, email):
    conftest_sign_in(page, base, email, PASSWORD)


def test_adapt_publish_and_see_it_everywhere(browser, exchange_server):
    base = exchange_server

    # a contributor of Jokiranta adapts Rotterdam's water square
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, "kaisa@jokiranta.example")
    page.goto(f"{base}/practices/{ORIGINAL}")
    page.get_by_role("button", name=re.compile("Adapt this practice for Jokiranta")).click()
    page.wait_for_url(re.compile(r".*/practices/[a-z0-9-]+/edit$"))
    slug = page.url.rsplit("/", 2)[-2]
    assert page.locator('input[name="adapted_from"]').input_value() == ORIGINAL
    assert page.get_by_label("Title").input_value().startswith("Water square")

    # the adaptation section and our own measured result for the original's indicator
    page.get_by_label("What you kept").fill("Three basins that fill in turn\nPlay and sport use")
    page.get_by_label("What you changed, and why").fill("One basin only: smaller square")
    page.get_by_label("What you dropped").fill("The skate bowl")
    page.get_by_label("Your local context").fill("38,000 inhabitants, clay soil, small budget")
    row = page.locator("fieldset.outcome-row").first
    row.get_by_label("Indicator").fill("Stormwater storage capacity of the three basins")
    row.get_by_label("Unit", exact=True).fill("m3")
    row.get_by_label("Baseline").fill("0")
    row.get_by_label("Result", exact=True).fill("450")
    row.get_by_label("An improvement is").select_option("higher")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/practices/{slug}/edit")
    assert "Draft saved" in page.locator(".flashes").inner_text()
    assert page.get_by_label("What you dropped").input_value() == "The skate bowl"
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/my-work")
    assert errors == []
    context.close()

    # a moderator approves it on the moderation page
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, "mod@exchange.example")
    page.goto(f"{base}/moderation/practices/{slug}")
    page.locator('form:has(input[name="action"][value="approve"]) button[type="submit"]').click()
    page.wait_for_load_state("load")
    context.close()

    # any reader now sees it on the original, in the comparison and on the network dashboard
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/practices/{slug}")
    assert "How it was adapted" in page.locator("main").inner_text()
    page.goto(f"{base}/practices/{ORIGINAL}")
    adapted_by = page.locator("section.adapted-by")
    assert "Adapted by 2 cities or regions" in adapted_by.inner_text()
    assert "Jokiranta" in adapted_by.inner_text()
    group = page.locator('figure.comparison-group[data-indicator="stormwater storage capacity '
                         'of the three basins|m3"]')
    chart = group.locator("svg")
    assert chart.is_visible()
    assert "Jokiranta" in chart.inner_html() and "450" in chart.inner_html()
    assert "Municipality of Rotterdam" in chart.inner_html()
    table = group.locator("table").inner_text()
    assert "Jokiranta" in table and "450" in table
    page.goto(f"{base}/networks/water-squares/dashboard")
    main = page.locator("main").inner_text()
    assert "Dashboard of Water squares" in main
    inside = page.locator("#adaptations-title + .table-scroll table").inner_text()
    assert "Jokiranta" in inside and "inside the network" in inside
    page.goto(f"{base}/dashboard/map")
    assert page.locator(".adaptation-map .edges path").count() >= 7  # one arc per pair
    assert errors == []
    context.close()
