"""Every card and practice page leads with its headline result and an honest evidence badge."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURE_PRACTICES

MEASURED = """\
---
title: Faster permits at one desk
summary: Permit decisions in fewer days after merging three desks.
language: en
organization: Testbury Council
country: GB
population: 52000
themes: [permitting]
tags: [permits]
stage: evaluated
evidence: monitored
outcomes:
  - indicator: Appeals lodged
    unit: appeals
    result: 7
  - indicator: Median permit processing time
    unit: days
    baseline: 45
    result: 12
    better: lower
    period: 2021-2023
    source: https://example.org/testbury-permits.pdf
---
## Challenge

Permits took too long at three separate desks.
"""


@pytest.fixture
def client(make_app, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURE_PRACTICES, seeds)
    (seeds / "testbury-permits.md").write_text(MEASURED, encoding="utf-8")
    # the same text as a fictional example: it must rank after the real one
    (seeds / "exampleton-permits.md").write_text(
        MEASURED.replace("Testbury Council", "Exampleton (fictional example town)")
        .replace("tags: [permits]", "tags: [example]")
        .replace("evidence: monitored", "evidence: anecdotal")
        .replace("    source: https://example.org/testbury-permits.pdf\n", "")
        .replace("Appeals lodged", "Complaints lodged"), encoding="utf-8")
    return make_app(SEED_DIR=str(seeds)).test_client()


def _headline(html: str) -> str:
    start = html.index('class="headline-outcome')
    return html[start:html.index("</p>", start)]


def test_practice_page_opens_with_the_headline_result_and_its_source(client):
    html = client.get("/practices/testbury-permits").get_data(as_text=True)
    start = html.index('class="practice-head"')
    head = html[start:html.index("</header>", start)]
    line = _headline(head)
    # the first complete row, not the first row
    assert "Median permit processing time" in line and "Appeals" not in line
    assert "45 → <strong>12</strong>" in line
    assert "-73%" in line                                   # (12 - 45) / 45
    assert "better" in line and "headline-outcome better" in head  # word, not colour only
    assert "2021-2023" in line
    assert 'href="https://example.org/testbury-permits.pdf"' in line
    assert "Evidence: monitored" in head


def test_a_measured_claim_without_complete_figures_shows_as_anecdotal(client):
    html = client.get("/practices/riverton-flood-wardens").get_data(as_text=True)
    assert "claimed: monitored · shown: anecdotal" in html
    assert "Fictional example" in html


def test_cards_carry_the_headline_and_the_example_label(client):
    for url in ("/practices", "/themes/permitting", "/organizations/testbury-council",
                "/search?q=permit+processing"):
        html = client.get(url).get_data(as_text=True)
        assert "45 → <strong>12</strong>" in html, url
        assert "-73%" in html, url
    listing = client.get("/practices").get_data(as_text=True)
    card = listing[listing.index("Volunteer flood wardens"):]
    card = card[:card.index("</article>")]
    assert "Fictional example" in card
    assert "claimed: monitored · shown: anecdotal" in card


def test_search_ranks_the_example_after_the_real_practice_and_labels_it(client):
    html = client.get("/search?q=faster+permits+desk").get_data(as_text=True)
    html = html[html.index('class="hits"'):]
    assert html.index("Testbury Council") < html.index("Exampleton")
    example_card = html[html.index("Exampleton"):]
    assert "Fictional example" in example_card[:example_card.index("</li>")]


def test_api_serves_relative_change_headline_and_evidence(client):
    data = client.get("/api/v1/practices/testbury-permits").get_json()
    rows = {o["indicator"]: o for o in data["outcomes"]}
    assert rows["Median permit processing time"]["relative_change"] == pytest.approx(-33 / 45)
    assert rows["Median permit processing time"]["verdict"] == "better"
    assert rows["Appeals lodged"]["relative_change"] is None
    assert data["headline"]["indicator"] == "Median permit processing time"
    assert data["evidence"] == {"claimed": "monitored", "shown": "monitored"}
    assert data["example"] is False
    hits = client.get("/api/v1/search?q=permit").get_json()["hits"]
    assert {h["slug"]: h["example"] for h in hits}["exampleton-permits"] is True
    items = client.get("/api/v1/practices").get_json()["items"]
    card = next(i for i in items if i["slug"] == "riverton-flood-wardens")
    assert card["evidence"] == "monitored" and card["evidence_shown"] == "anecdotal"
