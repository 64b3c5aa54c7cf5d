"""Nothing shows a network-only practice, its tags, its address or its organization outside
its networks.

Bergdorf's only practice (netzwerk-intern, tag "Beschaffung") is shared with the
Alpine towns network; Solby belongs to another network, Baltic towns.
"""

from __future__ import annotations

import re

import pytest

from kb.services.identity import SYSTEM
from kb.services.organizations import network_add_member, network_create
from tests.auth_helpers import post

BERGDORF = "bergdorf-fiktive-beispielgemeinde"
HILLFORD = "hillford-fictional-example-town"
SOLBY = "solby-fiktiv-exempelkommun"


@pytest.fixture
def world(app, make_user):
    make_user("alpine@kb.example", orgs={HILLFORD: "contributor"})
    make_user("baltic@kb.example", orgs={SOLBY: "contributor"})
    make_user("reader@kb.example")
    with app.app_context():
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", BERGDORF)
        network_add_member(SYSTEM, "alpine-towns", HILLFORD)
        network_create(SYSTEM, "Baltic towns", "baltic-towns")
        network_add_member(SYSTEM, "baltic-towns", SOLBY)
    return app


def signed_in(app, email):
    client = app.test_client()
    if email:
        response = post(client, "/login", {"email": email, "password": "correct horse battery"})
        assert response.status_code == 302
        client.get("/")  # shows the "signed in" message once
    return client


CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def alike(hidden, unknown, hidden_slug, unknown_slug="no-such-town") -> bool:
    """The same status and the same page, but for the address asked for.

    CSRF tokens carry the second they were signed in, so they are masked."""
    def page(response):
        return CSRF_VALUE.sub(r'\1…"', response.get_data(as_text=True))

    return hidden.status_code == unknown.status_code and \
        page(hidden).replace(hidden_slug, unknown_slug) == page(unknown)


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("email, sees", [("alpine@kb.example", True),
                                         ("baltic@kb.example", False)])
def test_editor_suggests_tags_of_the_networks_i_belong_to_only(world, email, sees):
    form = text(signed_in(world, email).get("/practices/new"))
    assert '<option value="flood"' in form or '<option value="example"' in form
    assert ('<option value="Beschaffung">' in form) is sees


@pytest.mark.parametrize("email, sees", [("alpine@kb.example", True),
                                         ("baltic@kb.example", False),
                                         ("reader@kb.example", False)])
def test_account_page_lists_organizations_i_may_know_of(world, email, sees):
    page = text(signed_in(world, email).get("/account"))
    assert "Riverton (fictional example town)" in page
    assert ("Bergdorf" in page) is sees


@pytest.mark.parametrize("email", ["baltic@kb.example", "reader@kb.example"])
def test_joining_or_following_a_hidden_organization_is_like_an_unknown_one(world, email):
    client = signed_in(world, email)
    hidden = post(client, "/account/join", {"organization": BERGDORF}, token_from="/")
    unknown = post(client, "/account/join", {"organization": "no-such-town"}, token_from="/")
    assert hidden.status_code == 404 and alike(hidden, unknown, BERGDORF)
    hidden = post(client, f"/organizations/{BERGDORF}/follow", {}, token_from="/")
    unknown = post(client, "/organizations/no-such-town/follow", {}, token_from="/")
    assert hidden.status_code == 404 and alike(hidden, unknown, BERGDORF)


@pytest.mark.parametrize("email, sees", [("alpine@kb.example", True),
                                         ("baltic@kb.example", False), (None, False)])
def test_search_filter_names_only_known_organizations(world, email, sees):
    page = text(signed_in(world, email).get(f"/search?organization={BERGDORF}"))
    assert ("Bergdorf (fiktive Beispielgemeinde)" in page) is sees


@pytest.mark.parametrize("email, sees", [("alpine@kb.example", True),
                                         ("baltic@kb.example", False), (None, False)])
def test_cities_like_mine_of_a_hidden_organization_is_not_found(world, email, sees):
    client = signed_in(world, email)
    hidden = client.get(f"/cities-like-mine?organization={BERGDORF}")
    if sees:
        assert "Bergdorf" in text(hidden)
    else:
        unknown = client.get("/cities-like-mine?organization=no-such-town")
        assert hidden.status_code == 404 and alike(hidden, unknown, BERGDORF)


@pytest.mark.parametrize("email, answer", [
    ("baltic@kb.example", "/practices/netzwerk-intern-2/edit"),
    ("alpine@kb.example", "another practice already has the address netzwerk-intern")])
def test_the_editor_tells_of_a_taken_address_only_when_i_may_see_the_practice(world, email,
                                                                             answer):
    from tests.views.test_editor import FORM

    org = {"baltic@kb.example": "Solby (fiktiv exempelkommun)",
           "alpine@kb.example": "Hillford (fictional example town)"}[email]
    form = {**FORM, "title": "Netzwerk intern", "organization": org}
    response = post(signed_in(world, email), "/practices/new", form)
    if answer.startswith("/"):
        assert response.status_code == 302 and response.headers["Location"] == answer
    else:
        assert response.status_code == 400 and answer in response.get_data(as_text=True)
