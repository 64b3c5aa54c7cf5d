"""Every page through the test client, as a reader meets it."""

from __future__ import annotations

import re

import pytest


def test_home_shows_intro_practices_and_theme_counts(client):
    html = client.get("/").get_data(as_text=True)
    assert "What works in other cities" in html
    assert "5 practices" in html  # the network-only one is not counted for the public
    assert 'href="/themes/flood-preparedness">Flood preparedness <span class="count">3</span>' in html
    assert "Volunteer flood wardens" in html
    assert "Streusalz" not in html


def test_layout_is_accessible_and_self_contained(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
    assert '<header' in html and '<footer' in html and 'role="search"' in html
    assert '<label for="site-search"' in html
    # no external requests: every src/href for assets is local
    for url in re.findall(r'(?:src|href)="([^"]+\.(?:css|js|svg|png|woff2?))"', html):
        assert url.startswith("/"), url
    assert "<script>" not in html  # no inline script


def test_practice_list_filters_and_paginates(client):
    html = client.get("/practices?theme=flood-preparedness").get_data(as_text=True)
    assert "3 practices" in html
    html = client.get("/practices?theme=flood-preparedness&country=GB&country=IE").get_data(
        as_text=True)
    assert "2 practices" in html and "Hillford" not in html.split("results-title")[1]
    html = client.get("/practices?language=fi").get_data(as_text=True)
    assert "1 practice" in html and "Sähköinen rakennuslupa" in html


def test_pagination(make_app):
    client = make_app(PER_PAGE=2).test_client()
    first = client.get("/practices").get_data(as_text=True)
    assert 'rel="next"' in first
    third = client.get("/practices?page=3").get_data(as_text=True)
    assert 'rel="prev"' in third and 'rel="next"' not in third


def test_practice_page(client):
    response = client.get("/practices/riverton-flood-wardens")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Volunteer flood wardens</h1>" in html
    assert "<strong>flood wardens</strong>" in html  # rendered body
    assert "Measured outcomes" in html
    # baseline -> result and the change, with direction
    assert re.search(r'>40</td>\s*<td class="num">85</td>\s*<td class="num better">\s*\+45 \(\+112%\)',
                     html)
    assert "18,000" in html and "12,500" in html
    assert "Flood resilience officer" in html
    assert "floods@riverton.example" not in html  # no e-mail for anonymous readers
    assert "Sign in to see the e-mail address." in html
    assert "Adapted by 1 city or region" in html
    assert "/practices/lakeside-flood-wardens" in html
    assert 'lang="en"' in html


def test_adaptation_chain_and_lang_attribute(client):
    html = client.get("/practices/hillford-flood-wardens").get_data(as_text=True)
    assert "Adapted from" in html and "/practices/lakeside-flood-wardens" in html
    assert "/practices/riverton-flood-wardens" in html  # the chain back to the original
    fi = client.get("/practices/jarvela-sahkoinen-rakennuslupa").get_data(as_text=True)
    assert '<header class="practice-head" lang="fi">' in fi


def test_source_document_hides_email_from_anonymous(client):
    response = client.get("/practices/riverton-flood-wardens.md")
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("---\ntitle: Volunteer flood wardens")
    assert "floods@riverton.example" not in text


def test_network_only_practice_is_not_public(client):
    assert client.get("/practices/netzwerk-intern").status_code == 404
    assert client.get("/api/v1/practices/netzwerk-intern").status_code == 404
    assert "netzwerk" not in client.get("/practices?theme=procurement").get_data(as_text=True)
    assert client.get("/organizations/bergdorf-fiktive-beispielgemeinde").status_code == 404


def test_theme_and_organization_pages(client):
    html = client.get("/themes").get_data(as_text=True)
    assert "Flood preparedness" in html and "Waste management" in html
    html = client.get("/themes/flood-preparedness").get_data(as_text=True)
    assert "3 practices" in html
    assert client.get("/themes/not-a-theme").status_code == 404
    html = client.get("/organizations").get_data(as_text=True)
    assert "Riverton (fictional example town)" in html
    html = client.get("/organizations/riverton-fictional-example-town").get_data(as_text=True)
    # a fictional town: its example practice's illustrative population is not its own
    assert "Volunteer flood wardens" in html and "42,000" not in html
    assert "<dt>Population</dt><dd>unknown</dd>" in html


def test_friendly_404(client):
    response = client.get("/practices/no-such-practice")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_friendly_500(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_api_practice(client):
    data = client.get("/api/v1/practices/riverton-flood-wardens").get_json()
    assert data["metadata"]["title"] == "Volunteer flood wardens"
    assert data["metadata"]["outcomes"][0]["result"] == 85
    assert "email" not in data["metadata"]["contact"]
    assert "<strong>flood wardens</strong>" in data["html"]
    assert data["source_document"].startswith("---\n")
    assert "floods@riverton.example" not in data["source_document"]
    assert [a["slug"] for a in data["adapted_by"]] == ["lakeside-flood-wardens"]


def test_api_list_and_unknown(client):
    data = client.get("/api/v1/practices?language=sv").get_json()
    assert data["total"] == 1 and data["items"][0]["slug"] == "solby-medborgarbudget"
    missing = client.get("/api/v1/practices/nope")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


@pytest.mark.parametrize("url", ["/", "/practices", "/themes", "/organizations", "/about",
                                 "/search?q=flood", "/practices/solby-medborgarbudget"])
def test_pages_answer(client, url):
    assert client.get(url).status_code == 200


def test_ui_language_can_be_chosen(client):
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers.get("Set-Cookie", "")


def test_unknown_address_gets_the_404_page_with_the_language_switcher(client):
    response = client.get("/no-such-page?x=1")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html
    assert 'href="/no-such-page?x=1&amp;lang=fi"' in html


def test_finnish_interface_keeps_content_language(client):
    html = client.get("/practices/riverton-flood-wardens?lang=fi").get_data(as_text=True)
    assert '<html lang="fi">' in html
    assert '<header class="practice-head" lang="en">' in html
    assert "Volunteer flood wardens" in html


def test_a_search_over_the_limits_is_answered_and_says_what_was_left_out(client):
    q = " ".join(a + b + "*" for a in "bdfklmnprstv" for b in "aeiouy")   # 72 prefixes
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your query has 72 words; only the first 32 were searched." in text
    assert "A prefix search needs at least 3 letters before the *" in text
    data = client.get("/api/v1/search", query_string={"q": q}).get_json()
    assert {"kind": "words", "found": 72, "limit": 32, "text": "",
            "message": "Your query has 72 words; only the first 32 were searched."} \
        in data["limits"]
