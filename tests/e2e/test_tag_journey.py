"""A Finnish contributor tags a Swedish practice "tulvat"; an English reader finds it from the
"floods" tag page, and sees which city tagged it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

JARVELA = "jarvela-kuvitteellinen-esimerkkikunta"
SWEDISH = "solby-medborgarbudget"


def test_a_finnish_tag_is_found_from_the_english_concept_page(browser, page, live_server,
                                                              live_user):
    email, _password = live_user("jussi@jarvela.example", orgs={JARVELA: "contributor"})
    sign_in(page, live_server, email)
    page.context.add_cookies([{"name": "lang", "value": "fi", "url": live_server}])
    page.goto(f"{live_server}/practices/{SWEDISH}")
    assert page.locator("html").get_attribute("lang") == "fi"
    field = page.get_by_label("Lisää tunniste")
    # suggestions from the glossary in Finnish while typing
    field.press_sequentially("tulv", delay=30)
    page.locator("#tag-suggestions option[value='tulva']").wait_for(state="attached")
    field.fill("tulvat")
    page.get_by_role("button", name="Lisää tunniste").click()
    page.wait_for_url(f"**/practices/{SWEDISH}#tags-title")
    assert "Tunniste lisätty." in page.locator("body").inner_text()
    tagged = page.locator(".community-tags").get_by_role("link", name="tulvat")
    assert tagged.is_visible()

    reader = browser.new_context(locale="en-GB")
    english = reader.new_page()
    english.goto(f"{live_server}/tags/floods")
    assert english.locator("h1").inner_text() == "Tag: floods"
    concept = english.locator(".tag-concept")
    assert "tulva" in concept.inner_text() and "översvämning" in concept.inner_text()
    english.get_by_role("link", name="Medborgarbudget för unga").click()
    english.wait_for_url(f"**/practices/{SWEDISH}")
    link = english.locator(".community-tags").get_by_role("link", name="tulvat")
    cities = english.locator(".community-tags .tag-cities")
    assert cities.bounding_box()["width"] <= 1     # read with the link, shown on demand
    link.focus()   # the cities show on keyboard focus, and are the link's description
    assert cities.bounding_box()["width"] > 20
    assert "Järvelä" in cities.inner_text()
    described = english.locator("#" + link.get_attribute("aria-describedby")).inner_text()
    assert "tagged by 1 city" in described and "Järvelä" in described
    assert page.console_errors == []
    reader.close()
