"""Tags in the browser and the API: links on pages and cards, the tag form, tag pages."""

from __future__ import annotations

import re

import pytest

from tests.auth_helpers import csrf_token, post

RIVERTON = "riverton-fictional-example-town"
HILLFORD = "hillford-fictional-example-town"
LAKESIDE = "lakeside-fictional-example-town"
PUBLIC = "riverton-flood-wardens"
SWEDISH = "solby-medborgarbudget"


@pytest.fixture
def cities(app, make_user):
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create

    make_user("hugo@hillford.example", orgs={HILLFORD: "contributor"})
    make_user("lea@lakeside.example", orgs={LAKESIDE: "contributor"})
    make_user("ana@riverton.example", orgs={RIVERTON: "contributor"})
    make_user("gm@kb.example", role="global_moderator")
    with app.app_context():
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", HILLFORD)


def _signed_in(app, email):
    client = app.test_client()
    assert post(client, "/login", {"email": email, "password": "correct horse battery"}
                ).status_code == 302
    return client


def _tag(client, slug, tag, **extra):
    return post(client, f"/practices/{slug}/tags", {"tag": tag, **extra},
                token_from=f"/practices/{slug}")


def test_owner_tags_are_links_first_and_community_tags_say_who_tagged(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    lea = _signed_in(app, "lea@lakeside.example")
    assert _tag(hugo, PUBLIC, "housing first").status_code == 302
    _tag(lea, PUBLIC, "Housing First")
    html = app.test_client().get(f"/practices/{PUBLIC}").get_data(as_text=True)
    owner = html.index('href="/tags/early%20warning"')
    community = html.index('href="/tags/housing%20first"')
    assert owner < community
    # the cities are part of the link's description, shown on hover and focus
    link = re.search(r'<a href="/tags/housing%20first" aria-describedby="([^"]+)">', html)
    described = re.search(rf'id="{link.group(1)}"[^>]*>(.*?)</span></span>', html, re.S).group(1)
    assert "tagged by 2 cities" in described
    assert "Hillford (fictional example town), Lakeside (fictional example town)" in described
    # and on every card, here the list of practices
    cards = app.test_client().get("/practices").get_data(as_text=True)
    assert 'href="/tags/housing%20first"' in cards and "tagged by 2 cities" in cards


def test_the_tag_form_needs_csrf_and_a_signed_in_city(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    page = hugo.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    assert 'action="/practices/riverton-flood-wardens/tags"' in page
    assert 'data-tag-suggest="/api/v1/tags/suggestions?lang=en"' in page
    assert '<option value="alpine-towns">' in page   # Hillford may add private tags
    assert hugo.post(f"/practices/{PUBLIC}/tags", data={"tag": "floods"}).status_code == 400
    anonymous = app.test_client()
    assert "tag-form" not in anonymous.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    response = post(anonymous, f"/practices/{PUBLIC}/tags", {"tag": "floods"},
                    token_from=f"/practices/{PUBLIC}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "floods" not in app.test_client().get(
        f"/api/v1/practices/{PUBLIC}/tags").get_data(as_text=True)


def test_a_bad_tag_is_refused_with_a_message(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "<script>")
    html = hugo.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    assert "Use letters, digits, spaces and hyphens in a tag." in html


def test_a_city_removes_its_own_tag(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "floods")
    lea = _signed_in(app, "lea@lakeside.example")
    assert "Remove “floods”" not in lea.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    page = hugo.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    action = re.search(r'action="(/practices/riverton-flood-wardens/tags/\d+/remove)"',
                       page).group(1)
    assert post(hugo, action, {}, token_from=f"/practices/{PUBLIC}").status_code == 302
    assert app.test_client().get(f"/api/v1/practices/{PUBLIC}/tags").get_json()[
        "community"] == []


def test_the_api_tags_and_lists_with_provenance(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    token = csrf_token(hugo, f"/practices/{PUBLIC}")
    response = hugo.post(f"/api/v1/practices/{PUBLIC}/tags", json={"tag": "Floods"},
                         headers={"X-CSRFToken": token})
    assert response.status_code == 201 and response.get_json()["tag"] == "floods"
    again = hugo.post(f"/api/v1/practices/{PUBLIC}/tags", json={"tag": "floods"},
                      headers={"X-CSRFToken": token})
    assert again.status_code == 409
    bad = hugo.post(f"/api/v1/practices/{PUBLIC}/tags", json={"tag": ""},
                    headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"tag"}
    data = app.test_client().get(f"/api/v1/practices/{PUBLIC}/tags").get_json()
    assert [t["label"] for t in data["owner"]] == ["early warning", "example", "volunteers"]
    assert data["community"][0]["cities"] == ["Hillford (fictional example town)"]
    assert data["community"][0]["organizations"] == [HILLFORD]
    assert data["community"][0]["url"].endswith("/tags/floods")
    application = data["community"][0]
    mine = hugo.get(f"/api/v1/practices/{PUBLIC}/tags").get_json()["community"][0]
    assert application["removable"] == [] and len(mine["removable"]) == 1
    gone = hugo.delete(f"/api/v1/tags/applications/{mine['removable'][0]['id']}",
                       headers={"X-CSRFToken": token})
    assert gone.status_code == 204


def test_the_tag_page_lists_practices_related_tags_and_cities(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, SWEDISH, "tulvat")
    html = app.test_client().get("/tags/floods").get_data(as_text=True)
    assert "<h1>Tag: floods</h1>" in html
    assert 'href="/practices/solby-medborgarbudget"' in html
    assert 'lang="fi">tulva<' in html and 'lang="sv">översvämning<' in html
    assert 'href="/organizations/hillford-fictional-example-town"' in html
    data = app.test_client().get("/api/v1/tags/tulvat").get_json()
    assert data["concept"] == "flood" and data["total"] == 1
    assert data["items"][0]["slug"] == SWEDISH
    # a tag nobody used is not a page
    assert app.test_client().get("/tags/nobody-uses-this").status_code == 404


def test_the_tag_index_shows_the_most_used_tags_per_theme(app, cities):
    html = app.test_client().get("/tags").get_data(as_text=True)
    assert 'href="/tags/example"' in html and 'id="theme-tags-flood-preparedness"' in html


def test_search_has_a_tag_facet_and_cards_with_tags(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, SWEDISH, "housing first")
    html = app.test_client().get("/search?q=&tag=housing_first").get_data(as_text=True)
    assert "1 practice found" in html
    assert 'name="tag" value="housing_first" checked' in html
    assert ">housing first <span class=\"count\">1</span>" in html
    assert 'href="/tags/housing%20first"' in html


def test_suggestions_follow_the_language_asked(app, cities):
    assert "tulva" in app.test_client().get("/api/v1/tags/suggestions?q=tulv&lang=fi").get_json()


def test_moderators_rename_tags_from_their_page(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "flood wardens")
    assert hugo.get("/moderation/tags").status_code == 403
    gm = _signed_in(app, "gm@kb.example")
    response = post(gm, "/moderation/tags", {"action": "rename", "source": "flood wardens",
                                             "target": "flood volunteers"})
    assert response.status_code == 302
    html = app.test_client().get(f"/practices/{PUBLIC}").get_data(as_text=True)
    assert 'href="/tags/flood%20volunteers"' in html and "flood wardens</a>" not in html
    refused = post(gm, "/moderation/tags", {"action": "rename", "source": "x", "target": ""})
    assert refused.status_code == 400 and "Write a tag." in refused.get_data(as_text=True)


def test_a_network_moderator_curates_the_network_tags_from_their_page(app, cities, make_user):
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_set_moderator

    make_user("nm@kb.example")
    with app.app_context():
        network_set_moderator(SYSTEM, "alpine-towns", "nm@kb.example")
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "kandidat", scope="alpine-towns")
    nm = _signed_in(app, "nm@kb.example")
    form = nm.get("/moderation/tags").get_data(as_text=True)
    # the network's private tags are the only ones this moderator curates
    assert '<input type="hidden" name="scope" value="alpine-towns">' in form
    assert "Members of Alpine towns (its private tags)" in form
    response = post(nm, "/moderation/tags", {"action": "synonym", "source": "kandidat",
                                             "target": "shortlist-2027"})
    assert response.status_code == 302
    # the members meet the tag as the other one at once; nobody else meets either
    html = hugo.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    assert 'href="/tags/shortlist-2027"' in html
    assert hugo.get("/tags/kandidat").headers["Location"].endswith("/tags/shortlist-2027")
    anonymous = app.test_client()
    page = anonymous.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    assert "kandidat" not in page and "shortlist" not in page
    assert anonymous.get("/tags/kandidat").status_code == 404
    assert anonymous.get("/tags/shortlist-2027").status_code == 404
    # not the public tags, and a tag the network does not use is said so
    assert post(nm, "/moderation/tags", {"action": "rename", "source": "volunteers",
                                         "target": "helpers", "scope": "public"}
                ).status_code == 403
    refused = post(nm, "/moderation/tags", {"action": "merge", "source": "no such words",
                                            "target": "shortlist-2027"})
    assert refused.status_code == 400 and "No such tag." in refused.get_data(as_text=True)


def test_a_reader_reports_a_misused_tag_to_the_moderators(app, cities, make_user):
    from sqlalchemy import select

    from kb.db import session
    from kb.models import Flag

    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "cheap stuff")
    _tag(hugo, PUBLIC, "shortlist", scope="alpine-towns")
    make_user("rita@reader.example")
    rita = _signed_in(app, "rita@reader.example")
    page = rita.get(f"/practices/{PUBLIC}").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', page)
    assert [label for _id, label in options] == ["cheap stuff (Hillford (fictional example town))"]
    post(rita, f"/practices/{PUBLIC}/tags/report",
         {"application": options[0][0], "reason": "An advertisement."},
         token_from=f"/practices/{PUBLIC}")
    with app.app_context():
        assert session().scalar(select(Flag.reason)) == \
            "Tag “cheap stuff” added by Hillford (fictional example town): An advertisement."


def test_a_card_shown_twice_gives_its_tags_ids_of_their_own(app, cities):
    hugo = _signed_in(app, "hugo@hillford.example")
    _tag(hugo, PUBLIC, "housing first")
    html = app.test_client().get("/").get_data(as_text=True)
    ids = re.findall(r'class="tag-by" id="([^"]+)"', html)
    assert len(ids) >= 2 and len(ids) == len(set(ids))   # featured and newest
