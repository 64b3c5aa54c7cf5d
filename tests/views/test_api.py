"""The JSON API: one date format, and no parameter silently ignored."""

from __future__ import annotations

import datetime as dt


def _iso(value: str) -> dt.datetime:
    assert value.endswith("Z"), value
    return dt.datetime.fromisoformat(value[:-1])


def test_every_date_is_iso_8601(client):
    listed = client.get("/api/v1/practices").get_json()["items"][0]
    found = client.get("/api/v1/search?q=wardens").get_json()["hits"][0]
    detail = client.get("/api/v1/practices/riverton-flood-wardens").get_json()
    dates = [listed["published_at"], found["published_at"], detail["updated_at"]]
    parsed = [_iso(value) for value in dates]
    assert all(abs(p - parsed[0]) < dt.timedelta(days=1) for p in parsed)


def test_practices_refuses_a_text_query_and_points_to_search(client):
    response = client.get("/api/v1/practices?q=flood")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request"
    assert "does not take q" in body["message"] and "/api/v1/search?q=" in body["message"]
    assert client.get("/api/v1/practices?theme=flood-preparedness&page=1").status_code == 200


def test_a_practice_answers_its_tags_with_provenance(app, client, make_user):
    """The owner's tags first (the owner's organization), then the community's, each with
    the organizations that applied it and when; a network's private tags only for those
    who may see them."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create
    from tests.auth_helpers import post

    slug, hillford = "riverton-flood-wardens", "hillford-fictional-example-town"
    make_user("hugo@hillford.example", orgs={hillford: "contributor"})
    with app.app_context():
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", hillford)
    hugo = app.test_client()
    post(hugo, "/login", {"email": "hugo@hillford.example", "password": "correct horse battery"})
    for tag, scope in (("floods", "public"), ("shortlist-2027", "alpine-towns")):
        assert post(hugo, f"/practices/{slug}/tags", {"tag": tag, "scope": scope},
                    token_from=f"/practices/{slug}").status_code == 302

    tags = client.get(f"/api/v1/practices/{slug}").get_json()["tags"]
    assert [t["label"] for t in tags["owner"]] == ["early warning", "example", "volunteers"]
    riverton = {"slug": "riverton-fictional-example-town",
                "name": "Riverton (fictional example town)"}
    assert all(t["applied"][0]["organization"] == riverton for t in tags["owner"])
    assert _iso(tags["owner"][0]["applied"][0]["tagged_at"])
    [floods] = tags["community"]      # the network's private tag is not there
    assert (floods["key"], floods["scope"], floods["url"]) == (
        "floods", "public", "http://localhost/tags/floods")
    [applied] = floods["applied"]
    assert applied["organization"] == {"slug": hillford,
                                       "name": "Hillford (fictional example town)"}
    with app.app_context():
        from sqlalchemy import select

        from kb.db import session
        from kb.models import TagApplication, iso_utc

        assert applied["tagged_at"] == iso_utc(session().scalar(
            select(TagApplication.created_at).where(TagApplication.tag == "floods")))
    # a member of the network sees its private tag, with its scope
    mine = hugo.get(f"/api/v1/practices/{slug}").get_json()["tags"]["community"]
    assert [(t["key"], t["scope"]) for t in mine] == [("floods", "public"),
                                                      ("shortlist-2027", "alpine-towns")]
