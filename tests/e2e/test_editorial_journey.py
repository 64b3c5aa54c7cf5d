"""A contributor writes a practice and a moderator curates it, in a real Chromium."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in, sign_out

pytestmark = pytest.mark.e2e
RIVERTON = "riverton-fictional-example-town"


def test_write_preview_submit_request_changes_resubmit_approve_find(page, live_server, live_user):
    author, _ = live_user("journey-author@kb.example", orgs={RIVERTON: "contributor"})
    moderator, _ = live_user("journey-mod@kb.example", role="global_moderator")
    base = live_server

    # the contributor writes a practice with two outcome rows and sees the live preview
    sign_in(page, base, author)
    page.goto(base + "/practices/new")
    page.get_by_label("Title", exact=True).fill("Sandbag depots run by neighbours")
    page.get_by_label("Summary").fill("Neighbours keep sandbags ready at four street depots.")
    page.get_by_label("Flood preparedness").check()
    page.get_by_label("Stage", exact=True).select_option("pilot")
    page.get_by_label("Evidence", exact=True).select_option("monitored")
    page.locator("#f-outcome-0-indicator").fill("Depots stocked before the flood season")
    page.locator("#f-outcome-0-unit").fill("count")
    page.locator("#f-outcome-0-baseline").fill("0")
    page.locator("#f-outcome-0-result").fill("4")
    page.locator("#f-outcome-0-note").fill("illustrative figure")
    page.locator("#f-outcome-1-indicator").fill("Households within 300 m of a depot")
    page.locator("#f-outcome-1-unit").fill("%")
    page.locator("#f-outcome-1-result").fill("70")
    page.locator("#f-outcome-1-note").fill("illustrative figure")
    page.get_by_label("Text (Markdown)").fill(
        "## Challenge\n\nThe river rises fast; **wombatflood** was the codeword.\n\n"
        "<script>window.__xss = 1</script>")
    preview = page.locator("#body-preview")
    preview.locator("strong", has_text="wombatflood").wait_for()
    assert "<script" not in preview.inner_html()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/practices/sandbag-depots-run-by-neighbours/edit$"))
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(base + "/my-work")
    assert "Waiting for review" in page.locator("main").inner_text()
    sign_out(page)

    # the moderator asks for changes
    sign_in(page, base, moderator)
    page.goto(base + "/moderation")
    page.get_by_role("link", name="Sandbag depots run by neighbours", exact=True).click()
    page.get_by_label("What should the author change?").fill("Name the source of the 70 %.")
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_load_state("load")
    sign_out(page)

    # the contributor sees the comment, edits and resubmits
    sign_in(page, base, author)
    page.goto(base + "/my-work")
    work = page.locator("main").inner_text()
    assert "Changes requested" in work and "Name the source of the 70 %." in work
    page.get_by_role("link", name="Sandbag depots run by neighbours", exact=True).click()
    page.locator("#f-outcome-1-source").fill("https://example.org/depots-survey")
    page.locator("#f-outcome-1-note").fill("")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(base + "/my-work")
    sign_out(page)

    # the moderator approves, and the practice is found in search
    sign_in(page, base, moderator)
    page.goto(base + "/moderation/practices/sandbag-depots-run-by-neighbours")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state("load")
    page.get_by_label("Search practices").fill("wombatflood")
    page.get_by_label("Search practices").press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=wombatflood.*"))
    results = page.locator("main").inner_text()
    assert "Sandbag depots run by neighbours" in results
    page.get_by_role("link", name="Sandbag depots run by neighbours").first.click()
    table = page.locator("table.outcomes").inner_text()
    assert "Depots stocked before the flood season" in table and "Households within 300 m" in table
    assert page.evaluate("window.__xss === undefined")
    assert page.console_errors == []
