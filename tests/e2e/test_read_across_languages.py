"""A Finnish reader meets a Swedish practice in Finnish, and reaches the original in one click."""

from __future__ import annotations

import pytest

from kb.services.identity import SYSTEM
from kb.services.practices import practice_import
from tests.views.test_translated_practices import SOLBY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def translated(live_app):
    with live_app.app_context():
        practice_import(SYSTEM, SOLBY, "solby-pensionarer.md")


def test_translated_card_and_page_with_the_original_one_click_away(page, live_server,
                                                                    translated):
    page.goto(live_server + "/practices?theme=citizen-participation&lang=fi")
    card = page.locator("article.card", has_text="Osallistuva budjetointi eläkeläisille")
    assert card.get_attribute("lang") == "fi"
    original = card.locator("details.translation-note")
    assert not original.locator("p").is_visible()
    original.locator("summary").click()
    assert "Medborgarbudget för pensionärer" in original.locator("p").inner_text()
    card.get_by_role("link", name="Osallistuva budjetointi eläkeläisille").click()
    page.wait_for_url("**/practices/solby-pensionarer*")
    assert page.locator("h1").inner_text() == "Osallistuva budjetointi eläkeläisille"
    assert "Tekijän käännös (alkuperäinen kieli: ruotsi)" in page.locator(
        ".practice-head").inner_text()
    page.get_by_role("link", name="Näytä alkuperäinen").click()
    assert page.locator("h1").inner_text() == "Medborgarbudget för pensionärer"
    assert page.locator("article .practice-head").get_attribute("lang") == "sv"
    assert page.console_errors == []
